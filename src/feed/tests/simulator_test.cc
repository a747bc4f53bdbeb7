#include <cmath>
#include <map>
#include <set>

#include <gtest/gtest.h>

#include "feed/simulator.h"
#include "feed/tests/fake_clock.h"

namespace mdsp::feed {
namespace {

constexpr int64_t start = 1'700'000'000'000'000; // us

std::vector<model::tick> run(simulator_config cfg, size_t n) {
    auto sim = simulator::create(std::move(cfg));
    EXPECT_TRUE(sim) << sim.error().what();
    std::vector<model::tick> out;
    while (out.size() < n) {
        auto st = (*sim)->poll(out, std::min<size_t>(1000, n - out.size()));
        EXPECT_TRUE(st);
        EXPECT_EQ(*st, poll_status::ticks);
    }
    for (auto& t : out) {
        t.ingest_time = ingest_time(0); // the only field that is wall time
    }
    return out;
}

simulator_config reproducible(uint64_t seed) {
    simulator_config cfg;
    cfg.seed = seed;
    cfg.rate = 0;
    cfg.start_time = start;
    return cfg;
}

TEST(simulator, same_seed_same_ticks) {
    auto a = run(reproducible(42), 20'000);
    auto b = run(reproducible(42), 20'000);
    ASSERT_EQ(a.size(), 20'000u);
    EXPECT_EQ(a, b);
}

TEST(simulator, different_seeds_differ) {
    auto a = run(reproducible(1), 1000);
    auto b = run(reproducible(2), 1000);
    size_t same = 0;
    for (size_t i = 0; i < a.size(); ++i) {
        same += a[i].symbol == b[i].symbol && a[i].price == b[i].price && a[i].size == b[i].size;
    }
    EXPECT_LT(same, 10u);
}

TEST(simulator, realistic_magnitudes_on_a_tick_grid) {
    auto ticks = run(reproducible(7), 50'000);
    std::map<std::string, std::pair<double, double>> range; // min, max
    for (const auto& t : ticks) {
        ASSERT_TRUE(std::isfinite(t.price));
        ASSERT_GT(t.price, 0);
        ASSERT_TRUE(t.size);
        ASSERT_GT(*t.size, 0);
        EXPECT_EQ(t.source, "sim");
        auto [it, fresh] = range.try_emplace(t.symbol, t.price, t.price);
        it->second.first = std::min(it->second.first, t.price);
        it->second.second = std::max(it->second.second, t.price);
    }
    ASSERT_EQ(range.size(), 5u);
    auto within = [&](const std::string& s, double lo, double hi) {
        EXPECT_GE(range[s].first, lo) << s;
        EXPECT_LE(range[s].second, hi) << s;
    };
    within("BTC/USD", 40'000, 90'000);
    within("ETH/USD", 2'000, 4'500);
    within("AAPL", 100, 400);
    within("MSFT", 100, 600);
    within("EUR/USD", 0.95, 1.25);

    auto sim = simulator::create(reproducible(7));
    for (const auto& in : (*sim)->instruments()) {
        const double scale = std::pow(10.0, in.price_decimals);
        for (size_t i = 0; i < 200; ++i) {
            const auto& t = ticks[i];
            if (t.symbol == in.symbol) {
                // Prices are the doubles nearest to decimals of the tick size.
                EXPECT_EQ(t.price, std::nearbyint(t.price * scale) / scale) << t.symbol << " " << t.price;
            }
        }
    }
}

TEST(simulator, unknown_symbols_get_a_class) {
    simulator_config cfg = reproducible(3);
    cfg.symbols = {"ZZZZ", "ETH/BTC", "USD/JPY", "SOLUSDT"};
    auto sim = simulator::create(cfg);
    ASSERT_TRUE(sim);
    const auto& in = (*sim)->instruments();
    EXPECT_GE(in[0].start_price, 90);
    EXPECT_LE(in[0].start_price, 420);
    EXPECT_NEAR(in[1].start_price, 0.05, 0.01);
    EXPECT_NEAR(in[2].start_price, 149, 15);
    EXPECT_NEAR(in[3].start_price, 150, 15);
    EXPECT_EQ(in[0].size_decimals, 0);
}

TEST(simulator, seq_and_synthetic_clock) {
    auto cfg = reproducible(5);
    cfg.rate = 0;
    auto ticks = run(cfg, 100);
    for (size_t i = 0; i < ticks.size(); ++i) {
        EXPECT_EQ(ticks[i].seq(), static_cast<int64_t>(i + 1));
        EXPECT_EQ(ticks[i].event_time(), start + static_cast<int64_t>(i)); // 1 us per tick unpaced
    }
}

TEST(simulator, resume_continues_numbering_and_clock) {
    test::fake_clock clk;
    simulator_config cfg = reproducible(9);
    cfg.rate = 1000; // 1 ms per tick of synthetic time
    cfg.clock = &clk;
    auto a = simulator::create(cfg);
    ASSERT_TRUE(a);
    EXPECT_EQ((*a)->position(), "0");
    std::vector<model::tick> out;
    ASSERT_TRUE((*a)->poll(out, 250)); // pacing starts: one tick is due
    ASSERT_EQ(out.size(), 1u);
    clk.advance(1'000'000'000); // 1 s later 1000 more are due
    ASSERT_TRUE((*a)->poll(out, 249));
    ASSERT_EQ(out.size(), 250u);
    EXPECT_EQ((*a)->position(), "250");

    auto b = simulator::create(cfg);
    ASSERT_TRUE((*b)->resume("250"));
    std::vector<model::tick> more;
    ASSERT_TRUE((*b)->poll(more, 10));
    ASSERT_FALSE(more.empty());
    EXPECT_EQ(more.front().seq(), 251);
    EXPECT_EQ(more.front().event_time(), start + 250 * 1000);
    EXPECT_EQ((*b)->position(), std::to_string(250 + more.size()));

    EXPECT_FALSE((*b)->resume(""));
    EXPECT_FALSE((*b)->resume("-1"));
    EXPECT_FALSE((*b)->resume("12x"));
    EXPECT_EQ((*b)->resume("abc").error().code, errc::bad_format);
}

TEST(simulator, paces_without_drift) {
    test::fake_clock clk;
    simulator_config cfg;
    cfg.rate = 1000; // one tick per ms
    cfg.clock = &clk;
    auto sim = simulator::create(cfg);
    ASSERT_TRUE(sim);
    std::vector<model::tick> out;
    ASSERT_TRUE((*sim)->poll(out, 100));
    EXPECT_EQ(out.size(), 1u); // the first tick is due at once
    EXPECT_TRUE(clk.sleeps.empty());

    // Nothing due: sleeps exactly until the next tick's deadline.
    out.clear();
    const int64_t t0 = clk.mono;
    ASSERT_TRUE((*sim)->poll(out, 100));
    ASSERT_EQ(clk.sleeps.size(), 1u);
    EXPECT_EQ(clk.sleeps[0], t0 + 1'000'000);
    EXPECT_EQ(out.size(), 1u);

    // 10.5 ms later: ticks due at 2..12 ms → 10 more, in one batch.
    out.clear();
    clk.advance(10'500'000);
    ASSERT_TRUE((*sim)->poll(out, 100));
    EXPECT_EQ(out.size(), 10u);
    // Late polls do not lose time: after a 1 s stall the backlog comes in
    // max-sized batches, and the total is exactly rate * elapsed + 1.
    clk.advance(1'000'000'000);
    out.clear();
    while (true) {
        size_t before = out.size();
        ASSERT_TRUE((*sim)->poll(out, 300));
        if (out.size() - before < 300) {
            break;
        }
    }
    EXPECT_EQ((*sim)->ticks_generated(), 1 + (clk.mono - t0) / 1'000'000);
    // Waits are bounded by about 100 ms even at a slow rate.
    simulator_config slow = cfg;
    slow.rate = 0.5;
    auto s = simulator::create(slow);
    out.clear();
    ASSERT_TRUE((*s)->poll(out, 10));
    EXPECT_EQ(out.size(), 1u);
    clk.sleeps.clear();
    const int64_t t1 = clk.mono;
    out.clear();
    ASSERT_TRUE((*s)->poll(out, 10));
    EXPECT_TRUE(out.empty());
    ASSERT_EQ(clk.sleeps.size(), 1u);
    EXPECT_EQ(clk.sleeps[0], t1 + 100'000'000);
}

TEST(simulator, wall_clock_event_times_without_start_time) {
    test::fake_clock clk;
    simulator_config cfg;
    cfg.rate = 0;
    cfg.clock = &clk;
    auto sim = simulator::create(cfg);
    std::vector<model::tick> out;
    ASSERT_TRUE((*sim)->poll(out, 10));
    ASSERT_EQ(out.size(), 10u);
    for (const auto& t : out) {
        EXPECT_EQ(t.event_time(), clk.wall_micros());
        EXPECT_EQ(t.ingest_time(), clk.wall_micros());
    }
}

TEST(simulator, rejects_bad_config) {
    simulator_config cfg;
    cfg.symbols = {};
    EXPECT_EQ(simulator::create(cfg).error().code, errc::bad_config);
    cfg.symbols = {"A", "A"};
    EXPECT_FALSE(simulator::create(cfg));
    cfg.symbols = {"A", ""};
    EXPECT_FALSE(simulator::create(cfg));
    cfg.symbols = {"A"};
    cfg.rate = -1;
    EXPECT_FALSE(simulator::create(cfg));
    cfg.rate = 1e-300; // deadlines would not fit in int64 nanoseconds
    EXPECT_FALSE(simulator::create(cfg));
    cfg.rate = std::nan("");
    EXPECT_FALSE(simulator::create(cfg));
    EXPECT_EQ(std::string(simulator::create(cfg).error().code.category().name()), "mdsp.feed");
}

} // namespace
} // namespace mdsp::feed
