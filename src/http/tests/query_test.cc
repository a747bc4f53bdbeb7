#include <limits>

#include <gtest/gtest.h>

#include "http/query.h"

namespace mdsp::http {
namespace {

const std::vector<model::interval> intervals = model::default_intervals();

bad_parameter error_of(const auto& parsed) {
    EXPECT_TRUE(std::holds_alternative<bad_parameter>(parsed));
    return std::holds_alternative<bad_parameter>(parsed) ? std::get<bad_parameter>(parsed) : bad_parameter{};
}

TEST(http_query, target_is_split_and_decoded) {
    auto t = parse_target("/api/v1/candles?symbol=EUR%2FUSD&interval=1m&flag&x=a+b");
    ASSERT_TRUE(t);
    EXPECT_EQ(t->path, "/api/v1/candles");
    EXPECT_EQ(t->query,
              (query_params{{"symbol", "EUR/USD"}, {"interval", "1m"}, {"flag", ""}, {"x", "a b"}}));
    EXPECT_FALSE(parse_target("http://example.com/x"));
    EXPECT_FALSE(parse_target("no-slash"));
    EXPECT_FALSE(parse_target("/bad%zz"));
}

TEST(http_query, candles_defaults_are_the_newest_1000) {
    auto q =
        parse_candles_query({{"symbol", "XRPETH"}, {"interval", "1m"}, {"unknown", "ignored"}}, intervals);
    ASSERT_TRUE(std::holds_alternative<candles_query>(q));
    const auto& c = std::get<candles_query>(q);
    EXPECT_EQ(c.symbol, "XRPETH");
    EXPECT_EQ(c.interval.micros(), 60'000'000);
    EXPECT_EQ(c.range.limit, 1000U);
    EXPECT_TRUE(c.range.tail);
    EXPECT_EQ(c.range.from(), std::numeric_limits<int64_t>::min());
    EXPECT_EQ(c.range.to(), std::numeric_limits<int64_t>::max());
}

TEST(http_query, from_to_and_limit) {
    auto q = parse_ticks_query({{"symbol", "XRPETH"},
                                {"from", "2019-10-11"},
                                {"to", "1570752060"},
                                {"limit", "10000"},
                                {"limit", "x"}});
    ASSERT_TRUE(std::holds_alternative<ticks_query>(q));
    const auto& t = std::get<ticks_query>(q);
    EXPECT_EQ(t.range.from(), 1'570'752'000'000'000);
    EXPECT_EQ(t.range.to(), 1'570'752'060'000'000);
    EXPECT_EQ(t.range.limit, 10000U);
    EXPECT_FALSE(t.range.tail);
    // Only to: the newest rows before it.
    auto only_to =
        std::get<ticks_query>(parse_ticks_query({{"symbol", "A"}, {"to", "2019-10-11T00:00:00Z"}}));
    EXPECT_TRUE(only_to.range.tail);
}

TEST(http_query, each_bad_parameter_is_named) {
    EXPECT_EQ(error_of(parse_candles_query({{"interval", "1m"}}, intervals)).parameter, "symbol");
    EXPECT_EQ(error_of(parse_candles_query({{"symbol", ""}, {"interval", "1m"}}, intervals)).parameter,
              "symbol");
    EXPECT_EQ(error_of(parse_ticks_query({{"symbol", "A B"}})).parameter, "symbol");
    EXPECT_EQ(error_of(parse_ticks_query({{"symbol", std::string(65, 'A')}})).parameter, "symbol");
    EXPECT_EQ(error_of(parse_candles_query({{"symbol", "A"}}, intervals)).parameter, "interval");
    auto iv = error_of(parse_candles_query({{"symbol", "A"}, {"interval", "x"}}, intervals));
    EXPECT_EQ(iv.parameter, "interval");
    EXPECT_EQ(iv.message, "interval 'x' is not one of 1s, 1m, 5m, 1h, 1d");
    // Parses, but the engine does not compute it.
    EXPECT_EQ(error_of(parse_candles_query({{"symbol", "A"}, {"interval", "2m"}}, intervals)).parameter,
              "interval");
    EXPECT_EQ(error_of(parse_ticks_query({{"symbol", "A"}, {"from", "yesterday"}})).parameter, "from");
    EXPECT_EQ(error_of(parse_ticks_query({{"symbol", "A"}, {"to", "2019-13-01"}})).parameter, "to");
    auto order = error_of(parse_ticks_query({{"symbol", "A"}, {"from", "2019-10-12"}, {"to", "2019-10-11"}}));
    EXPECT_EQ(order.parameter, "from");
    EXPECT_NE(order.message.find("must be before to"), std::string::npos);
    EXPECT_EQ(error_of(parse_ticks_query({{"symbol", "A"}, {"from", "2019-10-11"}, {"to", "2019-10-11"}}))
                  .parameter,
              "from");
    for (const char* l : {"0", "10001", "-1", "1.5", "", "abc", "99999999999999999999999"}) {
        auto e = error_of(parse_ticks_query({{"symbol", "A"}, {"limit", l}}));
        EXPECT_EQ(e.parameter, "limit") << l;
        EXPECT_NE(e.message.find("from 1 to 10000"), std::string::npos);
    }
    EXPECT_EQ(error_of(parse_latest_query({{"symbol", ""}})).parameter, "symbol");
}

TEST(http_query, dates_that_do_not_exist_and_extreme_times_are_400) {
    // Once rolled over to March 2 and 1, and overflowed (issue 10, item 8).
    for (const char* t : {"2019-02-30", "2019-02-29T00:00:00Z", "2100-02-29", "2019-04-31",
                          "2019-06-31T12:00:00Z", "-9223372036854775808", "9223372036854775807",
                          "-62167219200000001", "2019-10-11T00:00:00+24:00", "2019-10-11T00:00:00+01:60"}) {
        EXPECT_EQ(error_of(parse_ticks_query({{"symbol", "A"}, {"to", t}})).parameter, "to") << t;
        EXPECT_EQ(error_of(parse_candles_query({{"symbol", "A"}, {"interval", "1m"}, {"from", t}}, intervals))
                      .parameter,
                  "from")
            << t;
    }
    // The edges that exist are accepted.
    for (const char* t : {"2020-02-29", "2000-02-29", "0000-01-01", "9999-12-31T23:59:59.999999Z",
                          "-62167219200000000", "2019-10-11T00:00:00+23:59"}) {
        EXPECT_TRUE(std::holds_alternative<ticks_query>(parse_ticks_query({{"symbol", "A"}, {"from", t}})))
            << t;
    }
}

TEST(http_query, other_spellings_of_an_accepted_interval_are_accepted) {
    auto q = parse_candles_query({{"symbol", "A"}, {"interval", "60s"}}, intervals);
    ASSERT_TRUE(std::holds_alternative<candles_query>(q));
    EXPECT_EQ(std::get<candles_query>(q).interval.name(), "1m");
    const std::vector<model::interval> only_hour{model::interval(3'600'000'000)};
    auto e = error_of(parse_candles_query({{"symbol", "A"}, {"interval", "1m"}}, only_hour));
    EXPECT_EQ(e.message, "interval '1m' is not one of 1h");
}

TEST(http_query, latest_symbol_is_optional) {
    auto all = parse_latest_query({});
    ASSERT_TRUE(std::holds_alternative<std::optional<std::string>>(all));
    EXPECT_FALSE(std::get<std::optional<std::string>>(all));
    auto one = parse_latest_query({{"symbol", "BTC/USD"}});
    EXPECT_EQ(std::get<std::optional<std::string>>(one), "BTC/USD");
}

} // namespace
} // namespace mdsp::http
