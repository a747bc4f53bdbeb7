#include "bus/bus.h"

namespace mdsp::bus {
namespace {
std::string errc_message(errc e) {
    switch (e) {
    case errc::unknown_topic:
        return "unknown topic";
    case errc::unknown_partition:
        return "unknown partition";
    case errc::offset_out_of_range:
        return "offset out of range";
    case errc::queue_full:
        return "queue full";
    case errc::closed:
        return "closed";
    case errc::io_error:
        return "I/O error";
    case errc::corrupt:
        return "corrupt data";
    case errc::config:
        return "configuration error";
    case errc::rebalance:
        return "consumer group rebalancing";
    case errc::refused:
        return "authentication or TLS refused";
    }
    return "unknown bus error";
}
} // namespace

// Kafka's Utils.murmur2 (the Java client's default partitioner): MurmurHash2,
// 32-bit, seed 0x9747b28c, four bytes at a time little-endian, then the tail.
uint32_t murmur2(std::string_view key) noexcept {
    constexpr uint32_t seed = 0x9747b28cu;
    constexpr uint32_t m = 0x5bd1e995u;
    constexpr int r = 24;
    const auto* data = reinterpret_cast<const unsigned char*>(key.data());
    const auto length = uint32_t(key.size());
    uint32_t h = seed ^ length;
    const uint32_t length4 = length / 4;
    for (uint32_t i = 0; i < length4; ++i) {
        const uint32_t i4 = i * 4;
        uint32_t k = uint32_t(data[i4]) | uint32_t(data[i4 + 1]) << 8 | uint32_t(data[i4 + 2]) << 16
                     | uint32_t(data[i4 + 3]) << 24;
        k *= m;
        k ^= k >> r;
        k *= m;
        h *= m;
        h ^= k;
    }
    const uint32_t tail = length & ~3u;
    switch (length % 4) {
    case 3:
        h ^= uint32_t(data[tail + 2]) << 16;
        [[fallthrough]];
    case 2:
        h ^= uint32_t(data[tail + 1]) << 8;
        [[fallthrough]];
    case 1:
        h ^= uint32_t(data[tail]);
        h *= m;
    }
    h ^= h >> 13;
    h *= m;
    h ^= h >> 15;
    return h;
}

partition_id partition_for(std::string_view key, int32_t partitions) noexcept {
    if (partitions <= 0) {
        return partition_id(0);
    }
    // Utils.toPositive: clear the sign bit (not abs), then modulo.
    return partition_id(int32_t((murmur2(key) & 0x7fffffffu) % uint32_t(partitions)));
}

} // namespace mdsp::bus

MDSP_DEFINE_ERRC_CATEGORY(mdsp::bus, "mdsp.bus", mdsp::bus::errc_message)
