#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "log/crc32c.h"

namespace mdsp::log {
namespace {

// RFC 3720 (iSCSI), appendix B.4: CRC-32C of 32-byte patterns.
TEST(crc32c, rfc3720_vectors) {
    std::vector<uint8_t> zeros(32, 0x00), ones(32, 0xff), inc(32), dec(32);
    for (int i = 0; i < 32; ++i) {
        inc[size_t(i)] = uint8_t(i);
        dec[size_t(i)] = uint8_t(31 - i);
    }
    EXPECT_EQ(crc32c(zeros.data(), zeros.size()), 0x8A9136AAu);
    EXPECT_EQ(crc32c(ones.data(), ones.size()), 0x62A8AB43u);
    EXPECT_EQ(crc32c(inc.data(), inc.size()), 0x46DD794Eu);
    EXPECT_EQ(crc32c(dec.data(), dec.size()), 0x113FDB5Cu);
    EXPECT_EQ(crc32c_extend_portable(0, zeros.data(), zeros.size()), 0x8A9136AAu);
    EXPECT_EQ(crc32c_extend_portable(0, ones.data(), ones.size()), 0x62A8AB43u);
    EXPECT_EQ(crc32c_extend_portable(0, inc.data(), inc.size()), 0x46DD794Eu);
    EXPECT_EQ(crc32c_extend_portable(0, dec.data(), dec.size()), 0x113FDB5Cu);
}

TEST(crc32c, check_value) {
    // The standard CRC catalogue check value for CRC-32/ISCSI.
    EXPECT_EQ(crc32c(std::string_view("123456789")), 0xE3069283u);
    EXPECT_EQ(crc32c(std::string_view("")), 0u);
}

TEST(crc32c, hardware_and_portable_agree_at_every_length_and_alignment) {
    std::mt19937 rng(42);
    std::vector<uint8_t> buf(4096 + 16);
    for (auto& b : buf) {
        b = uint8_t(rng());
    }
    for (size_t align = 0; align < 8; ++align) {
        for (size_t len : {0, 1, 3, 7, 8, 9, 15, 16, 17, 63, 64, 65, 1000, 4096}) {
            EXPECT_EQ(crc32c(buf.data() + align, len), crc32c_extend_portable(0, buf.data() + align, len))
                << "align " << align << " len " << len;
        }
    }
}

TEST(crc32c, extend_equals_whole) {
    std::string s = "the quick brown fox jumps over the lazy dog, twice over";
    for (size_t cut = 0; cut <= s.size(); ++cut) {
        uint32_t a = crc32c(s.data(), cut);
        EXPECT_EQ(crc32c_extend(a, s.data() + cut, s.size() - cut), crc32c(s));
    }
}

} // namespace
} // namespace mdsp::log
