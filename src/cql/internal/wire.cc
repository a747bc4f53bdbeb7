#include "cql/internal/wire.h"

#include <arpa/inet.h>
#include <fmt/format.h>

namespace mdsp::cql::internal {

void writer::u16(uint16_t v) {
    _out.push_back(char(v >> 8));
    _out.push_back(char(v));
}

void writer::i32(int32_t v) {
    auto u = uint32_t(v);
    for (int s = 24; s >= 0; s -= 8) {
        _out.push_back(char(u >> s));
    }
}

void writer::i64(int64_t v) {
    auto u = uint64_t(v);
    for (int s = 56; s >= 0; s -= 8) {
        _out.push_back(char(u >> s));
    }
}

void writer::string(std::string_view s) {
    if (s.size() > 0xFFFF) {
        fail(fmt::format("a [string] of {} bytes does not fit its 16-bit length", s.size()));
        return;
    }
    u16(uint16_t(s.size()));
    raw(s);
}

void writer::long_string(std::string_view s) {
    if (s.size() > size_t(INT32_MAX)) {
        fail(fmt::format("a [long string] of {} bytes does not fit its 32-bit length", s.size()));
        return;
    }
    i32(int32_t(s.size()));
    raw(s);
}

void writer::short_bytes(std::string_view s) {
    string(s);
}

void writer::bytes(std::optional<std::string_view> s) {
    if (!s) {
        i32(-1);
        return;
    }
    long_string(*s);
}

void writer::count16(size_t n, const char* what) {
    if (n > 0xFFFF) {
        fail(fmt::format("{} {} do not fit a 16-bit count (at most 65535)", n, what));
        return;
    }
    u16(uint16_t(n));
}

void writer::string_list(const std::vector<std::string>& l) {
    count16(l.size(), "strings");
    for (const auto& s : l) {
        string(s);
    }
}

void writer::string_map(const std::vector<std::pair<std::string, std::string>>& m) {
    count16(m.size(), "map entries");
    for (const auto& [k, v] : m) {
        string(k);
        string(v);
    }
}

void reader::fail(std::string why) {
    if (_failure.empty()) {
        _failure = std::move(why);
    }
    _pos = _in.size();
}

bool reader::need(size_t n, const char* what) {
    if (!ok()) {
        return false;
    }
    if (n > remaining()) {
        fail(fmt::format("{} needs {} bytes at offset {} but only {} are left", what, n, _pos, remaining()));
        return false;
    }
    return true;
}

mdsp::error reader::error(std::string_view context) const {
    return make_error(errc::malformed_frame, "malformed {}: {}", context, _failure);
}

uint8_t reader::u8(const char* what) {
    if (!need(1, what)) {
        return 0;
    }
    return uint8_t(_in[_pos++]);
}

uint16_t reader::u16(const char* what) {
    if (!need(2, what)) {
        return 0;
    }
    auto v = uint16_t(uint8_t(_in[_pos]) << 8 | uint8_t(_in[_pos + 1]));
    _pos += 2;
    return v;
}

int32_t reader::i32(const char* what) {
    if (!need(4, what)) {
        return 0;
    }
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
        v = v << 8 | uint8_t(_in[_pos + i]);
    }
    _pos += 4;
    return int32_t(v);
}

int64_t reader::i64(const char* what) {
    if (!need(8, what)) {
        return 0;
    }
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) {
        v = v << 8 | uint8_t(_in[_pos + i]);
    }
    _pos += 8;
    return int64_t(v);
}

std::string_view reader::take(size_t n, const char* what) {
    if (!need(n, what)) {
        return {};
    }
    auto s = _in.substr(_pos, n);
    _pos += n;
    return s;
}

std::string_view reader::string(const char* what) {
    size_t n = u16(what);
    return take(n, what);
}

std::string_view reader::long_string(const char* what) {
    int32_t n = i32(what);
    if (n < 0) {
        fail(fmt::format("{} has a negative length {}", what, n));
        return {};
    }
    return take(size_t(n), what);
}

std::string_view reader::short_bytes(const char* what) {
    return string(what);
}

std::optional<std::string_view> reader::bytes(const char* what) {
    int32_t n = i32(what);
    if (!ok() || n < 0) {
        return std::nullopt;
    }
    return take(size_t(n), what);
}

size_t reader::count16(size_t min_item, const char* what) {
    size_t n = u16(what);
    if (ok() && n * min_item > remaining()) {
        fail(fmt::format("{} counts {} items but only {} bytes are left", what, n, remaining()));
        return 0;
    }
    return ok() ? n : 0;
}

size_t reader::count32(size_t min_item, const char* what) {
    int32_t n = i32(what);
    if (ok() && n < 0) {
        fail(fmt::format("{} has a negative count {}", what, n));
        return 0;
    }
    if (ok() && uint64_t(n) * min_item > remaining()) {
        fail(fmt::format("{} counts {} items but only {} bytes are left", what, n, remaining()));
        return 0;
    }
    return ok() ? size_t(n) : 0;
}

std::vector<std::string> reader::string_list(const char* what) {
    size_t n = count16(2, what);
    std::vector<std::string> out;
    out.reserve(n);
    for (size_t i = 0; i < n && ok(); ++i) {
        out.emplace_back(string(what));
    }
    return out;
}

std::map<std::string, std::vector<std::string>> reader::string_multimap(const char* what) {
    size_t n = count16(4, what);
    std::map<std::string, std::vector<std::string>> out;
    for (size_t i = 0; i < n && ok(); ++i) {
        std::string k(string(what));
        out[k] = string_list(what);
    }
    return out;
}

void reader::skip_bytes_map(const char* what) {
    size_t n = count16(6, what);
    for (size_t i = 0; i < n && ok(); ++i) {
        (void)string(what);
        (void)bytes(what);
    }
}

std::string reader::inetaddr(const char* what) {
    size_t n = u8(what);
    if (ok() && n != 4 && n != 16) {
        fail(fmt::format("{} has an address of {} bytes (4 or 16 expected)", what, n));
        return {};
    }
    auto addr = take(n, what);
    if (!ok()) {
        return {};
    }
    char text[INET6_ADDRSTRLEN] = {};
    ::inet_ntop(n == 4 ? AF_INET : AF_INET6, addr.data(), text, sizeof text);
    return text;
}

std::pair<std::string, int32_t> reader::inet(const char* what) {
    auto addr = inetaddr(what);
    int32_t port = i32(what);
    if (!ok()) {
        return {};
    }
    return {std::move(addr), port};
}

} // namespace mdsp::cql::internal
