#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "base/result.h"
#include "pipeline/stage.h"

namespace mdsp::pipeline {

// SIGINT and SIGTERM as a stop request, without a global flag: the
// constructor blocks both signals in the calling thread and so in every
// thread it starts later; wait() then receives them on the calling thread
// alone. Construct it on the main thread before any other thread starts.
class signal_stop {
public:
    signal_stop();
    // Waits up to timeout for SIGINT or SIGTERM; true when one came.
    bool wait(std::chrono::milliseconds timeout);
};

// Runs the stages of one process, one thread each, in data-flow order: when
// a stage is done, the stages after it hear upstream_done().
//
// Threads: add(), start(), run() and join() on the owning thread;
// request_stop() and the figures from any thread. Each stage is used by its
// own thread alone once started (stage.h). The stages must outlive join().
class runner {
public:
    runner() = default;
    ~runner();
    runner(const runner&) = delete;
    runner& operator=(const runner&) = delete;

    void add(stage& s);
    // Calls every stage's start() here, in order, then gives each its thread.
    // On an error nothing is left running.
    result<void> start();
    // Stops every stage after its current step; its thread then calls stop().
    void request_stop() noexcept { _stop.store(true); }
    // Waits for every thread; the first error any stage hit, if one did.
    result<void> join();

    // Every stage reported done.
    bool done() const noexcept { return _done_count.load() == _stages.size() && !_stages.empty(); }
    bool failed() const noexcept { return _failed.load(); }
    // Whether stage i (in add order) reported done.
    bool stage_done(size_t i) const noexcept { return i < _stages.size() && _stages[i].done.load(); }

    struct run_options {
        bool exit_when_done = false; // return once every stage is done
        // Called about every 100 ms on the owning thread (a progress bar).
        std::function<void()> on_idle;
    };
    enum class ended { done, failed, interrupted };
    // The loop `mdsp up`, `ingest` and `process` share: waits for a signal,
    // a failure or (when asked) the end of every stage, then stops and joins.
    // The result of join() is in the returned error, if any.
    result<ended> run(signal_stop& signals, const run_options& opts);

private:
    struct slot {
        stage* s = nullptr;
        std::thread thread;
        std::atomic<bool> done{false};
    };
    void loop(size_t i);
    void fail(const error& e, const stage& s);

    std::vector<slot> _stages;
    std::atomic<bool> _stop{false};
    std::atomic<bool> _failed{false};
    std::atomic<size_t> _done_count{0};
    std::mutex _err_mu;
    std::optional<error> _first_error;
};

} // namespace mdsp::pipeline
