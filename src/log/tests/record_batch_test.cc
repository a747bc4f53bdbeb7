#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "log/crc32c.h"
#include "log/internal/bytes.h"
#include "log/record_batch.h"

namespace mdsp::log {
namespace {

std::string hex(std::span<const char> b) {
    static const char* digits = "0123456789abcdef";
    std::string s;
    for (char c : b) {
        s += digits[(uint8_t(c) >> 4) & 0xf];
        s += digits[uint8_t(c) & 0xf];
    }
    return s;
}

std::string unhex(std::string_view h) {
    std::string out;
    for (size_t i = 0; i + 1 < h.size(); i += 2) {
        out += char(std::stoi(std::string(h.substr(i, 2)), nullptr, 16));
    }
    return out;
}

std::vector<record_view> decode_all(std::span<const char> batch) {
    auto r = record_reader::open(batch, default_max_batch_bytes);
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().what());
    std::vector<record_view> out;
    if (!r) {
        return out;
    }
    record_view v;
    while (true) {
        auto more = r->next(v);
        EXPECT_TRUE(more.has_value()) << (more ? "" : more.error().what());
        if (!more || !*more) {
            break;
        }
        out.push_back(v);
    }
    return out;
}

// The same two records through python3-kafka's DefaultRecordBatchBuilder
// (kafka-python 2.0.2) give these 77 bytes; Kafka's Java client writes the same.
constexpr std::string_view golden_two_records =
    "0000000000000000000000410000000002bd7daf4a00000000000100000000000003e800000000000003e8"
    "ffffffffffffffffffffffffffff0000000210000000026b0276000c000302010000";

TEST(record_batch, golden_bytes) {
    batch_builder b;
    ASSERT_TRUE(b.add(std::string_view("k"), std::string_view("v"), 1000));
    ASSERT_TRUE(b.add(std::nullopt, std::string_view(""), 998));
    auto bytes = b.finish();
    EXPECT_EQ(hex(bytes), golden_two_records);
    EXPECT_EQ(bytes.size(), 77u);
}

TEST(record_batch, golden_header_fields) {
    auto bytes = unhex(golden_two_records);
    auto h = parse_batch_header(bytes, default_max_batch_bytes);
    ASSERT_TRUE(h.has_value());
    EXPECT_EQ(h->base_offset, 0);
    EXPECT_EQ(h->batch_length, 65);
    EXPECT_EQ(h->magic, 2);
    EXPECT_EQ(h->crc, 0xbd7daf4au);
    EXPECT_EQ(h->attributes, 0);
    EXPECT_EQ(h->last_offset_delta, 1);
    EXPECT_EQ(h->base_timestamp, 1000);
    EXPECT_EQ(h->max_timestamp, 1000);
    EXPECT_EQ(h->producer_id, -1);
    EXPECT_EQ(h->producer_epoch, -1);
    EXPECT_EQ(h->base_sequence, -1);
    EXPECT_EQ(h->record_count, 2);
    EXPECT_TRUE(crc_matches(*h, bytes));
    auto recs = decode_all(bytes);
    ASSERT_EQ(recs.size(), 2u);
    EXPECT_EQ(recs[0].offset, mdsp::offset(0));
    EXPECT_EQ(recs[0].key, std::optional<std::string_view>("k"));
    EXPECT_EQ(recs[0].value, std::optional<std::string_view>("v"));
    EXPECT_EQ(recs[0].timestamp_ms, 1000);
    EXPECT_EQ(recs[1].offset, mdsp::offset(1));
    EXPECT_FALSE(recs[1].key.has_value());
    EXPECT_EQ(recs[1].value, std::optional<std::string_view>(""));
    EXPECT_EQ(recs[1].timestamp_ms, 998);
}

TEST(record_batch, round_trip_many_shapes) {
    batch_builder b;
    std::vector<std::string> keys, values;
    std::vector<int64_t> ts;
    for (int i = 0; i < 500; ++i) {
        keys.push_back("sym-" + std::to_string(i % 17));
        values.push_back(std::string(size_t(i * 7 % 300), char('a' + i % 26)));
        ts.push_back(1'700'000'000'000 + (i % 5 == 0 ? -i : i * 3));
        ASSERT_TRUE(b.add(std::string_view(keys.back()), std::string_view(values.back()), ts.back()));
    }
    ASSERT_TRUE(b.add(std::nullopt, std::nullopt, 5)); // a tombstone with no key
    auto bytes = b.finish();
    set_base_offset(bytes, 1234);
    auto recs = decode_all(bytes);
    ASSERT_EQ(recs.size(), 501u);
    for (int i = 0; i < 500; ++i) {
        EXPECT_EQ(recs[size_t(i)].offset, mdsp::offset(1234 + i));
        EXPECT_EQ(*recs[size_t(i)].key, keys[size_t(i)]);
        EXPECT_EQ(*recs[size_t(i)].value, values[size_t(i)]);
        EXPECT_EQ(recs[size_t(i)].timestamp_ms, ts[size_t(i)]);
    }
    EXPECT_FALSE(recs[500].key.has_value());
    EXPECT_FALSE(recs[500].value.has_value());
    EXPECT_EQ(recs[500].timestamp_ms, 5);
    auto h = parse_batch_header(bytes, default_max_batch_bytes);
    EXPECT_EQ(h->max_timestamp, *std::max_element(ts.begin(), ts.end()));
    EXPECT_EQ(h->last_offset(), mdsp::offset(1234 + 500));
}

TEST(record_batch, builder_reuse_after_reset_gives_identical_bytes) {
    batch_builder b;
    ASSERT_TRUE(b.add(std::string_view("k"), std::string_view("v"), 1000));
    ASSERT_TRUE(b.add(std::nullopt, std::string_view(""), 998));
    std::string first(b.finish().data(), b.size_bytes());
    b.reset();
    ASSERT_TRUE(b.add(std::string_view("k"), std::string_view("v"), 1000));
    ASSERT_TRUE(b.add(std::nullopt, std::string_view(""), 998));
    EXPECT_EQ(std::string(b.finish().data(), b.size_bytes()), first);
}

TEST(record_batch, builder_respects_max_batch_bytes) {
    batch_builder b(200);
    std::string v(50, 'x');
    int added = 0;
    while (b.add(std::string_view("k"), std::string_view(v), 1)) {
        ++added;
    }
    EXPECT_GT(added, 0);
    EXPECT_LE(b.size_bytes(), 200u);
    batch_builder small(100);
    std::string huge(1000, 'y');
    EXPECT_FALSE(small.add(std::nullopt, std::string_view(huge), 1));
    EXPECT_TRUE(small.empty());
}

TEST(record_batch, rejects_compressed_batches_clearly) {
    auto bytes = unhex(golden_two_records);
    internal::put_u16(bytes.data() + attributes_offset, 4); // zstd
    internal::put_u32(bytes.data() + crc_offset,
                      crc32c(bytes.data() + attributes_offset, bytes.size() - attributes_offset));
    auto r = record_reader::open(bytes, default_max_batch_bytes);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, errc::unsupported);
    EXPECT_NE(r.error().what().find("zstd"), std::string::npos);
}

TEST(record_batch, rejects_bad_crc_magic_and_lengths) {
    auto good = unhex(golden_two_records);
    {
        auto b = good;
        b[70] ^= 1; // a byte of a record
        auto r = record_reader::open(b, default_max_batch_bytes);
        ASSERT_FALSE(r.has_value());
        EXPECT_EQ(r.error().code, errc::corrupt);
    }
    {
        auto b = good;
        b[16] = 1; // magic 1
        EXPECT_EQ(parse_batch_header(b, default_max_batch_bytes).error().code, errc::unsupported);
    }
    {
        auto b = good;
        internal::put_u32(b.data() + 8, 0x7fffffff); // batchLength far beyond the bound
        EXPECT_EQ(parse_batch_header(b, default_max_batch_bytes).error().code, errc::corrupt);
    }
    {
        auto b = good;
        internal::put_u32(b.data() + 8, 10); // batchLength below the header
        EXPECT_EQ(parse_batch_header(b, default_max_batch_bytes).error().code, errc::corrupt);
    }
    {
        // A record whose length runs past the batch, with a CRC that matches.
        auto b = good;
        b[61] = char(0x7e);
        internal::put_u32(b.data() + crc_offset,
                          crc32c(b.data() + attributes_offset, b.size() - attributes_offset));
        auto r = record_reader::open(b, default_max_batch_bytes);
        ASSERT_TRUE(r.has_value());
        record_view v;
        auto more = r->next(v);
        ASSERT_FALSE(more.has_value());
        EXPECT_EQ(more.error().code, errc::corrupt);
    }
    EXPECT_FALSE(
        parse_batch_header(std::span<const char>(good.data(), 60), default_max_batch_bytes).has_value());
}

TEST(record_batch, iterator_stops_before_partial_batch) {
    batch_builder b;
    std::string buf;
    for (int i = 0; i < 3; ++i) {
        b.reset();
        ASSERT_TRUE(b.add(std::string_view("k"), std::string_view("value"), i));
        auto bytes = b.finish();
        set_base_offset(bytes, i);
        buf.append(bytes.data(), bytes.size());
    }
    size_t whole = buf.size();
    buf.append(buf.data(), 30); // the start of a fourth batch
    batch_iterator it(buf, default_max_batch_bytes);
    batch_header h;
    std::span<const char> one;
    int n = 0;
    while (true) {
        auto more = it.next(h, one);
        ASSERT_TRUE(more.has_value());
        if (!*more) {
            break;
        }
        EXPECT_EQ(h.base_offset, n);
        ++n;
    }
    EXPECT_EQ(n, 3);
    EXPECT_EQ(it.position(), whole);
}

TEST(varint, zigzag_round_trip_and_bounds) {
    char buf[10];
    for (int64_t v : {int64_t(0), int64_t(-1), int64_t(1), int64_t(63), int64_t(-64), int64_t(64),
                      int64_t(300), INT64_MAX, INT64_MIN}) {
        char* end = internal::put_varlong(buf, v);
        EXPECT_EQ(size_t(end - buf), internal::varlong_size(v));
        int64_t back = 0;
        EXPECT_EQ(internal::get_varlong(buf, end, back), end);
        EXPECT_EQ(back, v);
    }
    // A varint of more than 5 bytes is malformed.
    char* end = internal::put_varlong(buf, int64_t(1) << 40);
    int32_t small = 0;
    EXPECT_EQ(internal::get_varint(buf, end, small), nullptr);
    // Running off the end is reported, not read past.
    int64_t v = 0;
    char cont = char(0x80);
    EXPECT_EQ(internal::get_varlong(&cont, &cont + 1, v), nullptr);
}

} // namespace
} // namespace mdsp::log

namespace mdsp::log {
namespace {

// A Java producer's record with headers: the builder writes none, so the
// batch is made by hand from the builder's (record body + 4 header bytes,
// lengths and CRC fixed up).
TEST(record_batch, headers_are_kept_for_read_headers) {
    batch_builder b;
    ASSERT_TRUE(b.add(std::string_view("k"), std::string_view("v"), 1000));
    auto built = b.finish();
    std::string bytes(built.data(), built.size());
    ASSERT_EQ(bytes.size(), batch_header_size + 9); // varint length + 8 bytes of record
    ASSERT_EQ(bytes.back(), '\0');                  // header count 0
    bytes.back() = '\x02';                          // 1 header ...
    bytes += std::string("\x02h\x02x", 4);          // ... "h" = "x"
    bytes[batch_header_size] = char(12 << 1);       // the record is 12 bytes now
    internal::put_u32(bytes.data() + 8, uint32_t(bytes.size() - log_overhead));
    internal::put_u32(bytes.data() + crc_offset,
                      crc32c(bytes.data() + attributes_offset, bytes.size() - attributes_offset));
    auto rd = record_reader::open(std::span<const char>(bytes.data(), bytes.size()), default_max_batch_bytes);
    ASSERT_TRUE(rd) << rd.error().what();
    record_view v;
    ASSERT_TRUE(*rd->next(v));
    EXPECT_EQ(v.header_count, 1);
    std::vector<header_view> hs;
    read_headers(v, hs, 10);
    ASSERT_EQ(hs.size(), 1u);
    EXPECT_EQ(hs[0].key, "h");
    EXPECT_EQ(hs[0].value, std::optional<std::string_view>("x"));
    hs.clear();
    read_headers(v, hs, 0); // the bound holds
    EXPECT_TRUE(hs.empty());
}

} // namespace
} // namespace mdsp::log
