#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

#include "base/metrics.h"
#include "stream/candle_engine.h"

// The metrics the pipeline's stages own (Redpanda's *_probe.h): each probe
// registers its series once and is the only place that names them. Others
// read figures through these classes (pipeline/health.h), never by name.
namespace mdsp::pipeline {

// mdsp_ingest_ticks_total, mdsp_dead_letters_total{stage="ingest"},
// mdsp_source_up. Owned by the ingest thread; the figures are atomics.
class ingest_probe {
public:
    ingest_probe();
    void sent(size_t n) { _ticks.inc(n); }
    void dead_letter() { _dead.inc(); }
    void source_up(bool up) { _up.set(up ? 1 : 0); }

    const metrics::counter& ticks() const { return _ticks; }
    const metrics::counter& dead_letters() const { return _dead; }
    const metrics::gauge& up() const { return _up; }

private:
    metrics::counter& _ticks;
    metrics::counter& _dead;
    metrics::gauge& _up;
};

// The processing stage's series, the same whichever bus and store are
// plugged in, so /metrics, the dashboard and the alerts read one set:
// mdsp_process_ticks_total{outcome}, mdsp_dead_letters_total{stage="process"},
// mdsp_store_writes_total, mdsp_candles_written_total,
// mdsp_ingest_to_store_seconds, mdsp_store_write_seconds,
// mdsp_consumer_lag_records, mdsp_pipeline_done, mdsp_process_takeovers_total,
// mdsp_process_takeover_reread_records_total, mdsp_store_write_retries_total.
// Owned by the processing thread.
class process_probe {
public:
    process_probe();

    // Every tick the engine was given, by outcome.
    void count(stream::tick_outcome o);
    void dead_letter() { _dead.inc(); }
    void lag(int64_t records) { _lag.set(static_cast<double>(records)); }
    void done(bool d) { _done.set(d ? 1 : 0); }
    // A partition resumed from a shared store's checkpoint; `reread` records
    // past its position may have been written before and are read again.
    void takeover(int64_t reread) {
        _takeovers.inc();
        _reread.inc(static_cast<uint64_t>(std::max<int64_t>(reread, 0)));
    }

    // After a store write that began at mono_nanos() = t0_ns, wrote `candles`
    // candles and made the ticks ingested at ingest_us (wall clock, us)
    // readable at done_us. Each latency in us also goes to sink when given.
    void written(int64_t write_ns, size_t candles, std::span<const int64_t> ingest_us, int64_t done_us,
                 std::vector<int64_t>* sink);

    uint64_t ticks() const;
    const metrics::counter& dead_letters() const { return _dead; }
    const metrics::counter& store_writes() const { return _writes; }
    const metrics::counter& candles() const { return _candles; }
    const metrics::histogram& latency() const { return _latency; }
    const metrics::histogram& write_latency() const { return _write_latency; }
    const metrics::gauge& lag_records() const { return _lag; }
    // A store write failed with an error that may pass; it is tried again.
    void store_retry() { _retries.inc(); }
    const metrics::counter& takeovers() const { return _takeovers; }
    const metrics::counter& store_retries() const { return _retries; }
    const metrics::counter& takeover_rereads() const { return _reread; }

private:
    metrics::counter& _accepted;
    metrics::counter& _duplicate;
    metrics::counter& _late;
    metrics::counter& _dead;
    metrics::counter& _writes;
    metrics::counter& _candles;
    metrics::histogram& _latency;
    metrics::histogram& _write_latency;
    metrics::gauge& _lag;
    metrics::gauge& _done;
    metrics::counter& _takeovers;
    metrics::counter& _reread;
    metrics::counter& _retries;
    std::vector<uint64_t> _lat_buckets;
};

} // namespace mdsp::pipeline
