#include "cql/segment.h"

#include <fmt/format.h>
#include <lz4.h>
#include <zlib.h>

namespace mdsp::cql {

namespace {
constexpr uint32_t crc24_init = 0x875060;
constexpr uint32_t crc24_poly = 0x1974F0B;
constexpr unsigned char crc32_seed[4] = {0xFA, 0x2D, 0x55, 0xCA};

void put_le(std::string& out, uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) {
        out.push_back(char(uint8_t(v >> (8 * i))));
    }
}

uint64_t get_le(std::string_view in, int bytes) {
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; --i) {
        v = v << 8 | uint8_t(in[size_t(i)]);
    }
    return v;
}

// The header fields, then their CRC24 over the bytes as written.
void put_header(std::string& out, uint64_t fields, int bytes) {
    size_t at = out.size();
    put_le(out, fields, bytes);
    put_le(out, segment_crc24(std::string_view(out).substr(at, size_t(bytes))), 3);
}

void put_payload(std::string& out, std::string_view payload) {
    out.append(payload);
    put_le(out, segment_crc32(payload), 4);
}
} // namespace

uint32_t segment_crc24(std::string_view bytes) {
    uint32_t crc = crc24_init;
    for (char c : bytes) {
        crc ^= uint32_t(uint8_t(c)) << 16;
        for (int i = 0; i < 8; ++i) {
            crc <<= 1;
            if (crc & 0x1000000) {
                crc ^= crc24_poly;
            }
        }
    }
    return crc & 0xFFFFFF;
}

uint32_t segment_crc32(std::string_view payload) {
    uLong crc = crc32(0L, crc32_seed, sizeof crc32_seed);
    crc = crc32(crc, reinterpret_cast<const Bytef*>(payload.data()), uInt(payload.size()));
    return uint32_t(crc);
}

std::string encode_segment(std::string_view payload, bool self_contained, bool lz4, size_t compress_min) {
    MDSP_ASSERT(payload.size() <= max_segment_payload, "a segment payload of {} bytes", payload.size());
    std::string out;
    uint64_t self = self_contained ? 1 : 0;
    if (!lz4) {
        out.reserve(segment_header_size + payload.size() + segment_trailer_size);
        put_header(out, payload.size() | self << 17, 3);
        put_payload(out, payload);
        return out;
    }
    std::string packed;
    if (payload.size() >= compress_min && !payload.empty()) {
        packed.resize(size_t(LZ4_compressBound(int(payload.size()))));
        int n = LZ4_compress_default(payload.data(), packed.data(), int(payload.size()), int(packed.size()));
        packed.resize(n > 0 ? size_t(n) : 0);
    }
    // Sent as is (uncompressed length 0) unless compression makes it smaller.
    bool compressed = !packed.empty() && packed.size() < payload.size();
    std::string_view body = compressed ? std::string_view(packed) : payload;
    uint64_t uncompressed = compressed ? payload.size() : 0;
    out.reserve(lz4_segment_header_size + body.size() + segment_trailer_size);
    put_header(out, body.size() | uncompressed << 17 | self << 34, 5);
    put_payload(out, body);
    return out;
}

void segment_writer::close_open() {
    if (_open.empty()) {
        return;
    }
    _out += encode_segment(_open, true, _lz4, _compress_min);
    _open.clear();
}

void segment_writer::add(std::string_view envelope) {
    if (envelope.size() > max_segment_payload) {
        close_open();
        for (size_t at = 0; at < envelope.size(); at += max_segment_payload) {
            _out += encode_segment(envelope.substr(at, max_segment_payload), false, _lz4, _compress_min);
        }
        return;
    }
    if (_open.size() + envelope.size() > max_segment_payload) {
        close_open();
    }
    _open.append(envelope);
}

std::string segment_writer::take() {
    close_open();
    return std::move(_out);
}

result<size_t> segment_reader::read(std::string_view in, std::vector<envelope>& out) {
    const size_t header = _lz4 ? lz4_segment_header_size : segment_header_size;
    const int fields = _lz4 ? 5 : 3;
    size_t at = 0;
    while (in.size() - at >= header) {
        auto h = in.substr(at, header);
        uint64_t v = get_le(h, fields);
        uint32_t crc = uint32_t(get_le(h.substr(size_t(fields)), 3));
        uint32_t want = segment_crc24(h.substr(0, size_t(fields)));
        if (crc != want) {
            return make_error(
                errc::corrupt_segment,
                "a CQL v5 segment header fails its CRC24 check (0x{:06x}, computed 0x{:06x}): the "
                "stream is corrupt{}",
                crc, want, _lz4 ? " (or the server does not compress with LZ4)" : "");
        }
        size_t length = size_t(v & 0x1FFFF);
        size_t uncompressed = _lz4 ? size_t(v >> 17 & 0x1FFFF) : 0;
        bool self_contained = (v >> (_lz4 ? 34 : 17)) & 1;
        if (in.size() - at - header < length + segment_trailer_size) {
            break;
        }
        auto payload = in.substr(at + header, length);
        uint32_t trailer = uint32_t(get_le(in.substr(at + header + length, segment_trailer_size), 4));
        if (trailer != segment_crc32(payload)) {
            return make_error(
                errc::corrupt_segment,
                "a CQL v5 segment of {} bytes fails its CRC32 check (0x{:08x}, computed 0x{:08x})", length,
                trailer, segment_crc32(payload));
        }
        if (uncompressed > 0) {
            _inflated.resize(uncompressed);
            int got = LZ4_decompress_safe(payload.data(), _inflated.data(), int(length), int(uncompressed));
            if (got != int(uncompressed)) {
                return make_error(errc::malformed_frame,
                                  "an LZ4 segment does not decompress to its declared {} bytes (got {})",
                                  uncompressed, got);
            }
            payload = _inflated;
            ++_compressed;
        }
        if (auto r = on_payload(payload, self_contained, out); !r) {
            return r.error();
        }
        at += header + length + segment_trailer_size;
    }
    return at;
}

result<void> segment_reader::on_payload(std::string_view payload, bool self_contained,
                                        std::vector<envelope>& out) {
    if (self_contained) {
        if (_want != 0) {
            return make_error(errc::malformed_frame,
                              "a self-contained CQL v5 segment arrived in the middle of a split envelope "
                              "({} of {} bytes received)",
                              _partial.size(), _want);
        }
        while (!payload.empty()) {
            auto h = decode_header(payload, _lim);
            if (!h) {
                return h.error();
            }
            if (payload.size() - header_size < h->length) {
                return make_error(errc::malformed_frame,
                                  "an envelope of {} bytes does not fit in the {} bytes left of its "
                                  "self-contained CQL v5 segment",
                                  header_size + h->length, payload.size());
            }
            out.push_back({*h, std::string(payload.substr(header_size, h->length))});
            payload.remove_prefix(header_size + h->length);
        }
        return ok();
    }
    if (_want == 0) {
        // The first part: it starts with the envelope's header, whose length
        // is checked against max_frame_bytes before anything is kept.
        auto h = decode_header(payload, _lim);
        if (!h) {
            return h.error();
        }
        _want = header_size + uint64_t(h->length);
    }
    if (_partial.size() + payload.size() > _want) {
        return make_error(errc::malformed_frame,
                          "the segments of a split CQL v5 envelope carry {} bytes, more than its {}",
                          _partial.size() + payload.size(), _want);
    }
    _partial.append(payload);
    if (_partial.size() < _want) {
        return ok();
    }
    auto h = decode_header(_partial, _lim);
    MDSP_ASSERT(h.has_value(), "a split envelope's header was checked already");
    out.push_back({*h, _partial.substr(header_size)});
    _partial.clear();
    _partial.shrink_to_fit();
    _want = 0;
    return ok();
}

} // namespace mdsp::cql
