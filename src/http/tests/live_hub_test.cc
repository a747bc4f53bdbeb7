// The live push end to end over real sockets: a Beast WebSocket client
// against the server with the hub attached.
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "http/json.h"
#include "http/live_hub.h"
#include "testing/http_client.h"

namespace mdsp::http {
namespace {

namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
using tcp = boost::asio::ip::tcp;

model::candle candle_at(std::string symbol, int64_t window_start_us, double close, bool final) {
    model::candle c;
    c.symbol = std::move(symbol);
    c.interval = model::interval(60'000'000);
    c.window_start = event_time(window_start_us);
    c.open = c.high = c.low = 100;
    c.close = close;
    c.high = std::max(c.high, close);
    c.volume = 1;
    c.vwap = 100;
    c.trade_count = 1;
    c.first_event_time = c.window_start;
    c.last_event_time = c.window_start;
    c.final = final;
    return c;
}

// A blocking WebSocket client; receive_buffer shrinks the socket's kernel
// buffer, so that a client that stops reading backs up quickly.
class ws_client {
public:
    explicit ws_client(uint16_t port, int receive_buffer = 0)
      : _ws(_ioc) {
        auto& s = _ws.next_layer();
        s.open(tcp::v4());
        if (receive_buffer > 0) {
            s.set_option(boost::asio::socket_base::receive_buffer_size(receive_buffer));
        }
        s.connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
        _ws.handshake("127.0.0.1", "/api/v1/stream");
    }

    void send(const std::string& text) { _ws.write(boost::asio::buffer(text)); }

    boost::json::object next() {
        beast::flat_buffer b;
        _ws.read(b);
        return boost::json::parse(beast::buffers_to_string(b.data())).as_object();
    }

    websocket::stream<tcp::socket>& ws() { return _ws; }

private:
    boost::asio::io_context _ioc;
    websocket::stream<tcp::socket> _ws;
};

class live_hub_test : public ::testing::Test {
protected:
    void start(live_config cfg = {}) {
        _hub = std::make_unique<live_hub>(std::move(cfg));
        server_config sc;
        sc.port = 0;
        _srv = std::make_unique<server>(sc);
        _hub->attach(*_srv);
        ASSERT_TRUE(_srv->start());
        _port = _srv->port();
    }

    // Waits for a condition the server reaches by itself (a bounded number of
    // polls, no timing asserted).
    template<typename F>
    bool eventually(F f) {
        for (int i = 0; i < 3000; ++i) {
            if (f()) {
                return true;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return false;
    }

    std::unique_ptr<live_hub> _hub;
    std::unique_ptr<server> _srv;
    uint16_t _port = 0;
};

TEST_F(live_hub_test, a_run_of_fillers_is_one_message_however_long) {
    start();
    ws_client c(_port);
    c.send(R"({"action":"subscribe","symbol":"BTC/USD","interval":"1m"})");
    EXPECT_EQ(c.next()["type"], "subscribed");
    model::filler_run run;
    run.symbol = "BTC/USD";
    run.interval = model::interval(60'000'000);
    run.first = event_time(120'000'000);
    run.count = 44'640; // a month of minutes
    run.close = 101.5;
    run.final = true;
    model::filler_run other = run;
    other.symbol = "AAPL";
    std::vector<model::filler_run> runs{other, run};
    _hub->publish({}, runs, {});
    auto m = c.next();
    EXPECT_EQ(m["type"], "fillers");
    EXPECT_EQ(m["symbol"], "BTC/USD");
    EXPECT_EQ(m["interval"], "1m");
    EXPECT_EQ(m["from"], "1970-01-01T00:02:00.000000Z");
    EXPECT_EQ(m["time"], 120);
    EXPECT_EQ(m["count"], 44'640);
    EXPECT_EQ(m["close"].to_number<double>(), 101.5);
    EXPECT_EQ(m["final"], true);
}

TEST_F(live_hub_test, subscribers_get_their_series_and_latest_ticks_only) {
    start();
    ws_client c(_port);
    c.send(R"({"action":"subscribe","symbol":"BTC/USD","interval":"1m"})");
    auto ack = c.next();
    EXPECT_EQ(ack["type"], "subscribed");
    EXPECT_EQ(ack["symbol"], "BTC/USD");
    c.send(R"({"action":"subscribe","channel":"latest"})");
    EXPECT_EQ(c.next()["channel"], "latest");

    model::tick t;
    t.symbol = "ETH/USD";
    t.source = "sim";
    t.price = 3000;
    std::vector<model::candle> cs{candle_at("AAPL", 0, 1, true),
                                  candle_at("BTC/USD", 60'000'000, 101, false)};
    std::vector<model::tick> ts{t};
    _hub->publish(cs, {}, ts);

    auto m1 = c.next();
    EXPECT_EQ(m1["type"], "candle");
    EXPECT_EQ(m1["symbol"], "BTC/USD");
    EXPECT_EQ(m1["interval"], "1m");
    EXPECT_EQ(m1["candle"].as_object().at("close").to_number<double>(), 101);
    EXPECT_EQ(m1["candle"].as_object().at("final"), false);
    EXPECT_EQ(m1["candle"].as_object().at("window_start"), "1970-01-01T00:01:00.000000Z");
    auto m2 = c.next();
    EXPECT_EQ(m2["type"], "latest");
    EXPECT_EQ(m2["tick"].as_object().at("symbol"), "ETH/USD");

    c.send("{bad");
    auto err = c.next();
    EXPECT_EQ(err["type"], "error");
    EXPECT_NE(std::string(err["message"].as_string()).find("not JSON"), std::string::npos);
    EXPECT_EQ(_hub->stats().clients, 1u);
}

TEST_F(live_hub_test, plain_get_is_told_to_upgrade_and_extra_clients_are_refused) {
    live_config cfg;
    cfg.max_clients = 1;
    start(cfg);
    auto r = testing::get(_port, "/api/v1/stream");
    EXPECT_EQ(r.status, 426u);
    EXPECT_EQ(r.json().at("error"), "upgrade_required");
    ws_client first(_port);
    EXPECT_THROW(ws_client second(_port), beast::system_error);
    EXPECT_EQ(_hub->stats().refused, 1u);
}

TEST_F(live_hub_test, oversized_client_message_closes_with_too_big) {
    live_config cfg;
    cfg.max_message_bytes = 256;
    start(cfg);
    ws_client c(_port);
    c.send(std::string(1000, ' '));
    beast::flat_buffer b;
    beast::error_code ec;
    c.ws().read(b, ec);
    EXPECT_EQ(ec, websocket::error::closed);
    EXPECT_EQ(c.ws().reason().code, websocket::close_code::too_big);
}

// A client that never reads while final candles keep coming: its queue stops
// at max_pending_must and it is closed; it never holds more than that.
TEST_F(live_hub_test, slow_client_is_closed_at_its_bound_instead_of_growing) {
    live_config cfg;
    cfg.max_pending_must = 64;
    start(cfg);
    ws_client slow(_port, 4096);
    slow.send(R"({"action":"subscribe","symbol":"BTC/USD","interval":"1m"})");
    EXPECT_EQ(slow.next()["type"], "subscribed");
    // Far more than the socket buffers can take; stops once the hub gives up.
    int64_t published = 0;
    for (int64_t w = 0; w < 2'000'000 && _hub->stats().closed_slow == 0; ++w) {
        std::vector<model::candle> cs{candle_at("BTC/USD", w * 60'000'000, 100, true)};
        _hub->publish(cs, {}, {});
        ++published;
    }
    auto s = _hub->stats();
    EXPECT_EQ(s.closed_slow, 1u) << "after " << published << " finals";
    EXPECT_LE(s.max_pending_must, 64u);
    EXPECT_GT(published, 64);
    EXPECT_TRUE(eventually([&] { return _hub->stats().clients == 0; }));
    // Publishing on goes nowhere and costs nothing.
    std::vector<model::candle> more{candle_at("BTC/USD", 0, 1, true)};
    uint64_t queued = _hub->stats().messages_queued;
    _hub->publish(more, {}, {});
    EXPECT_EQ(_hub->stats().messages_queued, queued);
}

// Forming updates of one window for a client that does not read: they
// coalesce to one waiting message and the client stays; once it reads, the
// newest state arrives.
TEST_F(live_hub_test, slow_client_skips_forming_states_but_keeps_the_newest) {
    start();
    ws_client slow(_port, 4096);
    slow.send(R"({"action":"subscribe","symbol":"BTC/USD","interval":"1m"})");
    EXPECT_EQ(slow.next()["type"], "subscribed");
    const int n = 200'000;
    for (int i = 1; i <= n; ++i) {
        std::vector<model::candle> cs{candle_at("BTC/USD", 0, 100 + i, false)};
        _hub->publish(cs, {}, {});
    }
    std::vector<model::candle> fin{candle_at("BTC/USD", 0, 100 + n, true)};
    _hub->publish(fin, {}, {});
    auto s = _hub->stats();
    EXPECT_EQ(s.closed_slow, 0u);
    EXPECT_LE(s.max_pending_updates, 1u);
    EXPECT_GT(s.updates_coalesced, 0u);
    // Reads until the final; the forming states seen are increasing and far
    // fewer than published.
    int seen = 0;
    double last = 0;
    for (;;) {
        auto m = slow.next();
        auto& c = m["candle"].as_object();
        double close = c.at("close").to_number<double>();
        EXPECT_GE(close, last);
        last = close;
        if (c.at("final").as_bool()) {
            break;
        }
        ++seen;
    }
    EXPECT_EQ(last, 100 + n);
    EXPECT_LT(seen, n);
    EXPECT_EQ(_hub->stats().clients, 1u);
}

} // namespace
} // namespace mdsp::http
