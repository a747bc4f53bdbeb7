// TwelveData's REST /time_series client against the local fake server, and
// its answer parser on hand-written answers. No network; no timing asserted.
#include <filesystem>
#include <set>

#include <gtest/gtest.h>
#include <unistd.h>

#include "base/time.h"
#include "feed/internal/time_series.h"
#include "feed/tests/fake_feed.h"
#include "feed/twelvedata_rest.h"

namespace mdsp::feed {
namespace {

using testing::fake_feed;

constexpr const char* key = "tdkey-REST-91c2ab";
const model::interval one_minute(micros_per_minute);
constexpr int64_t day0 = 1'700'006'400'000'000; // 2023-11-15 00:00:00 UTC

class rest_test : public ::testing::Test {
protected:
    void SetUp() override {
        dir = std::filesystem::temp_directory_path()
              / ("mdsp_rest_" + std::to_string(::getpid()) + "_"
                 + ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::create_directories(dir);
        fake = std::make_unique<fake_feed>(dir.string());
    }
    void TearDown() override {
        fake.reset();
        std::filesystem::remove_all(dir);
    }
    twelvedata_rest_config cfg() {
        twelvedata_rest_config c;
        c.api_key = key;
        c.base_url = "https://localhost:" + std::to_string(fake->port());
        c.tls.ca_file = fake->ca_file();
        c.credits_per_minute = 0;
        c.minute_us = 200'000; // a "minute" of 0.2 s keeps the waits short
        return c;
    }
    struct fetched {
        std::vector<model::candle> bars;
        std::vector<int64_t> covered;
    };
    result<bars_summary> fetch(twelvedata_rest& r, std::string_view symbol, model::interval iv, int64_t from,
                               int64_t to, fetched& out) {
        return r.bars(symbol, iv, from, to, [&](std::span<const model::candle> page, int64_t covered) {
            out.bars.insert(out.bars.end(), page.begin(), page.end());
            out.covered.push_back(covered);
        });
    }

    std::filesystem::path dir;
    std::unique_ptr<fake_feed> fake;
};

TEST_F(rest_test, bars_come_oldest_first_across_pages_without_gaps_or_repeats) {
    auto r = twelvedata_rest::create(cfg());
    ASSERT_TRUE(r) << r.error().what();
    fetched f;
    const int64_t to = day0 + 6 * micros_per_day; // 8,640 minutes: two pages
    auto s = fetch(**r, "AAPL", one_minute, day0, to, f);
    ASSERT_TRUE(s) << s.error().what();
    EXPECT_EQ(s->requests, 2);
    EXPECT_EQ(s->bars, 8640u);
    ASSERT_EQ(f.bars.size(), 8640u);
    for (size_t i = 0; i < f.bars.size(); ++i) {
        const auto& c = f.bars[i];
        ASSERT_EQ(c.window_start(), day0 + static_cast<int64_t>(i) * micros_per_minute) << i;
        EXPECT_TRUE(c.backfilled);
        EXPECT_TRUE(c.final);
        EXPECT_EQ(c.trade_count, 0);
        EXPECT_EQ(c.symbol, "AAPL");
        EXPECT_GT(c.volume, 0); // stocks have volume
        EXPECT_EQ(c.last_event_time(), c.window_start() + micros_per_minute - 1);
    }
    EXPECT_EQ(f.covered.back(), to);
    // The key went in the Authorization header, and the dates as UTC.
    auto sent_keys = fake->api_keys();
    std::set<std::string> keys(sent_keys.begin(), sent_keys.end());
    EXPECT_EQ(keys, std::set<std::string>{std::string("apikey ") + key});
    auto targets = fake->rest_targets();
    ASSERT_EQ(targets.size(), 2u);
    EXPECT_NE(targets[0].find("symbol=AAPL&interval=1min&start_date=2023-11-15%2000%3A00%3A00"),
              std::string::npos)
        << targets[0];
    EXPECT_NE(targets[0].find("timezone=UTC"), std::string::npos);
    EXPECT_EQ(targets[0].find(key), std::string::npos);
}

TEST_F(rest_test, forex_has_no_volume_and_symbols_are_escaped) {
    auto r = twelvedata_rest::create(cfg());
    ASSERT_TRUE(r);
    fetched f;
    auto s = fetch(**r, "EUR/USD", model::interval(5 * micros_per_minute), day0, day0 + micros_per_hour, f);
    ASSERT_TRUE(s) << s.error().what();
    ASSERT_EQ(f.bars.size(), 12u);
    EXPECT_EQ(f.bars[0].volume, 0);
    EXPECT_NE(fake->rest_targets().front().find("symbol=EUR%2FUSD&interval=5min"), std::string::npos);
}

TEST_F(rest_test, on_429_it_waits_for_the_next_minute_and_goes_on) {
    fake->answer_429(2);
    auto r = twelvedata_rest::create(cfg());
    ASSERT_TRUE(r);
    fetched f;
    auto s = fetch(**r, "AAPL", one_minute, day0, day0 + 30 * micros_per_minute, f);
    ASSERT_TRUE(s) << s.error().what();
    EXPECT_EQ(s->rate_limited, 2);
    EXPECT_EQ(s->requests, 3);
    EXPECT_EQ(f.bars.size(), 30u);
}

TEST_F(rest_test, paces_itself_by_credits_per_minute) {
    // One credit per (day-long) "minute": the second page must wait, not be
    // sent. Stopping during that wait ends the call with one request made.
    auto c = cfg();
    c.credits_per_minute = 1;
    c.minute_us = micros_per_day;
    int pages = 0;
    c.stopping = [&] { return pages >= 1; };
    auto r = twelvedata_rest::create(c);
    ASSERT_TRUE(r);
    auto s = (*r)->bars("AAPL", one_minute, day0, day0 + 6 * micros_per_day,
                        [&](std::span<const model::candle>, int64_t) { ++pages; });
    ASSERT_FALSE(s);
    EXPECT_EQ(pages, 1);
    EXPECT_EQ(fake->rest_targets().size(), 1u);
}

TEST_F(rest_test, errors_name_the_symbol_and_the_reason_but_never_the_key) {
    fake->refuse_symbol("NOPE");
    auto r = twelvedata_rest::create(cfg());
    ASSERT_TRUE(r);
    fetched f;
    auto s = fetch(**r, "NOPE", one_minute, day0, day0 + micros_per_hour, f);
    ASSERT_FALSE(s);
    std::string what = s.error().what();
    EXPECT_NE(what.find("NOPE"), std::string::npos) << what;
    EXPECT_NE(what.find("not found"), std::string::npos) << what;
    EXPECT_EQ(what.find(key), std::string::npos);

    fake->rest_error_200(1); // an error report with HTTP 200
    s = fetch(**r, "AAPL", one_minute, day0, day0 + micros_per_hour, f);
    ASSERT_FALSE(s);
    EXPECT_NE(std::string(s.error().what()).find("symbol not found"), std::string::npos);

    s = fetch(**r, "AAPL", model::interval(micros_per_second), day0, day0 + 60 * micros_per_second, f);
    ASSERT_FALSE(s);
    EXPECT_NE(std::string(s.error().what()).find("no 1s bars; use one of 1m, 5m"), std::string::npos)
        << s.error().what();
}

TEST_F(rest_test, the_certificate_is_verified) {
    auto c = cfg();
    c.tls.ca_file.clear(); // the fake's self-signed certificate is not trusted
    c.max_attempts = 1;
    auto r = twelvedata_rest::create(c);
    ASSERT_TRUE(r);
    fetched f;
    auto s = fetch(**r, "AAPL", one_minute, day0, day0 + micros_per_hour, f);
    ASSERT_FALSE(s);
    EXPECT_NE(std::string(s.error().what()).find("TLS handshake"), std::string::npos) << s.error().what();
    EXPECT_TRUE(fake->rest_targets().empty());
}

TEST(rest_config, without_a_key_says_what_to_set) {
    twelvedata_rest_config c;
    auto r = twelvedata_rest::create(c);
    ASSERT_FALSE(r);
    EXPECT_NE(std::string(r.error().what()).find("TWELVEDATA_API_KEY"), std::string::npos);
    c.api_key = "k";
    c.base_url = "http://example.com";
    r = twelvedata_rest::create(c);
    ASSERT_FALSE(r);
    EXPECT_NE(std::string(r.error().what()).find("only to localhost"), std::string::npos);
}

using internal::parse_time_series;
using internal::time_series_page;

TEST(time_series_parser, reads_bars_errors_and_empty_ranges) {
    time_series_page p;
    std::string error;
    ASSERT_TRUE(parse_time_series(
        R"({"meta":{"symbol":"AAPL"},"values":[{"datetime":"2023-11-15 00:01:00","open":"1.5","high":"2","low":"1","close":"1.75","volume":"100"},{"datetime":"2023-11-15 00:00:30","open":"1","high":"1","low":"1","close":"1"}],"status":"ok"})",
        "AAPL", one_minute, p, error))
        << error;
    EXPECT_EQ(p.k, time_series_page::kind::bars);
    ASSERT_EQ(p.bars.size(), 1u);
    EXPECT_EQ(p.unaligned, 1u);
    EXPECT_EQ(p.bars[0].window_start(), day0 + micros_per_minute);
    EXPECT_EQ(p.bars[0].close, 1.75);
    EXPECT_EQ(p.bars[0].volume, 100);
    EXPECT_DOUBLE_EQ(p.bars[0].vwap, (2 + 1 + 1.75) / 3);

    ASSERT_TRUE(parse_time_series(R"({"code":429,"message":"out of credits","status":"error"})", "AAPL",
                                  one_minute, p, error));
    EXPECT_EQ(p.k, time_series_page::kind::rate_limited);
    ASSERT_TRUE(parse_time_series(
        R"({"code":400,"message":"No data is available on the specified dates.","status":"error"})", "AAPL",
        one_minute, p, error));
    EXPECT_EQ(p.k, time_series_page::kind::no_data);
    ASSERT_TRUE(parse_time_series(R"({"code":401,"message":"bad key","status":"error"})", "AAPL", one_minute,
                                  p, error));
    EXPECT_EQ(p.k, time_series_page::kind::error);
    EXPECT_EQ(p.code, 401);

    for (
        const char* bad :
        {R"({"values":[],"status":"maybe"})", R"([1,2])", "{",
         R"({"values":[{"datetime":"x","open":"1","high":"1","low":"1","close":"1"}],"status":"ok"})",
         R"({"values":[{"datetime":"2023-11-15","open":"one","high":"1","low":"1","close":"1"}],"status":"ok"})",
         R"({"values":[{"datetime":"2023-11-15","high":"1","low":"1","close":"1"}],"status":"ok"})",
         R"({"values":[{"datetime":"2023-11-15","open":"1e999","high":"1","low":"1","close":"1"}],"status":"ok"})"}) {
        error.clear();
        EXPECT_FALSE(parse_time_series(bad, "AAPL", one_minute, p, error)) << bad;
        EXPECT_FALSE(error.empty()) << bad;
    }
}

} // namespace
} // namespace mdsp::feed
