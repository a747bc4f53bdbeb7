// libFuzzer target: bytes as a CQL server would send them. The input is a
// sequence of response frames (9-byte header, body); each goes through the
// header check, the envelope (LZ4 when flagged, tracing, warnings, payload)
// and the decoder of its opcode; every cell of a rows result is read with
// every typed getter. Small limits, so the bounds themselves are exercised.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/assert.h"
#include "cql/frame.h"
#include "cql/messages.h"

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
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    limits lim;
    lim.max_frame_bytes = 1 << 16;
    lim.max_columns = 64;
    lim.max_type_depth = 8;
    while (in.size() >= header_size) {
        auto h = decode_header(in.substr(0, header_size), lim);
        if (!h) {
            MDSP_ASSERT(!h.error().what().empty(), "an error without a message");
            return 0;
        }
        MDSP_ASSERT(h->length <= lim.max_frame_bytes, "a header above the limit passed");
        in.remove_prefix(header_size);
        size_t n = std::min<size_t>(h->length, in.size());
        decode(*h, in.substr(0, n), lim);
        in.remove_prefix(n);
    }
    return 0;
}
