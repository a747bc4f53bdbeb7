#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "app/config.h"
#include "base/metrics.h"
#include "base/time.h"
#include "model/candle.h"
#include "model/tick.h"
#include "stream/candle_engine.h"

namespace mdsp::app {

// What the processing stages (embedded and Kafka) share about their state in
// the store: offsets as 8-byte big-endian values, the engine's settings, and
// which of two ticks is the newer for the latest table.

inline std::string be64(int64_t v) {
    std::string s(8, '\0');
    auto u = static_cast<uint64_t>(v);
    for (int i = 7; i >= 0; --i) {
        s[static_cast<size_t>(i)] = static_cast<char>(u & 0xff);
        u >>= 8;
    }
    return s;
}

inline int64_t from_be64(std::string_view s) {
    uint64_t u = 0;
    for (char c : s.substr(0, 8)) {
        u = (u << 8) | static_cast<uint8_t>(c);
    }
    return static_cast<int64_t>(u);
}

inline stream::engine_config engine_cfg(const config& c) {
    stream::engine_config e;
    e.intervals = c.engine.intervals;
    e.out_of_orderness_us = c.engine.out_of_orderness_us;
    e.allowed_lateness_us = c.engine.allowed_lateness_us;
    e.fill_gaps = c.engine.fill_gaps;
    return e;
}

// By (event_time, seq): the order open/close and the latest table use.
inline bool newer(const model::tick& a, const model::tick& b) {
    return a.event_time != b.event_time ? a.event_time > b.event_time : a.seq > b.seq;
}

// Keeps in latest the newest tick of each symbol, for the latest table.
inline void keep_newest(std::unordered_map<std::string, model::tick>& latest, const model::tick& t) {
    auto it = latest.find(t.symbol);
    if (it == latest.end()) {
        latest.emplace(t.symbol, t);
    } else if (newer(t, it->second)) {
        it->second = t;
    }
}

// What a tick the engine accepted adds to the next store write: its symbol's
// newest tick, its ingest time (for the latency histogram) and, when ticks
// are stored, itself.
inline void buffer_accepted(model::tick&& t, bool store_ticks,
                            std::unordered_map<std::string, model::tick>& latest,
                            std::vector<int64_t>& pending_ingest, std::vector<model::tick>& ticks) {
    keep_newest(latest, t);
    pending_ingest.push_back(t.ingest_time());
    if (store_ticks) {
        ticks.push_back(std::move(t));
    }
}

// Called on the processing thread after each successful store write, with
// the candles and latest ticks it wrote (the dashboard's live push): only
// what the store has is pushed. Must not block.
using commit_observer =
    std::function<void(std::span<const model::candle>, std::span<const model::tick> latest)>;

// Why a tick was dead-lettered as late, for market.deadletter.
inline std::string late_reason(const model::tick& t, const config& c) {
    return fmt::format("tick of {} at {} is later than the allowed lateness ({})", t.symbol,
                       format_iso8601(t.event_time()), format_duration(c.engine.allowed_lateness_us));
}

// The metrics both processing stages export, under the same names and
// labels, so that /metrics, the dashboard and the alerts read the same
// series whichever bus feeds the stage. Owned by the processing thread.
class stage_metrics {
public:
    stage_metrics()
      : _accepted(ticks("accepted"))
      , _duplicate(ticks("duplicate"))
      , _late(ticks("late"))
      , _dead(metrics::global().get_counter("mdsp_dead_letters_total", "Messages sent to market.deadletter",
                                            {{"stage", "process"}}))
      , _writes(metrics::global().get_counter("mdsp_store_writes_total", "Atomic store writes"))
      , _candles(metrics::global().get_counter("mdsp_candles_written_total", "Candle upserts written"))
      , _latency(metrics::global().get_histogram(
            "mdsp_ingest_to_store_seconds", "From a tick's ingest to its candle being readable in the store"))
      , _write_latency(
            metrics::global().get_histogram("mdsp_store_write_seconds", "Time of one atomic store write")) {
        _lat_buckets.assign(_latency.bounds().size() + 1, 0);
    }

    // mdsp_process_ticks_total{outcome}: every tick the engine was given.
    void count(stream::tick_outcome o) {
        switch (o) {
        case stream::tick_outcome::accepted:
            _accepted.inc();
            break;
        case stream::tick_outcome::duplicate:
            _duplicate.inc();
            break;
        case stream::tick_outcome::late:
            _late.inc();
            break;
        }
    }
    void dead_letter() { _dead.inc(); }

    // After a store write that began at mono_nanos() = t0_ns, wrote
    // `candles` candles and made the ticks ingested at ingest_us (wall
    // clock, us) readable at done_us. Each latency in us also goes to sink
    // when given (benchmarks).
    void written(int64_t t0_ns, size_t candles, std::span<const int64_t> ingest_us, int64_t done_us,
                 std::vector<int64_t>* sink) {
        _write_latency.observe(static_cast<double>(mono_nanos() - t0_ns) / 1e9);
        double sum = 0;
        for (int64_t ing : ingest_us) {
            int64_t lat = done_us - ing;
            if (sink) {
                sink->push_back(lat);
            }
            double s = static_cast<double>(lat) / 1e6;
            _lat_buckets[_latency.bucket_index(s)]++;
            sum += s;
        }
        if (!ingest_us.empty()) {
            _latency.add_counts(_lat_buckets, sum);
            std::fill(_lat_buckets.begin(), _lat_buckets.end(), 0);
        }
        _writes.inc();
        _candles.inc(candles);
    }

private:
    static metrics::counter& ticks(const char* outcome) {
        return metrics::global().get_counter("mdsp_process_ticks_total", "Ticks read from market.ticks",
                                             {{"outcome", outcome}});
    }

    metrics::counter& _accepted;
    metrics::counter& _duplicate;
    metrics::counter& _late;
    metrics::counter& _dead;
    metrics::counter& _writes;
    metrics::counter& _candles;
    metrics::histogram& _latency;
    metrics::histogram& _write_latency;
    std::vector<uint64_t> _lat_buckets;
};

} // namespace mdsp::app
