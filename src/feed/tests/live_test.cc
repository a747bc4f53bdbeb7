// The live connectors against the local fake server (fake_feed.h): no test
// here needs the network. Waits are bounded loops on observable state, never
// timing assertions.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <mutex>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "base/metrics.h"
#include "feed/binance.h"
#include "feed/internal/ws_messages.h"
#include "feed/tests/fake_feed.h"
#include "feed/twelvedata.h"

namespace mdsp::feed {
namespace {

using testing::fake_feed;

constexpr const char* key = "tdkey-MARKER-5f1c9e27";

struct collector {
    std::mutex mu;
    std::vector<model::dead_letter> dead;
    dead_letter_sink sink() {
        return [this](model::dead_letter d) {
            std::lock_guard g(mu);
            dead.push_back(std::move(d));
        };
    }
};

// Polls src until pred(all ticks so far) holds or 20 s pass.
bool poll_until(source& src, std::vector<model::tick>& all, const std::function<bool()>& pred) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
        if (pred()) {
            return true;
        }
        auto r = src.poll(all, 1000);
        EXPECT_TRUE(r.has_value());
    }
    return pred();
}

class live_test : public ::testing::Test {
protected:
    void SetUp() override {
        dir = std::filesystem::temp_directory_path()
              / ("mdsp_live_" + std::to_string(::getpid()) + "_"
                 + ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::create_directories(dir);
        fake = std::make_unique<fake_feed>(dir.string());
        log_sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(logs);
        spdlog::default_logger()->sinks().push_back(log_sink);
    }
    void TearDown() override {
        auto& sinks = spdlog::default_logger()->sinks();
        sinks.erase(std::remove(sinks.begin(), sinks.end(), log_sink), sinks.end());
        fake.reset();
        std::filesystem::remove_all(dir);
    }
    twelvedata_config td_config(std::vector<std::string> symbols) {
        twelvedata_config c;
        c.symbols = std::move(symbols);
        c.api_key = key;
        c.ws_url = fake->ws_url("/v1/quotes/price");
        c.tls.ca_file = fake->ca_file();
        c.heartbeat_ms = 100;
        c.watchdog_ms = 2'000;
        c.backoff_min_ms = 20;
        c.backoff_max_ms = 200;
        c.seed = 7;
        return c;
    }
    static size_t count_with(const std::vector<std::string>& v, const std::string& needle) {
        return std::count_if(v.begin(), v.end(),
                             [&](const std::string& s) { return s.find(needle) != std::string::npos; });
    }

    std::filesystem::path dir;
    std::unique_ptr<fake_feed> fake;
    std::ostringstream logs;
    std::shared_ptr<spdlog::sinks::ostream_sink_mt> log_sink;
};

TEST_F(live_test, twelvedata_subscribes_and_receives_prices_with_volume_deltas) {
    collector dl;
    auto src = twelvedata::create(td_config({"AAPL", "EUR/USD"}), dl.sink());
    ASSERT_TRUE(src) << src.error().what();
    std::vector<model::tick> all;
    auto count = [&](const std::string& s) {
        return std::count_if(all.begin(), all.end(), [&](const model::tick& t) { return t.symbol == s; });
    };
    ASSERT_TRUE(poll_until(**src, all, [&] { return count("AAPL") >= 3 && count("EUR/USD") >= 3; }));
    auto msgs = fake->client_messages();
    ASSERT_FALSE(msgs.empty());
    EXPECT_EQ(msgs[0], R"({"action":"subscribe","params":{"symbols":"AAPL,EUR/USD"}})");
    EXPECT_EQ(fake->api_keys(), std::vector<std::string>{key});
    int64_t prev_seq = 0;
    bool saw_delta = false;
    for (const auto& t : all) {
        EXPECT_EQ(t.source, "twelvedata");
        EXPECT_GT(t.seq(), prev_seq);
        prev_seq = t.seq();
        EXPECT_TRUE(t.day_volume.has_value());
        if (t.size) {
            EXPECT_GE(*t.size, 0);
            saw_delta = saw_delta || *t.size > 0;
        }
    }
    EXPECT_TRUE(saw_delta);
    EXPECT_TRUE(dl.dead.empty());
}

TEST_F(live_test, twelvedata_sends_heartbeats) {
    auto src = twelvedata::create(td_config({"AAPL"}), {});
    ASSERT_TRUE(src);
    std::vector<model::tick> all;
    ASSERT_TRUE(poll_until(**src, all, [&] { return fake->heartbeats() >= 3; }));
    EXPECT_EQ(count_with(fake->client_messages(), R"({"action":"heartbeat"})"),
              static_cast<size_t>(fake->heartbeats()));
}

TEST_F(live_test, twelvedata_reconnects_and_resubscribes_after_a_drop) {
    auto src = twelvedata::create(td_config({"AAPL"}), {});
    ASSERT_TRUE(src);
    std::vector<model::tick> all;
    ASSERT_TRUE(poll_until(**src, all, [&] { return all.size() >= 3; }));
    uint64_t reconnects = (*src)->stats().reconnects.value();
    fake->drop_all();
    size_t before = all.size();
    ASSERT_TRUE(poll_until(**src, all, [&] {
        return fake->ws_connections() >= 2 && count_with(fake->client_messages(), "subscribe") >= 2
               && all.size() >= before + 3;
    }));
    EXPECT_GT((*src)->stats().reconnects.value(), reconnects);
}

TEST_F(live_test, twelvedata_watchdog_catches_a_stall) {
    auto cfg = td_config({"AAPL"});
    cfg.watchdog_ms = 300;
    auto src = twelvedata::create(cfg, {});
    ASSERT_TRUE(src);
    std::vector<model::tick> all;
    ASSERT_TRUE(poll_until(**src, all, [&] { return all.size() >= 3; }));
    uint64_t fired = (*src)->stats().watchdog.value();
    fake->stall(true);
    ASSERT_TRUE(poll_until(**src, all, [&] { return (*src)->stats().watchdog.value() > fired; }));
    fake->stall(false);
    size_t before = all.size();
    ASSERT_TRUE(
        poll_until(**src, all, [&] { return fake->ws_connections() >= 2 && all.size() >= before + 3; }));
}

TEST_F(live_test, twelvedata_reports_a_refused_symbol_once_and_never_asks_again) {
    fake->refuse_symbol("NOPE");
    auto src = twelvedata::create(td_config({"AAPL", "NOPE"}), {});
    ASSERT_TRUE(src);
    std::vector<model::tick> all;
    ASSERT_TRUE(
        poll_until(**src, all, [&] { return (*src)->failed_symbols().size() == 1 && all.size() >= 2; }));
    fake->drop_all();
    ASSERT_TRUE(
        poll_until(**src, all, [&] { return count_with(fake->client_messages(), "subscribe") >= 2; }));
    EXPECT_EQ(count_with(fake->client_messages(), "NOPE"), 1u);
    EXPECT_EQ((*src)->failed_symbols(), std::vector<std::string>{"NOPE"});
    size_t n = 0;
    for (size_t p = 0; (p = logs.str().find("refused the symbol NOPE", p)) != std::string::npos; ++p) {
        ++n;
    }
    EXPECT_EQ(n, 1u);
}

TEST_F(live_test, twelvedata_dead_letters_malformed_messages_and_goes_on) {
    collector dl;
    auto src = twelvedata::create(td_config({"AAPL"}), dl.sink());
    ASSERT_TRUE(src);
    std::vector<model::tick> all;
    ASSERT_TRUE(poll_until(**src, all, [&] { return all.size() >= 2; }));
    fake->send_raw("{not json");
    fake->send_raw(R"({"event":"price","symbol":"AAPL","timestamp":1700000000,"price":-3})");
    size_t before = all.size();
    ASSERT_TRUE(poll_until(**src, all, [&] {
        std::lock_guard g(dl.mu);
        return dl.dead.size() >= 2 && all.size() >= before + 3;
    }));
    std::lock_guard g(dl.mu);
    EXPECT_EQ(dl.dead[0].error_kind, "malformed");
    EXPECT_EQ(dl.dead[0].raw, "{not json");
    EXPECT_NE(dl.dead[0].message.find("not valid JSON"), std::string::npos) << dl.dead[0].message;
    EXPECT_NE(dl.dead[1].message.find("price"), std::string::npos) << dl.dead[1].message;
    EXPECT_EQ(dl.dead[1].source_topic, "feed:twelvedata");
}

TEST_F(live_test, twelvedata_rejects_future_timestamps_or_clamps_them) {
    fake->set_future_seconds(3600);
    collector dl;
    auto src = twelvedata::create(td_config({"AAPL"}), dl.sink());
    ASSERT_TRUE(src);
    std::vector<model::tick> all;
    ASSERT_TRUE(poll_until(**src, all, [&] {
        std::lock_guard g(dl.mu);
        return dl.dead.size() >= 2;
    }));
    EXPECT_TRUE(all.empty());
    {
        std::lock_guard g(dl.mu);
        EXPECT_EQ(dl.dead[0].error_kind, "invalid");
        EXPECT_NE(dl.dead[0].message.find("in the future"), std::string::npos);
    }
    src->reset();
    auto cfg = td_config({"AAPL"});
    cfg.clamp_future = true;
    auto clamped = twelvedata::create(cfg, {});
    ASSERT_TRUE(clamped);
    ASSERT_TRUE(poll_until(**clamped, all, [&] { return all.size() >= 2; }));
    EXPECT_LE(all[0].event_time(), all[0].ingest_time());
}

TEST_F(live_test, the_api_key_appears_in_no_log_metric_or_error) {
    fake->refuse_symbol("NOPE");
    collector dl;
    auto cfg = td_config({"AAPL", "NOPE"});
    cfg.watchdog_ms = 300;
    auto src = twelvedata::create(cfg, dl.sink());
    ASSERT_TRUE(src);
    std::vector<model::tick> all;
    ASSERT_TRUE(poll_until(**src, all, [&] { return all.size() >= 2; }));
    fake->send_raw(std::string("{\"event\":\"x\",\"status\":\"error\",\"message\":\"bad key ") + key + "\"}");
    fake->send_raw(std::string("{garbage ") + key);
    uint64_t fired = (*src)->stats().watchdog.value(); // the metric is process-wide
    fake->stall(true);
    ASSERT_TRUE(poll_until(**src, all, [&] { return (*src)->stats().watchdog.value() > fired; }));
    fake->stall(false);
    ASSERT_TRUE(poll_until(**src, all, [&] { return fake->ws_connections() >= 2; }));
    size_t before = all.size();
    ASSERT_TRUE(poll_until(**src, all, [&] { return all.size() > before; }));
    fake->drop_all();
    ASSERT_TRUE(poll_until(**src, all, [&] { return fake->ws_connections() >= 3; }));
    EXPECT_EQ(fake->api_keys().front(), key); // it was sent...
    std::string l = logs.str();
    EXPECT_FALSE(l.empty());
    EXPECT_EQ(l.find(key), std::string::npos) << l; // ...and never shown
    EXPECT_EQ(metrics::global().expose().find(key), std::string::npos);
    std::lock_guard g(dl.mu);
    ASSERT_FALSE(dl.dead.empty());
    for (const auto& d : dl.dead) {
        EXPECT_EQ(d.message.find(key), std::string::npos);
        EXPECT_EQ(d.raw.find(key), std::string::npos);
    }
    for (const auto& t : all) {
        EXPECT_EQ(t.symbol.find(key), std::string::npos);
    }
}

TEST(live_config, twelvedata_without_a_key_says_what_to_set) {
    twelvedata_config c;
    c.symbols = {"AAPL"};
    auto s = twelvedata::create(c, {});
    ASSERT_FALSE(s);
    EXPECT_NE(s.error().what().find("TWELVEDATA_API_KEY"), std::string::npos);
}

TEST(live_config, plain_websocket_only_to_loopback) {
    EXPECT_FALSE(parse_ws_url("ws://example.com/x"));
    EXPECT_TRUE(parse_ws_url("ws://127.0.0.1:9/x"));
    auto u = parse_ws_url("wss://stream.binance.com:9443/stream");
    ASSERT_TRUE(u);
    EXPECT_EQ(u->port, "9443");
    EXPECT_EQ(u->target, "/stream");
    EXPECT_EQ(redact_url("wss://h/p?apikey=SECRET&x=1"), "wss://h/p?apikey=***&x=1");
}

TEST(live_config, backoff_grows_with_jitter_and_is_bounded) {
    backoff b(100, 1000, 3);
    int64_t prev_max = 0;
    for (int i = 0; i < 10; ++i) {
        int64_t base = std::min<int64_t>(1000, 100LL << std::min(i, 10));
        int64_t w = b.next_ms();
        EXPECT_GE(w, base / 2);
        EXPECT_LE(w, base);
        prev_max = std::max(prev_max, w);
    }
    EXPECT_LE(prev_max, 1000);
}

TEST_F(live_test, binance_trades_and_pongs_with_the_same_payload) {
    binance_config c;
    c.symbols = {"BTCUSDT"};
    c.ws_url = fake->ws_url("/stream");
    c.tls.ca_file = fake->ca_file();
    auto src = binance::create(c, {});
    ASSERT_TRUE(src) << src.error().what();
    std::vector<model::tick> all;
    ASSERT_TRUE(poll_until(**src, all, [&] { return all.size() >= 3; }));
    EXPECT_EQ(all[0].source, "binance");
    EXPECT_EQ(all[0].size, 0.5);
    EXPECT_TRUE(all[0].trade_id.has_value());
    EXPECT_EQ(all[0].seq(), *all[0].trade_id);
    fake->ping_all("ping-payload-42");
    ASSERT_TRUE(poll_until(**src, all, [&] {
        auto p = fake->pongs();
        return std::find(p.begin(), p.end(), "ping-payload-42") != p.end();
    }));
    EXPECT_GE((*src)->stats().pings.value(), 1u);
}

TEST_F(live_test, binance_planned_reconnect_has_no_gap_and_no_repeat) {
    binance_config c;
    c.symbols = {"btcusdt"};
    c.ws_url = fake->ws_url("/stream");
    c.tls.ca_file = fake->ca_file();
    c.max_connection_age_ms = 300;
    c.overlap_ms = 2'000;
    auto src = binance::create(c, {});
    ASSERT_TRUE(src);
    std::vector<model::tick> all;
    ASSERT_TRUE(poll_until(**src, all, [&] { return fake->ws_connections() >= 4 && all.size() >= 40; }));
    for (size_t i = 1; i < all.size(); ++i) {
        ASSERT_EQ(*all[i].trade_id, *all[i - 1].trade_id + 1) << "at " << i;
    }
    EXPECT_GT((*src)->stats().duplicates.value(), 0u); // the overlap sent repeats, all dropped
}

TEST(binance_parser, reads_a_combined_stream_trade) {
    internal::binance_parser p;
    model::tick t;
    bool maker = false;
    std::string err;
    auto r = p.parse(R"({"stream":"btcusdt@trade","data":{"e":"trade","E":1700000000001,"s":"BTCUSDT",)"
                     R"("t":12345,"p":"37000.10","q":"0.002","T":1700000000000,"m":true,"M":true}})",
                     t, maker, err);
    ASSERT_EQ(r, internal::line_outcome::tick) << err;
    EXPECT_EQ(t.symbol, "BTCUSDT");
    EXPECT_EQ(t.event_time(), 1700000000000000);
    EXPECT_EQ(t.price, 37000.10);
    EXPECT_EQ(t.size, 0.002);
    EXPECT_EQ(t.trade_id, 12345);
    EXPECT_TRUE(maker);
    EXPECT_EQ(p.parse(R"({"result":null,"id":1})", t, maker, err), internal::line_outcome::skip);
    EXPECT_EQ(p.parse(R"({"stream":"x","data":{"e":"trade","s":"X","t":1,"p":"-1","q":"1","T":1,"m":false}})",
                      t, maker, err),
              internal::line_outcome::malformed);
    EXPECT_NE(err.find("not positive"), std::string::npos);
}

TEST(twelvedata_events, subscribe_status_lists) {
    internal::twelvedata_event ev;
    std::string err;
    ASSERT_EQ(internal::parse_twelvedata_event(
                  R"({"event":"subscribe-status","status":"ok","success":[{"symbol":"AAPL"}],"fails":null})",
                  ev, err),
              internal::line_outcome::skip);
    EXPECT_EQ(ev.k, internal::twelvedata_event::kind::subscribe_status);
    EXPECT_EQ(ev.success, std::vector<std::string>{"AAPL"});
    EXPECT_TRUE(ev.fails.empty());
    EXPECT_EQ(internal::parse_twelvedata_event(R"({"event":"subscribe-status","fails":[{"x":1}]})", ev, err),
              internal::line_outcome::malformed);
}

} // namespace
} // namespace mdsp::feed
