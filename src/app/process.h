#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "app/config.h"
#include "app/stage_state.h"
#include "base/metrics.h"
#include "base/result.h"
#include "bus/bus.h"
#include "model/candle.h"
#include "model/tick.h"
#include "store/store.h"
#include "stream/candle_engine.h"

namespace mdsp::app {

// Reads market.ticks, builds candles, and writes ticks, candles, latest
// prices, the engine state and the consumed offsets to the store in one
// atomic write (the exactly-once effect of DESIGN.md for the embedded path).
// Owned by the processing thread; consumer, producer and store writes are
// used from it alone.
class process_stage {
public:
    process_stage(const config& cfg, bus::consumer& in, bus::producer& dead_letters, store::store& st);

    // Restores the engine and the consumed offsets from the store and assigns
    // every partition of market.ticks from there.
    result<void> restore(int32_t partitions);
    // Polls once (waiting at most timeout_ms), applies what came, and writes
    // to the store when the commit interval or the batch size is reached.
    // Returns the number of records consumed.
    result<size_t> step(int timeout_ms);
    // Writes everything pending now.
    result<void> commit();
    // Ends a bounded input: finalizes every window and commits.
    result<void> finish();
    // True when every record up to the log end is consumed and committed.
    result<bool> caught_up();

    // When set, every committed tick's ingest-to-readable latency in
    // microseconds is appended here (benchmarks).
    void record_latencies(std::vector<int64_t>* sink) { _latency_sink = sink; }

    // Called after each successful store write (stage_state.h).
    void on_commit(commit_observer f) { _on_commit = std::move(f); }

    // Records of market.ticks not consumed yet: the log end minus the next
    // offset to read, per partition and in all. Sets
    // mdsp_consumer_lag{topic,partition}, the gauge the Kafka consumer sets too.
    result<int64_t> lag() {
        int64_t n = 0;
        for (const auto& [p, next] : _next) {
            auto end = _in.end_offset(partition_id(p));
            if (!end) {
                return end.error();
            }
            int64_t l = std::max<int64_t>(0, (*end)() - next);
            metrics::global()
                .get_gauge("mdsp_consumer_lag", "Records of a partition not yet read by the processing stage",
                           {{"topic", std::string(bus::ticks_topic)}, {"partition", std::to_string(p)}})
                .set(static_cast<double>(l));
            n += l;
        }
        return n;
    }

    const stream::candle_engine& engine() const { return _engine; }
    uint64_t ticks_processed() const noexcept { return _processed; }
    uint64_t dead_letters() const noexcept { return _dead; }
    uint64_t candles_written() const noexcept { return _candles_written; }

    // State key of a partition's next offset to read.
    static std::string position_key(int32_t partition);

private:
    void dead_letter(const bus::record_view& r, const char* kind, const std::string& why);

    const config& _cfg;
    bus::consumer& _in;
    bus::producer& _dlq;
    store::store& _store;
    stream::candle_engine _engine;

    bus::poll_result _polled;
    std::vector<model::tick> _ticks; // accepted since the last commit
    std::unordered_map<std::string, model::tick> _latest;
    std::vector<model::tick> _latest_vec;
    std::vector<model::candle> _candles;
    std::vector<store::state_change> _state;
    std::unordered_map<int32_t, int64_t> _next;    // partition -> next offset, consumed
    std::unordered_map<int32_t, int64_t> _written; // partition -> next offset, committed
    std::vector<int64_t> _pending_ingest;          // ingest times of committed-to-be ticks
    int64_t _pending = 0;
    int64_t _first_pending_ns = 0;
    std::string _dl_buf;

    std::vector<int64_t>* _latency_sink = nullptr;
    commit_observer _on_commit;
    uint64_t _processed = 0;
    uint64_t _dead = 0;
    uint64_t _candles_written = 0;

    stage_metrics _metrics;
};

} // namespace mdsp::app
