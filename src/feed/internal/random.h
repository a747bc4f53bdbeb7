#pragma once

#include <cmath>
#include <cstdint>
#include <string_view>

namespace mdsp::feed::internal {

// splitmix64 (Steele, Lea, Flood 2014): a one-step mixer, used to seed
// xoshiro and to derive per-symbol parameters from (seed, symbol).
constexpr uint64_t splitmix64(uint64_t& state) noexcept {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

// FNV-1a of a string, then mixed: a stable (across runs and builds) hash for
// deriving per-symbol parameters. std::hash gives no such promise.
constexpr uint64_t stable_hash(std::string_view s, uint64_t seed) noexcept {
    uint64_t h = 0xcbf29ce484222325ULL ^ seed;
    for (char c : s) {
        h ^= static_cast<unsigned char>(c);
        h *= 0x100000001b3ULL;
    }
    return splitmix64(h);
}

// xoshiro256** (Blackman, Vigna 2018): fast, 256-bit state, good statistical
// quality; the sequence depends only on the seed.
class xoshiro256 {
public:
    explicit xoshiro256(uint64_t seed) noexcept {
        for (auto& w : _s) {
            w = splitmix64(seed);
        }
    }

    uint64_t next() noexcept {
        const uint64_t result = rotl(_s[1] * 5, 7) * 9;
        const uint64_t t = _s[1] << 17;
        _s[2] ^= _s[0];
        _s[3] ^= _s[1];
        _s[1] ^= _s[2];
        _s[0] ^= _s[3];
        _s[2] ^= t;
        _s[3] = rotl(_s[3], 45);
        return result;
    }

    // Uniform in [0, 1) with 53 random bits.
    double uniform() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

    // Uniform in [0, n) without modulo bias worth caring about (Lemire's
    // multiply-shift; n is tiny next to 2^64).
    uint64_t below(uint64_t n) noexcept {
        return static_cast<uint64_t>((static_cast<unsigned __int128>(next()) * n) >> 64);
    }

    // Two independent standard normals (Marsaglia's polar method: one log and
    // one sqrt per pair, no trigonometry).
    void normal_pair(double& a, double& b) noexcept {
        double u, v, s;
        do {
            u = 2.0 * uniform() - 1.0;
            v = 2.0 * uniform() - 1.0;
            s = u * u + v * v;
        } while (s >= 1.0 || s == 0.0);
        const double m = std::sqrt(-2.0 * std::log(s) / s);
        a = u * m;
        b = v * m;
    }

private:
    static constexpr uint64_t rotl(uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }

    uint64_t _s[4];
};

} // namespace mdsp::feed::internal
