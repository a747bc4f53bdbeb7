#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <mutex>

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include "http/api.h"
#include "http/json.h"
#include "model/avro.h"
#include "testing/http_client.h"

namespace mdsp::http {
namespace {

using testing::get;
constexpr int64_t sec = 1'000'000;
constexpr int64_t t0 = 1'570'752'000 * sec; // 2019-10-11T00:00:00Z

// An in-memory store with the semantics of store::store, for the API tests.
class fake_store final : public mdsp::store::store {
public:
    std::vector<model::candle> candle_rows;
    std::vector<model::tick> tick_rows;
    std::vector<model::tick> latest_rows;
    bool fail = false;

    result<void> write(const mdsp::store::write_batch&) override { return ok(); }
    result<mdsp::store::backfill_outcome>
    write_backfill(std::span<const model::candle>, std::span<const mdsp::store::state_change>) override {
        return mdsp::store::backfill_outcome{};
    }

    result<std::vector<model::candle>> candles(std::string_view symbol, model::interval iv,
                                               const mdsp::store::range& r) override {
        if (fail) {
            return make_error(mdsp::store::errc::io_error, "disk on fire");
        }
        std::vector<model::candle> out;
        for (const auto& c : candle_rows) {
            if (c.symbol == symbol && c.interval == iv && c.window_start >= r.from && c.window_start < r.to) {
                out.push_back(c);
            }
        }
        std::sort(out.begin(), out.end(),
                  [](const auto& a, const auto& b) { return a.window_start < b.window_start; });
        return cut(std::move(out), r);
    }
    result<std::vector<model::tick>> ticks(std::string_view symbol, const mdsp::store::range& r) override {
        std::vector<model::tick> out;
        for (const auto& t : tick_rows) {
            if (t.symbol == symbol && t.event_time >= r.from && t.event_time < r.to) {
                out.push_back(t);
            }
        }
        std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
            return std::pair(a.event_time, a.seq) < std::pair(b.event_time, b.seq);
        });
        return cut(std::move(out), r);
    }
    result<std::vector<model::tick>> latest() override { return latest_rows; }
    result<std::optional<model::tick>> latest(std::string_view symbol) override {
        for (const auto& t : latest_rows) {
            if (t.symbol == symbol) {
                return std::optional<model::tick>(t);
            }
        }
        return std::optional<model::tick>();
    }
    result<std::vector<std::string>> symbols() override {
        std::vector<std::string> out;
        for (const auto& t : latest_rows) {
            out.push_back(t.symbol);
        }
        return out;
    }
    result<std::vector<std::pair<std::string, std::string>>> load_state(std::string_view) override {
        return std::vector<std::pair<std::string, std::string>>{};
    }
    result<void> sync() override { return ok(); }

private:
    template<typename T>
    static std::vector<T> cut(std::vector<T> v, const mdsp::store::range& r) {
        if (v.size() > r.limit) {
            if (r.tail) {
                v.erase(v.begin(), v.end() - static_cast<ptrdiff_t>(r.limit));
            } else {
                v.resize(r.limit);
            }
        }
        return v;
    }
};

model::candle candle_at(int64_t start, double close) {
    model::candle c;
    c.symbol = "XRPETH";
    c.interval = model::interval(60 * sec);
    c.window_start = mdsp::event_time(start);
    c.open = 0.1;
    c.high = 0.30000000000000004;
    c.low = 5e-324;
    c.close = close;
    c.volume = 1.7976931348623157e308;
    c.vwap = 0.0012345678901234567;
    c.trade_count = 3;
    c.first_event_time = mdsp::event_time(start + 11'620'000);
    c.last_event_time = mdsp::event_time(start + 59'999'999);
    c.final = true;
    c.revision = 0;
    return c;
}

model::tick tick_at(std::string symbol, int64_t et, int64_t seq) {
    model::tick t;
    t.symbol = std::move(symbol);
    t.source = "binance";
    t.exchange = "BINANCE";
    t.event_time = mdsp::event_time(et);
    t.ingest_time = mdsp::ingest_time(et + 1500);
    t.price = 0.000737;
    t.size = 120.5;
    t.trade_id = 1'234'567'890'123;
    t.seq = mdsp::sequence(seq);
    return t;
}

class api_test : public ::testing::Test {
protected:
    void SetUp() override {
        for (int i = 0; i < 5; ++i) {
            _store.candle_rows.push_back(candle_at(t0 + i * 60 * sec, 0.1 * (i + 1)));
        }
        for (int i = 0; i < 5; ++i) {
            _store.tick_rows.push_back(tick_at("XRPETH", t0 + i * sec, i));
        }
        _store.latest_rows = {tick_at("BTCUSDT", t0, 9), tick_at("XRPETH", t0 + 4 * sec, 4)};
        server_config cfg;
        cfg.port = 0;
        _srv = std::make_unique<server>(cfg);
        add_api_routes(*_srv, _store);
        ASSERT_TRUE(_srv->start());
        _port = _srv->port();
    }

    boost::json::value ok_json(const std::string& target) {
        auto r = get(_port, target);
        EXPECT_EQ(r.status, 200U) << target << " " << r.body;
        EXPECT_EQ(r.content_type, "application/json");
        return r.json();
    }

    void expect_bad(const std::string& target, std::string_view parameter) {
        auto r = get(_port, target);
        EXPECT_EQ(r.status, 400U) << target;
        auto j = r.json();
        EXPECT_EQ(j.at("error"), "bad_parameter") << target;
        EXPECT_EQ(j.at("parameter"), boost::json::value(parameter)) << target << " " << r.body;
        EXPECT_FALSE(j.at("message").as_string().empty());
    }

    fake_store _store;
    std::unique_ptr<server> _srv;
    uint16_t _port = 0;
};

TEST_F(api_test, symbols) {
    EXPECT_EQ(ok_json("/api/v1/symbols"), boost::json::parse(R"({"symbols":["BTCUSDT","XRPETH"]})"));
}

TEST_F(api_test, candles_json_shape) {
    auto j = ok_json("/api/v1/candles?symbol=XRPETH&interval=1m&from=2019-10-11&to=2019-10-11T00:01:00Z");
    auto expected = boost::json::parse(R"({"symbol":"XRPETH","interval":"1m","candles":[{
        "window_start":"2019-10-11T00:00:00.000000Z","time":1570752000,
        "open":0.1,"high":0.30000000000000004,"low":5e-324,"close":0.1,"volume":1.7976931348623157e308,
        "vwap":0.0012345678901234567,"trade_count":3,
        "first_event_time":"2019-10-11T00:00:11.620000Z","last_event_time":"2019-10-11T00:00:59.999999Z",
        "final":true,"revision":0,"backfilled":false,"spike":false}]})");
    EXPECT_EQ(j, expected) << boost::json::serialize(j);
}

TEST_F(api_test, candle_numbers_parse_back_to_the_identical_double) {
    const double values[] = {0.1,
                             0.30000000000000004,
                             5e-324,
                             1.7976931348623157e308,
                             0.0012345678901234567,
                             -0.0,
                             1e21,
                             1e-7,
                             123456789.12345678,
                             2.2250738585072014e-308,
                             1.0 / 3};
    _store.candle_rows.clear();
    for (size_t i = 0; i < std::size(values); ++i) {
        _store.candle_rows.push_back(candle_at(t0 + static_cast<int64_t>(i) * 60 * sec, values[i]));
    }
    auto r = get(_port, "/api/v1/candles?symbol=XRPETH&interval=1m");
    ASSERT_EQ(r.status, 200U);
    // Parse the text independently of Boost.JSON's own number handling too.
    const auto j = r.json();
    const auto& arr = j.at("candles").as_array();
    ASSERT_EQ(arr.size(), std::size(values));
    size_t pos = 0;
    for (size_t i = 0; i < std::size(values); ++i) {
        const double got = arr[i].at("close").to_number<double>();
        EXPECT_EQ(std::memcmp(&got, &values[i], sizeof got), 0) << values[i];
        pos = r.body.find("\"close\":", pos) + 8;
        const double strtod_got = std::strtod(r.body.c_str() + pos, nullptr);
        EXPECT_EQ(std::memcmp(&strtod_got, &values[i], sizeof got), 0) << r.body.substr(pos, 30);
    }
}

TEST_F(api_test, candles_without_from_are_the_newest_oldest_first) {
    auto j = ok_json("/api/v1/candles?symbol=XRPETH&interval=1m&limit=2");
    const auto& arr = j.at("candles").as_array();
    ASSERT_EQ(arr.size(), 2U);
    EXPECT_EQ(arr[0].at("time"), 1570752000 + 180);
    EXPECT_EQ(arr[1].at("time"), 1570752000 + 240);
    auto head = ok_json("/api/v1/candles?symbol=XRPETH&interval=60s&from=0&limit=2&extra=ignored");
    EXPECT_EQ(head.at("interval"), "1m");
    EXPECT_EQ(head.at("candles").as_array()[0].at("time"), 1570752000);
    EXPECT_TRUE(ok_json("/api/v1/candles?symbol=NONE&interval=1m").at("candles").as_array().empty());
}

TEST_F(api_test, ticks_json_shape_and_ranges) {
    auto j = ok_json("/api/v1/ticks?symbol=XRPETH&from=1570752001&to=1570752003000");
    auto expected_first = boost::json::parse(R"({"symbol":"XRPETH","source":"binance","exchange":"BINANCE",
        "mic_code":null,"asset_type":null,"currency":null,"event_time":"2019-10-11T00:00:01.000000Z",
        "time":1570752001,"ingest_time":"2019-10-11T00:00:01.001500Z","price":0.000737,"size":120.5,
        "day_volume":null,"bid":null,"ask":null,"trade_id":1234567890123,"seq":1})");
    ASSERT_EQ(j.at("ticks").as_array().size(), 2U);
    EXPECT_EQ(j.at("symbol"), "XRPETH");
    EXPECT_EQ(j.at("ticks").as_array()[0], expected_first) << boost::json::serialize(j);
    auto tail = ok_json("/api/v1/ticks?symbol=XRPETH&limit=1");
    EXPECT_EQ(tail.at("ticks").as_array()[0].at("seq"), 4);
}

TEST_F(api_test, latest_all_and_one) {
    auto all = ok_json("/api/v1/latest");
    ASSERT_EQ(all.at("latest").as_array().size(), 2U);
    EXPECT_EQ(all.at("latest").as_array()[0].at("symbol"), "BTCUSDT");
    auto one = ok_json("/api/v1/latest?symbol=XRPETH");
    ASSERT_EQ(one.at("latest").as_array().size(), 1U);
    EXPECT_EQ(one.at("latest").as_array()[0].at("seq"), 4);
    auto none = get(_port, "/api/v1/latest?symbol=NOPE");
    EXPECT_EQ(none.status, 404U);
    EXPECT_EQ(none.json().at("error"), "not_found");
}

TEST_F(api_test, bad_parameters_are_400_naming_the_parameter) {
    expect_bad("/api/v1/candles?interval=1m", "symbol");
    expect_bad("/api/v1/candles?symbol=&interval=1m", "symbol");
    expect_bad("/api/v1/candles?symbol=XRPETH", "interval");
    expect_bad("/api/v1/candles?symbol=XRPETH&interval=x", "interval");
    expect_bad("/api/v1/candles?symbol=XRPETH&interval=1m&from=soon", "from");
    expect_bad("/api/v1/candles?symbol=XRPETH&interval=1m&to=later", "to");
    expect_bad("/api/v1/candles?symbol=XRPETH&interval=1m&from=2019-10-12&to=2019-10-11", "from");
    expect_bad("/api/v1/candles?symbol=XRPETH&interval=1m&limit=0", "limit");
    expect_bad("/api/v1/candles?symbol=XRPETH&interval=1m&limit=10001", "limit");
    expect_bad("/api/v1/ticks", "symbol");
    expect_bad("/api/v1/ticks?symbol=XRPETH&limit=ten", "limit");
    expect_bad("/api/v1/ticks?symbol=XRPETH&from=x", "from");
    expect_bad("/api/v1/latest?symbol=", "symbol");
    auto r = get(_port, "/api/v1/candles?symbol=XRPETH&interval=x");
    EXPECT_EQ(r.json().at("message"), "interval 'x' is not one of 1s, 1m, 5m, 1h, 1d");
}

TEST_F(api_test, store_failures_are_500_with_the_reason) {
    _store.fail = true;
    auto r = get(_port, "/api/v1/candles?symbol=XRPETH&interval=1m");
    EXPECT_EQ(r.status, 500U);
    EXPECT_EQ(r.json().at("error"), "store_error");
    EXPECT_EQ(r.json().at("message"), "disk on fire");
}

TEST_F(api_test, wrong_method_on_an_api_route_is_405) {
    testing::client c(_port);
    auto r = c.request(boost::beast::http::verb::post, "/api/v1/candles?symbol=X&interval=1m");
    EXPECT_EQ(r.status, 405U);
}

// Every answer must be JSON a strict parser takes: well-formed UTF-8 (checked
// on its own, whatever the parser allows) that parses.
::testing::AssertionResult strict_json(const std::string& body) {
    if (!model::avro::is_valid_utf8(body)) {
        return ::testing::AssertionFailure() << "not UTF-8: " << body;
    }
    boost::system::error_code ec;
    boost::json::parse(body, ec);
    if (ec) {
        return ::testing::AssertionFailure() << ec.message() << ": " << body;
    }
    return ::testing::AssertionSuccess();
}

TEST_F(api_test, a_symbol_of_invalid_utf8_is_echoed_as_valid_text) {
    auto r = get(_port, "/api/v1/candles?symbol=%FF%FE&interval=1m");
    EXPECT_EQ(r.status, 400U);
    ASSERT_TRUE(strict_json(r.body));
    // The bytes are shown, escaped, so the user sees what was sent.
    EXPECT_NE(std::string(r.json().at("message").as_string()).find("\\xFF\\xFE"), std::string::npos)
        << r.body;

    r = get(_port, "/api/v1/ticks?symbol=A%C3%28B");
    EXPECT_EQ(r.status, 400U);
    EXPECT_TRUE(strict_json(r.body));
}

TEST_F(api_test, latest_of_an_invalid_utf8_symbol_answers_valid_json) {
    for (const char* target :
         {"/api/v1/latest?symbol=%FF", "/api/v1/latest?symbol=X%ED%A0%80", "/api/v1/latest?symbol=%E2%82"}) {
        auto r = get(_port, target);
        EXPECT_TRUE(r.status == 400U || r.status == 404U) << target << " " << r.status;
        EXPECT_TRUE(strict_json(r.body)) << target;
    }
}

TEST_F(api_test, stored_strings_of_invalid_utf8_answer_valid_json) {
    auto t = tick_at("XRPETH", t0 + 10 * sec, 10);
    t.exchange = std::string("BIN\xff\xc0"
                             "ANCE");
    _store.tick_rows.push_back(t);
    auto r = get(_port, "/api/v1/ticks?symbol=XRPETH");
    EXPECT_EQ(r.status, 200U);
    ASSERT_TRUE(strict_json(r.body));
    const auto j = r.json();
    const auto& ticks = j.at("ticks").as_array();
    EXPECT_EQ(ticks.back().at("exchange"), "BIN\xEF\xBF\xBD\xEF\xBF\xBD"
                                           "ANCE"); // U+FFFD twice
}

TEST_F(api_test, unknown_paths_of_invalid_utf8_answer_valid_json) {
    auto r = get(_port, "/api/v1/%FF%80");
    EXPECT_EQ(r.status, 404U);
    EXPECT_TRUE(strict_json(r.body));
}

} // namespace
} // namespace mdsp::http

namespace mdsp::http {
TEST(json, doubles_print_as_people_write_them) {
    boost::json::object o;
    o["a"] = 61487.6;
    o["b"] = 0.00141342;
    o["c"] = 1482.0;
    o["d"] = std::nan("");
    o["e"] = "x\"y\n";
    EXPECT_EQ(to_json(o), R"({"a":61487.6,"b":0.00141342,"c":1482,"d":null,"e":"x\"y\n"})");
}

TEST(json, invalid_utf8_becomes_replacement_characters_and_valid_text_stays) {
    boost::json::object o;
    o["bad"] = std::string_view("a\xff\xfe"
                                "b\xed\xa0\x80"
                                "c\xc0\xaf"
                                "d\xe2\x82");
    o["ok"] = "\xe2\x82\xac \xf0\x9f\x92\xb9 \xc3\xa9";
    o[std::string_view("k\x80")] = 1;
    EXPECT_EQ(to_json(o), "{\"bad\":\"a\\ufffd\\ufffdb\\ufffd\\ufffd\\ufffdc\\ufffd\\ufffdd\\ufffd\\ufffd\","
                          "\"ok\":\"\xe2\x82\xac \xf0\x9f\x92\xb9 \xc3\xa9\",\"k\\ufffd\":1}");
}

TEST(json, echo_input_shows_bad_bytes_and_controls_escaped_and_cuts_on_characters) {
    EXPECT_EQ(echo_input("BTC/USD"), "BTC/USD");
    EXPECT_EQ(echo_input("\xff\xfe"), "\\xFF\\xFE");
    EXPECT_EQ(echo_input(std::string_view("a\0b\x1b", 4)), "a\\x00b\\x1B");
    EXPECT_EQ(echo_input("\xe2\x82\xac\xe2\x82\xac", 4), "\xe2\x82\xac...");
    EXPECT_TRUE(model::avro::is_valid_utf8(echo_input(std::string(200, '\xff'), 80)));
}
} // namespace mdsp::http
