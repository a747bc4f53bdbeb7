#pragma once

#include <cstdint>
#include <string>

#include "model/candle.h"

namespace mdsp::stream::internal {

// A sum whose result does not depend on the order of the terms in practice:
// hi + lo carries the rounding error of every addition (Knuth's TwoSum), so
// the value is the correctly rounded exact sum unless the terms span more than
// ~100 bits. That keeps volume and VWAP identical for any arrival order of the
// same ticks, which the engine promises.
struct exact_sum {
    double hi = 0;
    double lo = 0;

    void add(double x) noexcept {
        double s = hi + x;
        double bp = s - hi;
        double err = (hi - (s - bp)) + (x - bp);
        hi = s;
        lo += err;
    }
    double value() const noexcept { return hi + lo; }
};

// One window of one (symbol, interval) in the engine's ring. A window either
// has ticks (a real candle), is a materialized filler (close = the previous
// real window's close), or is empty.
struct window {
    enum flag : uint8_t {
        has_ticks = 1,
        filler = 2,
        update_dirty = 4, // queued for take_updates
        state_dirty = 8,  // queued for take_state_changes
        persisted = 16,   // a key for it exists in the saved state
        spike = 32,       // a tick of it was flagged a price spike (stream/quality.h)
    };

    // (event_time, seq, price) of the open and close ticks: open is the least,
    // close the greatest; price only breaks exact ties of the other two, so the
    // result never depends on arrival order.
    int64_t open_et = 0;
    int64_t open_seq = 0;
    int64_t close_et = 0;
    int64_t close_seq = 0;
    double open = 0;
    double close = 0; // also the value of a filler
    double high = 0;
    double low = 0;
    exact_sum volume;
    exact_sum pv;   // sum(price * size) over ticks with a size
    exact_sum psum; // sum(price) over all ticks, for the VWAP of a window without volume
    int64_t count = 0;
    int64_t revision = 0;
    uint8_t flags = 0;

    bool real() const noexcept { return (flags & has_ticks) != 0; }
    bool is_filler() const noexcept { return (flags & filler) != 0; }

    // Adds one tick; turns an empty window or a filler into a real one.
    void apply(int64_t et, int64_t seq, double price, bool has_size, double size, bool spiked) noexcept {
        if (spiked) {
            flags = static_cast<uint8_t>(flags | spike);
        }
        if (!real()) {
            open_et = close_et = et;
            open_seq = close_seq = seq;
            open = close = high = low = price;
            volume = pv = psum = exact_sum{};
            count = 0;
            flags = static_cast<uint8_t>((flags & ~filler) | has_ticks);
        } else {
            if (et < open_et || (et == open_et && (seq < open_seq || (seq == open_seq && price < open)))) {
                open_et = et;
                open_seq = seq;
                open = price;
            }
            if (et > close_et
                || (et == close_et && (seq > close_seq || (seq == close_seq && price > close)))) {
                close_et = et;
                close_seq = seq;
                close = price;
            }
            high = price > high ? price : high;
            low = price < low ? price : low;
        }
        ++count;
        if (has_size) {
            volume.add(size);
            pv.add(price * size);
        }
        psum.add(price);
    }

    // Makes this empty window a filler at the given close.
    void make_filler(double value) noexcept {
        open = close = high = low = value;
        flags = static_cast<uint8_t>((flags & ~has_ticks) | filler);
    }

    // The candle of a real window or a filler.
    void to_candle(model::candle& c, int64_t window_start) const {
        c.window_start = event_time(window_start);
        if (real()) {
            c.open = open;
            c.high = high;
            c.low = low;
            c.close = close;
            c.volume = volume.value();
            c.vwap = c.volume > 0 ? pv.value() / c.volume : psum.value() / static_cast<double>(count);
            c.trade_count = count;
            c.first_event_time = event_time(open_et);
            c.last_event_time = event_time(close_et);
        } else {
            c.open = c.high = c.low = c.close = c.vwap = close;
            c.volume = 0;
            c.trade_count = 0;
            c.first_event_time = c.last_event_time = event_time(window_start);
        }
        c.revision = revision;
        c.spike = (flags & spike) != 0;
    }
};

// Floor division for window indices (also for negative times).
constexpr int64_t floor_div(int64_t a, int64_t b) noexcept {
    int64_t q = a / b;
    return (a % b < 0) ? q - 1 : q;
}

} // namespace mdsp::stream::internal
