#include "model/avro.h"

#include <algorithm>

#include <fmt/format.h>

namespace mdsp::model::avro {

namespace {
// Validates from the first non-ASCII byte on (RFC 3629, table 3-7 of the
// Unicode standard: the second byte's range depends on the first).
bool valid_utf8_tail(const unsigned char* p, const unsigned char* end) noexcept {
    while (p < end) {
        unsigned char c = *p;
        if (c < 0x80) {
            ++p;
            continue;
        }
        size_t n;
        unsigned char lo = 0x80;
        unsigned char hi = 0xbf;
        if (c >= 0xc2 && c <= 0xdf) {
            n = 1;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2;
            if (c == 0xe0) {
                lo = 0xa0; // no overlong 3-byte forms
            } else if (c == 0xed) {
                hi = 0x9f; // no UTF-16 surrogates
            }
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3;
            if (c == 0xf0) {
                lo = 0x90; // no overlong 4-byte forms
            } else if (c == 0xf4) {
                hi = 0x8f; // nothing above U+10FFFF
            }
        } else {
            return false; // continuation byte first, overlong 2-byte lead, or 0xf5..0xff
        }
        if (static_cast<size_t>(end - p) < n + 1) {
            return false;
        }
        if (p[1] < lo || p[1] > hi) {
            return false;
        }
        for (size_t i = 2; i <= n; ++i) {
            if ((p[i] & 0xc0) != 0x80) {
                return false;
            }
        }
        p += n + 1;
    }
    return true;
}

// Shortens a value for an error message and escapes what is not printable.
std::string excerpt(std::string_view v) {
    std::string out;
    for (size_t i = 0; i < v.size() && i < 32; ++i) {
        auto c = static_cast<unsigned char>(v[i]);
        if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"') {
            out.push_back(static_cast<char>(c));
        } else {
            out += fmt::format("\\x{:02x}", c);
        }
    }
    if (v.size() > 32) {
        out += "...";
    }
    return out;
}
} // namespace

bool is_valid_utf8(std::string_view s) noexcept {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const auto* end = p + s.size();
    // ASCII fast path, eight bytes at a time: symbols and sources are ASCII.
    while (end - p >= 8) {
        uint64_t w;
        std::memcpy(&w, p, 8);
        if ((w & 0x8080808080808080ULL) != 0) {
            break;
        }
        p += 8;
    }
    while (p < end && *p < 0x80) {
        ++p;
    }
    return p == end || valid_utf8_tail(p, end);
}

void writer::grow(size_t n) {
    // std::string grows its capacity geometrically, so small steps stay
    // amortized O(1); only the new bytes are zero-filled.
    _out.resize(_pos + std::max(n, size_t{64}));
}

bool reader::read_boolean(bool& out, std::string_view field) {
    if (_p == _end) [[unlikely]] {
        return fail_truncated(field, "boolean", 1);
    }
    auto b = static_cast<uint8_t>(*_p);
    if (b > 1) [[unlikely]] {
        return fail(errc::bad_boolean,
                    fmt::format("{}: boolean byte 0x{:02x} at byte {} is neither 0 (false) nor 1 (true)",
                                field, b, position()));
    }
    out = b == 1;
    ++_p;
    return true;
}

bool reader::read_int(int32_t& out, std::string_view field) {
    size_t at = position();
    uint32_t u = 0;
    for (unsigned i = 0; i < max_int_bytes; ++i) {
        if (_p == _end) [[unlikely]] {
            return fail_truncated(field, "int", 1);
        }
        auto b = static_cast<uint8_t>(*_p++);
        if (i == max_int_bytes - 1 && b > 0x0f) [[unlikely]] {
            return fail(errc::bad_varint,
                        fmt::format("{}: the int at byte {} does not fit in 32 bits (5th byte 0x{:02x}); "
                                    "the writer used another schema or the bytes are corrupt",
                                    field, at, b));
        }
        u |= static_cast<uint32_t>(b & 0x7f) << (7 * i);
        if (b < 0x80) {
            out = static_cast<int32_t>((u >> 1) ^ (~(u & 1) + 1));
            return true;
        }
    }
    return false; // unreachable: the 5th byte is < 0x10 and ends the loop
}

bool reader::read_varint_slow(uint64_t& out, std::string_view field) {
    size_t at = position();
    uint64_t u = 0;
    for (unsigned i = 0; i < max_long_bytes; ++i) {
        if (_p == _end) [[unlikely]] {
            return fail_truncated(field, "long", 1);
        }
        auto b = static_cast<uint8_t>(*_p++);
        if (i == max_long_bytes - 1 && b > 0x01) [[unlikely]] {
            return fail(errc::bad_varint,
                        fmt::format("{}: the long at byte {} is longer than 10 bytes or overflows 64 bits "
                                    "(10th byte 0x{:02x}); the bytes are not Avro or are corrupt",
                                    field, at, b));
        }
        u |= static_cast<uint64_t>(b & 0x7f) << (7 * i);
        if (b < 0x80) {
            out = u;
            return true;
        }
    }
    return false; // unreachable: the 10th byte is 0 or 1 and ends the loop
}

bool reader::read_length(std::string_view& out, std::string_view field, const char* kind, size_t max_len) {
    size_t at = position();
    int64_t len;
    if (!read_long(len, field)) [[unlikely]] {
        return false;
    }
    if (len < 0) [[unlikely]] {
        return fail(errc::bad_length,
                    fmt::format("{}: {} length {} at byte {} is negative", field, kind, len, at));
    }
    if (static_cast<uint64_t>(len) > max_len) [[unlikely]] {
        return fail(errc::bad_length, fmt::format("{}: {} length {} at byte {} is over the limit of {} bytes",
                                                  field, kind, len, at, max_len));
    }
    if (static_cast<uint64_t>(len) > remaining()) [[unlikely]] {
        return fail(
            errc::truncated,
            fmt::format("{}: {} of {} bytes at byte {} but only {} bytes remain; the record is truncated",
                        field, kind, len, at, remaining()));
    }
    out = std::string_view(_p, static_cast<size_t>(len));
    _p += len;
    return true;
}

bool reader::read_union_index(size_t& out, size_t branches, std::string_view field,
                              std::string_view type_names) {
    size_t at = position();
    int64_t idx;
    if (!read_long(idx, field)) [[unlikely]] {
        return false;
    }
    if (idx < 0 || static_cast<uint64_t>(idx) >= branches) [[unlikely]] {
        return fail(errc::bad_union_index,
                    fmt::format("{}: union branch {} at byte {} is not one of the schema's {} branches ({})",
                                field, idx, at, branches, type_names));
    }
    out = static_cast<size_t>(idx);
    return true;
}

bool reader::read_optional_string(std::optional<std::string>& out, std::string_view field, size_t max_len) {
    size_t branch;
    if (!read_union_index(branch, 2, field, "0 = null, 1 = string")) [[unlikely]] {
        return false;
    }
    if (branch == 0) {
        out.reset();
        return true;
    }
    if (!out) {
        out.emplace();
    }
    return read_string(*out, field, max_len);
}

bool reader::read_optional_double(std::optional<double>& out, std::string_view field) {
    size_t branch;
    if (!read_union_index(branch, 2, field, "0 = null, 1 = double")) [[unlikely]] {
        return false;
    }
    if (branch == 0) {
        out.reset();
        return true;
    }
    double v = 0;
    if (!read_double(v, field)) [[unlikely]] {
        return false;
    }
    out = v;
    return true;
}

bool reader::read_optional_long(std::optional<int64_t>& out, std::string_view field) {
    size_t branch;
    if (!read_union_index(branch, 2, field, "0 = null, 1 = long")) [[unlikely]] {
        return false;
    }
    if (branch == 0) {
        out.reset();
        return true;
    }
    int64_t v = 0;
    if (!read_long(v, field)) [[unlikely]] {
        return false;
    }
    out = v;
    return true;
}

bool reader::fail(errc code, std::string message) {
    _err = mdsp::error{make_error_code(code), std::move(message)};
    _failed = true;
    return false;
}

bool reader::fail_truncated(std::string_view field, const char* kind, size_t need) {
    return fail(errc::truncated,
                fmt::format("{}: input ends at byte {} inside a {} (needs {} more bytes at least); "
                            "the record is truncated",
                            field, position(), kind, need - remaining()));
}

bool reader::fail_utf8(std::string_view field, std::string_view value) {
    return fail(errc::bad_utf8,
                fmt::format("{}: string \"{}\" ending at byte {} is not valid UTF-8, as Avro strings must be",
                            field, excerpt(value), position()));
}

bool reader::fail_trailing(std::string_view record) {
    return fail(
        errc::trailing_bytes,
        fmt::format("{}: {} bytes left after the record ended at byte {}; the payload holds more than "
                    "one record or was written with another schema",
                    record, remaining(), position()));
}

} // namespace mdsp::model::avro
