#pragma once

#include <cstdint>
#include <limits>

namespace mdsp::stream {

// Thresholds of the checks for one symbol. 0 turns a bound off.
struct quality_thresholds {
    // A log-return beyond k times the symbol's robust scale (an exponentially
    // weighted mean of |log-return|, each update clipped at k times the
    // scale so one bad print barely moves it), once warmed up, and beyond
    // min_jump, is a spike; so is any return beyond max_jump (a fraction:
    // 0.1 = 10 %), warmed up or not.
    double spike_k = 12;
    double min_jump = 0.02;
    double max_jump = 0.10;
    int warmup = 32; // returns before the k rule applies
    // Silent for stall_factor times the usual gap (an EWMA of event-time gaps)
    // and at least stall_min_us, while its source's newest event time moves on.
    double stall_factor = 100;
    int64_t stall_min_us = 600'000'000;
    int64_t max_skew_us = 60'000'000;
};

// The spike rule's state for one symbol, kept by the candle engine with the
// symbol's windows (candle_engine::add) and saved in its state, so that a
// restart, a checkpoint taken over by another replica and an uninterrupted
// run judge every tick alike. It starts over with each window of the
// largest interval (a day by default): a replica rebuilding a partition
// from the log starts at the first tick of such a window (the rebuild
// anchors of the process stage) and so reaches exactly the state the
// uninterrupted run had. The first tick of a window has no reference price
// and is never a spike; the k rule applies after `warmup` returns within it.
//
// Threads: owned by the engine's thread.
struct spike_estimator {
    double last_price = 0;                                // the reference price; 0 = none yet in this window
    double scale = 0;                                     // EWMA of |log-return|, clipped updates
    int64_t window = std::numeric_limits<int64_t>::min(); // largest-interval window of the newest tick
    uint32_t returns = 0;                                 // saturating
    uint8_t spike_run = 0;                                // spikes in a row not taken as the reference price

    // Starts over when a tick of window w (largest interval) comes after
    // ticks of an earlier one; a later tick of an earlier window does not.
    void enter(int64_t w) noexcept {
        if (w > window) {
            *this = spike_estimator{};
            window = w;
        }
    }
    // Whether price is a spike against the state, by th. Changes nothing.
    bool judge(double price, const quality_thresholds& th) const noexcept;
    // The tick was taken with that verdict: the reference and scale move on.
    void update(double price, const quality_thresholds& th, bool spike) noexcept;
};

} // namespace mdsp::stream
