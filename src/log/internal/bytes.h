#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

// Big-endian fixed-width integers and Kafka's zigzag varints (protobuf style),
// over raw byte pointers. Callers check bounds; the varint readers take an end
// pointer and report malformed input instead of reading past it.
namespace mdsp::log::internal {

inline void put_u16(char* p, uint16_t v) noexcept {
    p[0] = char(v >> 8);
    p[1] = char(v);
}
inline void put_u32(char* p, uint32_t v) noexcept {
    p[0] = char(v >> 24);
    p[1] = char(v >> 16);
    p[2] = char(v >> 8);
    p[3] = char(v);
}
inline void put_u64(char* p, uint64_t v) noexcept {
    put_u32(p, uint32_t(v >> 32));
    put_u32(p + 4, uint32_t(v));
}
inline uint16_t get_u16(const char* p) noexcept {
    const auto* u = reinterpret_cast<const unsigned char*>(p);
    return uint16_t(u[0] << 8 | u[1]);
}
inline uint32_t get_u32(const char* p) noexcept {
    const auto* u = reinterpret_cast<const unsigned char*>(p);
    return uint32_t(u[0]) << 24 | uint32_t(u[1]) << 16 | uint32_t(u[2]) << 8 | uint32_t(u[3]);
}
inline uint64_t get_u64(const char* p) noexcept {
    return uint64_t(get_u32(p)) << 32 | get_u32(p + 4);
}

inline uint64_t zigzag(int64_t v) noexcept {
    return (uint64_t(v) << 1) ^ uint64_t(v >> 63);
}
inline int64_t unzigzag(uint64_t v) noexcept {
    return int64_t(v >> 1) ^ -int64_t(v & 1);
}

// Bytes the zigzag varint of v takes (1..10).
inline size_t varlong_size(int64_t v) noexcept {
    uint64_t u = zigzag(v);
    size_t n = 1;
    while (u >= 0x80) {
        u >>= 7;
        ++n;
    }
    return n;
}

// Writes the zigzag varint of v at p; returns the byte after it.
inline char* put_varlong(char* p, int64_t v) noexcept {
    uint64_t u = zigzag(v);
    while (u >= 0x80) {
        *p++ = char(u | 0x80);
        u >>= 7;
    }
    *p++ = char(u);
    return p;
}

// Reads a zigzag varint of at most max_bytes (5 for varint, 10 for varlong)
// from [p, end). Returns nullptr when it runs off the end or is too long.
inline const char* get_varlong(const char* p, const char* end, int64_t& out, int max_bytes = 10) noexcept {
    uint64_t u = 0;
    for (int i = 0; i < max_bytes; ++i) {
        if (p == end) {
            return nullptr;
        }
        auto b = static_cast<unsigned char>(*p++);
        u |= uint64_t(b & 0x7f) << (7 * i);
        if ((b & 0x80) == 0) {
            out = unzigzag(u);
            return p;
        }
    }
    return nullptr;
}

// A varint (int32): at most 5 bytes and within int32 range.
inline const char* get_varint(const char* p, const char* end, int32_t& out) noexcept {
    int64_t v = 0;
    p = get_varlong(p, end, v, 5);
    if (p == nullptr || v < INT32_MIN || v > INT32_MAX) {
        return nullptr;
    }
    out = int32_t(v);
    return p;
}

// Kafka's varint-length bytes (a record's key, value, header key or value):
// -1 is null, the bytes must lie before end. The next byte, or nullptr.
inline const char* get_bytes(const char* p, const char* end, std::optional<std::string_view>& out) noexcept {
    int32_t len = 0;
    if ((p = get_varint(p, end, len)) == nullptr || len < -1 || len > end - p) {
        return nullptr;
    }
    if (len == -1) {
        out.reset();
        return p;
    }
    out.emplace(p, size_t(len));
    return p + len;
}

} // namespace mdsp::log::internal
