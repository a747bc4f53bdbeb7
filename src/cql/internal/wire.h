#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "cql/errc.h"

// The notations of the native protocol (section 3 of native_protocol_v4.spec):
// big-endian [short], [int], [long], [string], [long string], [bytes], ...
namespace mdsp::cql::internal {

// Appends to a byte string. A value that does not fit its length prefix
// ([string] above 65,535 bytes, a list above 65,535 items) marks the writer
// failed instead of truncating; encoders check failed() once at the end.
class writer {
public:
    void u8(uint8_t v) { _out.push_back(char(v)); }
    void u16(uint16_t v);
    void i32(int32_t v);
    void i64(int64_t v);
    void raw(std::string_view s) { _out.append(s); }
    void string(std::string_view s);               // [string]
    void long_string(std::string_view s);          // [long string]
    void short_bytes(std::string_view s);          // [short bytes]
    void bytes(std::optional<std::string_view> s); // [bytes]; nullopt is null
    void string_list(const std::vector<std::string>& l);
    void string_map(const std::vector<std::pair<std::string, std::string>>& m);
    // Counts checked to fit a [short]; marks the writer failed otherwise.
    void count16(size_t n, const char* what);

    bool failed() const noexcept { return !_failure.empty(); }
    const std::string& failure() const noexcept { return _failure; }
    std::string& out() noexcept { return _out; }
    std::string take() { return std::move(_out); }

    void fail(std::string why) {
        if (_failure.empty()) {
            _failure = std::move(why);
        }
    }

private:
    std::string _out;
    std::string _failure;
};

// Reads from bytes the reader does not own. Every read is bounded by what is
// left; the first read past the end (or of a negative or oversized length)
// marks the reader failed, and every later read returns zero or empty, so a
// decoder can read a whole structure and check ok() before trusting it.
// Counts are checked against the bytes left (each item takes at least
// min_item bytes) before anything is reserved.
class reader {
public:
    explicit reader(std::string_view in)
      : _in(in) {}

    uint8_t u8(const char* what);
    uint16_t u16(const char* what);
    int32_t i32(const char* what);
    int64_t i64(const char* what);
    std::string_view take(size_t n, const char* what);
    std::string_view string(const char* what);               // [string]
    std::string_view long_string(const char* what);          // [long string], never negative
    std::string_view short_bytes(const char* what);          // [short bytes]
    std::optional<std::string_view> bytes(const char* what); // [bytes]; negative length is null
    std::vector<std::string> string_list(const char* what);
    std::map<std::string, std::vector<std::string>> string_multimap(const char* what);
    // [bytes map], skipped (custom payloads).
    void skip_bytes_map(const char* what);
    // [inet]: "a.b.c.d" or an IPv6 text, and the port.
    std::pair<std::string, int32_t> inet(const char* what);
    // [inetaddr]: the address alone, as text.
    std::string inetaddr(const char* what);
    // A [short] or [int] count of items of at least min_item bytes each; 0 and
    // failed when it cannot fit in what is left (or is negative).
    size_t count16(size_t min_item, const char* what);
    size_t count32(size_t min_item, const char* what);

    bool ok() const noexcept { return _failure.empty(); }
    size_t remaining() const noexcept { return _in.size() - _pos; }
    size_t position() const noexcept { return _pos; }
    std::string_view rest() const noexcept { return _in.substr(_pos); }
    void fail(std::string why);
    const std::string& failure() const noexcept { return _failure; }
    // The failure as an error of errc::malformed_frame, naming the context.
    mdsp::error error(std::string_view context) const;

private:
    bool need(size_t n, const char* what);

    std::string_view _in;
    size_t _pos = 0;
    std::string _failure;
};

} // namespace mdsp::cql::internal
