#include "log/crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace mdsp::log {
namespace {

constexpr uint32_t poly = 0x82F63B78u; // reflected Castagnoli polynomial

// tables[k][b]: the CRC of byte b followed by k zero bytes (slicing-by-8).
constexpr std::array<std::array<uint32_t, 256>, 8> make_tables() {
    std::array<std::array<uint32_t, 256>, 8> t{};
    for (uint32_t b = 0; b < 256; ++b) {
        uint32_t c = b;
        for (int i = 0; i < 8; ++i) {
            c = (c & 1) ? (c >> 1) ^ poly : c >> 1;
        }
        t[0][b] = c;
    }
    for (size_t k = 1; k < 8; ++k) {
        for (uint32_t b = 0; b < 256; ++b) {
            t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xff];
        }
    }
    return t;
}

constexpr auto tables = make_tables();

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) uint32_t crc32c_sse42(uint32_t crc, const uint8_t* p, size_t n) noexcept {
    uint64_t c = ~crc;
    while (n > 0 && (reinterpret_cast<uintptr_t>(p) & 7) != 0) {
        c = _mm_crc32_u8(static_cast<uint32_t>(c), *p++);
        --n;
    }
    while (n >= 8) {
        uint64_t w;
        std::memcpy(&w, p, 8);
        c = _mm_crc32_u64(c, w);
        p += 8;
        n -= 8;
    }
    while (n > 0) {
        c = _mm_crc32_u8(static_cast<uint32_t>(c), *p++);
        --n;
    }
    return ~static_cast<uint32_t>(c);
}

bool detect_sse42() noexcept {
    __builtin_cpu_init();
    return __builtin_cpu_supports("sse4.2");
}
#endif

} // namespace

uint32_t crc32c_extend_portable(uint32_t crc, const void* data, size_t size) noexcept {
    const auto* p = static_cast<const uint8_t*>(data);
    uint32_t c = ~crc;
    while (size >= 8) {
        // Little-endian load of the first four bytes, as the reflected CRC consumes them.
        uint32_t lo =
            c ^ (uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24);
        c = tables[7][lo & 0xff] ^ tables[6][(lo >> 8) & 0xff] ^ tables[5][(lo >> 16) & 0xff]
            ^ tables[4][lo >> 24] ^ tables[3][p[4]] ^ tables[2][p[5]] ^ tables[1][p[6]] ^ tables[0][p[7]];
        p += 8;
        size -= 8;
    }
    while (size > 0) {
        c = (c >> 8) ^ tables[0][(c ^ *p++) & 0xff];
        --size;
    }
    return ~c;
}

bool crc32c_hardware() noexcept {
#if defined(__x86_64__)
    static const bool has = detect_sse42();
    return has;
#else
    return false;
#endif
}

uint32_t crc32c_extend(uint32_t crc, const void* data, size_t size) noexcept {
#if defined(__x86_64__)
    if (crc32c_hardware()) {
        return crc32c_sse42(crc, static_cast<const uint8_t*>(data), size);
    }
#endif
    return crc32c_extend_portable(crc, data, size);
}

} // namespace mdsp::log
