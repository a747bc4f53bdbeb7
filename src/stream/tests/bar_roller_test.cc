#include <gtest/gtest.h>

#include "base/time.h"
#include "stream/bar_roller.h"

namespace mdsp::stream {
namespace {

constexpr int64_t m = micros_per_minute;

model::candle bar(int64_t start, double open, double high, double low, double close, double volume) {
    model::candle c;
    c.symbol = "AAPL";
    c.interval = model::interval(m);
    c.window_start = mdsp::event_time(start);
    c.open = open;
    c.high = high;
    c.low = low;
    c.close = close;
    c.volume = volume;
    c.vwap = (high + low + close) / 3;
    c.first_event_time = mdsp::event_time(start);
    c.last_event_time = mdsp::event_time(start + m - 1);
    c.final = true;
    c.backfilled = true;
    return c;
}

TEST(bar_roller, rolls_whole_windows_inside_the_range_only) {
    // Range [2m, 17m): the 5m windows [5m,10m) and [10m,15m) lie inside;
    // [0,5m) and [15m,20m) are cut by it and stay as the ticks made them.
    bar_roller r(model::interval(5 * m), 2 * m, 17 * m);
    std::vector<model::candle> out;
    for (int i = 2; i < 17; ++i) {
        if (i == 7) {
            continue; // a minute with no bar (market closed): the window still rolls up
        }
        double p = 100 + i;
        r.push(bar(i * m, p, p + 2, p - 1, p + 0.5, i == 9 ? 0 : 10), out);
    }
    r.finish(out);
    ASSERT_EQ(out.size(), 2u);
    const auto& a = out[0];
    EXPECT_EQ(a.window_start(), 5 * m);
    EXPECT_EQ(a.interval.micros(), 5 * m);
    EXPECT_EQ(a.open, 105);
    EXPECT_EQ(a.close, 109.5);
    EXPECT_EQ(a.high, 111);
    EXPECT_EQ(a.low, 104);
    EXPECT_EQ(a.volume, 30); // 5, 6, 8 (minute 9 had none)
    double pv = 0;
    for (int i : {5, 6, 8}) {
        double p = 100 + i;
        pv += (p + 2 + p - 1 + p + 0.5) / 3 * 10;
    }
    EXPECT_DOUBLE_EQ(a.vwap, pv / 30);
    EXPECT_TRUE(a.backfilled);
    EXPECT_TRUE(a.final);
    EXPECT_EQ(a.trade_count, 0);
    EXPECT_EQ(a.first_event_time(), 5 * m);
    EXPECT_EQ(a.last_event_time(), 10 * m - 1);
    EXPECT_EQ(out[1].window_start(), 10 * m);
    EXPECT_EQ(out[1].open, 110);
    EXPECT_EQ(out[1].close, 114.5);
}

TEST(bar_roller, no_volume_means_the_bars_mean) {
    bar_roller r(model::interval(2 * m), 0, 2 * m);
    std::vector<model::candle> out;
    r.push(bar(0, 1, 1, 1, 1, 0), out);
    r.push(bar(m, 3, 3, 3, 3, 0), out);
    r.finish(out);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_DOUBLE_EQ(out[0].vwap, 2);
    EXPECT_EQ(out[0].volume, 0);
}

} // namespace
} // namespace mdsp::stream
