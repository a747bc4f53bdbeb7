#include <gtest/gtest.h>

#include "bus/bus.h"

namespace mdsp::bus {
namespace {

// Kafka's UtilsTest.testMurmur2 (clients/src/test/.../utils/UtilsTest.java).
TEST(murmur2, kafka_test_vectors) {
    EXPECT_EQ(int32_t(murmur2("21")), -973932308);
    EXPECT_EQ(int32_t(murmur2("foobar")), -790332482);
    EXPECT_EQ(int32_t(murmur2("a-little-bit-long-string")), -985981536);
    EXPECT_EQ(int32_t(murmur2("a-little-bit-longer-string")), -1486304829);
    EXPECT_EQ(int32_t(murmur2("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8")), -58897971);
    EXPECT_EQ(int32_t(murmur2(std::string_view("abc", 3))), 479470107);
}

TEST(partition_for, positive_and_modulo) {
    // toPositive(-973932308) = -973932308 & 0x7fffffff = 1173551340.
    EXPECT_EQ(partition_for("21", 1), partition_id(0));
    EXPECT_EQ(partition_for("21", 4), partition_id(int32_t(1173551340u % 4)));
    EXPECT_EQ(partition_for("21", 7), partition_id(int32_t(1173551340u % 7)));
    EXPECT_EQ(partition_for("abc", 10), partition_id(479470107 % 10));
    for (int32_t n = 1; n < 50; ++n) {
        auto p = partition_for("BTC/USD", n);
        EXPECT_GE(p(), 0);
        EXPECT_LT(p(), n);
    }
}

TEST(bus_errc, category_names_codes) {
    std::error_code ec = errc::offset_out_of_range;
    EXPECT_STREQ(ec.category().name(), "mdsp.bus");
    EXPECT_EQ(ec.message(), "offset out of range");
}

} // namespace
} // namespace mdsp::bus
