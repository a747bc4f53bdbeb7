#include <gtest/gtest.h>

#include "cql/token.h"

namespace mdsp::cql {
namespace {

std::string unhex(std::string_view h) {
    std::string out;
    for (size_t i = 0; i + 1 < h.size(); i += 2) {
        out.push_back(char(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
    }
    return out;
}

// Computed with the DataStax Python driver 3.30.1 (cassandra.metadata.
// Murmur3Token.hash_fn, the driver's C murmur3 that matches Cassandra's
// Murmur3Partitioner); 00000001 -> -4069959284402364209 is also the
// well-known token of the int partition key 1. Lengths cover every tail
// length class and bytes >= 0x80 (Cassandra sign-extends tail bytes).
struct vector_case {
    const char* hex;
    int64_t token;
};
const vector_case cases[] = {
    {"", 0LL},
    {"61", -8839064797231613815LL},
    {"313233", -7468325962851647638LL},
    {"68656c6c6f", -3758069500696749310LL},
    {"4141504c", -3367223219348229195LL},
    {"00000001", -4069959284402364209LL},
    {"000000000000002a", 8623491988607824794LL},
    {"8081feff90", 8042944981210139955LL},
    {"707172737475767778797a7b7c7d7e", -508656383252457381LL},
    {"808182838485868788898a8b8c8d8e8f", 7217206371623098675LL},
    {"e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfe", -7291870741502709738LL},
    {"54686520717569636b2062726f776e20666f78206a756d7073206f76657220746865206c617a7920646f67",
     -2068352364225029268LL},
    // composite keys: ('AAPL', date 19000) and ('BTCUSDT', '1m', '2026-11')
    {"00044141504c00000480004a3800", 2517705623130868818LL},
    {"000742544355534454000002316d000007323032362d313100", -2628088775674159240LL},
};

TEST(cql_token, murmur3_known_answers) {
    for (const auto& c : cases) {
        EXPECT_EQ(murmur3_token(unhex(c.hex)), c.token) << c.hex;
    }
}

TEST(cql_token, composite_partition_key_serialization) {
    std::string date("\x80\x00\x4a\x38", 4);
    EXPECT_EQ(partition_key({"AAPL", date}), unhex("00044141504c00000480004a3800"));
    EXPECT_EQ(partition_key({"BTCUSDT", "1m", "2026-11"}),
              unhex("000742544355534454000002316d000007323032362d313100"));
    EXPECT_EQ(partition_key({"AAPL"}), "AAPL");
}

TEST(cql_token, ring_walk_wraps_and_dedupes) {
    token_ring r;
    r.add(-100, 0);
    r.add(0, 1);
    r.add(100, 2);
    r.add(200, 0);
    EXPECT_EQ(r.walk(-500, 3), (std::vector<size_t>{0, 1, 2}));
    EXPECT_EQ(r.walk(1, 3), (std::vector<size_t>{2, 0, 1}));
    EXPECT_EQ(r.walk(150, 1), (std::vector<size_t>{0}));
    EXPECT_EQ(r.walk(201, 2), (std::vector<size_t>{0, 1})); // wraps to the lowest token
    EXPECT_EQ(r.walk(0, 10).size(), 3u);
    EXPECT_TRUE(token_ring{}.walk(0, 3).empty());
}

} // namespace
} // namespace mdsp::cql
