#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "model/codec.h"
#include "model/framing.h"

namespace mdsp::model {
namespace {

using ::testing::HasSubstr;

std::string bytes(std::initializer_list<uint8_t> b) {
    return std::string(b.begin(), b.end());
}

tick sample_tick() {
    tick t;
    t.symbol = "XRPETH";
    t.source = "replay:/x/trades.csv";
    t.event_time = mdsp::event_time(1'570'752'000'000'000);
    t.ingest_time = mdsp::ingest_time(1'570'752'000'000'100);
    t.price = 0.0123;
    t.size = 100;
    t.trade_id = 987654;
    t.seq = mdsp::sequence(5);
    return t;
}

TEST(framing, header_is_magic_then_big_endian_id) {
    std::string out = "x";
    write_frame_header(0x01020304, out);
    EXPECT_EQ(out, "x" + bytes({0x00, 0x01, 0x02, 0x03, 0x04}));
    out.clear();
    write_frame_header(0xfffffffe, out);
    EXPECT_EQ(out, bytes({0x00, 0xff, 0xff, 0xff, 0xfe}));
}

TEST(framing, unframe_splits) {
    std::string f = bytes({0x00, 0x00, 0x00, 0x01, 0x00}) + "payload";
    auto r = unframe(f);
    ASSERT_TRUE(r) << r.error().what();
    EXPECT_EQ(r->schema_id, 256u);
    EXPECT_EQ(r->payload, "payload");
    auto empty = unframe(bytes({0x00, 0x80, 0x00, 0x00, 0x07}));
    ASSERT_TRUE(empty);
    EXPECT_EQ(empty->schema_id, 0x80000007u);
    EXPECT_TRUE(empty->payload.empty());
}

TEST(framing, too_short_or_bad_magic_fails) {
    for (size_t n = 0; n < frame_header_size; ++n) {
        auto r = unframe(std::string(n, '\0'));
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().code, errc::truncated);
    }
    auto r = unframe(bytes({0x01, 0x00, 0x00, 0x00, 0x01}));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::bad_magic);
    EXPECT_THAT(r.error().message, HasSubstr("0x01"));
    auto json = unframe("{\"symbol\":\"AAPL\"}");
    ASSERT_FALSE(json);
    EXPECT_EQ(json.error().code, errc::bad_magic);
}

TEST(framing, records_round_trip_with_their_pinned_ids) {
    std::string f;
    encode_framed(sample_tick(), f);
    EXPECT_EQ(f.substr(0, 5), bytes({0x00, 0x00, 0x00, 0x00, 0x01}));
    std::string plain;
    encode(sample_tick(), plain);
    EXPECT_EQ(f.substr(5), plain);
    auto t = decode_framed_tick(f);
    ASSERT_TRUE(t) << t.error().what();
    EXPECT_EQ(*t, sample_tick());

    candle c;
    c.symbol = "AAPL";
    c.close = 1;
    f.clear();
    encode_framed(c, f);
    EXPECT_EQ(f.substr(0, 5), bytes({0x00, 0x00, 0x00, 0x00, 0x02}));
    auto cb = decode_framed_candle(f);
    ASSERT_TRUE(cb) << cb.error().what();
    EXPECT_EQ(*cb, c);

    dead_letter d;
    d.raw = "\x01\x02";
    f.clear();
    encode_framed(d, f);
    EXPECT_EQ(f.substr(0, 5), bytes({0x00, 0x00, 0x00, 0x00, 0x03}));
    auto db = decode_framed_dead_letter(f);
    ASSERT_TRUE(db) << db.error().what();
    EXPECT_EQ(*db, d);
}

TEST(framing, wrong_schema_id_fails) {
    std::string f;
    encode_framed(sample_tick(), f);
    auto c = decode_framed_candle(f);
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code, errc::unexpected_schema_id);
    EXPECT_THAT(c.error().message, HasSubstr("schema id 1 where 2"));
    f[4] = 9;
    auto t = decode_framed_tick(f);
    ASSERT_FALSE(t);
    EXPECT_EQ(t.error().code, errc::unexpected_schema_id);
}

TEST(framing, payload_errors_pass_through) {
    std::string f;
    encode_framed(sample_tick(), f);
    f += '\0';
    auto t = decode_framed_tick(f);
    ASSERT_FALSE(t);
    EXPECT_EQ(t.error().code, errc::trailing_bytes);
    auto header_only = decode_framed_tick(bytes({0x00, 0x00, 0x00, 0x00, 0x01}));
    ASSERT_FALSE(header_only);
    EXPECT_EQ(header_only.error().code, errc::truncated);
}

} // namespace
} // namespace mdsp::model
