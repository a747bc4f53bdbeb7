#include <gtest/gtest.h>

#include "base/time.h"

namespace mdsp {

TEST(time, parses_iso_and_unix_forms) {
    EXPECT_EQ(parse_time_micros("2019-10-11T00:00:00Z"), 1570752000000000LL);
    EXPECT_EQ(parse_time_micros("2019-10-11 00:00:00"), 1570752000000000LL);
    EXPECT_EQ(parse_time_micros("2019-10-11"), 1570752000000000LL);
    EXPECT_EQ(parse_time_micros("2019-10-11T00:00:11.620Z"), 1570752011620000LL);
    EXPECT_EQ(parse_time_micros("2019-10-11T02:00:00+02:00"), 1570752000000000LL);
    EXPECT_EQ(parse_time_micros("1570752011"), 1570752011000000LL);
    EXPECT_EQ(parse_time_micros("1570752011620"), 1570752011620000LL);
    EXPECT_EQ(parse_time_micros("1570752011620123"), 1570752011620123LL);
    EXPECT_FALSE(parse_time_micros("yesterday"));
    EXPECT_FALSE(parse_time_micros("2019-13-01"));
    // Days the month does not have are refused, not rolled over.
    EXPECT_FALSE(parse_time_micros("2019-02-30"));
    EXPECT_FALSE(parse_time_micros("2019-02-29T00:00:00Z"));
    EXPECT_FALSE(parse_time_micros("1900-02-29"));
    EXPECT_FALSE(parse_time_micros("2019-11-31"));
    EXPECT_EQ(parse_time_micros("2020-02-29"), 1582934400000000LL);
    EXPECT_EQ(parse_time_micros("2000-02-29"), 951782400000000LL);
    EXPECT_FALSE(parse_time_micros("2019-10-11T00:00:00+24:00"));
    // Offsets as RFC 3339, ISO 8601's basic form and PostgreSQL write them.
    EXPECT_EQ(parse_time_micros("2019-10-11T02:30:00+0230"), 1570752000000000LL);
    EXPECT_EQ(parse_time_micros("2019-10-10 19:00:00-05"), 1570752000000000LL);
    EXPECT_EQ(parse_time_micros("2019-10-11T00:00:00-00:00"), 1570752000000000LL);
    EXPECT_FALSE(parse_time_micros("2019-10-11T00:00:00+2"));
    EXPECT_FALSE(parse_time_micros("2019-10-11T00:00:00+023"));
    EXPECT_FALSE(parse_time_micros("2019-10-11T00:00:00+-1:00"));
    EXPECT_FALSE(parse_time_micros("2019-10-11T-1:00:00Z")); // no signs inside
    EXPECT_FALSE(parse_time_micros("2019-+1-11"));
    EXPECT_FALSE(parse_time_micros("2019-10-11T00:00:00+01:60"));
    EXPECT_FALSE(parse_time_micros("2019-10-11T00:00:00Zx"));
    // Fraction digits beyond microseconds are cut, not rounded.
    EXPECT_EQ(parse_time_micros("2019-10-11T00:00:11.123456789Z"), 1570752011123456LL);
    EXPECT_EQ(parse_time_micros("2019-10-11T00:00:11.1+00"), 1570752011100000LL);
    EXPECT_FALSE(parse_time_micros(""));
    // The extremes parse as microseconds without overflow (found by fuzzing).
    EXPECT_EQ(parse_time_micros("-9223372036854775808"), INT64_MIN);
    EXPECT_EQ(parse_time_micros("9223372036854775807"), INT64_MAX);
    EXPECT_FALSE(parse_time_micros("9223372036854775808"));
}

TEST(time, formats_iso) {
    EXPECT_EQ(format_iso8601(1570752011620000LL), "2019-10-11T00:00:11.620000Z");
}

TEST(time, durations_round_trip) {
    EXPECT_EQ(parse_duration_micros("1s"), micros_per_second);
    EXPECT_EQ(parse_duration_micros("5m"), 5 * micros_per_minute);
    EXPECT_EQ(parse_duration_micros("250ms"), 250'000);
    EXPECT_FALSE(parse_duration_micros("5 minutes"));
    EXPECT_FALSE(parse_duration_micros("m"));
    EXPECT_FALSE(parse_duration_micros("99999999999999999999d"));
    EXPECT_FALSE(parse_duration_micros("9999999999999d"));
    EXPECT_EQ(format_duration(micros_per_hour), "1h");
    EXPECT_EQ(format_duration(90 * micros_per_second), "90s");
    EXPECT_EQ(format_duration(1500), "1500us");
}

} // namespace mdsp
