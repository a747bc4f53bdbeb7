#include "cql/token.h"

#include <algorithm>
#include <limits>

namespace mdsp::cql {

namespace {
uint64_t rotl(uint64_t v, int r) {
    return (v << r) | (v >> (64 - r));
}
uint64_t fmix(uint64_t k) {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ULL;
    k ^= k >> 33;
    return k;
}
uint64_t block(const unsigned char* p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i) {
        v = v << 8 | p[i];
    }
    return v;
}
// Cassandra reads tail bytes as signed Java bytes: a byte >= 0x80 is
// sign-extended before the shift, unlike the reference MurmurHash3.
uint64_t tail_byte(unsigned char b) {
    return uint64_t(int64_t(int8_t(b)));
}
} // namespace

int64_t murmur3_token(std::string_view key) {
    constexpr uint64_t c1 = 0x87c37b91114253d5ULL;
    constexpr uint64_t c2 = 0x4cf5ad432745937fULL;
    const auto* data = reinterpret_cast<const unsigned char*>(key.data());
    const size_t len = key.size();
    const size_t nblocks = len / 16;
    uint64_t h1 = 0;
    uint64_t h2 = 0;
    for (size_t i = 0; i < nblocks; ++i) {
        uint64_t k1 = block(data + i * 16);
        uint64_t k2 = block(data + i * 16 + 8);
        k1 *= c1;
        k1 = rotl(k1, 31);
        k1 *= c2;
        h1 ^= k1;
        h1 = rotl(h1, 27);
        h1 += h2;
        h1 = h1 * 5 + 0x52dce729;
        k2 *= c2;
        k2 = rotl(k2, 33);
        k2 *= c1;
        h2 ^= k2;
        h2 = rotl(h2, 31);
        h2 += h1;
        h2 = h2 * 5 + 0x38495ab5;
    }
    const unsigned char* tail = data + nblocks * 16;
    uint64_t k1 = 0;
    uint64_t k2 = 0;
    size_t rest = len & 15;
    for (size_t i = rest; i > 8; --i) {
        k2 ^= tail_byte(tail[i - 1]) << ((i - 9) * 8);
    }
    if (rest > 8) {
        k2 *= c2;
        k2 = rotl(k2, 33);
        k2 *= c1;
        h2 ^= k2;
    }
    for (size_t i = std::min<size_t>(rest, 8); i > 0; --i) {
        k1 ^= tail_byte(tail[i - 1]) << ((i - 1) * 8);
    }
    if (rest > 0) {
        k1 *= c1;
        k1 = rotl(k1, 31);
        k1 *= c2;
        h1 ^= k1;
    }
    h1 ^= len;
    h2 ^= len;
    h1 += h2;
    h2 += h1;
    h1 = fmix(h1);
    h2 = fmix(h2);
    h1 += h2;
    auto token = int64_t(h1);
    return token == std::numeric_limits<int64_t>::min() ? std::numeric_limits<int64_t>::max() : token;
}

std::string partition_key(const std::vector<std::string_view>& components) {
    if (components.size() == 1) {
        return std::string(components[0]);
    }
    std::string out;
    for (auto c : components) {
        out.push_back(char(c.size() >> 8));
        out.push_back(char(c.size()));
        out.append(c);
        out.push_back('\0');
    }
    return out;
}

std::vector<size_t> token_ring::walk(int64_t token, size_t max_hosts) const {
    std::vector<size_t> out;
    if (_owners.empty()) {
        return out;
    }
    auto it = _owners.lower_bound(token);
    for (size_t seen = 0; seen < _owners.size() && out.size() < max_hosts; ++seen) {
        if (it == _owners.end()) {
            it = _owners.begin();
        }
        if (std::find(out.begin(), out.end(), it->second) == out.end()) {
            out.push_back(it->second);
        }
        ++it;
    }
    return out;
}

} // namespace mdsp::cql
