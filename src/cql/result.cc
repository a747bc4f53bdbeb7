// RESULT (section 4.2.5): Void, Rows (metadata, paging state, in v5 a new
// result metadata id, cells), Set_keyspace, Prepared (with partition-key
// indexes, in v5 the result metadata id), Schema_change.
#include "cql/internal/result.h"

#include <fmt/format.h>

namespace mdsp::cql {
namespace internal {
namespace {

enum : int32_t {
    global_tables_spec = 0x0001,
    has_more_pages = 0x0002,
    no_metadata = 0x0004,
    metadata_changed = 0x0008, // v5
};

// An [option] type, recursing into collections, UDTs and tuples no deeper
// than the limit (a hostile nesting cannot exhaust the stack).
data_type read_type(reader& r, int depth, const limits& lim) {
    data_type t;
    if (depth > lim.max_type_depth) {
        r.fail(fmt::format("a column type nests deeper than {} levels", lim.max_type_depth));
        return t;
    }
    auto id = r.u16("type id");
    t.id = type_id(id);
    switch (t.id) {
    case type_id::custom:
        t.custom = std::string(r.string("custom type class"));
        break;
    case type_id::list:
    case type_id::set:
        t.params.push_back(read_type(r, depth + 1, lim));
        break;
    case type_id::map:
        t.params.push_back(read_type(r, depth + 1, lim));
        t.params.push_back(read_type(r, depth + 1, lim));
        break;
    case type_id::udt: {
        auto ks = r.string("UDT keyspace");
        auto name = r.string("UDT name");
        t.custom = fmt::format("{}.{}", ks, name);
        size_t n = r.count16(4, "UDT fields");
        for (size_t i = 0; i < n && r.ok(); ++i) {
            t.field_names.emplace_back(r.string("UDT field name"));
            t.params.push_back(read_type(r, depth + 1, lim));
        }
        break;
    }
    case type_id::tuple: {
        size_t n = r.count16(2, "tuple types");
        for (size_t i = 0; i < n && r.ok(); ++i) {
            t.params.push_back(read_type(r, depth + 1, lim));
        }
        break;
    }
    default:
        if (r.ok() && (id > 0x0015 || id == 0x000A)) {
            r.fail(fmt::format("unknown column type id 0x{:04x}", id));
        }
        break;
    }
    return t;
}

// Rows metadata (4.2.5.2) or, with prepared set, the bind metadata of a
// Prepared result (4.2.5.4), which has the partition-key indexes.
metadata read_metadata(reader& r, const limits& lim, bool prepared, protocol v) {
    metadata m;
    int32_t flags = r.i32("metadata flags");
    int32_t count = r.i32("columns count");
    if (r.ok() && (count < 0 || uint32_t(count) > lim.max_columns)) {
        r.fail(fmt::format("a result declares {} columns, outside [0, {}]", count, lim.max_columns));
        return m;
    }
    m.column_count = count;
    m.has_more_pages = flags & has_more_pages;
    m.no_metadata = flags & no_metadata;
    if (prepared) {
        size_t pk = r.count32(2, "partition key count");
        if (r.ok() && pk > size_t(count)) {
            r.fail(fmt::format("{} partition-key indexes for {} bind variables", pk, count));
        }
        for (size_t i = 0; i < pk && r.ok(); ++i) {
            uint16_t idx = r.u16("partition key index");
            if (r.ok() && idx >= count) {
                r.fail(fmt::format("partition-key index {} is not one of the {} bind variables", idx, count));
            }
            m.pk_indexes.push_back(idx);
        }
    }
    if (!prepared && (flags & has_more_pages)) {
        auto ps = r.bytes("paging state");
        if (ps) {
            m.paging_state = std::string(*ps);
        }
    }
    if (!prepared && v != protocol::v4 && (flags & metadata_changed)) {
        if (m.no_metadata && r.ok()) {
            r.fail("Metadata_changed with No_metadata: the changed metadata is missing");
            return m;
        }
        auto id = r.short_bytes("new result metadata id");
        if (r.ok() && id.empty()) {
            r.fail("Metadata_changed with an empty new result metadata id");
        }
        m.new_metadata_id = std::string(id);
    }
    if (m.no_metadata || !r.ok()) {
        return m;
    }
    std::string ks, table;
    bool global = flags & global_tables_spec;
    if (global) {
        ks = std::string(r.string("keyspace"));
        table = std::string(r.string("table"));
    }
    // Each column spec takes at least a name length and a type id.
    if (r.ok() && size_t(count) * 4 > r.remaining()) {
        r.fail(fmt::format("{} column specs cannot fit in the {} bytes left", count, r.remaining()));
        return m;
    }
    m.columns.reserve(size_t(count));
    for (int32_t i = 0; i < count && r.ok(); ++i) {
        column_spec c;
        if (global) {
            c.keyspace = ks;
            c.table = table;
        } else {
            c.keyspace = std::string(r.string("column keyspace"));
            c.table = std::string(r.string("column table"));
        }
        c.name = std::string(r.string("column name"));
        c.type = read_type(r, 0, lim);
        m.columns.push_back(std::move(c));
    }
    return m;
}

void read_rows(reader& r, const limits& lim, protocol v, const metadata* known, std::string_view body,
               rows& out) {
    out.meta = read_metadata(r, lim, false, v);
    if (!r.ok()) {
        return;
    }
    if (out.meta.no_metadata && known && known->column_count == out.meta.column_count) {
        out.meta.columns = known->columns;
    }
    size_t ncol = size_t(out.meta.column_count);
    size_t nrows = r.count32(ncol == 0 ? 0 : 4 * ncol, "rows count");
    if (ncol == 0 && nrows > 0 && r.ok()) {
        r.fail(fmt::format("{} rows of no columns", nrows));
        return;
    }
    out.row_count = nrows;
    out.cells.reserve(nrows * ncol);
    size_t base = r.position();
    for (size_t i = 0; i < nrows * ncol && r.ok(); ++i) {
        size_t at = r.position() + 4;
        auto v = r.bytes("cell");
        if (!r.ok()) {
            break;
        }
        out.cells.push_back(v ? cell{uint32_t(at - base), int32_t(v->size())} : cell{});
    }
    if (r.ok()) {
        out.data = std::string(body.substr(base, r.position() - base));
    }
}

} // namespace

schema_change read_schema_change(reader& r) {
    schema_change c;
    c.change_type = std::string(r.string("schema change type"));
    c.target = std::string(r.string("schema change target"));
    c.keyspace = std::string(r.string("schema change keyspace"));
    if (c.target == "TABLE" || c.target == "TYPE") {
        c.name = std::string(r.string("schema change name"));
    } else if (c.target == "FUNCTION" || c.target == "AGGREGATE") {
        c.name = std::string(r.string("schema change name"));
        c.arg_types = r.string_list("schema change argument types");
    } else if (c.target != "KEYSPACE" && r.ok()) {
        r.fail(fmt::format("unknown schema change target '{}'", c.target));
    }
    return c;
}

} // namespace internal

result<result_message> decode_result(std::string_view body, const limits& lim, protocol v,
                                     const metadata* known) {
    internal::reader r(body);
    result_message m;
    int32_t kind = r.i32("result kind");
    switch (kind) {
    case 1:
        m.kind = result_kind::void_;
        break;
    case 2:
        m.kind = result_kind::rows;
        internal::read_rows(r, lim, v, known, body, m.rows);
        break;
    case 3:
        m.kind = result_kind::set_keyspace;
        m.keyspace = std::string(r.string("keyspace"));
        break;
    case 4:
        m.kind = result_kind::prepared;
        m.prepared.id = std::string(r.short_bytes("prepared id"));
        if (v != protocol::v4) {
            m.prepared.result_metadata_id = std::string(r.short_bytes("result metadata id"));
        }
        m.prepared.bind = internal::read_metadata(r, lim, true, v);
        m.prepared.result_meta = internal::read_metadata(r, lim, false, v);
        if (r.ok() && m.prepared.id.empty()) {
            r.fail("an empty prepared id");
        }
        break;
    case 5:
        m.kind = result_kind::schema_change;
        m.change = internal::read_schema_change(r);
        break;
    default:
        if (r.ok()) {
            r.fail(fmt::format("unknown result kind {}", kind));
        }
    }
    if (!r.ok()) {
        return r.error("RESULT");
    }
    return m;
}

} // namespace mdsp::cql
