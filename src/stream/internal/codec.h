#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace mdsp::stream::internal {

// Compact binary encoding of the engine state (see ../README.md): LEB128
// varints, zigzag for signed values, little-endian IEEE doubles.

inline void put_varint(std::string& out, uint64_t v) {
    while (v >= 0x80) {
        out.push_back(static_cast<char>((v & 0x7f) | 0x80));
        v >>= 7;
    }
    out.push_back(static_cast<char>(v));
}

inline void put_zigzag(std::string& out, int64_t v) {
    put_varint(out, (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));
}

// a - b and a + b modulo 2^64: deltas between values from outside (seqs)
// that may be further apart than an int64_t holds. The delta written with
// wrapping_sub and added back with wrapping_add gives the value exactly.
constexpr int64_t wrapping_sub(int64_t a, int64_t b) noexcept {
    return static_cast<int64_t>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
}
constexpr int64_t wrapping_add(int64_t a, int64_t b) noexcept {
    return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}

inline void put_double(std::string& out, double d) {
    auto bits = std::bit_cast<uint64_t>(d);
    char b[8];
    for (int i = 0; i < 8; ++i) {
        b[i] = static_cast<char>((bits >> (8 * i)) & 0xff);
    }
    out.append(b, sizeof b); // one capacity check, not eight
}

// A string that is not the last field of a key: length, then bytes.
inline void put_string(std::string& out, std::string_view s) {
    put_varint(out, s.size());
    out.append(s);
}

// Reads what the put_ functions wrote; every getter returns false (and the
// reader stays failed) on truncated or malformed input.
class reader {
public:
    explicit reader(std::string_view s)
      : _s(s) {}

    bool varint(uint64_t& v) {
        v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (_pos >= _s.size()) {
                return fail();
            }
            auto b = static_cast<uint8_t>(_s[_pos++]);
            v |= static_cast<uint64_t>(b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
                return _ok;
            }
        }
        return fail();
    }
    bool zigzag(int64_t& v) {
        uint64_t u = 0;
        if (!varint(u)) {
            return false;
        }
        v = static_cast<int64_t>((u >> 1) ^ (~(u & 1) + 1));
        return true;
    }
    bool f64(double& d) {
        if (_s.size() - _pos < 8) {
            return fail();
        }
        uint64_t bits = 0;
        for (int i = 0; i < 8; ++i) {
            bits |= static_cast<uint64_t>(static_cast<uint8_t>(_s[_pos + i])) << (8 * i);
        }
        _pos += 8;
        d = std::bit_cast<double>(bits);
        return true;
    }
    bool byte(uint8_t& b) {
        if (_pos >= _s.size()) {
            return fail();
        }
        b = static_cast<uint8_t>(_s[_pos++]);
        return true;
    }
    bool string(std::string_view& s) {
        uint64_t n = 0;
        if (!varint(n) || n > _s.size() - _pos) {
            return fail();
        }
        s = _s.substr(_pos, n);
        _pos += n;
        return true;
    }
    std::string_view rest() {
        auto r = _s.substr(_pos);
        _pos = _s.size();
        return r;
    }
    bool done() const noexcept { return _ok && _pos == _s.size(); }
    bool ok() const noexcept { return _ok; }

private:
    bool fail() {
        _ok = false;
        return false;
    }
    std::string_view _s;
    size_t _pos = 0;
    bool _ok = true;
};

} // namespace mdsp::stream::internal
