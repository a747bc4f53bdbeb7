#pragma once

#include <cstdint>
#include <string>

#include "base/named_type.h"
#include "model/interval.h"

namespace mdsp::model {

// One OHLCV window of one symbol. Mirrors schemas/candle.avsc.
// open/close are the first/last tick by (event_time, seq), never by arrival.
struct candle {
    std::string symbol;
    model::interval interval;
    mdsp::event_time window_start; // us since epoch, aligned to interval
    double open = 0;
    double high = 0;
    double low = 0;
    double close = 0;
    double volume = 0;
    double vwap = 0; // volume-weighted average price; the mean price when volume is 0
    int64_t trade_count = 0;
    mdsp::event_time first_event_time; // of the open tick
    mdsp::event_time last_event_time;  // of the close tick
    bool final = false;                // the watermark has passed the window's end
    int64_t revision = 0;              // bumps with every change after the first final emission
    bool backfilled = false;           // from a data vendor's bars (gap repair, mdsp backfill), not ticks

    bool operator==(const candle&) const = default;
};

} // namespace mdsp::model
