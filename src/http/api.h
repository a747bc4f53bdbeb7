#pragma once

#include <vector>

#include <boost/json/object.hpp>

#include "http/server.h"
#include "model/candle.h"
#include "model/interval.h"
#include "model/tick.h"
#include "store/store.h"

namespace mdsp::http {

struct api_options {
    // The intervals the engine computes; /api/v1/candles accepts only these.
    std::vector<model::interval> intervals = model::default_intervals();
    // Answer the empty windows between two candles as fillers
    // (store::candles_filled), as the engine's engine.fill_gaps says.
    bool fill_gaps = true;
};

// Adds the read API over a store to a server (before its start()):
//   GET /api/v1/symbols                                   {"symbols":[..]}
//   GET /api/v1/candles?symbol&interval[&from][&to][&limit] {"symbol","interval","candles":[..]}
//   GET /api/v1/ticks?symbol[&from][&to][&limit]          {"symbol","ticks":[..]}
//   GET /api/v1/latest[?symbol]                           {"latest":[..]}
// from/to take what parse_time_micros takes; limit 1..10000 (default 1000);
// without from the newest `limit` rows come (oldest first). Candles include
// the fillers between two candles (store/fill.h), counted in the limit. A bad parameter
// is 400 {"error":"bad_parameter","parameter","message"}; an unknown symbol
// in /latest is 404. /candles and /ticks, whose answers run to megabytes, are
// on lane::bulk, the others on lane::light. The store must be thread-safe for
// reads and outlive the server.
void add_api_routes(server& srv, store::store& st, api_options options = {});

// The JSON objects of the API, for other routes (live push) to reuse. Times
// are ISO 8601 strings with microseconds; "time" is the window start (candles)
// or event time (ticks) in whole Unix seconds, floored. Non-finite numbers
// are null.
boost::json::object candle_json(const model::candle& c);
// The live push's message for a run of fillers (http/live_hub.h).
boost::json::object fillers_json(const model::filler_run& f);
boost::json::object tick_json(const model::tick& t);

} // namespace mdsp::http
