// store::candles_filled: the range answer readers get, fillers made between
// stored candles (store/fill.h).
#include <gtest/gtest.h>

#include "store/fill.h"
#include "store/rocks_store.h"
#include "testing/temp_dir.h"

namespace mdsp::store {
namespace {

constexpr int64_t sec = 1'000'000;
const model::interval one_second(sec);

model::candle real(int64_t start_s, double close, bool final = true, int64_t revision = 0) {
    model::candle c;
    c.symbol = "A";
    c.interval = one_second;
    c.window_start = event_time(start_s * sec);
    c.open = c.high = c.low = c.close = close;
    c.volume = 1;
    c.vwap = close;
    c.trade_count = 1;
    c.first_event_time = c.last_event_time = c.window_start;
    c.final = final;
    c.revision = revision;
    return c;
}

class fill_test : public ::testing::Test {
protected:
    void SetUp() override {
        auto s = rocks_store::open(_dir.path() / "store", {});
        ASSERT_TRUE(s) << s.error().what();
        _store = std::move(s).value();
    }
    void put(std::vector<model::candle> cs) {
        write_batch b;
        b.candles = cs;
        ASSERT_TRUE(_store->write(b));
    }
    // "r" for a stored candle, "f" for a filler, by window start in seconds.
    std::string answer(int64_t from_s, int64_t to_s, size_t limit, bool tail = false) {
        range r;
        r.from = event_time(from_s * sec);
        r.to = event_time(to_s * sec);
        r.limit = limit;
        r.tail = tail;
        auto rows = candles_filled(*_store, "A", one_second, r);
        EXPECT_TRUE(rows) << rows.error().what();
        std::string out;
        if (!rows) {
            return "error";
        }
        for (const auto& c : *rows) {
            out += (c.trade_count > 0 ? "r" : "f") + std::to_string(c.window_start() / sec) + " ";
        }
        return out;
    }

    testing::temp_dir _dir{"mdsp-fill-test"};
    std::unique_ptr<rocks_store> _store;
};

TEST_F(fill_test, empty_windows_between_two_candles_are_fillers_and_none_outside) {
    put({real(10, 1.0), real(14, 2.0), real(16, 3.0)});
    EXPECT_EQ(answer(0, 100, 100), "r10 f11 f12 f13 r14 f15 r16 ");
    EXPECT_EQ(answer(12, 16, 100), "f12 f13 r14 f15 ");    // a gap reaching in from before
    EXPECT_EQ(answer(11, 14, 100), "f11 f12 f13 ");        // no stored candle in range
    EXPECT_EQ(answer(0, 100, 3), "r10 f11 f12 ");          // the limit counts fillers
    EXPECT_EQ(answer(0, 100, 3, true), "r14 f15 r16 ");    // newest first for tail
    EXPECT_EQ(answer(0, 16, 4, true), "f12 f13 r14 f15 "); // a gap reaching out after
    EXPECT_EQ(answer(0, 15, 4, true), "f11 f12 f13 r14 ");
    EXPECT_EQ(answer(17, 100, 100), ""); // after the newest candle
    EXPECT_EQ(answer(0, 10, 100), "");   // before the first
}

TEST_F(fill_test, a_filler_carries_the_close_before_it_and_the_finality_after_it) {
    put({real(10, 1.5, true, 3), real(13, 2.0, false)});
    range r;
    r.from = event_time(11 * sec);
    r.to = event_time(12 * sec);
    auto rows = candles_filled(*_store, "A", one_second, r);
    ASSERT_TRUE(rows);
    ASSERT_EQ(rows->size(), 1u);
    const auto& f = (*rows)[0];
    EXPECT_EQ(f.window_start(), 11 * sec);
    EXPECT_EQ(f.open, 1.5);
    EXPECT_EQ(f.high, 1.5);
    EXPECT_EQ(f.low, 1.5);
    EXPECT_EQ(f.close, 1.5);
    EXPECT_EQ(f.vwap, 1.5);
    EXPECT_EQ(f.volume, 0);
    EXPECT_EQ(f.trade_count, 0);
    EXPECT_EQ(f.first_event_time(), 11 * sec);
    EXPECT_FALSE(f.final); // the candle after the gap is still forming
    EXPECT_EQ(f.revision, 3);
    EXPECT_FALSE(f.backfilled);
}

TEST_F(fill_test, a_month_of_silence_answers_within_the_limit) {
    const int64_t month_s = 31 * 86'400;
    put({real(0, 1.0), real(month_s, 2.0)});
    range r;
    r.limit = 10'000;
    auto rows = candles_filled(*_store, "A", one_second, r);
    ASSERT_TRUE(rows);
    EXPECT_EQ(rows->size(), 10'000u);
    EXPECT_EQ(rows->front().window_start(), 0);
    r.tail = true;
    rows = candles_filled(*_store, "A", one_second, r);
    ASSERT_TRUE(rows);
    ASSERT_EQ(rows->size(), 10'000u);
    EXPECT_EQ(rows->back().window_start(), month_s * sec);
    EXPECT_EQ(rows->front().window_start(), (month_s - 9'999) * sec);
    EXPECT_EQ(rows->front().close, 1.0);
}

} // namespace
} // namespace mdsp::store
