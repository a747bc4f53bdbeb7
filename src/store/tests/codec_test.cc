#include <algorithm>
#include <limits>
#include <random>

#include <gtest/gtest.h>

#include "store/internal/codec.h"

namespace mdsp::store::internal {
namespace {

model::tick full_tick(int64_t et, int64_t seq) {
    model::tick t;
    t.symbol = "EUR/USD";
    t.source = "twelvedata";
    t.exchange = "PHYSICAL CURRENCY";
    t.mic_code = "";
    t.asset_type = "Physical Currency";
    t.currency = "USD";
    t.event_time = mdsp::event_time(et);
    t.ingest_time = mdsp::ingest_time(et + 1234);
    t.price = 1.0712345678901234;
    t.size = 0.5;
    t.day_volume = 123456789.25;
    t.bid = 1.07;
    t.ask = 1.08;
    t.trade_id = std::numeric_limits<int64_t>::max();
    t.seq = mdsp::sequence(seq);
    return t;
}

TEST(store_codec, ordered_i64_sorts_numerically) {
    std::vector<int64_t> values{std::numeric_limits<int64_t>::min(), -1'000'000, -1, 0, 1, 42, 1'000'000,
                                std::numeric_limits<int64_t>::max()};
    std::vector<std::string> encoded;
    for (auto v : values) {
        std::string s;
        put_ordered_i64(s, v);
        EXPECT_EQ(get_ordered_i64(s.data()), v);
        encoded.push_back(s);
    }
    EXPECT_TRUE(std::is_sorted(encoded.begin(), encoded.end()));
}

TEST(store_codec, symbol_terminator_keeps_prefix_symbols_apart) {
    // Every key of "AB" sorts before every key of "AB0" and "ABC", whatever the bucket.
    const std::string ab_high = tick_chunk_key("AB", std::numeric_limits<int64_t>::max(), ~uint64_t{0});
    const std::string ab0_low = tick_chunk_key("AB0", std::numeric_limits<int64_t>::min(), 0);
    const std::string abc_low = tick_chunk_key("ABC", std::numeric_limits<int64_t>::min(), 0);
    EXPECT_LT(ab_high, ab0_low);
    EXPECT_LT(ab_high, abc_low);
    EXPECT_LT(candle_key("AB", std::numeric_limits<int64_t>::max(), 0),
              candle_key("AB\x01", std::numeric_limits<int64_t>::min(), 0));
    EXPECT_FALSE(valid_symbol(""));
    EXPECT_FALSE(valid_symbol(std::string_view("A\0B", 3)));
    EXPECT_TRUE(valid_symbol("BTC/USD"));
}

TEST(store_codec, keys_parse_back) {
    auto k = tick_chunk_key("XRPETH", -5, 77);
    auto p = parse_tick_chunk_key(k);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->symbol, "XRPETH");
    EXPECT_EQ(p->bucket, -5);
    EXPECT_EQ(p->chunk_id, 77U);
    const std::string ck = candle_key("XRPETH", 60'000'000, -60'000'000);
    auto c = parse_candle_key(ck);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->symbol, "XRPETH");
    EXPECT_EQ(c->interval_micros, 60'000'000);
    EXPECT_EQ(c->window_start, -60'000'000);
    EXPECT_FALSE(parse_tick_chunk_key("short"));
}

TEST(store_codec, tick_buckets_floor_negative_times) {
    EXPECT_EQ(tick_bucket(0), 0);
    EXPECT_EQ(tick_bucket(999'999), 0);
    EXPECT_EQ(tick_bucket(-1), -1);
    EXPECT_EQ(tick_bucket(-1'000'000), -1);
    EXPECT_EQ(tick_bucket(-1'000'001), -2);
    EXPECT_LT(tick_bucket(std::numeric_limits<int64_t>::min()), 0);
}

TEST(store_codec, ticks_round_trip_with_every_field) {
    std::vector<model::tick> ticks;
    ticks.push_back(full_tick(1'570'752'011'620'000, 10));
    ticks.push_back(full_tick(1'570'752'011'000'000, 3)); // older, lower seq: negative deltas
    model::tick bare;
    bare.symbol = "EUR/USD";
    bare.source = "sim";
    bare.event_time = mdsp::event_time(1'570'752'011'999'999);
    bare.ingest_time = mdsp::ingest_time(0);
    bare.price = -0.0;
    bare.seq = mdsp::sequence(std::numeric_limits<int64_t>::min());
    ticks.push_back(bare);
    ticks.push_back(bare); // same strings as the previous tick
    ticks.push_back(full_tick(std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()));
    ticks.back().trade_id = std::numeric_limits<int64_t>::min();
    std::vector<const model::tick*> ptrs;
    for (const auto& t : ticks) {
        ptrs.push_back(&t);
    }
    std::string bytes;
    encode_ticks(bytes, 1'570'752'011'000'000, ptrs);
    std::vector<model::tick> back;
    ASSERT_TRUE(decode_ticks(bytes, 1'570'752'011'000'000, "EUR/USD", back));
    EXPECT_EQ(back, ticks);
    EXPECT_TRUE(std::signbit(back[2].price));
}

TEST(store_codec, truncated_or_garbled_chunks_are_rejected) {
    std::vector<model::tick> ticks{full_tick(1000, 1), full_tick(2000, 2)};
    std::vector<const model::tick*> ptrs{&ticks[0], &ticks[1]};
    std::string bytes;
    encode_ticks(bytes, 0, ptrs);
    for (size_t n = 0; n < bytes.size(); ++n) {
        std::vector<model::tick> out;
        EXPECT_FALSE(decode_ticks(std::string_view(bytes).substr(0, n), 0, "X", out)) << n;
        EXPECT_TRUE(out.empty());
    }
    std::string longer = bytes + "x";
    std::vector<model::tick> out;
    EXPECT_FALSE(decode_ticks(longer, 0, "X", out));
    // Random bytes never crash the decoder.
    std::mt19937 rng(7);
    for (int i = 0; i < 2000; ++i) {
        std::string junk(rng() % 64, '\0');
        for (auto& ch : junk) {
            ch = static_cast<char>(rng());
        }
        std::vector<model::tick> o;
        (void)decode_ticks(junk, 0, "X", o);
        model::candle c;
        (void)decode_candle(junk, c);
    }
}

TEST(store_codec, candles_round_trip) {
    model::candle c;
    c.window_start = mdsp::event_time(-60'000'000);
    c.open = 0.1;
    c.high = 0.30000000000000004;
    c.low = 1e-300;
    c.close = 5e-324;
    c.volume = 123.456;
    c.vwap = 0.2;
    c.trade_count = 17;
    c.first_event_time = mdsp::event_time(-59'000'000);
    c.last_event_time = mdsp::event_time(-1);
    c.final = true;
    c.revision = 3;
    std::string bytes;
    encode_candle(bytes, c);
    model::candle back;
    back.window_start = c.window_start;
    ASSERT_TRUE(decode_candle(bytes, back));
    EXPECT_EQ(back, c);
    EXPECT_FALSE(decode_candle(bytes.substr(0, bytes.size() - 1), back));
    c.backfilled = true;
    c.final = false;
    bytes.clear();
    encode_candle(bytes, c);
    ASSERT_TRUE(decode_candle(bytes, back));
    EXPECT_EQ(back, c);
    c.spike = true;
    bytes.clear();
    encode_candle(bytes, c);
    ASSERT_TRUE(decode_candle(bytes, back));
    EXPECT_EQ(back, c);
    bytes.back() = 8; // no such flag
    EXPECT_FALSE(decode_candle(bytes, back));
}

} // namespace
} // namespace mdsp::store::internal
