#include <gtest/gtest.h>

#include "http/live_protocol.h"

namespace mdsp::http {
namespace {

const auto intervals = model::default_intervals();

client_message ok(std::string_view text) {
    auto r = parse_client_message(text, intervals);
    if (auto* e = std::get_if<std::string>(&r)) {
        ADD_FAILURE() << text << ": " << *e;
        return {};
    }
    return std::get<client_message>(r);
}

std::string bad(std::string_view text) {
    auto r = parse_client_message(text, intervals);
    if (!std::holds_alternative<std::string>(r)) {
        ADD_FAILURE() << text << " was accepted";
        return {};
    }
    return std::get<std::string>(r);
}

TEST(live_protocol, subscribe_and_unsubscribe_to_a_series) {
    auto m = ok(R"({"action":"subscribe","symbol":"BTC/USD","interval":"1m","id":7})");
    EXPECT_EQ(m.act, client_message::action::subscribe);
    EXPECT_EQ(m.chan, client_message::channel::candles);
    EXPECT_EQ(m.symbol, "BTC/USD");
    EXPECT_EQ(m.interval.name(), "1m");
    auto u = ok(R"({"action":"unsubscribe","channel":"candles","symbol":"AAPL","interval":"1d"})");
    EXPECT_EQ(u.act, client_message::action::unsubscribe);
    EXPECT_EQ(u.interval.name(), "1d");
}

TEST(live_protocol, latest_channel_needs_no_symbol) {
    auto m = ok(R"({"action":"subscribe","channel":"latest"})");
    EXPECT_EQ(m.chan, client_message::channel::latest);
}

TEST(live_protocol, errors_say_what_is_wrong) {
    EXPECT_NE(bad("not json").find("not JSON"), std::string::npos);
    EXPECT_NE(bad("[1]").find("JSON object"), std::string::npos);
    EXPECT_NE(bad(R"({"symbol":"X","interval":"1m"})").find("\"action\""), std::string::npos);
    EXPECT_NE(bad(R"({"action":"buy"})").find("subscribe"), std::string::npos);
    EXPECT_NE(bad(R"({"action":"subscribe","interval":"1m"})").find("\"symbol\""), std::string::npos);
    EXPECT_NE(bad(R"({"action":"subscribe","symbol":"X","interval":"7m"})").find("1s, 1m, 5m, 1h, 1d"),
              std::string::npos);
    EXPECT_NE(bad(R"({"action":"subscribe","symbol":"X"})").find("\"interval\""), std::string::npos);
    EXPECT_NE(bad(R"({"action":"subscribe","channel":"trades"})").find("\"channel\""), std::string::npos);
    EXPECT_NE(bad(R"({"action":"subscribe","symbol":")" + std::string(65, 'A') + R"(","interval":"1m"})")
                  .find("1 to 64 bytes"),
              std::string::npos);
    bad(std::string(100, '[') + std::string(100, ']')); // deeper than the parser allows
}

TEST(live_protocol, symbols_the_http_api_refuses_are_refused) {
    // Once accepted over the WebSocket while /api/v1 said 400 (issue 10, item 8).
    for (std::string_view sym :
         {R"(A\u0000B)", R"(BTC\u001b[2J)", R"(A\u007fB)", R"(A\u0085B)", "A B", R"(\ud800)"}) {
        const std::string text =
            R"({"action":"subscribe","symbol":")" + std::string(sym) + R"(","interval":"1m"})";
        EXPECT_NE(bad(text).find("\"symbol\""), std::string::npos) << text;
    }
    // Raw bytes that are not UTF-8 never get as far as a symbol.
    bad("{\"action\":\"subscribe\",\"symbol\":\"A\xff\",\"interval\":\"1m\"}");
    // What the API accepts, the stream accepts.
    EXPECT_EQ(ok(R"({"action":"subscribe","symbol":"\u20ac/USD","interval":"1m"})").symbol,
              "\xe2\x82\xac/USD");
    EXPECT_EQ(ok(R"({"action":"subscribe","symbol":"BRK.B","interval":"1m"})").symbol, "BRK.B");
}

} // namespace
} // namespace mdsp::http
