#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/result.h"
#include "bus/bus.h"
#include "feed/source.h"
#include "model/dead_letter.h"
#include "model/tick.h"
#include "pipeline/dead_letters.h"
#include "pipeline/probes.h"
#include "pipeline/stage.h"

namespace mdsp::pipeline {

// Moves ticks from a source into market.ticks as framed Avro, keyed by
// symbol; what the source cannot turn into a tick goes to market.deadletter.
//
// Threads: start() on the runner's caller, then step()/stop() on the stage's
// thread, which alone uses source, producer and this stage. dead_letter() is
// the source's sink and runs inside step()'s poll. The figures are atomics.
//
// Resume contract: after a flush the source's position is written to the
// checkpoint file (at most every 100 ms, and at the end), so a restart
// resumes at or before the last acknowledged tick. Ticks re-sent after a
// crash carry the same seq and the engine drops them as duplicates.
class ingest_stage final : public stage {
public:
    struct options {
        std::string checkpoint_path;
        // Flush (wait for acknowledgements) and checkpoint at most this often
        // instead of after every poll of the source; 0 = after every poll. A
        // remote bus (Kafka) uses 100 ms so one round trip does not pace the feed.
        int64_t flush_every_ns = 0;
        // Called about once a minute on the stage's thread (log retention).
        std::function<void()> maintenance;
        // Ticks further ahead of the clock are dead-lettered (model::check_tick).
        int64_t max_future_us = 0;
        bus::topic_names topics; // where ticks and dead letters go
    };

    ingest_stage(feed::source& src, bus::producer& out, options opts);

    std::string_view name() const override { return "ingest"; }
    // Reads the checkpoint, if any, and resumes the source after it.
    result<void> start() override;
    // One poll of the source: encode, send, flush, checkpoint. Done once a
    // bounded source is exhausted and all of it is flushed.
    result<step_status> step(std::chrono::milliseconds max_wait) override;
    // Flushes what was sent and writes the checkpoint.
    result<void> stop() override;

    // Publishes a dead letter (from the source's sink) to market.deadletter.
    void dead_letter(const model::dead_letter& d);

    uint64_t ticks_sent() const noexcept { return _sent.load(std::memory_order_relaxed); }
    uint64_t dead_letters() const noexcept { return _dead.load(std::memory_order_relaxed); }
    // 0..1 of a bounded source; negative when unknown.
    double progress() const noexcept { return _progress.load(std::memory_order_relaxed); }
    const ingest_probe& probe() const { return _probe; }

private:
    result<void> flush();
    result<void> write_checkpoint();
    void reject(const model::tick& t, std::string why);

    feed::source& _src;
    bus::producer& _out;
    options _opts;
    dead_letter_writer _dlq;
    ingest_probe _probe;
    std::vector<model::tick> _ticks;
    std::string _buf;
    std::atomic<uint64_t> _sent{0};
    std::atomic<uint64_t> _dead{0};
    std::atomic<double> _progress{-1};
    bool _ended = false;
    int64_t _last_checkpoint_ns = 0;
    int64_t _last_flush_ns = 0;
    int64_t _last_maintenance_ns = 0;
    std::string _last_position;
};

} // namespace mdsp::pipeline
