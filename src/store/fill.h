#pragma once

#include <string_view>
#include <vector>

#include "base/result.h"
#include "model/candle.h"
#include "model/interval.h"
#include "store/store.h"

namespace mdsp::store {

// The candles of a range as readers see them (the HTTP API, live charts,
// Grafana through the API): the stored candles of [r.from, r.to), and every
// window without one that lies between two stored candles of the series as a
// filler, the exchanges' kline convention. Fillers are not stored: the
// engine emits them as runs (model::filler_run) and a silent symbol writes
// nothing, so they are made here, from the stored candles around them:
//  - open = high = low = close = vwap = the close of the candle before;
//    volume 0, trade_count 0, first/last event time = the window start;
//  - final when the candle after the gap is final (finality is a prefix of
//    a series), revision that of the candle before (it bumps whenever the
//    value a filler carries may have changed); never backfilled;
//  - nothing before a series' first candle or after its newest one.
// At most r.limit candles, stored and filled alike: the oldest ones, or the
// newest with r.tail; the work is bounded by r.limit and two point lookups.
result<std::vector<model::candle>> candles_filled(store& st, std::string_view symbol, model::interval iv,
                                                  const range& r);

} // namespace mdsp::store
