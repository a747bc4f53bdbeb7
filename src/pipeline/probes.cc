#include "pipeline/probes.h"

#include <algorithm>

#include "base/time.h"

namespace mdsp::pipeline {

namespace {
metrics::counter& dead_letter_counter(const char* stage) {
    return metrics::global().get_counter("mdsp_dead_letters_total", "Messages sent to market.deadletter",
                                         {{"stage", stage}});
}
metrics::counter& process_ticks(const char* outcome) {
    return metrics::global().get_counter("mdsp_process_ticks_total", "Ticks read from market.ticks",
                                         {{"outcome", outcome}});
}
} // namespace

ingest_probe::ingest_probe()
  : _ticks(metrics::global().get_counter("mdsp_ingest_ticks_total", "Ticks appended to market.ticks"))
  , _dead(dead_letter_counter("ingest"))
  , _up(metrics::global().get_gauge("mdsp_source_up", "1 while the source is producing")) {}

process_probe::process_probe()
  : _accepted(process_ticks("accepted"))
  , _duplicate(process_ticks("duplicate"))
  , _late(process_ticks("late"))
  , _dead(dead_letter_counter("process"))
  , _writes(metrics::global().get_counter("mdsp_store_writes_total", "Atomic store writes"))
  , _candles(metrics::global().get_counter("mdsp_candles_written_total", "Candle upserts written"))
  , _latency(metrics::global().get_histogram(
        "mdsp_ingest_to_store_seconds", "From a tick's ingest to its candle being readable in the store"))
  , _write_latency(
        metrics::global().get_histogram("mdsp_store_write_seconds", "Time of one atomic store write"))
  , _lag(metrics::global().get_gauge(
        "mdsp_consumer_lag_records",
        "Records of market.ticks not yet read by the processing stage, all partitions"))
  , _done(metrics::global().get_gauge(
        "mdsp_pipeline_done", "1 once a bounded source is exhausted and everything from it is in the store"))
  , _takeovers(
        metrics::global().get_counter("mdsp_process_takeovers_total",
                                      "Partitions resumed from the checkpoint of a shared store (Cassandra)"))
  , _reread(metrics::global().get_counter(
        "mdsp_process_takeover_reread_records_total",
        "Records past a resumed checkpoint's position that a previous owner may have written, read again"))
  , _retries(metrics::global().get_counter(
        "mdsp_store_write_retries_total",
        "Store writes that failed with an error that may pass (store down, timeouts) and are tried again")) {
    _lat_buckets.assign(_latency.bounds().size() + 1, 0);
}

void process_probe::count(stream::tick_outcome o) {
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

uint64_t process_probe::ticks() const {
    return _accepted.value() + _duplicate.value() + _late.value();
}

void process_probe::written(int64_t write_ns, size_t candles, std::span<const int64_t> ingest_us,
                            int64_t done_us, std::vector<int64_t>* sink) {
    _write_latency.observe(static_cast<double>(write_ns) / 1e9);
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

} // namespace mdsp::pipeline
