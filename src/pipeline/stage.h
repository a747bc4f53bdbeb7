#pragma once

#include <chrono>
#include <string_view>

#include "base/result.h"

namespace mdsp::pipeline {

// What one stage::step() did.
enum class step_status {
    busy, // moved records; step again at once
    idle, // nothing arrived within the wait; step again
    done, // a bounded input is fully handled (reported once; the runner tells
          // the stages after it, and keeps stepping this one, which then waits
          // idle or keeps what it must alive, e.g. a Kafka group membership)
};

// The one contract of every stage (ingest: source -> bus; process: bus ->
// engine -> store), as ClickHouse's IProcessor is for its processors.
//
// Threads and lifecycle: the runner calls start() on the thread that starts
// the run, then gives the stage a thread of its own that calls step() until
// the stage is done, fails or a stop is requested, and then stop() on that
// same thread. Nothing else calls into a running stage except
// upstream_done(), which may come from any thread; figures a stage publishes
// for others are atomics or probes (metrics).
class stage {
public:
    virtual ~stage() = default;

    // Short name for logs and errors: "ingest", "process".
    virtual std::string_view name() const = 0;
    // Opens what the stage reads and restores its state.
    virtual result<void> start() = 0;
    // Does one unit of work, waiting at most max_wait for input.
    virtual result<step_status> step(std::chrono::milliseconds max_wait) = 0;
    // Every stage before this one is done: a stage that ends with its input
    // (a bounded replay) may now report done once it has caught up.
    virtual void upstream_done() {}
    // Writes what is pending and releases what it holds (no step after it).
    virtual result<void> stop() = 0;
};

} // namespace mdsp::pipeline
