#pragma once

// Test-only: server-side encodings of RESULT, ERROR and EVENT bodies (the
// client only decodes those), and decoding of the requests the client sends,
// for the codec tests and the fake server.
#include <optional>
#include <string>
#include <vector>

#include "cql/frame.h"
#include "cql/internal/wire.h"
#include "cql/messages.h"

namespace mdsp::cql::testing {

struct col {
    std::string name;
    type_id type;
    std::string option = {}; // the encoded [option] of a type with parameters (set<text>)
};
using cells = std::vector<std::optional<std::string>>;

inline void write_specs(internal::writer& w, const std::vector<col>& cols, bool global) {
    if (global) {
        w.string("ks");
        w.string("tbl");
    }
    for (const auto& c : cols) {
        if (!global) {
            w.string("ks");
            w.string("tbl");
        }
        w.string(c.name);
        if (c.option.empty()) {
            w.u16(uint16_t(c.type));
        } else {
            w.raw(c.option);
        }
    }
}

// new_metadata_id: a v5 Rows result with Metadata_changed.
inline std::string rows_body(const std::vector<col>& cols, const std::vector<cells>& rows,
                             std::optional<std::string> paging_state = {}, bool global = true,
                             bool no_metadata = false, std::optional<std::string> new_metadata_id = {}) {
    internal::writer w;
    w.i32(2);
    int32_t flags =
        (global ? 1 : 0) | (paging_state ? 2 : 0) | (no_metadata ? 4 : 0) | (new_metadata_id ? 8 : 0);
    w.i32(flags);
    w.i32(int32_t(cols.size()));
    if (paging_state) {
        w.bytes(*paging_state);
    }
    if (new_metadata_id) {
        w.short_bytes(*new_metadata_id);
    }
    if (!no_metadata) {
        write_specs(w, cols, global);
    }
    w.i32(int32_t(rows.size()));
    for (const auto& r : rows) {
        for (const auto& c : r) {
            if (c) {
                w.bytes(*c);
            } else {
                w.bytes(std::nullopt);
            }
        }
    }
    return w.take();
}

// In v5 with a result metadata id (result_metadata_id, or "M" + id).
inline std::string prepared_body(protocol v, const std::string& id, const std::vector<col>& bind,
                                 const std::vector<uint16_t>& pk, const std::vector<col>& result_cols,
                                 std::string result_metadata_id = {}) {
    internal::writer w;
    w.i32(4);
    w.short_bytes(id);
    if (v != protocol::v4) {
        w.short_bytes(result_metadata_id.empty() ? "M" + id : result_metadata_id);
    }
    w.i32(1);
    w.i32(int32_t(bind.size()));
    w.i32(int32_t(pk.size()));
    for (auto i : pk) {
        w.u16(i);
    }
    write_specs(w, bind, true);
    w.i32(result_cols.empty() ? 4 : 1);
    w.i32(int32_t(result_cols.size()));
    if (!result_cols.empty()) {
        write_specs(w, result_cols, true);
    }
    return w.take();
}

inline std::string void_body() {
    internal::writer w;
    w.i32(1);
    return w.take();
}

inline std::string error_body(int32_t code, std::string_view msg, std::string_view extras = {}) {
    internal::writer w;
    w.i32(code);
    w.string(msg);
    w.raw(extras);
    return w.take();
}

inline std::string unprepared_body(const std::string& id) {
    internal::writer x;
    x.short_bytes(id);
    return error_body(0x2500, "unprepared", x.out());
}

// A request the fake server got: QUERY/PREPARE text or EXECUTE id (and in
// v5 result metadata id), values.
struct request {
    std::string text;
    std::string id;
    std::string result_metadata_id;
    uint32_t flags = 0;
    consistency cl = consistency::any;
    std::vector<std::optional<std::string>> values;
    std::optional<int32_t> page_size;
    std::optional<std::string> paging_state;
    bool ok = false;
};

inline request parse_request(opcode op, std::string_view body, protocol v) {
    internal::reader r(body);
    request q;
    if (op == opcode::prepare) {
        q.text = std::string(r.long_string("query"));
        if (v != protocol::v4) {
            q.flags = uint32_t(r.i32("flags"));
        }
        q.ok = r.ok() && r.remaining() == 0;
        return q;
    }
    if (op == opcode::query) {
        q.text = std::string(r.long_string("query"));
    } else if (op == opcode::execute) {
        q.id = std::string(r.short_bytes("id"));
        if (v != protocol::v4) {
            q.result_metadata_id = std::string(r.short_bytes("result metadata id"));
        }
    } else {
        return q;
    }
    q.cl = consistency(r.u16("cl"));
    uint32_t flags = v == protocol::v4 ? r.u8("flags") : uint32_t(r.i32("flags"));
    q.flags = flags;
    if (flags & 0x01) {
        size_t n = r.u16("n");
        for (size_t i = 0; i < n && r.ok(); ++i) {
            auto v = r.bytes("value");
            q.values.push_back(v ? std::optional<std::string>(std::string(*v)) : std::nullopt);
        }
    }
    if (flags & 0x04) {
        q.page_size = r.i32("page size");
    }
    if (flags & 0x08) {
        auto ps = r.bytes("paging state");
        q.paging_state = ps ? std::string(*ps) : std::string();
    }
    if (flags & 0x10) {
        r.u16("serial consistency");
    }
    if (flags & 0x20) {
        r.i64("timestamp");
    }
    q.ok = r.ok() && r.remaining() == 0;
    return q;
}

// A request as the fake server got it: parsed for the version of its frame.
inline request parse_request(const frame_header& h, std::string_view body) {
    return parse_request(h.op, body, protocol(version_of(h)));
}

} // namespace mdsp::cql::testing
