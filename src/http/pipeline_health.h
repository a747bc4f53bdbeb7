#pragma once

#include <functional>
#include <optional>

#include "base/metrics.h"
#include "http/server.h"

namespace mdsp::http {

class live_hub;

// What the pipeline's stages report for the health panel; a figure this
// process does not produce (no processing stage in `mdsp serve`) is nullopt.
// The pipeline module fills it from the probes that own the numbers.
struct pipeline_figures {
    std::optional<double> ingest_ticks;          // ticks appended to market.ticks
    std::optional<double> process_ticks;         // ticks the engine was given
    std::optional<double> candles_written;       // candle upserts
    std::optional<double> store_writes;          // atomic store writes
    std::optional<double> consumer_lag;          // records not yet read, all partitions
    std::optional<double> source_up;             // 1 while the source produces
    std::optional<double> feed_connections;      // open live-feed connections
    std::optional<double> dead_letters;          // over every stage
    const metrics::histogram* latency = nullptr; // ingest to readable in the store
};
// Called on the server's thread for each request of the route; thread-safe.
using figures_fn = std::function<pipeline_figures()>;

// GET /api/v1/pipeline: the numbers of the dashboard's pipeline-health panel,
// from figures():
//   {"ingest":{"ticks_total","per_second"},
//    "process":{"ticks_total","per_second","candles_written_total","store_writes_total"},
//    "latency":{"p50_seconds","p99_seconds","observations","window_seconds"},
//    "consumer_lag_records", "feed":{"up","connections_open"}, "dead_letters_total",
//    "live":{"clients","closed_slow"}}
// Rates and latency quantiles cover the time since the previous sample,
// taken at most once a second. A number the process does not produce (no
// processing stage in `mdsp serve`, no sample yet) is null. hub may be null;
// it must outlive the server.
void add_pipeline_route(server& srv, figures_fn figures, const live_hub* hub = nullptr);

} // namespace mdsp::http
