#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "model/validate.h"

namespace mdsp::model {
namespace {

constexpr int64_t now = 1'709'510'400'000'000; // 2024-03-04
constexpr int64_t day = 86'400'000'000;

tick valid() {
    tick t;
    t.symbol = "AAPL";
    t.source = "twelvedata";
    t.exchange = "NASDAQ";
    t.mic_code = "XNGS";
    t.asset_type = "Common Stock";
    t.currency = "USD";
    t.event_time = mdsp::event_time(now);
    t.price = 190.5;
    t.size = 0; // a zero-size print is odd but valid
    return t;
}

TEST(check_tick, accepts_a_valid_tick) {
    EXPECT_EQ(check_tick(valid(), now, day), std::nullopt);
    auto t = valid();
    t.exchange.reset();
    t.size.reset();
    EXPECT_EQ(check_tick(t, now, day), std::nullopt);
}

TEST(check_tick, refuses_control_characters_and_invalid_utf8_in_every_text) {
    for (auto field : {&tick::exchange, &tick::mic_code, &tick::asset_type, &tick::currency}) {
        for (std::string_view bad : {std::string_view("NAS\0DAQ", 7), std::string_view("A\x1b[2J"),
                                     std::string_view("\xff"), std::string_view("A\xc2\x85")}) {
            auto t = valid();
            t.*field = std::string(bad);
            auto why = check_tick(t, now, day);
            ASSERT_TRUE(why) << testing::PrintToString(bad);
            EXPECT_NE(why->find("is not valid"), std::string::npos) << *why;
        }
        auto t = valid();
        t.*field = std::string(100'000, 'H');
        EXPECT_TRUE(check_tick(t, now, day));
    }
    auto t = valid();
    t.symbol = std::string("AA\0A", 4);
    EXPECT_NE(check_tick(t, now, day)->find("symbol"), std::string::npos);
}

TEST(check_tick, refuses_numbers_that_are_not_finite_or_out_of_sign) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const double inf = std::numeric_limits<double>::infinity();
    for (double p : {nan, inf, -inf, 0.0, -0.0, -1.0}) {
        auto t = valid();
        t.price = p;
        EXPECT_TRUE(check_tick(t, now, day)) << p;
    }
    for (double s : {nan, inf, -1.0}) {
        auto t = valid();
        t.size = s;
        EXPECT_TRUE(check_tick(t, now, day)) << s;
        t = valid();
        t.day_volume = s;
        EXPECT_TRUE(check_tick(t, now, day)) << s;
    }
    auto t = valid();
    t.bid = nan;
    EXPECT_TRUE(check_tick(t, now, day));
}

TEST(check_tick, refuses_the_far_future_only_when_bounded) {
    auto t = valid();
    t.event_time = mdsp::event_time(now + 2 * day);
    EXPECT_NE(check_tick(t, now, day)->find("ahead of the clock"), std::string::npos);
    EXPECT_EQ(check_tick(t, now, 0), std::nullopt);
    t.event_time = mdsp::event_time(now + day / 2);
    EXPECT_EQ(check_tick(t, now, day), std::nullopt);
}

TEST(check_tick, refuses_crossed_and_locked_quotes_and_says_which_fault) {
    auto t = valid();
    t.bid = 190.4;
    t.ask = 190.6;
    tick_fault f = tick_fault::text;
    EXPECT_EQ(check_tick(t, now, day, &f), std::nullopt);
    EXPECT_EQ(f, tick_fault::none);
    t.bid = 190.7; // above the ask
    auto why = check_tick(t, now, day, &f);
    ASSERT_TRUE(why);
    EXPECT_NE(why->find("crossed quote of AAPL"), std::string::npos) << *why;
    EXPECT_EQ(f, tick_fault::crossed);
    t.bid = 190.6; // equal
    why = check_tick(t, now, day, &f);
    ASSERT_TRUE(why);
    EXPECT_NE(why->find("locked quote"), std::string::npos) << *why;
    EXPECT_EQ(f, tick_fault::crossed);
    // One side alone cannot cross.
    t.ask.reset();
    EXPECT_EQ(check_tick(t, now, day), std::nullopt);
    // 0 is a side without a quote: neither bad nor crossed.
    t = valid();
    t.bid = 0;
    t.ask = 190.6;
    EXPECT_EQ(check_tick(t, now, day), std::nullopt);
    t.bid = 190.4;
    t.ask = 0;
    EXPECT_EQ(check_tick(t, now, day), std::nullopt);
    t = valid();
    t.bid = -1;
    why = check_tick(t, now, day, &f);
    ASSERT_TRUE(why);
    EXPECT_NE(why->find("negative"), std::string::npos) << *why;
    EXPECT_EQ(f, tick_fault::bad_number);
    t = valid();
    t.ask = -0.5;
    EXPECT_TRUE(check_tick(t, now, day));
    t = valid();
    t.price = -1;
    check_tick(t, now, day, &f);
    EXPECT_EQ(f, tick_fault::bad_number);
    t = valid();
    t.symbol = std::string("A\0", 2);
    check_tick(t, now, day, &f);
    EXPECT_EQ(f, tick_fault::text);
    t = valid();
    t.event_time = mdsp::event_time(now + 2 * day);
    check_tick(t, now, day, &f);
    EXPECT_EQ(f, tick_fault::future);
}

} // namespace
} // namespace mdsp::model
