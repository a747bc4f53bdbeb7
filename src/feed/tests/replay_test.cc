#include <cmath>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <sstream>

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "feed/replay.h"
#include "feed/tests/fake_clock.h"

namespace mdsp::feed {
namespace {

namespace fs = std::filesystem;

const std::string shared_trades = MDSP_SHARED_DIR "/data/binance-xrpeth/trades.csv";
constexpr std::string_view binance_header =
    "agg_trade_id,price,qty,first_trade_id,last_trade_id,time_ms,is_buyer_maker\n";

// A fresh folder per test, removed afterwards.
class replay_test : public ::testing::Test {
protected:
    void SetUp() override {
        auto info = ::testing::UnitTest::GetInstance()->current_test_info();
        dir = fs::temp_directory_path()
              / fmt::format("mdsp_feed_{}_{}_{}", info->name(), ::getpid(), counter++);
        fs::remove_all(dir);
        fs::create_directories(dir);
    }
    void TearDown() override { fs::remove_all(dir); }

    std::string write(const std::string& name, std::string_view text) {
        auto p = dir / name;
        fs::create_directories(p.parent_path());
        std::ofstream(p, std::ios::binary) << text;
        return p.string();
    }

    result<std::unique_ptr<replay>> open(replay_config cfg) {
        return replay::open(std::move(cfg), [this](model::dead_letter d) { dead.push_back(std::move(d)); });
    }

    // Polls to the end in batches of `batch`.
    static std::vector<model::tick> drain(replay& r, size_t batch = 1000) {
        std::vector<model::tick> out;
        for (int guard = 0; guard < 1'000'000; ++guard) {
            auto st = r.poll(out, batch);
            EXPECT_TRUE(st) << st.error().what();
            if (!st || *st == poll_status::end) {
                break;
            }
        }
        return out;
    }

    fs::path dir;
    std::vector<model::dead_letter> dead;
    static inline int counter = 0;
};

TEST_F(replay_test, shared_binance_trades) {
    replay_config cfg;
    cfg.path = shared_trades;
    auto r = open(cfg);
    ASSERT_TRUE(r) << r.error().what();
    EXPECT_EQ((*r)->format(), replay_format::binance_csv);
    EXPECT_EQ((*r)->symbol(), "XRPETH");
    const std::string canonical = fs::canonical(shared_trades).string();
    EXPECT_EQ((*r)->id(), "replay:" + canonical);
    EXPECT_EQ(*(*r)->progress(), 0.0 + static_cast<double>(binance_header.size()) / (*r)->file_size());

    auto ticks = drain(**r, 1000);
    ASSERT_EQ(ticks.size(), 12'477u);
    EXPECT_TRUE(dead.empty());
    EXPECT_EQ((*r)->malformed_lines(), 0);
    EXPECT_EQ((*r)->ticks(), 12'477);
    EXPECT_EQ((*r)->lines(), 12'478);
    EXPECT_EQ(*(*r)->progress(), 1.0);

    const auto& first = ticks.front();
    EXPECT_EQ(first.symbol, "XRPETH");
    EXPECT_EQ(first.source, "replay:" + canonical);
    EXPECT_EQ(first.seq(), 13'519'807);
    EXPECT_EQ(first.trade_id, 13'519'807);
    EXPECT_EQ(first.price, 0.00141342);
    EXPECT_EQ(first.size, 23.0);
    EXPECT_EQ(first.event_time(), 1'570'752'011'620'000);
    EXPECT_GT(first.ingest_time(), 1'600'000'000'000'000);
    const auto& last = ticks.back();
    EXPECT_EQ(last.seq(), 13'532'283);
    EXPECT_EQ(last.price, 0.00152787);
    EXPECT_EQ(last.size, 130.0);
    EXPECT_EQ(last.event_time(), 1'570'965'568'844'000);
    for (size_t i = 1; i < ticks.size(); ++i) {
        ASSERT_EQ(ticks[i].seq(), ticks[i - 1].seq() + 1); // ids are contiguous
    }
    double volume = std::accumulate(ticks.begin(), ticks.end(), 0.0,
                                    [](double s, const model::tick& t) { return s + *t.size; });
    EXPECT_NEAR(volume, 5'545'735, 1e-6);
    // After the end, end again.
    std::vector<model::tick> more;
    EXPECT_EQ(*(*r)->poll(more, 10), poll_status::end);
    EXPECT_TRUE(more.empty());
}

TEST_F(replay_test, resume_gives_exactly_the_rest) {
    replay_config cfg;
    cfg.path = shared_trades;
    auto a = open(cfg);
    ASSERT_TRUE(a);
    std::vector<model::tick> head;
    for (int i = 0; i < 5; ++i) {
        ASSERT_TRUE((*a)->poll(head, 999));
    }
    ASSERT_EQ(head.size(), 4995u);
    const std::string pos = (*a)->position();
    auto rest_a = drain(**a, 777);

    auto b = open(cfg);
    ASSERT_TRUE(b);
    ASSERT_TRUE((*b)->resume(pos)) << pos;
    auto rest_b = drain(**b, 1000);
    ASSERT_EQ(rest_b.size(), 12'477u - 4995u);
    EXPECT_EQ(rest_b.front().seq(), head.back().seq() + 1);
    ASSERT_EQ(rest_a.size(), rest_b.size());
    for (size_t i = 0; i < rest_a.size(); ++i) {
        rest_a[i].ingest_time = rest_b[i].ingest_time;
    }
    EXPECT_EQ(rest_a, rest_b);

    // The position at the end resumes to nothing.
    auto c = open(cfg);
    ASSERT_TRUE((*c)->resume((*b)->position()));
    EXPECT_TRUE(drain(**c).empty());
}

TEST_F(replay_test, resume_rejects_foreign_positions) {
    const std::string row1 = "1,10.5,2,1,1,1570752011620,true\n";
    auto p = write("binance-btcusdt/t.csv",
                   std::string(binance_header) + row1 + "2,10.6,3,2,2,1570752011621,false\n");
    replay_config cfg;
    cfg.path = p;
    auto r = open(cfg);
    ASSERT_TRUE(r);
    EXPECT_EQ((*r)->symbol(), "BTCUSDT");
    EXPECT_EQ((*r)->position(), fmt::format("{}:2", binance_header.size()));
    EXPECT_FALSE((*r)->resume("abc"));
    EXPECT_FALSE((*r)->resume("12"));
    EXPECT_FALSE((*r)->resume("-1:2"));
    EXPECT_FALSE((*r)->resume("0:1")); // inside the header
    EXPECT_FALSE((*r)->resume("100000:3"));
    auto mid = (*r)->resume(fmt::format("{}:2", binance_header.size() + 3));
    ASSERT_FALSE(mid);
    EXPECT_EQ(mid.error().code, errc::bad_format);
    EXPECT_NE(mid.error().what().find("start of a line"), std::string::npos);
    ASSERT_TRUE((*r)->resume(fmt::format("{}:3", binance_header.size() + row1.size())));
    auto ticks = drain(**r);
    ASSERT_EQ(ticks.size(), 1u);
    EXPECT_EQ(ticks[0].seq(), 2);
}

TEST_F(replay_test, binance_needs_a_symbol) {
    auto p = write("plain/t.csv", std::string(binance_header) + "1,10.5,2,1,1,1570752011620,true\n");
    replay_config cfg;
    cfg.path = p;
    auto r = open(cfg);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::bad_config);
    EXPECT_NE(r.error().what().find("symbol"), std::string::npos);
    cfg.symbol = "XRPETH";
    auto ok = open(cfg);
    ASSERT_TRUE(ok);
    EXPECT_EQ(drain(**ok).at(0).symbol, "XRPETH");
}

TEST_F(replay_test, headerless_binance_with_best_match_crlf_and_no_final_newline) {
    auto p = write("binance-ethbtc/t.csv", "5,0.05,1.5,9,9,1570752011620,true,true\r\n"
                                           "6,0.051,2,10,11,1700000000000123,false,true");
    replay_config cfg;
    cfg.path = p;
    auto r = open(cfg);
    ASSERT_TRUE(r) << r.error().what();
    auto ticks = drain(**r);
    ASSERT_EQ(ticks.size(), 2u);
    EXPECT_EQ(ticks[0].seq(), 5);
    EXPECT_EQ(ticks[0].symbol, "ETHBTC");
    EXPECT_EQ(ticks[1].event_time(), 1'700'000'000'000'123); // already microseconds
    EXPECT_TRUE(dead.empty());
    EXPECT_EQ(*(*r)->progress(), 1.0);
}

TEST_F(replay_test, malformed_lines_are_dead_lettered_and_the_replay_goes_on) {
    std::string text(binance_header);
    text += "1,0.5,1,1,1,1570752011620,true\n";  // line 2
    text += "2,abc,1,1,1,1570752011620,true\n";  // 3: bad price
    text += "3,0.5,1,1,1570752011620,true\n";    // 4: 6 fields
    text += "\n";                                // 5: empty, skipped
    text += "4,-1,1,1,1,1570752011620,true\n";   // 6: negative price
    text += "5,inf,1,1,1,1570752011620,true\n";  // 7: not finite
    text += "6,0.5,1,1,1,15707520x,true\n";      // 8: bad time
    text += "7,0.5,1,1,1,1570752011620,maybe\n"; // 9: bad flag
    text += "8,0.6,2,1,1,1570752011621,false\n"; // 10
    auto p = write("binance-xrpeth/trades.csv", text);
    replay_config cfg;
    cfg.path = p;
    auto r = open(cfg);
    ASSERT_TRUE(r);
    auto ticks = drain(**r, 2);
    ASSERT_EQ(ticks.size(), 2u);
    EXPECT_EQ(ticks[0].seq(), 1);
    EXPECT_EQ(ticks[1].seq(), 8);
    ASSERT_EQ(dead.size(), 6u);
    std::vector<int64_t> lines;
    for (const auto& d : dead) {
        lines.push_back(d.source_offset);
        EXPECT_EQ(d.source_topic, "file:" + fs::canonical(p).string());
        EXPECT_EQ(d.error_kind, "malformed");
        EXPECT_GT(d.time, 0);
    }
    EXPECT_EQ(lines, (std::vector<int64_t>{3, 4, 6, 7, 8, 9}));
    EXPECT_EQ(dead[0].message, "trades.csv:3: price 'abc' is not a number");
    EXPECT_EQ(dead[0].raw, "2,abc,1,1,1,1570752011620,true");
    EXPECT_NE(dead[1].message.find("expected 7 fields"), std::string::npos);
    EXPECT_EQ(dead[2].message, "trades.csv:6: price '-1' is not positive");
    EXPECT_EQ(dead[3].message, "trades.csv:7: price 'inf' is not a finite number");
    EXPECT_EQ(dead[4].message, "trades.csv:8: time_ms '15707520x' is not an integer");
    EXPECT_EQ(dead[5].message, "trades.csv:9: is_buyer_maker 'maybe' is not true or false");
    EXPECT_EQ((*r)->malformed_lines(), 6);
    EXPECT_EQ((*r)->skipped_lines(), 1);
}

// A file name is bytes: one that is not UTF-8 (or has a control character)
// must not make every tick's source, or every dead letter's topic and
// message, a string that Avro cannot carry.
TEST_F(replay_test, a_path_that_is_not_text_is_escaped_in_records) {
    auto p = write("odd-\xff\x1b/f\xc3.csv", "time,symbol,price\n1704153600,AAA,1\nx,AAA,1\n");
    replay_config cfg;
    cfg.path = p;
    auto r = open(cfg);
    ASSERT_TRUE(r) << r.error().what();
    auto ticks = drain(**r);
    ASSERT_EQ(ticks.size(), 1u);
    ASSERT_EQ(dead.size(), 1u);
    const std::string shown = (dir / "odd-\\xFF\\x1B/f\\xC3.csv").string();
    EXPECT_EQ(ticks[0].source, "replay:" + shown);
    EXPECT_EQ((*r)->id(), "replay:" + shown);
    EXPECT_EQ(dead[0].source_topic, "file:" + shown);
    EXPECT_EQ(dead[0].message.substr(0, 11), "f\\xC3.csv:3");
}

TEST_F(replay_test, warnings_about_malformed_lines_are_rate_limited) {
    std::string text(binance_header);
    for (int i = 0; i < 5000; ++i) {
        text += "junk\n";
    }
    auto p = write("binance-a/t.csv", text);
    std::ostringstream log;
    auto previous = spdlog::default_logger();
    auto capture =
        std::make_shared<spdlog::logger>("capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(log));
    spdlog::set_default_logger(capture);
    test::fake_clock clk;
    replay_config cfg;
    cfg.path = p;
    cfg.clock = &clk;
    auto r = open(cfg);
    std::vector<model::tick> out;
    for (int i = 0; i < 50; ++i) { // 50 polls of 100 lines, 1 s apart
        ASSERT_TRUE((*r)->poll(out, 100));
        clk.advance(1'000'000'000);
    }
    EXPECT_EQ(*(*r)->poll(out, 100), poll_status::end);
    spdlog::set_default_logger(previous);
    EXPECT_EQ(dead.size(), 5000u); // every line is dead-lettered...
    const std::string text_logged = log.str();
    const auto lines = std::count(text_logged.begin(), text_logged.end(), '\n');
    // ...but the log has 10 single lines, a notice, one summary per 5 s of
    // the 50 s, a final count and the end-of-replay line.
    EXPECT_LE(lines, 10 + 1 + 10 + 2);
    EXPECT_GE(lines, 12);
    EXPECT_NE(text_logged.find("t.csv:2: expected 7 fields"), std::string::npos);
    EXPECT_NE(text_logged.find("5000 malformed lines"), std::string::npos);
}

TEST_F(replay_test, resume_after_dead_letters_does_not_repeat_them) {
    std::string text(binance_header);
    text += "1,0.5,1,1,1,1570752011620,true\n";
    text += "bad\n";
    text += "2,0.5,1,1,1,1570752011620,true\n";
    text += "worse\n";
    text += "3,0.5,1,1,1,1570752011620,true\n";
    auto p = write("binance-a/t.csv", text);
    replay_config cfg;
    cfg.path = p;
    auto r = open(cfg);
    std::vector<model::tick> out;
    ASSERT_TRUE((*r)->poll(out, 2));
    ASSERT_EQ(out.size(), 2u);
    ASSERT_EQ(dead.size(), 1u);
    const auto pos = (*r)->position();
    dead.clear();
    auto again = open(cfg);
    ASSERT_TRUE((*again)->resume(pos));
    auto rest = drain(**again);
    ASSERT_EQ(rest.size(), 1u);
    EXPECT_EQ(rest[0].seq(), 3);
    ASSERT_EQ(dead.size(), 1u);
    EXPECT_EQ(dead[0].source_offset, 5);
}

TEST_F(replay_test, over_long_lines) {
    std::string text(binance_header);
    text += "1,0.5,1,1,1,1570752011620,true\n";
    text += std::string(200, '9') + "\n"; // line 3, over the 64-byte limit
    text += "2,0.5,1,1,1,1570752011620,true\n";
    text += std::string(100, 'x'); // line 5, over the limit, no newline
    auto p = write("binance-a/t.csv", text);
    replay_config cfg;
    cfg.path = p;
    cfg.max_line_bytes = 80;
    auto r = open(cfg);
    ASSERT_TRUE(r);
    auto ticks = drain(**r);
    ASSERT_EQ(ticks.size(), 2u);
    ASSERT_EQ(dead.size(), 2u);
    EXPECT_EQ(dead[0].source_offset, 3);
    EXPECT_EQ(dead[0].raw, std::string(200, '9'));
    EXPECT_NE(dead[0].message.find("200 bytes"), std::string::npos);
    EXPECT_EQ(dead[1].source_offset, 5);
    EXPECT_EQ(*(*r)->progress(), 1.0);
}

TEST_F(replay_test, one_mebibyte_line_bound) {
    std::string text(binance_header);
    text += std::string((size_t{1} << 20) + 1000, '7') + "\n"; // crosses several reads
    text += "2,0.5,1,1,1,1570752011620,true\n";
    auto p = write("binance-a/t.csv", text);
    replay_config cfg;
    cfg.path = p;
    auto r = open(cfg);
    auto ticks = drain(**r);
    ASSERT_EQ(ticks.size(), 1u);
    EXPECT_EQ(ticks[0].seq(), 2);
    ASSERT_EQ(dead.size(), 1u);
    EXPECT_EQ(dead[0].source_offset, 2);
    EXPECT_EQ(dead[0].raw.size(), 64u * 1024u); // only the start is kept
    EXPECT_NE(dead[0].message.find(std::to_string((size_t{1} << 20) + 1000) + " bytes"), std::string::npos);
}

TEST_F(replay_test, generic_csv) {
    auto p = write("ticks.csv", "\xEF\xBB\xBFtime,symbol,price,size\n"
                                "2024-01-02T03:04:05.123456Z,AAPL,189.5,100\n"
                                "1700000000,\"EUR/USD\",1.0845,\n"
                                "1700000000123,MSFT,400.25,7\n"
                                "1700000000123456,MSFT,400.5,\n"
                                "yesterday,MSFT,400.5,1\n"
                                "1700000000,,400.5,1\n"
                                "1700000000,MSFT,400.5,-2\n"
                                "1700000001,BTC/USD,60000\n");
    replay_config cfg;
    cfg.path = p;
    auto r = open(cfg);
    ASSERT_TRUE(r) << r.error().what();
    EXPECT_EQ((*r)->format(), replay_format::generic_csv);
    auto t = drain(**r);
    ASSERT_EQ(t.size(), 5u);
    EXPECT_EQ(t[0].symbol, "AAPL");
    EXPECT_EQ(t[0].event_time(), 1'704'164'645'123'456);
    EXPECT_EQ(t[0].price, 189.5);
    EXPECT_EQ(t[0].size, 100.0);
    EXPECT_EQ(t[0].seq(), 2);
    EXPECT_EQ(t[1].symbol, "EUR/USD");
    EXPECT_EQ(t[1].event_time(), 1'700'000'000'000'000);
    EXPECT_FALSE(t[1].size);
    EXPECT_EQ(t[2].event_time(), 1'700'000'000'123'000);
    EXPECT_EQ(t[3].event_time(), 1'700'000'000'123'456);
    EXPECT_EQ(t[4].symbol, "BTC/USD");
    EXPECT_FALSE(t[4].size);
    EXPECT_EQ(t[4].seq(), 9);
    ASSERT_EQ(dead.size(), 3u);
    EXPECT_EQ(dead[0].message,
              "ticks.csv:6: time 'yesterday' is not a time (ISO 8601, or a Unix time in s, ms, us or ns)");
    EXPECT_EQ(dead[1].message, "ticks.csv:7: symbol is empty");
    EXPECT_EQ(dead[2].message, "ticks.csv:8: size '-2' is negative");
}

TEST_F(replay_test, generic_csv_column_order_and_symbol_option) {
    auto p = write("x.csv", "price,venue,time\n1.5,X,2024-01-01\n");
    replay_config cfg;
    cfg.path = p;
    auto no_symbol = open(cfg);
    ASSERT_FALSE(no_symbol);
    EXPECT_EQ(no_symbol.error().code, errc::bad_config);
    cfg.symbol = "ABC";
    auto r = open(cfg);
    ASSERT_TRUE(r) << r.error().what();
    auto t = drain(**r);
    ASSERT_EQ(t.size(), 1u);
    EXPECT_EQ(t[0].symbol, "ABC");
    EXPECT_EQ(t[0].price, 1.5);
    EXPECT_EQ(t[0].event_time(), 1'704'067'200'000'000);
}

TEST_F(replay_test, twelvedata_json_lines) {
    auto p = write(
        "td.jsonl",
        R"({"event":"subscribe-status","status":"ok","success":[{"symbol":"AAPL"}],"fails":[]})"
        "\n"
        R"({"event":"price","symbol":"AAPL","currency":"USD","exchange":"NASDAQ","mic_code":"XNGS","type":"Common Stock","timestamp":1700000000,"price":189.5,"bid":189.4,"ask":189.6,"day_volume":1234567})"
        "\n"
        R"({"event":"heartbeat","status":"ok"})"
        "\n"
        R"({"event":"price","symbol":"EUR/USD","currency_base":"Euro","type":"Physical Currency","timestamp":1700000001,"price":1.0845})"
        "\n"
        R"({"event":"price","symbol":"AAPL","timestamp":1700000002,"price":"abc"})"
        "\n"
        R"({"event":"price","symbol":"AAPL","timestamp":1700000002)"
        "\n"
        R"({"symbol":"AAPL","price":1})"
        "\n"
        R"({"event":"price","symbol":"AAPL","timestamp":1700000003.25,"price":190})"
        "\n");
    replay_config cfg;
    cfg.path = p;
    auto r = open(cfg);
    ASSERT_TRUE(r) << r.error().what();
    EXPECT_EQ((*r)->format(), replay_format::json_lines);
    auto t = drain(**r);
    ASSERT_EQ(t.size(), 3u);
    EXPECT_EQ(t[0].symbol, "AAPL");
    EXPECT_EQ(t[0].seq(), 2);
    EXPECT_EQ(t[0].event_time(), 1'700'000'000'000'000);
    EXPECT_EQ(t[0].price, 189.5);
    EXPECT_EQ(t[0].bid, 189.4);
    EXPECT_EQ(t[0].ask, 189.6);
    EXPECT_EQ(t[0].day_volume, 1234567.0);
    EXPECT_EQ(t[0].currency, "USD");
    EXPECT_EQ(t[0].exchange, "NASDAQ");
    EXPECT_EQ(t[0].mic_code, "XNGS");
    EXPECT_EQ(t[0].asset_type, "Common Stock");
    EXPECT_FALSE(t[0].size);
    EXPECT_EQ(t[1].symbol, "EUR/USD");
    EXPECT_EQ(t[1].asset_type, "Physical Currency");
    EXPECT_FALSE(t[1].currency);
    EXPECT_FALSE(t[1].bid);
    EXPECT_EQ(t[1].seq(), 4);
    EXPECT_EQ(t[2].event_time(), 1'700'000'003'250'000);
    EXPECT_EQ(t[2].seq(), 8);
    ASSERT_EQ(dead.size(), 3u);
    EXPECT_EQ(dead[0].message, "td.jsonl:5: price 'abc' is not a number");
    EXPECT_EQ(dead[1].source_offset, 6);
    EXPECT_NE(dead[1].message.find("not valid JSON"), std::string::npos);
    EXPECT_EQ(dead[2].source_offset, 7);
    EXPECT_EQ((*r)->skipped_lines(), 2);
}

TEST_F(replay_test, format_detection_and_open_errors) {
    EXPECT_EQ(detect_replay_format(binance_header.substr(0, binance_header.size() - 1)),
              replay_format::binance_csv);
    EXPECT_EQ(detect_replay_format("time,symbol,price,size"), replay_format::generic_csv);
    EXPECT_EQ(detect_replay_format("time,symbol,price"), replay_format::generic_csv);
    EXPECT_EQ(detect_replay_format("  {\"event\":\"price\"}"), replay_format::json_lines);
    EXPECT_EQ(detect_replay_format("a,b,c"), std::nullopt);
    EXPECT_EQ(parse_replay_format("csv"), replay_format::generic_csv);
    EXPECT_EQ(parse_replay_format(to_string(replay_format::json_lines)), replay_format::json_lines);
    EXPECT_EQ(parse_replay_format("xml"), std::nullopt);

    replay_config cfg;
    cfg.path = (dir / "missing.csv").string();
    EXPECT_EQ(open(cfg).error().code, errc::not_found);
    cfg.path = write("odd.csv", "hello,world\n");
    auto odd = open(cfg);
    ASSERT_FALSE(odd);
    EXPECT_EQ(odd.error().code, errc::bad_format);
    EXPECT_NE(odd.error().what().find("'hello,world'"), std::string::npos);
    cfg.path = write("empty.csv", "");
    EXPECT_EQ(open(cfg).error().code, errc::bad_format);
    cfg.format = replay_format::json_lines;
    auto empty = open(cfg);
    ASSERT_TRUE(empty);
    EXPECT_TRUE(drain(**empty).empty());
    cfg.path = write("forced.csv", "hello,world\n");
    cfg.format = replay_format::generic_csv;
    EXPECT_EQ(open(cfg).error().code, errc::bad_format);
    cfg.format = replay_format::automatic;
    cfg.speed = -1;
    EXPECT_EQ(open(cfg).error().code, errc::bad_config);
    cfg.speed = 1e-300;
    EXPECT_EQ(open(cfg).error().code, errc::bad_config);
    cfg.path = dir.string();
    cfg.speed = 0;
    EXPECT_EQ(open(cfg).error().code, errc::bad_config);
}

TEST_F(replay_test, paced_by_event_time_gaps) {
    // Event times 0, 1, 1, 3 and 10 s after the first; at speed 2 they are due
    // 0, 0.5, 0.5, 1.5 and 5 s after the first tick went out.
    auto p = write("paced.csv", "time,symbol,price\n"
                                "1700000000,A,1\n1700000001,A,2\n1700000001,A,3\n"
                                "1700000003,A,4\nbad,A,5\n1700000010,A,6\n");
    test::fake_clock clk;
    replay_config cfg;
    cfg.path = p;
    cfg.speed = 2;
    cfg.clock = &clk;
    auto r = open(cfg);
    ASSERT_TRUE(r);
    const int64_t t0 = clk.mono;
    std::vector<std::pair<int64_t, std::vector<double>>> batches; // when, prices
    std::vector<model::tick> out;
    int polls = 0;
    for (; polls < 1000; ++polls) {
        out.clear();
        const int64_t before = clk.mono;
        auto st = (*r)->poll(out, 100);
        ASSERT_TRUE(st);
        if (*st == poll_status::end) {
            break;
        }
        EXPECT_LE(clk.mono - before, 100'000'000); // a poll waits at most 100 ms
        if (!out.empty()) {
            std::vector<double> prices;
            for (const auto& t : out) {
                prices.push_back(t.price);
                EXPECT_EQ(t.ingest_time(), clk.wall_micros());
            }
            batches.emplace_back(clk.mono - t0, prices);
        }
    }
    ASSERT_EQ(batches.size(), 4u);
    EXPECT_EQ(batches[0], (std::pair<int64_t, std::vector<double>>{0, {1}}));
    EXPECT_EQ(batches[1], (std::pair<int64_t, std::vector<double>>{500'000'000, {2, 3}}));
    EXPECT_EQ(batches[2], (std::pair<int64_t, std::vector<double>>{1'500'000'000, {4}}));
    EXPECT_EQ(batches[3], (std::pair<int64_t, std::vector<double>>{5'000'000'000, {6}}));
    EXPECT_EQ(dead.size(), 1u);
    EXPECT_EQ((*r)->ticks(), 5);
}

TEST_F(replay_test, paced_position_excludes_the_waiting_tick) {
    auto p = write("p.csv", "time,symbol,price\n1700000000,A,1\n1700000100,A,2\n");
    test::fake_clock clk;
    replay_config cfg;
    cfg.path = p;
    cfg.speed = 1;
    cfg.clock = &clk;
    auto r = open(cfg);
    std::vector<model::tick> out;
    ASSERT_TRUE((*r)->poll(out, 10));
    ASSERT_TRUE((*r)->poll(out, 10)); // tick 2 is parsed but 100 s away
    ASSERT_EQ(out.size(), 1u);
    const auto pos = (*r)->position();
    EXPECT_EQ(pos, fmt::format("{}:3", std::string_view("time,symbol,price\n1700000000,A,1\n").size()));
    auto again = open(cfg);
    ASSERT_TRUE((*again)->resume(pos));
    std::vector<model::tick> rest;
    ASSERT_TRUE((*again)->poll(rest, 10));
    ASSERT_EQ(rest.size(), 1u); // the first tick after a resume goes out at once
    EXPECT_EQ(rest[0].price, 2);
}

} // namespace
} // namespace mdsp::feed
