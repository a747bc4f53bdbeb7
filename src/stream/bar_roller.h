#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "model/candle.h"
#include "model/interval.h"

namespace mdsp::stream {

// Candles of a wider interval from a vendor's bars, given oldest first in
// any number of pieces: one candle for each window of the interval that lies
// wholly inside [from_us, to_us) and has bars. Open from the first bar, close
// from the last, high/low/volume over all, vwap weighted by volume (the bars'
// mean when there is none); final and backfilled.
class bar_roller {
public:
    bar_roller(model::interval iv, int64_t from_us, int64_t to_us);
    // Appends to out the windows that bar b (or a later one) completes.
    void push(const model::candle& b, std::vector<model::candle>& out);
    // Appends the last window.
    void finish(std::vector<model::candle>& out);

private:
    model::interval _iv;
    int64_t _from, _to;
    std::optional<model::candle> _open; // the window being rolled up
    double _pv = 0, _mean = 0;
    int64_t _n = 0;
};

// The intervals of `intervals` that bars of width base roll up into.
std::vector<model::interval> wider_intervals(std::span<const model::interval> intervals,
                                             model::interval base);

} // namespace mdsp::stream
