#include "stream/bar_roller.h"

#include <algorithm>

namespace mdsp::stream {

bar_roller::bar_roller(model::interval iv, int64_t from_us, int64_t to_us)
  : _iv(iv)
  , _from(from_us)
  , _to(to_us) {}

void bar_roller::push(const model::candle& b, std::vector<model::candle>& out) {
    int64_t ws = _iv.window_start(b.window_start());
    if (ws < _from || ws + _iv.micros() > _to) {
        return; // the range cuts this window: the ticks' candle stays as it is
    }
    if (_open && _open->window_start() != ws) {
        finish(out);
    }
    if (!_open) {
        _open = b;
        _open->interval = _iv;
        _open->window_start = mdsp::event_time(ws);
        _open->volume = 0;
        _pv = _mean = 0;
        _n = 0;
    }
    auto& c = *_open;
    c.high = std::max(c.high, b.high);
    c.low = std::min(c.low, b.low);
    c.close = b.close;
    c.volume += b.volume;
    c.last_event_time = b.last_event_time;
    _pv += b.vwap * b.volume;
    _mean += b.vwap;
    ++_n;
}

void bar_roller::finish(std::vector<model::candle>& out) {
    if (!_open) {
        return;
    }
    _open->vwap = _open->volume > 0 ? _pv / _open->volume : _mean / static_cast<double>(_n);
    out.push_back(std::move(*_open));
    _open.reset();
}

std::vector<model::interval> wider_intervals(std::span<const model::interval> intervals,
                                             model::interval base) {
    std::vector<model::interval> w;
    for (auto iv : intervals) {
        if (iv.micros() > base.micros() && iv.micros() % base.micros() == 0) {
            w.push_back(iv);
        }
    }
    return w;
}

} // namespace mdsp::stream
