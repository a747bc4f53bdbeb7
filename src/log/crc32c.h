#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace mdsp::log {

// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of Kafka
// RecordBatch v2. Uses the SSE4.2 crc32 instruction when the CPU has it
// (checked once at run time) and a slicing-by-8 table otherwise.
//
// crc32c_extend continues a checksum: crc32c(ab) == crc32c_extend(crc32c(a), b).
uint32_t crc32c_extend(uint32_t crc, const void* data, size_t size) noexcept;

inline uint32_t crc32c(const void* data, size_t size) noexcept {
    return crc32c_extend(0, data, size);
}
inline uint32_t crc32c(std::string_view s) noexcept {
    return crc32c(s.data(), s.size());
}

// The portable implementation, exposed so tests check it against the hardware one.
uint32_t crc32c_extend_portable(uint32_t crc, const void* data, size_t size) noexcept;
// True when crc32c_extend uses the SSE4.2 instruction.
bool crc32c_hardware() noexcept;

} // namespace mdsp::log
