#include "store/fill.h"

#include <algorithm>
#include <optional>

namespace mdsp::store {

namespace {

// Event times beyond this are never stored (the engine rejects them); range
// ends are clamped to it so that window arithmetic cannot overflow.
constexpr int64_t time_bound = int64_t(1) << 61;

model::candle filler(const model::candle& before, const model::candle& after, int64_t ws) {
    model::candle c;
    c.symbol = before.symbol;
    c.interval = before.interval;
    c.window_start = event_time(ws);
    c.open = c.high = c.low = c.close = c.vwap = before.close;
    c.first_event_time = c.last_event_time = c.window_start;
    c.final = after.final;
    c.revision = before.revision;
    return c;
}

// One stored candle next to [from, to): the newest before `at` (before),
// or the oldest at or after it.
result<std::optional<model::candle>> neighbour(store& st, std::string_view symbol, model::interval iv,
                                               int64_t at, bool before) {
    range q;
    q.limit = 1;
    if (before) {
        q.to = event_time(at);
        q.tail = true;
    } else {
        q.from = event_time(at);
    }
    auto rows = st.candles(symbol, iv, q);
    if (!rows) {
        return rows.error();
    }
    if (rows->empty()) {
        return std::optional<model::candle>();
    }
    return std::optional<model::candle>(std::move(rows->front()));
}

} // namespace

result<std::vector<model::candle>> candles_filled(store& st, std::string_view symbol, model::interval iv,
                                                  const range& r) {
    auto rows = st.candles(symbol, iv, r);
    if (!rows || r.limit == 0 || r.from >= r.to) {
        return rows;
    }
    const int64_t width = iv.micros();
    const int64_t from = std::clamp(r.from(), -time_bound, time_bound);
    const int64_t to = std::clamp(r.to(), -time_bound, time_bound);
    if (from >= to) {
        return rows;
    }
    // The first and last window starts in [from, to).
    int64_t first_ws = (from / width + (from % width > 0 ? 1 : 0)) * width;
    int64_t last_ws = ((to - 1) / width - ((to - 1) % width < 0 ? 1 : 0)) * width;
    if (first_ws > last_ws) {
        return rows;
    }
    const bool all_rows = rows->size() < r.limit;
    // The candles around the range, when a gap may reach into it.
    std::vector<model::candle> anchors;
    if ((all_rows || !r.tail) && (rows->empty() || (*rows)[0].window_start() > first_ws)) {
        auto b = neighbour(st, symbol, iv, first_ws, true);
        if (!b) {
            return b.error();
        }
        if (*b) {
            anchors.push_back(std::move(**b));
        }
    }
    const size_t head = anchors.size();
    anchors.insert(anchors.end(), std::make_move_iterator(rows->begin()),
                   std::make_move_iterator(rows->end()));
    if ((all_rows || r.tail) && (rows->empty() || rows->back().window_start() < last_ws)) {
        auto a = neighbour(st, symbol, iv, last_ws + width, false);
        if (!a) {
            return a.error();
        }
        if (*a) {
            anchors.push_back(std::move(**a));
        }
    }
    auto in_range = [&](size_t i) { return i >= head && i < head + rows->size(); };

    std::vector<model::candle> out;
    const size_t limit = r.limit;
    if (!r.tail) {
        for (size_t i = 0; i < anchors.size() && out.size() < limit; ++i) {
            if (in_range(i)) {
                out.push_back(anchors[i]);
            }
            if (i + 1 < anchors.size()) {
                const auto& a = anchors[i];
                const auto& b = anchors[i + 1];
                int64_t ws = std::max(a.window_start() + width, first_ws);
                for (; ws < b.window_start() && ws <= last_ws && out.size() < limit; ws += width) {
                    out.push_back(filler(a, b, ws));
                }
            }
        }
        return out;
    }
    for (size_t i = anchors.size(); i-- > 0 && out.size() < limit;) {
        if (i + 1 < anchors.size()) {
            const auto& a = anchors[i];
            const auto& b = anchors[i + 1];
            int64_t ws = std::min(b.window_start() - width, last_ws);
            for (; ws > a.window_start() && ws >= first_ws && out.size() < limit; ws -= width) {
                out.push_back(filler(a, b, ws));
            }
        }
        if (in_range(i) && out.size() < limit) {
            out.push_back(anchors[i]);
        }
    }
    std::reverse(out.begin(), out.end());
    return out;
}

} // namespace mdsp::store
