#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/time.h"
#include "model/codec.h"

namespace mdsp::model {
namespace {

using ::testing::HasSubstr;

std::string bytes(std::initializer_list<uint8_t> b) {
    return std::string(b.begin(), b.end());
}

tick full_tick() {
    tick t;
    t.symbol = "EUR/USD";
    t.source = "twelvedata";
    t.exchange = "PHYSICAL CURRENCY";
    t.mic_code = "XNGS";
    t.asset_type = "Physical Currency";
    t.currency = "US Dollar \xe2\x82\xac";
    t.event_time = mdsp::event_time(1'570'752'000'123'456);
    t.ingest_time = mdsp::ingest_time(1'570'752'000'223'456);
    t.price = 1.10345;
    t.size = 0.0;
    t.day_volume = 123456789.25;
    t.bid = 1.1034;
    t.ask = 1.1035;
    t.trade_id = std::numeric_limits<int64_t>::min();
    t.seq = mdsp::sequence(42);
    return t;
}

tick minimal_tick() {
    tick t;
    t.symbol = "XRPETH";
    t.source = "replay:/x/trades.csv";
    t.event_time = mdsp::event_time(-1);
    t.ingest_time = mdsp::ingest_time(0);
    t.price = -0.0;
    return t;
}

candle full_candle() {
    candle c;
    c.symbol = "AAPL";
    c.interval = interval(5 * micros_per_minute);
    c.window_start = mdsp::event_time(1'570'752'000'000'000);
    c.open = 227.01;
    c.high = 228.5;
    c.low = 226.75;
    c.close = 228.0;
    c.volume = 1e6 + 0.5;
    c.vwap = 227.6;
    c.trade_count = 1234;
    c.first_event_time = mdsp::event_time(1'570'752'000'000'001);
    c.last_event_time = mdsp::event_time(1'570'752'299'999'999);
    c.final = true;
    c.revision = 3;
    return c;
}

dead_letter full_dead_letter() {
    dead_letter d;
    d.source_topic = "market.ticks";
    d.source_partition = 7;
    d.source_offset = 123456789012;
    d.error_kind = "decode";
    d.message = "tick.size: union branch 5 ...";
    for (int i = 0; i < 256; ++i) {
        d.raw.push_back(static_cast<char>(i));
    }
    d.time = 1'570'752'000'000'000;
    return d;
}

template<typename T>
std::string encoded(const T& v) {
    std::string out;
    encode(v, out);
    return out;
}

TEST(codec, tick_round_trips_with_all_optionals_set_and_unset) {
    for (const tick& t : {full_tick(), minimal_tick()}) {
        auto back = decode_tick(encoded(t));
        ASSERT_TRUE(back) << back.error().what();
        EXPECT_EQ(*back, t);
    }
    // Each optional alone.
    for (int i = 0; i < 9; ++i) {
        tick t = minimal_tick();
        tick f = full_tick();
        switch (i) {
        case 0:
            t.exchange = f.exchange;
            break;
        case 1:
            t.mic_code = f.mic_code;
            break;
        case 2:
            t.asset_type = f.asset_type;
            break;
        case 3:
            t.currency = f.currency;
            break;
        case 4:
            t.size = f.size;
            break;
        case 5:
            t.day_volume = f.day_volume;
            break;
        case 6:
            t.bid = f.bid;
            break;
        case 7:
            t.ask = f.ask;
            break;
        case 8:
            t.trade_id = f.trade_id;
            break;
        }
        auto back = decode_tick(encoded(t));
        ASSERT_TRUE(back) << back.error().what();
        EXPECT_EQ(*back, t) << "optional #" << i;
    }
}

TEST(codec, candle_round_trips) {
    candle open_window = full_candle();
    open_window.final = false;
    open_window.revision = 0;
    candle odd = full_candle();
    odd.interval = interval(90 * micros_per_second); // not one of the common names
    candle tiny = full_candle();
    tiny.interval = interval(250);
    for (const candle& c : {full_candle(), open_window, odd, tiny, candle{}}) {
        auto back = decode_candle(encoded(c));
        ASSERT_TRUE(back) << back.error().what();
        EXPECT_EQ(*back, c);
    }
}

TEST(codec, candle_interval_is_its_name) {
    std::string b = encoded(full_candle());
    EXPECT_EQ(b.substr(0, 8), bytes({0x08, 'A', 'A', 'P', 'L', 0x04, '5', 'm'}));
}

TEST(codec, dead_letter_round_trips) {
    dead_letter empty;
    dead_letter big = full_dead_letter();
    big.raw.assign(max_string_bytes + 1, 'x'); // over the string limit, under raw's
    for (const dead_letter& d : {full_dead_letter(), empty, big}) {
        auto back = decode_dead_letter(encoded(d));
        ASSERT_TRUE(back) << back.error().what();
        EXPECT_EQ(*back, d);
    }
}

// Hand-computed from the Avro 1.11 spec, byte by byte.
TEST(codec, tick_golden_bytes) {
    tick t;
    t.symbol = "XRPETH";
    t.source = "sim";
    t.mic_code = "XNGS";
    t.event_time = mdsp::event_time(1'000'000);                  // zigzag 2000000 = 0x1e8480
    t.ingest_time = mdsp::ingest_time(-65);                      // zigzag 129
    t.price = 1.5;                                               // 0x3ff8000000000000
    t.size = 2.0;                                                // 0x4000000000000000
    t.bid = -0.25;                                               // 0xbfd0000000000000
    t.trade_id = 300;                                            // zigzag 600 = 0x258
    t.seq = mdsp::sequence(std::numeric_limits<int64_t>::max()); // zigzag 2^64-2
    std::string want = bytes({
        0x0c, 'X',  'R',  'P',  'E',  'T',  'H',                    // symbol: length 6
        0x06, 's',  'i',  'm',                                      // source: length 3
        0x00,                                                       // exchange: null
        0x02, 0x08, 'X',  'N',  'G',  'S',                          // mic_code: branch 1, length 4
        0x00,                                                       // asset_type: null
        0x00,                                                       // currency: null
        0x80, 0x89, 0x7a,                                           // event_time
        0x81, 0x01,                                                 // ingest_time
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf8, 0x3f,             // price
        0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x40,       // size
        0x00,                                                       // day_volume: null
        0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xd0, 0xbf,       // bid
        0x00,                                                       // ask: null
        0x02, 0xd8, 0x04,                                           // trade_id
        0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, // seq
    });
    EXPECT_EQ(encoded(t), want);
    auto back = decode_tick(want);
    ASSERT_TRUE(back) << back.error().what();
    EXPECT_EQ(*back, t);
}

TEST(codec, encode_appends) {
    std::string out = "head";
    encode(minimal_tick(), out);
    EXPECT_EQ(out, "head" + encoded(minimal_tick()));
}

// keep_last: the trailing bytes that are fields added to the schema since
// (with defaults): a record cut right before them is an older record.
template<typename T, typename Decode>
void expect_every_cut_truncated(const T& v, Decode decode_fn, size_t keep_last = 0) {
    std::string b = encoded(v);
    for (size_t cut = 0; cut < b.size(); ++cut) {
        if (cut == b.size() - keep_last) {
            continue;
        }
        // A copy of exactly the prefix, so ASan sees any read past it.
        std::string prefix = b.substr(0, cut);
        auto r = decode_fn(prefix);
        ASSERT_FALSE(r) << "a " << cut << "-byte prefix of " << b.size() << " decoded";
        EXPECT_EQ(r.error().code, errc::truncated) << r.error().message;
    }
}

TEST(codec, truncated_input_fails_at_every_cut_point) {
    expect_every_cut_truncated(full_tick(), decode_tick);
    expect_every_cut_truncated(minimal_tick(), decode_tick);
    expect_every_cut_truncated(full_candle(), decode_candle, 1); // spike came later (test below)
    expect_every_cut_truncated(full_dead_letter(), decode_dead_letter);
}

TEST(codec, trailing_bytes_fail) {
    for (std::string extra : {std::string(1, '\0'), std::string("xyz")}) {
        auto t = decode_tick(encoded(full_tick()) + extra);
        ASSERT_FALSE(t);
        EXPECT_EQ(t.error().code, errc::trailing_bytes);
        EXPECT_THAT(t.error().message, HasSubstr("tick"));
        auto c = decode_candle(encoded(full_candle()) + extra);
        ASSERT_FALSE(c);
        EXPECT_EQ(c.error().code, errc::trailing_bytes);
        auto d = decode_dead_letter(encoded(full_dead_letter()) + extra);
        ASSERT_FALSE(d);
        EXPECT_EQ(d.error().code, errc::trailing_bytes);
    }
}

TEST(codec, bad_union_index_names_the_field) {
    tick t = minimal_tick();
    std::string b = encoded(t);
    // minimal_tick: symbol (1 + 6), source (1 + 20), then exchange's branch.
    size_t exchange_at = 1 + t.symbol.size() + 1 + t.source.size();
    ASSERT_EQ(b[exchange_at], 0x00);
    b[exchange_at] = 0x04; // branch 2
    auto r = decode_tick(b);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::bad_union_index);
    EXPECT_THAT(r.error().message, HasSubstr("tick.exchange"));

    b[exchange_at] = 0x01; // branch -1
    r = decode_tick(b);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::bad_union_index);

    // trade_id's branch is the byte before seq (one byte for 0).
    std::string b2 = encoded(t);
    ASSERT_EQ(b2[b2.size() - 2], 0x00);
    b2[b2.size() - 2] = 0x06;
    r = decode_tick(b2);
    ASSERT_FALSE(r);
    EXPECT_THAT(r.error().message, HasSubstr("tick.trade_id"));
}

TEST(codec, negative_and_huge_lengths_fail) {
    // symbol with length -1, and with a length of 2^62.
    auto neg = decode_tick(bytes({0x01}) + encoded(minimal_tick()).substr(7));
    ASSERT_FALSE(neg);
    EXPECT_EQ(neg.error().code, errc::bad_length);
    EXPECT_THAT(neg.error().message, HasSubstr("tick.symbol"));

    auto huge = decode_tick(bytes({0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01}) + "XRPETH");
    ASSERT_FALSE(huge);
    EXPECT_EQ(huge.error().code, errc::bad_length);

    // A string over the 1 MiB limit, although all its bytes are present.
    tick t = minimal_tick();
    t.source.assign(max_string_bytes + 1, 's');
    auto over = decode_tick(encoded(t));
    ASSERT_FALSE(over);
    EXPECT_EQ(over.error().code, errc::bad_length);
    EXPECT_THAT(over.error().message, HasSubstr("tick.source"));

    // dead_letter.raw may be longer than a string, but not longer than 8 MiB;
    // the limit is checked before the (missing) bytes.
    dead_letter d = full_dead_letter();
    d.raw.clear();
    d.time = 0;
    std::string b = encoded(d);
    std::string head = b.substr(0, b.size() - 2);                  // drop raw's length (0x00) and time (0x00)
    std::string over_raw = head + bytes({0x80, 0x80, 0x80, 0x09}); // zigzag(9 MiB)
    auto dr = decode_dead_letter(over_raw);
    ASSERT_FALSE(dr);
    EXPECT_EQ(dr.error().code, errc::bad_length);
    EXPECT_THAT(dr.error().message, HasSubstr("dead_letter.raw"));
}

TEST(codec, strings_must_be_utf8) {
    tick t = minimal_tick();
    t.symbol = "XRP\xff"
               "ETH";
    auto r = decode_tick(encoded(t));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::bad_utf8);
    EXPECT_THAT(r.error().message, HasSubstr("tick.symbol"));
}

TEST(codec, candle_with_an_unknown_interval_fails) {
    for (std::string_view bad : {"0m", "abc", "", "1y", "-5m"}) {
        std::string b = bytes({0x08, 'A', 'A', 'P', 'L'});
        b += static_cast<char>(bad.size() * 2);
        b += bad;
        b += encoded(full_candle()).substr(8);
        auto r = decode_candle(b);
        ASSERT_FALSE(r) << bad;
        EXPECT_EQ(r.error().code, errc::bad_value);
        EXPECT_THAT(r.error().message, HasSubstr("candle.interval"));
    }
    // TwelveData's spelling decodes (and re-encodes as ours).
    std::string b =
        bytes({0x08, 'A', 'A', 'P', 'L', 0x08, '5', 'm', 'i', 'n'}) + encoded(full_candle()).substr(8);
    auto r = decode_candle(b);
    ASSERT_TRUE(r) << r.error().what();
    EXPECT_EQ(*r, full_candle());
}

TEST(codec, candle_final_must_be_a_boolean) {
    std::string b = encoded(full_candle());
    // final is the byte before revision (3 -> one byte 0x06), backfilled and spike.
    ASSERT_EQ(b[b.size() - 4], 0x01);
    b[b.size() - 4] = 0x02;
    auto r = decode_candle(b);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::bad_boolean);
    EXPECT_THAT(r.error().message, HasSubstr("candle.final"));
    b = encoded(full_candle());
    b[b.size() - 2] = 0x05;
    r = decode_candle(b);
    ASSERT_FALSE(r);
    EXPECT_THAT(r.error().message, HasSubstr("candle.backfilled"));
    b = encoded(full_candle());
    b.back() = 0x05;
    r = decode_candle(b);
    ASSERT_FALSE(r);
    EXPECT_THAT(r.error().message, HasSubstr("candle.spike"));
}

// spike came with a later schema version: a candle written before it (no
// last byte) decodes with the default, a spiked one round-trips.
TEST(codec, candle_spike_round_trips_and_defaults_for_older_records) {
    candle c = full_candle();
    c.spike = true;
    std::string b = encoded(c);
    auto r = decode_candle(b);
    ASSERT_TRUE(r) << r.error().what();
    EXPECT_TRUE(r->spike);
    EXPECT_EQ(*r, c);
    b.pop_back();
    r = decode_candle(b);
    ASSERT_TRUE(r) << r.error().what();
    EXPECT_FALSE(r->spike);
    c.spike = false;
    EXPECT_EQ(*r, c);
}

TEST(codec, decode_into_reuses_and_resets) {
    tick t = full_tick();
    ASSERT_TRUE(decode(encoded(minimal_tick()), t));
    EXPECT_EQ(t, minimal_tick());
    ASSERT_TRUE(decode(encoded(full_tick()), t));
    EXPECT_EQ(t, full_tick());
}

TEST(codec, errors_have_the_model_category) {
    auto r = decode_tick("");
    ASSERT_FALSE(r);
    EXPECT_STREQ(r.error().code.category().name(), "mdsp.model");
    EXPECT_EQ(r.error().code.message(), "input ended inside a value");
}

} // namespace
} // namespace mdsp::model

namespace mdsp::model {
namespace {

// The fuzz seeds were written by python3-avro (tests/gen_avro_corpus.py):
// the valid ones must decode to the values given there, the bad_* ones fail.
std::string seed(const std::string& name) {
    std::ifstream in(std::filesystem::path(MDSP_TESTDATA_DIR) / "tests" / "corpus" / "avro" / name,
                     std::ios::binary);
    EXPECT_TRUE(in) << name;
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST(codec, decodes_the_python_written_seeds) {
    auto t = decode_tick(seed("tick_typical"));
    ASSERT_TRUE(t) << t.error().what();
    EXPECT_EQ(t->symbol, "XRPETH");
    EXPECT_EQ(t->source, "replay:/x/trades.csv");
    EXPECT_EQ(t->exchange, std::nullopt);
    EXPECT_EQ(t->event_time(), 1570752000123456);
    EXPECT_EQ(t->ingest_time(), 1570752000223456);
    EXPECT_EQ(t->price, 0.00123);
    EXPECT_EQ(t->size, 250.0);
    EXPECT_EQ(t->trade_id, 4242);
    EXPECT_EQ(t->seq(), 17);
    std::string ours;
    encode(*t, ours);
    EXPECT_EQ(ours, seed("tick_typical")) << "our encoding differs from python3-avro's";

    auto full = decode_tick(seed("tick_full"));
    ASSERT_TRUE(full) << full.error().what();
    EXPECT_EQ(full->currency, "USD \xe2\x82\xac");
    EXPECT_EQ(full->trade_id, -1);

    auto c = decode_candle(seed("candle_5min"));
    ASSERT_TRUE(c) << c.error().what();
    EXPECT_EQ(c->interval.micros(), 5 * micros_per_minute);
    EXPECT_TRUE(c->final);
    EXPECT_FALSE(c->backfilled);
    auto b = decode_candle(seed("candle_backfilled"));
    ASSERT_TRUE(b) << b.error().what();
    EXPECT_TRUE(b->backfilled);

    auto d = decode_dead_letter(seed("dead_letter"));
    ASSERT_TRUE(d) << d.error().what();
    EXPECT_EQ(d->raw.size(), 32u);
    EXPECT_EQ(d->source_partition, 3);
}

TEST(codec, rejects_the_broken_seeds) {
    for (const char* name :
         {"bad_tick_truncated", "bad_tick_trailing", "bad_tick_union_index", "bad_tick_negative_length",
          "bad_tick_huge_length", "bad_varint_11_bytes", "bad_utf8_symbol"}) {
        auto r = decode_tick(seed(name));
        EXPECT_FALSE(r) << name;
    }
    for (const char* name : {"bad_candle_interval", "bad_candle_final"}) {
        EXPECT_FALSE(decode_candle(seed(name))) << name;
    }
}

} // namespace
} // namespace mdsp::model
