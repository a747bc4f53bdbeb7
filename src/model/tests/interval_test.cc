#include <gtest/gtest.h>

#include "base/time.h"
#include "model/interval.h"

namespace mdsp::model {
namespace {

TEST(interval, names_of_the_default_widths) {
    std::vector<std::string> names;
    for (auto iv : default_intervals()) {
        names.push_back(iv.name());
    }
    EXPECT_EQ(names, (std::vector<std::string>{"1s", "1m", "5m", "1h", "1d"}));
}

TEST(interval, other_widths_use_the_shortest_form) {
    EXPECT_EQ(interval(90 * micros_per_second).name(), "90s");
    EXPECT_EQ(interval(2 * micros_per_hour).name(), "2h");
    EXPECT_EQ(interval(1'500'000).name(), "1500ms");
    EXPECT_EQ(interval(250).name(), "250us");
    EXPECT_EQ(interval(7 * micros_per_day).name(), "7d");
}

TEST(interval, parses_every_unit) {
    EXPECT_EQ(interval::parse("1s")->micros(), micros_per_second);
    EXPECT_EQ(interval::parse("1m")->micros(), micros_per_minute);
    EXPECT_EQ(interval::parse("5m")->micros(), 5 * micros_per_minute);
    EXPECT_EQ(interval::parse("1h")->micros(), micros_per_hour);
    EXPECT_EQ(interval::parse("1d")->micros(), micros_per_day);
    EXPECT_EQ(interval::parse("250us")->micros(), 250);
    EXPECT_EQ(interval::parse("500ms")->micros(), 500'000);
    EXPECT_EQ(interval::parse("90s")->micros(), 90 * micros_per_second);
    EXPECT_EQ(interval::parse("60s")->micros(), micros_per_minute);
}

TEST(interval, parses_twelvedata_min) {
    EXPECT_EQ(interval::parse("1min")->micros(), micros_per_minute);
    EXPECT_EQ(interval::parse("5min")->micros(), 5 * micros_per_minute);
    EXPECT_EQ(interval::parse("15min")->micros(), 15 * micros_per_minute);
    EXPECT_FALSE(interval::parse("min"));
    EXPECT_FALSE(interval::parse("0min"));
}

TEST(interval, rejects_what_is_not_a_positive_width) {
    for (std::string_view bad :
         {"", "m", "1", "0s", "0m", "-1m", "+1m", "1x", "1 m", " 1m", "1m ", "1M", "1.5m", "1mm", "1sec",
          "99999999999999999999d", "106751992d", "9223372036854775807s"}) {
        EXPECT_FALSE(interval::parse(bad)) << "accepted \"" << bad << "\"";
    }
    // Durations are bounded at 100 years (base/time.h), far inside int64 micros.
    EXPECT_FALSE(interval::parse("106751991d"));
    EXPECT_FALSE(interval::parse("9223372036854775807us"));
    ASSERT_TRUE(interval::parse("36500d"));
    EXPECT_EQ(interval::parse("36500d")->micros(), 36500 * micros_per_day);
}

TEST(interval, name_and_parse_round_trip) {
    for (int64_t us : {int64_t{1}, int64_t{999}, int64_t{1000}, int64_t{1'500'000}, micros_per_second,
                       90 * micros_per_second, micros_per_minute, 15 * micros_per_minute, micros_per_hour,
                       36 * micros_per_hour, micros_per_day, 30 * micros_per_day}) {
        auto parsed = interval::parse(interval(us).name());
        ASSERT_TRUE(parsed) << interval(us).name();
        EXPECT_EQ(parsed->micros(), us);
    }
}

TEST(interval, window_start_floors_also_before_the_epoch) {
    interval m(micros_per_minute);
    EXPECT_EQ(m.window_start(0), 0);
    EXPECT_EQ(m.window_start(59'999'999), 0);
    EXPECT_EQ(m.window_start(60'000'000), 60'000'000);
    EXPECT_EQ(m.window_start(-1), -60'000'000);
    EXPECT_EQ(m.window_start(-60'000'000), -60'000'000);
}

} // namespace
} // namespace mdsp::model
