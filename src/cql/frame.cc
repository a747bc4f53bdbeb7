#include "cql/frame.h"

#include <lz4.h>

#include "cql/internal/wire.h"

namespace mdsp::cql {

namespace {
bool known_opcode(uint8_t op) {
    return op <= 0x10 && op != 0x04;
}
} // namespace

std::string_view to_string(consistency c) noexcept {
    switch (c) {
    case consistency::any:
        return "ANY";
    case consistency::one:
        return "ONE";
    case consistency::two:
        return "TWO";
    case consistency::three:
        return "THREE";
    case consistency::quorum:
        return "QUORUM";
    case consistency::all:
        return "ALL";
    case consistency::local_quorum:
        return "LOCAL_QUORUM";
    case consistency::each_quorum:
        return "EACH_QUORUM";
    case consistency::serial:
        return "SERIAL";
    case consistency::local_serial:
        return "LOCAL_SERIAL";
    case consistency::local_one:
        return "LOCAL_ONE";
    }
    return "UNKNOWN";
}

result<frame_header> decode_header(std::string_view nine, const limits& lim) {
    if (nine.size() < header_size) {
        return make_error(errc::malformed_frame, "a CQL frame header is 9 bytes, got {}", nine.size());
    }
    internal::reader r(nine);
    frame_header h;
    h.version = r.u8("version");
    h.flags = r.u8("flags");
    h.stream = int16_t(r.u16("stream"));
    uint8_t op = r.u8("opcode");
    int32_t len = r.i32("length");
    if (version_of(h) < 3 || version_of(h) > uint8_t(newest_protocol)) {
        return make_error(
            errc::unsupported,
            "the peer speaks CQL native protocol version {} (byte 0x{:02x}); this client speaks "
            "v4 (Cassandra 2.2 and later, ScyllaDB) and v5 (Cassandra 4.0 and later)",
            version_of(h), h.version);
    }
    if (!known_opcode(op)) {
        return make_error(errc::malformed_frame, "unknown CQL opcode 0x{:02x} on stream {}", op, h.stream);
    }
    h.op = opcode(op);
    if (len < 0 || uint32_t(len) > lim.max_frame_bytes) {
        return make_error(errc::frame_too_large,
                          "a CQL frame on stream {} declares a body of {} bytes, above the limit of {} "
                          "(cql max_frame_bytes); ask for smaller pages (page_size) or raise the limit",
                          h.stream, len < 0 ? int64_t(uint32_t(len)) : int64_t(len), lim.max_frame_bytes);
    }
    h.length = uint32_t(len);
    return h;
}

std::string encode_frame(opcode op, int16_t stream, std::string_view body, uint8_t flags, bool response,
                         protocol v) {
    internal::writer w;
    w.out().reserve(header_size + body.size());
    w.u8(response ? uint8_t(v) | response_bit : uint8_t(v));
    w.u8(flags);
    w.u16(uint16_t(stream));
    w.u8(uint8_t(op));
    w.i32(int32_t(body.size()));
    w.raw(body);
    return w.take();
}

std::string lz4_compress(std::string_view body) {
    internal::writer w;
    w.i32(int32_t(body.size()));
    int bound = LZ4_compressBound(int(body.size()));
    auto& out = w.out();
    out.resize(4 + size_t(bound));
    int n = LZ4_compress_default(body.data(), out.data() + 4, int(body.size()), bound);
    out.resize(4 + size_t(n));
    return w.take();
}

result<std::string> lz4_decompress(std::string_view compressed, uint32_t max_bytes) {
    internal::reader r(compressed);
    int32_t n = r.i32("lz4 uncompressed length");
    if (!r.ok()) {
        return r.error("lz4 body");
    }
    if (n < 0 || uint32_t(n) > max_bytes) {
        return make_error(errc::frame_too_large,
                          "an LZ4 body declares {} uncompressed bytes, outside [0, {}] (cql max_frame_bytes)",
                          n, max_bytes);
    }
    std::string out(size_t(n), '\0');
    auto src = r.rest();
    int got = n == 0 && src.empty() ? 0 : LZ4_decompress_safe(src.data(), out.data(), int(src.size()), n);
    if (got != n) {
        return make_error(errc::malformed_frame,
                          "an LZ4 body does not decompress to its declared {} bytes (got {})", n, got);
    }
    return out;
}

result<message_body> open_body(const frame_header& h, std::string body, const limits& lim, bool lz4) {
    message_body m;
    if ((h.flags & flag_compression) && version_of(h) < uint8_t(protocol::v5)) {
        if (!lz4) {
            return make_error(errc::malformed_frame,
                              "a frame on stream {} is flagged compressed but no compression was agreed",
                              h.stream);
        }
        auto d = lz4_decompress(body, lim.max_frame_bytes);
        if (!d) {
            return d.error();
        }
        body = std::move(*d);
    }
    internal::reader r(body);
    if (h.flags & flag_tracing) {
        (void)r.take(16, "tracing id");
        m.traced = true;
    }
    if (h.flags & flag_warning) {
        m.warnings = r.string_list("warnings");
    }
    if (h.flags & flag_custom_payload) {
        r.skip_bytes_map("custom payload");
    }
    if (!r.ok()) {
        return r.error("frame envelope");
    }
    m.bytes = body.substr(r.position());
    return m;
}

} // namespace mdsp::cql
