// v5 segments (segment.h): the checksums against known values, the layout
// of a header, packing, splitting, LZ4, and every way a hostile or damaged
// stream is refused.
#include <random>

#include <gtest/gtest.h>

#include "cql/segment.h"

namespace mdsp::cql {
namespace {

std::string hex(std::string_view bytes) {
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (char c : bytes) {
        out.push_back(digits[uint8_t(c) >> 4]);
        out.push_back(digits[uint8_t(c) & 15]);
    }
    return out;
}

std::string le(uint64_t v, int bytes) {
    std::string out;
    for (int i = 0; i < bytes; ++i) {
        out.push_back(char(uint8_t(v >> (8 * i))));
    }
    return out;
}

// A segment built field by field, with valid checksums, for the cases
// encode_segment never makes.
std::string raw_segment(uint64_t fields, int field_bytes, std::string_view payload) {
    auto h = le(fields, field_bytes);
    return h + le(segment_crc24(h), 3) + std::string(payload) + le(segment_crc32(payload), 4);
}

std::string envelope_bytes(int16_t stream, std::string_view body) {
    return encode_frame(opcode::result, stream, body, 0, true, protocol::v5);
}

// Reads all of in, fed n bytes at a time, as a socket would hand them over.
result<std::vector<envelope>> read_all(segment_reader& r, std::string_view in, size_t n) {
    std::vector<envelope> out;
    std::string buf;
    for (size_t at = 0; at < in.size(); at += n) {
        buf.append(in.substr(at, n));
        auto used = r.read(buf, out);
        if (!used) {
            return used.error();
        }
        buf.erase(0, *used);
    }
    if (!buf.empty()) {
        return make_error(errc::malformed_frame, "{} bytes left over", buf.size());
    }
    return out;
}

// Expected values computed apart from this code (Python: zlib.crc32 over
// FA 2D 55 CA + payload; CRC24 bit by bit from the specification's initial
// value and polynomial).
TEST(cql_segment, checksums_match_known_values) {
    EXPECT_EQ(segment_crc24(""), 0x875060u);
    EXPECT_EQ(segment_crc24(std::string(3, '\0')), 0x7de777u);
    EXPECT_EQ(segment_crc24("123456789"), 0x4b3f02u);
    EXPECT_EQ(segment_crc24(std::string("\x09\x00\x02", 3)), 0xc1c8a4u);
    EXPECT_EQ(segment_crc24(std::string("\x09\x00\x00\x00\x04", 5)), 0x95b8c2u);
    EXPECT_EQ(segment_crc32(""), 0x44777ed3u);
    EXPECT_EQ(segment_crc32("123456789"), 0xe2a261a7u); // plain CRC32 of it is 0xcbf43926
}

TEST(cql_segment, header_layout) {
    // Length 9, self-contained (bit 17), CRC24 of those 3 bytes; payload; CRC32; all little-endian.
    EXPECT_EQ(hex(encode_segment("123456789", true, false)), "090002a4c8c1313233343536373839a761a2e2");
    EXPECT_EQ(hex(encode_segment("123456789", false, false)).substr(0, 6), "090000");
    // LZ4 format, payload sent as is: compressed length 9, uncompressed 0,
    // self-contained (bit 34), CRC24 of those 5 bytes.
    auto plain = encode_segment("123456789", true, true, 1000);
    EXPECT_EQ(hex(plain), "0900000004c2b895313233343536373839a761a2e2");
}

TEST(cql_segment, small_envelopes_share_a_segment) {
    segment_writer w(false);
    std::vector<std::string> bodies{"a", std::string(1000, 'b'), ""};
    for (size_t i = 0; i < bodies.size(); ++i) {
        w.add(envelope_bytes(int16_t(i), bodies[i]));
    }
    auto wire = w.take();
    EXPECT_TRUE(w.empty());
    size_t payload = 3 * header_size + 1001;
    ASSERT_EQ(wire.size(), segment_header_size + payload + segment_trailer_size) << "one segment";
    for (size_t n : {size_t(1), size_t(7), wire.size()}) {
        segment_reader r(false, limits{});
        auto got = read_all(r, wire, n);
        ASSERT_TRUE(got) << got.error().what();
        ASSERT_EQ(got->size(), 3u);
        for (size_t i = 0; i < 3; ++i) {
            EXPECT_EQ((*got)[i].h.stream, int16_t(i));
            EXPECT_EQ((*got)[i].h.version, 0x85);
            EXPECT_EQ((*got)[i].body, bodies[i]);
        }
    }
}

TEST(cql_segment, a_large_envelope_is_split_and_reassembled) {
    for (bool lz4 : {false, true}) {
        std::string body(2 * max_segment_payload + 100, '\0');
        std::minstd_rand rng(7);
        for (auto& c : body) {
            c = char('a' + rng() % 4);
        }
        segment_writer w(lz4);
        w.add(envelope_bytes(1, "before"));
        w.add(envelope_bytes(2, body));
        w.add(envelope_bytes(3, "after"));
        auto wire = w.take();
        segment_reader r(lz4, limits{});
        auto got = read_all(r, wire, 4096);
        ASSERT_TRUE(got) << got.error().what();
        ASSERT_EQ(got->size(), 3u);
        EXPECT_EQ((*got)[0].body, "before");
        EXPECT_EQ((*got)[1].body, body);
        EXPECT_EQ((*got)[2].body, "after");
        EXPECT_EQ(r.pending(), 0u);
        if (lz4) {
            EXPECT_LT(wire.size(), body.size()) << "compressed";
            EXPECT_GE(r.compressed_segments(), 3u);
        }
    }
}

TEST(cql_segment, lz4_leaves_incompressible_payloads_as_they_are) {
    std::string noise(5000, '\0');
    std::minstd_rand rng(1);
    for (auto& c : noise) {
        c = char(rng());
    }
    auto seg = encode_segment(noise, true, true);
    // uncompressed length 0: sent as is
    uint64_t fields = 0;
    for (int i = 4; i >= 0; --i) {
        fields = fields << 8 | uint8_t(seg[size_t(i)]);
    }
    EXPECT_EQ(fields & 0x1FFFF, noise.size());
    EXPECT_EQ(fields >> 17 & 0x1FFFF, 0u);
    segment_reader r(true, limits{});
    std::vector<envelope> out;
    auto frame = envelope_bytes(5, noise.substr(0, 4000));
    auto used = r.read(encode_segment(frame, true, true), out);
    ASSERT_TRUE(used) << used.error().what();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].body, noise.substr(0, 4000));
    EXPECT_EQ(r.compressed_segments(), 0u);
}

TEST(cql_segment, damage_is_caught_by_the_checksums) {
    auto good = encode_segment(envelope_bytes(1, "hello"), true, false);
    for (size_t i = 0; i < good.size(); ++i) {
        auto bad = good;
        bad[i] ^= 0x01;
        segment_reader r(false, limits{});
        std::vector<envelope> out;
        auto used = r.read(bad, out);
        // A flipped length bit may also just leave the segment incomplete.
        if (used) {
            EXPECT_EQ(*used, 0u) << i;
            EXPECT_TRUE(out.empty()) << i;
            continue;
        }
        EXPECT_EQ(used.error().code, errc::corrupt_segment) << i;
        EXPECT_NE(used.error().what().find(i < segment_header_size ? "CRC24" : "CRC32"), std::string::npos)
            << i << ": " << used.error().what();
    }
    // An LZ4 header read by an uncompressed reader fails its CRC24 too.
    segment_reader plain(false, limits{});
    std::vector<envelope> out;
    EXPECT_EQ(plain.read(encode_segment("x", true, true), out).error().code, errc::corrupt_segment);
}

TEST(cql_segment, hostile_streams_are_refused) {
    limits lim;
    lim.max_frame_bytes = 1 << 20;
    std::vector<envelope> out;
    auto frame = envelope_bytes(1, "body");
    {
        // A self-contained segment whose envelope runs past its end.
        segment_reader r(false, lim);
        auto e = r.read(raw_segment((frame.size() - 1) | 1 << 17, 3, frame.substr(0, frame.size() - 1)), out);
        ASSERT_FALSE(e);
        EXPECT_EQ(e.error().code, errc::malformed_frame);
        EXPECT_NE(e.error().what().find("does not fit"), std::string::npos) << e.error().what();
    }
    {
        // A split envelope that declares more than max_frame_bytes: refused
        // at its first part, nothing kept.
        auto huge = encode_frame(opcode::result, 1, "", 0, true, protocol::v5);
        huge.replace(5, 4, std::string("\x00\x20\x00\x00", 4)); // 2 MiB
        segment_reader r(false, lim);
        auto e = r.read(raw_segment(huge.size(), 3, huge), out);
        ASSERT_FALSE(e);
        EXPECT_EQ(e.error().code, errc::frame_too_large);
        EXPECT_EQ(r.pending(), 0u);
    }
    {
        // Parts carrying more than the envelope declares.
        segment_reader r(false, lim);
        auto e = r.read(raw_segment(frame.size() + 1, 3, frame + "x"), out);
        ASSERT_FALSE(e);
        EXPECT_NE(e.error().what().find("more than"), std::string::npos) << e.error().what();
    }
    {
        // A self-contained segment in the middle of a split envelope.
        segment_reader r(false, lim);
        auto first = raw_segment(5, 3, frame.substr(0, 5));
        EXPECT_FALSE(r.read(first, out)) << "shorter than a header";
        segment_reader r2(false, lim);
        auto part = raw_segment(10, 3, frame.substr(0, 10));
        auto whole = encode_segment(frame, true, false);
        auto e = r2.read(part + whole, out);
        ASSERT_FALSE(e);
        EXPECT_NE(e.error().what().find("in the middle of a split envelope"), std::string::npos)
            << e.error().what();
    }
    {
        // An LZ4 segment that does not decompress to what it declares.
        segment_reader r(true, lim);
        auto e = r.read(raw_segment(4 | uint64_t(1000) << 17 | uint64_t(1) << 34, 5, "junk"), out);
        ASSERT_FALSE(e);
        EXPECT_EQ(e.error().code, errc::malformed_frame);
    }
    {
        // A request frame's version byte is still a v5 envelope; an
        // unknown version is not.
        auto v9 = frame;
        v9[0] = char(0x89);
        segment_reader r(false, lim);
        EXPECT_EQ(r.read(encode_segment(v9, true, false), out).error().code, errc::unsupported);
    }
    EXPECT_TRUE(out.empty());
}

TEST(cql_segment, empty_and_partial_input) {
    segment_reader r(false, limits{});
    std::vector<envelope> out;
    EXPECT_EQ(*r.read("", out), 0u);
    auto seg = encode_segment(envelope_bytes(1, "x"), true, false);
    EXPECT_EQ(*r.read(seg.substr(0, seg.size() - 1), out), 0u);
    EXPECT_TRUE(out.empty());
    EXPECT_EQ(*r.read(seg, out), seg.size());
    EXPECT_EQ(out.size(), 1u);
    // An empty self-contained segment carries nothing, and is no error.
    EXPECT_EQ(*r.read(encode_segment("", true, false), out), segment_header_size + segment_trailer_size);
    EXPECT_EQ(out.size(), 1u);
}

} // namespace
} // namespace mdsp::cql
