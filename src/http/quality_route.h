#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "http/server.h"

namespace mdsp::http {

// What the processing stage's data-quality checks found, in the words of
// the API (the pipeline module fills it from stream::quality_monitor; http/
// does not know the checks themselves).
struct quality_figures {
    struct entry {
        std::string symbol;
        uint64_t count = 0;
        uint64_t error = 0;        // count may be overstated by at most this (bounded summary)
        int64_t last_event_us = 0; // event time of the last occurrence
    };
    struct check {
        std::string
            name; // spike, stall, clock_skew, out_of_order, duplicate, late, crossed, bad_number, invalid
        uint64_t total = 0;
        std::vector<entry> top; // most frequent first, at most quality.top
    };
    bool available = false; // false where no processing stage runs (mdsp serve)
    uint64_t stalled_now = 0;
    std::vector<check> checks;
};
// Called on the server's thread for each request; thread-safe.
using quality_fn = std::function<quality_figures()>;

// GET /api/v1/quality[?check=NAME]:
//   {"available":true,"stalled_now":n,
//    "checks":[{"check":"spike","total":n,
//               "top":[{"symbol","count","error","last_event_time"}]}]}
// Bounded: per check at most the quality.top symbols seen most often.
// check filters to one check; an unknown name is 400 naming the parameter.
// Where no processing stage runs, {"available":false,"checks":[]}.
void add_quality_route(server& srv, quality_fn figures);

} // namespace mdsp::http
