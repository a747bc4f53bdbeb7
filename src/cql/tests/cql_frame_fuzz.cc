// libFuzzer target: bytes as a CQL server would send them, in either of the
// two framings, chosen by the first byte:
//  - 0x83..0x85 (a response's version byte): a sequence of frames as v4 and
//    v5's handshake have them (9-byte header, body);
//  - anything else: v5 segments (LZ4 ones when its low bit is set), fed to
//    the segment reader in chunks of the second byte's size (partial
//    segments), the envelopes they carry decoded as below, then written
//    again by the segment writer and read back the same.
// Each frame goes through the header check, the envelope (LZ4 when flagged
// in v4, tracing, warnings, payload) and the decoder of its opcode for its
// version; every cell of a rows result is read with every typed getter.
// Small limits, so the bounds themselves are exercised.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/assert.h"
#include "cql/frame.h"
#include "cql/messages.h"
#include "cql/segment.h"

namespace {
using namespace mdsp::cql;

void read_rows(const rows& rs) {
    MDSP_ASSERT(rs.cells.size() == rs.row_count * size_t(rs.meta.column_count), "{} cells for {} x {}",
                rs.cells.size(), rs.row_count, rs.meta.column_count);
    for (size_t i = 0; i < rs.size(); ++i) {
        auto row = rs.row(i);
        for (size_t c = 0; c < size_t(rs.meta.column_count); ++c) {
            auto raw = row.raw(c);
            MDSP_ASSERT(raw.has_value(), "an in-range cell failed: {}", raw.error().what());
            (void)row.text(c);
            (void)row.blob(c);
            (void)row.bigint(c);
            (void)row.int_(c);
            (void)row.double_(c);
            (void)row.boolean(c);
            (void)row.timestamp_ms(c);
            (void)row.date(c);
            (void)row.inet(c);
            (void)row.text_collection(c);
        }
        (void)row.raw(size_t(rs.meta.column_count)); // one past the end: an error, no read
    }
}

void decode(const frame_header& h, std::string_view body, const limits& lim) {
    auto m = open_body(h, std::string(body), lim, true);
    if (!m) {
        MDSP_ASSERT(!m.error().what().empty(), "an error without a message");
        return;
    }
    protocol v = version_of(h) == uint8_t(protocol::v5) ? protocol::v5 : protocol::v4;
    switch (h.op) {
    case opcode::result: {
        auto r = decode_result(m->bytes, lim, v);
        if (r && r->kind == result_kind::rows) {
            read_rows(r->rows);
        }
        if (r && r->kind == result_kind::prepared) {
            // Rows without metadata, typed by this statement's result metadata.
            auto again = decode_result(m->bytes, lim, v, &r->prepared.result_meta);
            (void)again;
        }
        break;
    }
    case opcode::error:
        if (auto e = decode_error(m->bytes, v)) {
            MDSP_ASSERT(!to_error(*e).what().empty(), "an empty error message");
        }
        break;
    case opcode::event:
        (void)decode_event(m->bytes);
        break;
    case opcode::supported:
        (void)decode_supported(m->bytes);
        break;
    case opcode::authenticate:
        (void)decode_authenticate(m->bytes);
        break;
    default:
        break;
    }
}

void frames(std::string_view in, const limits& lim) {
    while (in.size() >= header_size) {
        auto h = decode_header(in.substr(0, header_size), lim);
        if (!h) {
            MDSP_ASSERT(!h.error().what().empty(), "an error without a message");
            return;
        }
        MDSP_ASSERT(h->length <= lim.max_frame_bytes, "a header above the limit passed");
        in.remove_prefix(header_size);
        size_t n = std::min<size_t>(h->length, in.size());
        decode(*h, in.substr(0, n), lim);
        in.remove_prefix(n);
    }
}

std::vector<envelope> read_segments(std::string_view in, bool lz4, size_t chunk, const limits& lim) {
    segment_reader reader(lz4, lim);
    std::vector<envelope> out;
    std::string buf;
    for (size_t at = 0; at < in.size(); at += chunk) {
        buf.append(in.substr(at, chunk));
        auto used = reader.read(buf, out);
        if (!used) {
            MDSP_ASSERT(!used.error().what().empty(), "an error without a message");
            break;
        }
        MDSP_ASSERT(*used <= buf.size(), "consumed {} of {} bytes", *used, buf.size());
        buf.erase(0, *used);
        MDSP_ASSERT(reader.pending() <= header_size + lim.max_frame_bytes, "{} bytes of a split envelope",
                    reader.pending());
    }
    for (const auto& e : out) {
        MDSP_ASSERT(e.h.length == e.body.size() && e.h.length <= lim.max_frame_bytes,
                    "an envelope of {} bytes declares {}", e.body.size(), e.h.length);
    }
    return out;
}

void segments(std::string_view in, bool lz4, size_t chunk, const limits& lim) {
    auto envelopes = read_segments(in, lz4, chunk, lim);
    segment_writer writer(lz4);
    for (const auto& e : envelopes) {
        decode(e.h, e.body, lim);
        auto frame = encode_frame(e.h.op, e.h.stream, e.body, e.h.flags, (e.h.version & response_bit) != 0,
                                  protocol(version_of(e.h)));
        writer.add(frame);
    }
    auto again = read_segments(writer.take(), lz4, 4096, lim);
    MDSP_ASSERT(again.size() == envelopes.size(), "{} envelopes written, {} read back", envelopes.size(),
                again.size());
    for (size_t i = 0; i < again.size(); ++i) {
        MDSP_ASSERT(again[i].body == envelopes[i].body && again[i].h.stream == envelopes[i].h.stream,
                    "envelope {} differs once written again", i);
    }
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    limits lim;
    lim.max_frame_bytes = 1 << 16;
    lim.max_columns = 64;
    lim.max_type_depth = 8;
    if (in.empty()) {
        return 0;
    }
    uint8_t mode = uint8_t(in[0]);
    if (mode >= 0x83 && mode <= 0x85) {
        frames(in, lim);
        return 0;
    }
    if (in.size() < 2) {
        return 0;
    }
    size_t chunk = size_t(uint8_t(in[1])) + 1;
    segments(in.substr(2), (mode & 1) != 0, chunk, lim);
    return 0;
}
