#pragma once

#include "http/server.h"

namespace mdsp::http {

class live_hub;

// GET /api/v1/pipeline: the numbers of the dashboard's pipeline-health panel,
// read from the global metrics registry (base/metrics.h):
//   {"ingest":{"ticks_total","per_second"},
//    "process":{"ticks_total","per_second","candles_written_total","store_writes_total"},
//    "latency":{"p50_seconds","p99_seconds","observations","window_seconds"},
//    "consumer_lag_records", "feed":{"up","connections_open"}, "dead_letters_total",
//    "live":{"clients","closed_slow"}}
// Rates and latency quantiles (mdsp_ingest_to_store_seconds) cover the time
// since the previous sample, taken at most once a second. feed.up is
// mdsp_source_up (the source is producing); feed.connections_open the sum of
// mdsp_feed_connected (live feeds only). A number the process does not
// produce (no processing stage in `mdsp serve`, no sample yet) is null. hub
// may be null; it must outlive the server.
void add_pipeline_route(server& srv, const live_hub* hub = nullptr);

} // namespace mdsp::http
