#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "model/avro.h"

namespace mdsp::model::avro {
namespace {

using ::testing::HasSubstr;

std::string bytes(std::initializer_list<uint8_t> b) {
    return std::string(b.begin(), b.end());
}

std::string long_bytes(int64_t v) {
    std::string out;
    {
        writer w(out);
        w.write_long(v);
    }
    return out;
}

// The examples of the Avro 1.11 specification, "Binary Encoding".
TEST(avro_writer, zigzag_varints_as_in_the_spec) {
    EXPECT_EQ(long_bytes(0), bytes({0x00}));
    EXPECT_EQ(long_bytes(-1), bytes({0x01}));
    EXPECT_EQ(long_bytes(1), bytes({0x02}));
    EXPECT_EQ(long_bytes(-2), bytes({0x03}));
    EXPECT_EQ(long_bytes(2), bytes({0x04}));
    EXPECT_EQ(long_bytes(-64), bytes({0x7f}));
    EXPECT_EQ(long_bytes(64), bytes({0x80, 0x01}));
    EXPECT_EQ(long_bytes(std::numeric_limits<int64_t>::max()),
              bytes({0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}));
    EXPECT_EQ(long_bytes(std::numeric_limits<int64_t>::min()),
              bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}));
}

TEST(avro_writer, primitives) {
    std::string out = "prefix";
    {
        writer w(out);
        w.write_boolean(true);
        w.write_boolean(false);
        w.write_int(std::numeric_limits<int32_t>::min());
        w.write_double(1.0);
        w.write_string("foo");
        w.write_bytes(std::string_view("\x00\xff", 2));
        w.write_optional_long(std::nullopt);
        w.write_optional_long(3);
        EXPECT_EQ(w.written(), 2 + 5 + 8 + 4 + 3 + 1 + 2);
    }
    EXPECT_EQ(out,
              "prefix" + bytes({0x01, 0x00, 0xff, 0xff, 0xff, 0xff, 0x0f, 0,    0,    0,    0,    0,   0,
                                0xf0, 0x3f, 0x06, 'f',  'o',  'o',  0x04, 0x00, 0xff, 0x00, 0x02, 0x06}));
}

TEST(avro_writer, grows_without_reserve_and_trims_on_finish) {
    std::string out;
    writer w(out);
    for (int i = 0; i < 10'000; ++i) {
        w.write_long(i);
    }
    w.finish();
    EXPECT_EQ(out.size(), w.written());
    reader r(out);
    for (int64_t i = 0; i < 10'000; ++i) {
        int64_t v = -1;
        ASSERT_TRUE(r.read_long(v, "v"));
        ASSERT_EQ(v, i);
    }
    EXPECT_TRUE(r.expect_end("seq"));
}

TEST(avro_reader, longs_round_trip) {
    for (int64_t v : {int64_t{0}, int64_t{1}, int64_t{-1}, int64_t{63}, int64_t{-64}, int64_t{64},
                      int64_t{8191}, int64_t{1'570'752'000'000'000}, std::numeric_limits<int64_t>::max(),
                      std::numeric_limits<int64_t>::min()}) {
        std::string b = long_bytes(v);
        reader r(b);
        int64_t got = 0;
        ASSERT_TRUE(r.read_long(got, "x"));
        EXPECT_EQ(got, v);
        EXPECT_EQ(r.remaining(), 0u);
    }
}

TEST(avro_reader, accepts_non_minimal_varints) {
    // Not what we write, but valid Avro: Java and Python accept them too.
    std::string b = bytes({0x80, 0x80, 0x00});
    reader r(b);
    int64_t v = -1;
    ASSERT_TRUE(r.read_long(v, "x"));
    EXPECT_EQ(v, 0);
}

TEST(avro_reader, rejects_varints_longer_than_ten_bytes) {
    std::string b(10, '\x80');
    b += '\x00';
    reader r(b);
    int64_t v;
    EXPECT_FALSE(r.read_long(v, "tick.seq"));
    auto e = r.take_error();
    EXPECT_EQ(e.code, errc::bad_varint);
    EXPECT_THAT(e.message, HasSubstr("tick.seq"));
}

TEST(avro_reader, rejects_longs_overflowing_64_bits) {
    std::string b(9, '\xff');
    b += '\x02'; // bit 64
    reader r(b);
    int64_t v;
    EXPECT_FALSE(r.read_long(v, "x"));
    EXPECT_EQ(r.take_error().code, errc::bad_varint);
}

TEST(avro_reader, ints_are_32_bit) {
    std::string ok = bytes({0xfe, 0xff, 0xff, 0xff, 0x0f});
    reader r(ok);
    int32_t v = 0;
    ASSERT_TRUE(r.read_int(v, "x"));
    EXPECT_EQ(v, std::numeric_limits<int32_t>::max());

    std::string over = bytes({0xfe, 0xff, 0xff, 0xff, 0x1f});
    reader r2(over);
    EXPECT_FALSE(r2.read_int(v, "dead_letter.source_partition"));
    auto e = r2.take_error();
    EXPECT_EQ(e.code, errc::bad_varint);
    EXPECT_THAT(e.message, HasSubstr("dead_letter.source_partition"));
}

TEST(avro_reader, truncated_varint_and_double) {
    std::string b = bytes({0x80, 0x80});
    reader r(b);
    int64_t v;
    EXPECT_FALSE(r.read_long(v, "x"));
    EXPECT_EQ(r.take_error().code, errc::truncated);

    std::string d(7, '\0');
    reader r2(d);
    double x;
    EXPECT_FALSE(r2.read_double(x, "tick.price"));
    auto e = r2.take_error();
    EXPECT_EQ(e.code, errc::truncated);
    EXPECT_THAT(e.message, HasSubstr("tick.price"));
    EXPECT_EQ(r2.position(), 0u);
}

TEST(avro_reader, doubles_keep_every_bit) {
    for (double v : {0.0, -0.0, 1.5, -2.25e-308, 4.9e-324, std::numeric_limits<double>::infinity(),
                     std::numeric_limits<double>::quiet_NaN(), 1e308}) {
        std::string b;
        {
            writer w(b);
            w.write_double(v);
        }
        ASSERT_EQ(b.size(), 8u);
        reader r(b);
        double got = 0;
        ASSERT_TRUE(r.read_double(got, "x"));
        EXPECT_EQ(std::bit_cast<uint64_t>(got), std::bit_cast<uint64_t>(v));
    }
}

TEST(avro_reader, booleans_are_0_or_1) {
    std::string b = bytes({0x01, 0x00, 0x02});
    reader r(b);
    bool v = false;
    ASSERT_TRUE(r.read_boolean(v, "x"));
    EXPECT_TRUE(v);
    ASSERT_TRUE(r.read_boolean(v, "x"));
    EXPECT_FALSE(v);
    EXPECT_FALSE(r.read_boolean(v, "candle.final"));
    EXPECT_EQ(r.take_error().code, errc::bad_boolean);
}

TEST(avro_reader, lengths_are_checked_before_use) {
    std::string out;
    struct tcase {
        std::string input;
        errc code;
    };
    std::string huge = long_bytes(int64_t{1} << 40) + "abc";
    std::string over_limit = long_bytes(int64_t{default_max_length} + 1) + "abc";
    for (const auto& [input, code] :
         {tcase{bytes({0x01}) + "abc", errc::bad_length}, // -1
          tcase{long_bytes(std::numeric_limits<int64_t>::min()), errc::bad_length},
          tcase{huge, errc::bad_length}, tcase{over_limit, errc::bad_length},
          tcase{bytes({0x08}) + "abc", errc::truncated}, tcase{"", errc::truncated}}) {
        reader r(input);
        EXPECT_FALSE(r.read_string(out, "tick.symbol"));
        auto e = r.take_error();
        EXPECT_EQ(e.code, code) << e.message;
        EXPECT_THAT(e.message, HasSubstr("tick.symbol"));

        reader rb(input);
        EXPECT_FALSE(rb.read_bytes(out, "dead_letter.raw"));
        EXPECT_EQ(rb.take_error().code, code);
    }
}

TEST(avro_reader, the_limit_is_per_call) {
    std::string b = long_bytes(5) + "hello";
    std::string out;
    reader r(b);
    EXPECT_FALSE(r.read_string(out, "x", 4));
    EXPECT_EQ(r.take_error().code, errc::bad_length);
    reader r2(b);
    ASSERT_TRUE(r2.read_string(out, "x", 5));
    EXPECT_EQ(out, "hello");
}

TEST(avro_reader, strings_must_be_utf8_bytes_need_not) {
    std::string b = long_bytes(2) + "\xc3\x28";
    std::string out;
    reader r(b);
    EXPECT_FALSE(r.read_string(out, "tick.symbol"));
    auto e = r.take_error();
    EXPECT_EQ(e.code, errc::bad_utf8);
    EXPECT_THAT(e.message, HasSubstr("\\xc3("));
    reader rb(b);
    ASSERT_TRUE(rb.read_bytes(out, "x"));
    EXPECT_EQ(out, "\xc3\x28");
}

TEST(avro_utf8, validation) {
    EXPECT_TRUE(is_valid_utf8(""));
    EXPECT_TRUE(is_valid_utf8("plain ASCII longer than eight bytes"));
    EXPECT_TRUE(is_valid_utf8(std::string_view("nul\0inside", 10)));
    EXPECT_TRUE(is_valid_utf8("\xc3\xa9"));             // é
    EXPECT_TRUE(is_valid_utf8("\xe2\x82\xac"));         // €
    EXPECT_TRUE(is_valid_utf8("\xf0\x9f\x93\x88"));     // 📈
    EXPECT_TRUE(is_valid_utf8("\xf4\x8f\xbf\xbf"));     // U+10FFFF
    EXPECT_TRUE(is_valid_utf8("abcdefgh\xe2\x82\xac")); // after the fast path
    EXPECT_FALSE(is_valid_utf8("\x80"));                // lone continuation
    EXPECT_FALSE(is_valid_utf8("\xc0\xaf"));            // overlong '/'
    EXPECT_FALSE(is_valid_utf8("\xe0\x80\xaf"));        // overlong 3-byte
    EXPECT_FALSE(is_valid_utf8("\xf0\x80\x80\xaf"));    // overlong 4-byte
    EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));        // surrogate D800
    EXPECT_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));    // above U+10FFFF
    EXPECT_FALSE(is_valid_utf8("\xf5\x80\x80\x80"));
    EXPECT_FALSE(is_valid_utf8("\xe2\x82"));               // truncated
    EXPECT_FALSE(is_valid_utf8("abcdefghij\xe2\x28\xac")); // bad continuation
}

TEST(avro_reader, union_indexes_outside_the_schema) {
    for (int64_t idx : {int64_t{-1}, int64_t{2}, int64_t{1} << 40}) {
        std::string b = long_bytes(idx) + std::string(8, '\0');
        reader r(b);
        std::optional<double> v;
        EXPECT_FALSE(r.read_optional_double(v, "tick.bid"));
        auto e = r.take_error();
        EXPECT_EQ(e.code, errc::bad_union_index);
        EXPECT_THAT(e.message, HasSubstr("tick.bid"));
        EXPECT_THAT(e.message, HasSubstr(std::to_string(idx)));
    }
}

TEST(avro_reader, optionals) {
    std::string b;
    {
        writer w(b);
        w.write_optional_string("NASDAQ");
        w.write_optional_string(std::nullopt);
        w.write_optional_double(-0.5);
        w.write_optional_double(std::nullopt);
        w.write_optional_long(-7);
        w.write_optional_long(std::nullopt);
    }
    reader r(b);
    std::optional<std::string> s1, s2 = "stale";
    std::optional<double> d1, d2 = 1.0;
    std::optional<int64_t> l1, l2 = 1;
    ASSERT_TRUE(r.read_optional_string(s1, "a") && r.read_optional_string(s2, "b")
                && r.read_optional_double(d1, "c") && r.read_optional_double(d2, "d")
                && r.read_optional_long(l1, "e") && r.read_optional_long(l2, "f") && r.expect_end("all"));
    EXPECT_EQ(s1, "NASDAQ");
    EXPECT_EQ(s2, std::nullopt);
    EXPECT_EQ(d1, -0.5);
    EXPECT_EQ(d2, std::nullopt);
    EXPECT_EQ(l1, -7);
    EXPECT_EQ(l2, std::nullopt);
}

TEST(avro_reader, expect_end_reports_trailing_bytes) {
    std::string b = bytes({0x02, 0x00});
    reader r(b);
    int64_t v;
    ASSERT_TRUE(r.read_long(v, "x"));
    EXPECT_FALSE(r.expect_end("tick"));
    auto e = r.take_error();
    EXPECT_EQ(e.code, errc::trailing_bytes);
    EXPECT_THAT(e.message, HasSubstr("1 bytes left"));
}

} // namespace
} // namespace mdsp::model::avro
