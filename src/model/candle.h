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
    bool spike = false;                // a tick of it was flagged a price spike (kept, not dropped)

    bool operator==(const candle&) const = default;
};

// Consecutive empty windows of one series between two windows with ticks, all
// answered by the exchanges' kline convention: open = high = low = close = the
// previous close, volume 0, no trades. The engine emits a run instead of a
// candle per window, so a symbol silent for a month costs one record, not
// 2.6 million; readers expand the windows they are asked for (candle_at).
struct filler_run {
    std::string symbol;
    model::interval interval;
    mdsp::event_time first; // window_start of the first window of the run
    int64_t count = 0;      // windows in the run, >= 1
    double close = 0;       // the previous close
    bool final = false;
    int64_t revision = 0;

    // The filler candle of window i of the run (0 <= i < count).
    candle candle_at(int64_t i) const {
        candle c;
        c.symbol = symbol;
        c.interval = interval;
        c.window_start = mdsp::event_time(first() + i * interval.micros());
        c.open = c.high = c.low = c.close = c.vwap = close;
        c.first_event_time = c.last_event_time = c.window_start;
        c.final = final;
        c.revision = revision;
        return c;
    }
    bool operator==(const filler_run&) const = default;
};

} // namespace mdsp::model
