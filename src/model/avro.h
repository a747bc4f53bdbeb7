#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "model/errc.h"

// Avro 1.11 binary encoding of the primitive types and of ["null", T] unions:
// just what the model records need, no schema interpretation at run time (the
// codecs in model/codec.h spell out each record's fields in schema order).
namespace mdsp::model::avro {

// An int takes at most 5 bytes, a long at most 10.
inline constexpr size_t max_int_bytes = 5;
inline constexpr size_t max_long_bytes = 10;
// The longest string or bytes value a reader accepts unless told otherwise.
inline constexpr size_t default_max_length = size_t{1} << 20;

constexpr uint64_t zigzag(int64_t v) noexcept {
    return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
constexpr int64_t unzigzag(uint64_t u) noexcept {
    return static_cast<int64_t>(u >> 1) ^ -static_cast<int64_t>(u & 1);
}

// True when s is well-formed UTF-8 (no overlong forms, no surrogates, nothing
// above U+10FFFF), which is what Avro requires of a string.
bool is_valid_utf8(std::string_view s) noexcept;

// Appends Avro binary values to a std::string owned by the caller.
//
// Writes go through a cursor into out: out may hold slack bytes past the
// cursor until finish() (or the destructor) trims them, so read out only after
// that. reserve(n) makes room for n more bytes in one step; the codecs reserve
// a record's upper bound once, so encoding a record grows out at most once.
// Single-threaded, like the string it writes to.
class writer {
public:
    explicit writer(std::string& out) noexcept
      : _out(out)
      , _start(out.size())
      , _pos(out.size()) {}
    writer(const writer&) = delete;
    writer& operator=(const writer&) = delete;
    ~writer() { finish(); }

    // Room for n more bytes: writes totalling at most n do not grow out again.
    void reserve(size_t n) { room(n); }
    // Trims the slack: out ends with the last byte written. Idempotent.
    void finish() noexcept {
        if (_out.size() != _pos) {
            _out.resize(_pos);
        }
    }
    // Bytes written by this writer so far.
    size_t written() const noexcept { return _pos - _start; }

    void write_boolean(bool b) {
        room(1)[0] = b ? 1 : 0;
        ++_pos;
    }
    void write_int(int32_t v) { write_varint(zigzag(v)); }
    void write_long(int64_t v) { write_varint(zigzag(v)); }
    void write_double(double v) {
        uint64_t bits = std::bit_cast<uint64_t>(v);
        if constexpr (std::endian::native == std::endian::big) {
            bits = __builtin_bswap64(bits);
        }
        std::memcpy(room(8), &bits, 8);
        _pos += 8;
    }
    // A long length, then the bytes. The caller keeps strings valid UTF-8.
    void write_string(std::string_view s) { write_bytes(s); }
    void write_bytes(std::string_view b) {
        char* p = room(max_long_bytes + b.size());
        size_t n = put_varint(p, zigzag(static_cast<int64_t>(b.size())));
        if (!b.empty()) {
            std::memcpy(p + n, b.data(), b.size());
        }
        _pos += n + b.size();
    }
    // The branch of a union, counted from 0 in the schema's order.
    void write_union_index(int64_t branch) { write_long(branch); }

    // ["null", T] unions: branch 0 and nothing for nullopt, else branch 1 and the value.
    void write_optional_string(const std::optional<std::string>& v) {
        if (v) {
            write_union_index(1);
            write_string(*v);
        } else {
            write_union_index(0);
        }
    }
    void write_optional_double(const std::optional<double>& v) {
        if (v) {
            write_union_index(1);
            write_double(*v);
        } else {
            write_union_index(0);
        }
    }
    void write_optional_long(const std::optional<int64_t>& v) {
        if (v) {
            write_union_index(1);
            write_long(*v);
        } else {
            write_union_index(0);
        }
    }

private:
    static size_t put_varint(char* p, uint64_t u) noexcept {
        size_t n = 0;
        while (u >= 0x80) {
            p[n++] = static_cast<char>(u | 0x80);
            u >>= 7;
        }
        p[n++] = static_cast<char>(u);
        return n;
    }
    void write_varint(uint64_t u) { _pos += put_varint(room(max_long_bytes), u); }
    char* room(size_t n) {
        if (_out.size() - _pos < n) [[unlikely]] {
            grow(n);
        }
        return _out.data() + _pos;
    }
    void grow(size_t n);

    std::string& _out;
    size_t _start;
    size_t _pos;
};

// Reads Avro binary values from bytes it does not own, never past their end.
//
// Each read returns true and advances, or returns false and keeps an error
// naming the field (as passed by the caller, e.g. "tick.size"), the byte
// offset and what was wrong; after a false, stop reading and take_error().
// Every length from the input is checked against the bytes that remain and
// against a maximum before anything is allocated. Single-threaded.
class reader {
public:
    explicit reader(std::string_view in) noexcept
      : _begin(in.data())
      , _p(in.data())
      , _end(in.data() + in.size()) {}

    size_t position() const noexcept { return static_cast<size_t>(_p - _begin); }
    size_t remaining() const noexcept { return static_cast<size_t>(_end - _p); }

    bool read_boolean(bool& out, std::string_view field);
    bool read_int(int32_t& out, std::string_view field);
    bool read_long(int64_t& out, std::string_view field) {
        uint64_t u;
        if (!read_varint(u, field)) [[unlikely]] {
            return false;
        }
        out = unzigzag(u);
        return true;
    }
    bool read_double(double& out, std::string_view field) {
        if (remaining() < 8) [[unlikely]] {
            return fail_truncated(field, "double", 8);
        }
        uint64_t bits;
        std::memcpy(&bits, _p, 8);
        if constexpr (std::endian::native == std::endian::big) {
            bits = __builtin_bswap64(bits);
        }
        out = std::bit_cast<double>(bits);
        _p += 8;
        return true;
    }
    // A string must be valid UTF-8 and at most max_len bytes long. The view
    // points into the input.
    bool read_string_view(std::string_view& out, std::string_view field,
                          size_t max_len = default_max_length) {
        if (!read_length(out, field, "string", max_len)) [[unlikely]] {
            return false;
        }
        if (!is_valid_utf8(out)) [[unlikely]] {
            return fail_utf8(field, out);
        }
        return true;
    }
    bool read_string(std::string& out, std::string_view field, size_t max_len = default_max_length) {
        std::string_view v;
        if (!read_string_view(v, field, max_len)) [[unlikely]] {
            return false;
        }
        out.assign(v.data(), v.size());
        return true;
    }
    bool read_bytes_view(std::string_view& out, std::string_view field, size_t max_len = default_max_length) {
        return read_length(out, field, "bytes", max_len);
    }
    bool read_bytes(std::string& out, std::string_view field, size_t max_len = default_max_length) {
        std::string_view v;
        if (!read_bytes_view(v, field, max_len)) [[unlikely]] {
            return false;
        }
        out.assign(v.data(), v.size());
        return true;
    }
    // A union's branch, which must be below branches. type_names lists the
    // branches for the error message ("null or double").
    bool read_union_index(size_t& out, size_t branches, std::string_view field, std::string_view type_names);

    // ["null", T] unions: branch 0 gives nullopt, branch 1 the value.
    bool read_optional_string(std::optional<std::string>& out, std::string_view field,
                              size_t max_len = default_max_length);
    bool read_optional_double(std::optional<double>& out, std::string_view field);
    bool read_optional_long(std::optional<int64_t>& out, std::string_view field);

    // Fails with errc::trailing_bytes unless every byte has been read.
    bool expect_end(std::string_view record) {
        if (_p != _end) [[unlikely]] {
            return fail_trailing(record);
        }
        return true;
    }

    bool failed() const noexcept { return _failed; }
    // Every byte has been read (a record of an older schema version that
    // ends before fields added since, with their defaults).
    bool at_end() const noexcept { return _p == _end; }
    // The error of the read that returned false (valid until the next failure).
    mdsp::error take_error() { return std::move(_err); }

private:
    bool read_varint(uint64_t& out, std::string_view field) {
        // Fast path: a one-byte varint (small ints, union indexes, lengths < 64).
        if (_p != _end && static_cast<uint8_t>(*_p) < 0x80) [[likely]] {
            out = static_cast<uint8_t>(*_p++);
            return true;
        }
        return read_varint_slow(out, field);
    }
    bool read_varint_slow(uint64_t& out, std::string_view field);
    bool read_length(std::string_view& out, std::string_view field, const char* kind, size_t max_len);

    // Cold: record the error and return false.
    bool fail(errc code, std::string message);
    bool fail_truncated(std::string_view field, const char* kind, size_t need);
    bool fail_utf8(std::string_view field, std::string_view value);
    bool fail_trailing(std::string_view record);

    const char* _begin;
    const char* _p;
    const char* _end;
    mdsp::error _err;
    bool _failed = false;
};

} // namespace mdsp::model::avro
