// Serialization of the value types we bind and read (section 6): text,
// ascii, bigint, int, double, boolean, timestamp, date, blob.
#include <bit>
#include <cstring>

#include <arpa/inet.h>
#include <fmt/format.h>

#include "cql/internal/wire.h"
#include "cql/messages.h"

namespace mdsp::cql {

namespace {
std::string be(uint64_t v, int bytes) {
    std::string s(size_t(bytes), '\0');
    for (int i = bytes - 1; i >= 0; --i) {
        s[size_t(i)] = char(v & 0xFF);
        v >>= 8;
    }
    return s;
}
uint64_t from_be(std::string_view s) {
    uint64_t v = 0;
    for (char c : s) {
        v = v << 8 | uint8_t(c);
    }
    return v;
}
const char* type_name(type_id t) {
    switch (t) {
    case type_id::ascii:
        return "ascii";
    case type_id::bigint:
        return "bigint";
    case type_id::blob:
        return "blob";
    case type_id::boolean:
        return "boolean";
    case type_id::counter:
        return "counter";
    case type_id::double_:
        return "double";
    case type_id::int_:
        return "int";
    case type_id::timestamp:
        return "timestamp";
    case type_id::varchar:
        return "text";
    case type_id::date:
        return "date";
    default:
        return "another type";
    }
}
} // namespace

value value::bigint(int64_t v) {
    return value(state::set, be(uint64_t(v), 8));
}
value value::int_(int32_t v) {
    return value(state::set, be(uint32_t(v), 4));
}
value value::double_(double v) {
    return value(state::set, be(std::bit_cast<uint64_t>(v), 8));
}
value value::boolean(bool v) {
    return value(state::set, std::string(1, v ? '\1' : '\0'));
}
value value::timestamp_ms(int64_t ms) {
    return bigint(ms);
}
value value::date(int32_t days) {
    return value(state::set, be(uint32_t(int64_t(days) + (int64_t(1) << 31)), 4));
}

result<std::optional<std::string_view>> row_view::raw(size_t col) const {
    size_t ncol = size_t(_rows->meta.column_count);
    if (col >= ncol || _index >= _rows->row_count) {
        return make_error(errc::invalid_argument,
                          "no cell at row {} column {} (the result has {} rows of {} columns)", _index, col,
                          _rows->row_count, ncol);
    }
    const cell& c = _rows->cells[_index * ncol + col];
    if (c.length < 0) {
        return std::optional<std::string_view>{};
    }
    return std::optional<std::string_view>(std::string_view(_rows->data).substr(c.offset, size_t(c.length)));
}

std::optional<size_t> row_view::column(std::string_view name) const {
    const auto& cols = _rows->meta.columns;
    for (size_t i = 0; i < cols.size(); ++i) {
        if (cols[i].name == name) {
            return i;
        }
    }
    return std::nullopt;
}

result<std::optional<std::string_view>> row_view::typed(size_t col, std::initializer_list<type_id> ok,
                                                        size_t exact_size, const char* as) const {
    auto v = raw(col);
    if (!v) {
        return v;
    }
    const auto& cols = _rows->meta.columns;
    if (col < cols.size()) {
        bool match = false;
        for (auto t : ok) {
            match = match || cols[col].type.id == t;
        }
        if (!match) {
            return make_error(errc::type_mismatch, "column '{}' is {}, read as {}", cols[col].name,
                              type_name(cols[col].type.id), as);
        }
    }
    if (*v && exact_size && (*v)->size() != exact_size) {
        // An empty value is legal for most types (section 6) and reads as null.
        if ((*v)->empty()) {
            return std::optional<std::string_view>{};
        }
        return make_error(errc::type_mismatch, "a {} value of {} bytes at column {} ({} expected)", as,
                          (*v)->size(), col, exact_size);
    }
    return v;
}

result<std::optional<std::string>> row_view::text(size_t col) const {
    auto v = typed(col, {type_id::varchar, type_id::ascii}, 0, "text");
    if (!v) {
        return v.error();
    }
    return *v ? std::optional<std::string>(std::string(**v)) : std::nullopt;
}

result<std::optional<std::string>> row_view::blob(size_t col) const {
    auto v = typed(col, {type_id::blob}, 0, "blob");
    if (!v) {
        return v.error();
    }
    return *v ? std::optional<std::string>(std::string(**v)) : std::nullopt;
}

result<std::optional<int64_t>> row_view::bigint(size_t col) const {
    auto v = typed(col, {type_id::bigint, type_id::counter}, 8, "bigint");
    if (!v) {
        return v.error();
    }
    return *v ? std::optional<int64_t>(int64_t(from_be(**v))) : std::nullopt;
}

result<std::optional<int32_t>> row_view::int_(size_t col) const {
    auto v = typed(col, {type_id::int_}, 4, "int");
    if (!v) {
        return v.error();
    }
    return *v ? std::optional<int32_t>(int32_t(uint32_t(from_be(**v)))) : std::nullopt;
}

result<std::optional<double>> row_view::double_(size_t col) const {
    auto v = typed(col, {type_id::double_}, 8, "double");
    if (!v) {
        return v.error();
    }
    return *v ? std::optional<double>(std::bit_cast<double>(from_be(**v))) : std::nullopt;
}

result<std::optional<bool>> row_view::boolean(size_t col) const {
    auto v = typed(col, {type_id::boolean}, 1, "boolean");
    if (!v) {
        return v.error();
    }
    return *v ? std::optional<bool>((**v)[0] != 0) : std::nullopt;
}

result<std::optional<int64_t>> row_view::timestamp_ms(size_t col) const {
    auto v = typed(col, {type_id::timestamp}, 8, "timestamp");
    if (!v) {
        return v.error();
    }
    return *v ? std::optional<int64_t>(int64_t(from_be(**v))) : std::nullopt;
}

result<std::optional<int32_t>> row_view::date(size_t col) const {
    auto v = typed(col, {type_id::date}, 4, "date");
    if (!v) {
        return v.error();
    }
    return *v ? std::optional<int32_t>(int32_t(int64_t(from_be(**v)) - (int64_t(1) << 31))) : std::nullopt;
}

result<std::optional<std::string>> row_view::inet(size_t col) const {
    auto v = typed(col, {type_id::inet}, 0, "inet");
    if (!v || !*v) {
        return v ? result<std::optional<std::string>>(std::nullopt) : v.error();
    }
    auto b = **v;
    if (b.size() != 4 && b.size() != 16) {
        return make_error(errc::type_mismatch, "an inet value of {} bytes (4 or 16 expected)", b.size());
    }
    char text[INET6_ADDRSTRLEN] = {};
    ::inet_ntop(b.size() == 4 ? AF_INET : AF_INET6, b.data(), text, sizeof text);
    return std::optional<std::string>(std::string(text));
}

result<std::vector<std::string>> row_view::text_collection(size_t col) const {
    auto v = typed(col, {type_id::set, type_id::list}, 0, "set<text>");
    if (!v) {
        return v.error();
    }
    std::vector<std::string> out;
    if (!*v) {
        return out;
    }
    internal::reader r(**v);
    size_t n = r.count32(4, "collection size");
    out.reserve(n);
    for (size_t i = 0; i < n && r.ok(); ++i) {
        auto e = r.bytes("collection element");
        out.emplace_back(e ? *e : std::string_view{});
    }
    if (!r.ok()) {
        return make_error(errc::type_mismatch, "column {}: {}", col, r.failure());
    }
    return out;
}

} // namespace mdsp::cql
