// rebuild_anchors keeps lazy heaps instead of scanning every symbol at each
// commit; this holds it against the plain scan it replaced, on random input.
#include <algorithm>
#include <deque>
#include <map>
#include <random>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "pipeline/internal/rebuild_anchors.h"

namespace mdsp::pipeline::internal {
namespace {

constexpr int64_t day = 86'400'000'000;
constexpr int64_t lateness = 60'000'000;

// The scan: every symbol at every take, the minimum over all at every commit.
class plain_anchors {
public:
    void note(const std::string& symbol, int64_t event_us, int64_t offset) {
        int64_t w = event_us / day;
        auto& s = _symbols[symbol];
        auto it =
            std::lower_bound(s.a.begin(), s.a.end(), w, [](const auto& e, int64_t x) { return e.first < x; });
        if (it != s.a.end() && it->first == w) {
            if (offset < it->second) {
                it->second = offset;
                s.dirty = true;
            }
        } else {
            s.a.insert(it, {w, offset});
            s.dirty = true;
        }
    }
    std::map<std::string, std::string> take(int64_t wm) {
        std::map<std::string, std::string> out;
        for (auto& [sym, s] : _symbols) {
            while (s.a.size() >= 2 && wm >= (s.a[1].first + 1) * day + lateness) {
                s.a.pop_front();
                s.dirty = true;
            }
            if (s.dirty) {
                s.dirty = false;
                std::string v;
                for (const auto& [w, o] : s.a) {
                    v += fmt::format("{}{}:{}", v.empty() ? "" : ",", w, o);
                }
                out["p/a/" + sym] = v;
            }
        }
        return out;
    }
    int64_t safe_offset(int64_t written) const {
        for (const auto& [_, s] : _symbols) {
            if (!s.a.empty()) {
                written = std::min(written, s.a.front().second);
            }
        }
        return written;
    }

private:
    struct anchors {
        std::deque<std::pair<int64_t, int64_t>> a;
        bool dirty = false;
    };
    std::map<std::string, anchors> _symbols;
};

TEST(rebuild_anchors, agree_with_a_scan_of_every_symbol) {
    for (uint64_t seed = 1; seed <= 20; ++seed) {
        SCOPED_TRACE(fmt::format("seed {}", seed));
        std::mt19937_64 rng(seed);
        rebuild_anchors fast(day);
        plain_anchors plain;
        int64_t now = 10 * day;
        int64_t offset = 0;
        for (int commit = 0; commit < 200; ++commit) {
            const int ticks = static_cast<int>(rng() % 50);
            for (int i = 0; i < ticks; ++i) {
                now += static_cast<int64_t>(rng() % (day / 4));
                // Mostly in order, sometimes days late (an older window).
                const int64_t et = rng() % 8 == 0 ? now - static_cast<int64_t>(rng() % (3 * day)) : now;
                const std::string sym = fmt::format("S{}", rng() % 30);
                fast.note(sym, et, offset);
                plain.note(sym, et, offset);
                ++offset;
            }
            std::vector<store::state_change> changes;
            fast.take(now - 2'000'000, lateness, "p/", changes);
            std::map<std::string, std::string> got;
            for (auto& [k, v] : changes) {
                ASSERT_TRUE(v.has_value());
                EXPECT_TRUE(got.emplace(k, *v).second) << "twice in one take: " << k;
            }
            EXPECT_EQ(got, plain.take(now - 2'000'000)) << "commit " << commit;
            EXPECT_EQ(fast.safe_offset(offset), plain.safe_offset(offset)) << "commit " << commit;
        }
    }
}

TEST(rebuild_anchors, restored_anchors_hold_the_commit_back) {
    rebuild_anchors a(day);
    ASSERT_TRUE(a.restore("X", "10:5,11:9"));
    ASSERT_TRUE(a.restore("Y", "11:7"));
    EXPECT_EQ(a.safe_offset(100), 5);
    std::vector<store::state_change> changes;
    a.take(12 * day + lateness, lateness, "p/", changes); // day 11 closed: X keeps only its newest closed
    EXPECT_EQ(a.safe_offset(100), 7);
    ASSERT_EQ(changes.size(), 1u);
    EXPECT_EQ(changes[0].first, "p/a/X");
    EXPECT_EQ(*changes[0].second, "11:9");
    EXPECT_FALSE(a.restore("Z", "bad"));
}

} // namespace
} // namespace mdsp::pipeline::internal
