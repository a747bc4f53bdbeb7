#include <random>

#include "base/metrics.h"
#include "stream/internal/window.h"
#include "stream/tests/test_util.h"

namespace mdsp::stream {
namespace {

model::tick make_tick(const std::string& sym, int64_t et, double price, std::optional<double> size,
                      int64_t seq) {
    model::tick t;
    t.symbol = sym;
    t.source = "unit";
    t.event_time = event_time(et);
    t.price = price;
    t.size = size;
    t.seq = sequence(seq);
    return t;
}

std::map<test::candle_key, model::candle> run(candle_engine& e, const std::vector<model::tick>& ticks) {
    std::map<test::candle_key, model::candle> out;
    std::vector<model::candle> batch;
    for (const auto& t : ticks) {
        EXPECT_EQ(e.add(t, partition_id(0)), tick_outcome::accepted);
    }
    e.finish();
    test::take_expanded(e, batch);
    test::fold(out, batch);
    return out;
}

// The same ticks in any arrival order within the out-of-orderness give
// bit-identical candles, VWAP and volume included (decimal sizes whose
// floating-point sums depend on the order of addition).
TEST(engine, arrival_order_does_not_change_candles) {
    std::mt19937_64 rng(7);
    std::vector<model::tick> ticks;
    for (int i = 0; i < 3000; ++i) {
        double price = 100 + static_cast<double>(rng() % 10000) / 997.0;
        double size = static_cast<double>(rng() % 100000) / 1000.0 + 0.001;
        ticks.push_back(
            make_tick(i % 3 == 0 ? "A" : "B", 1'700'000'000'000'000 + i * 10'000, price, size, 0));
    }
    engine_config cfg;
    cfg.out_of_orderness_us = 60 * micros_per_second;
    std::map<test::candle_key, model::candle> first;
    for (int round = 0; round < 4; ++round) {
        auto shuffled = ticks;
        if (round > 0) {
            std::shuffle(shuffled.begin(), shuffled.end(), rng);
        }
        for (size_t i = 0; i < shuffled.size(); ++i) {
            shuffled[i].seq = sequence(static_cast<int64_t>(i) + 1); // seq is the arrival order
        }
        candle_engine e(cfg);
        auto got = run(e, shuffled);
        if (round == 0) {
            first = got;
            continue;
        }
        ASSERT_EQ(got.size(), first.size());
        for (const auto& [k, c] : first) {
            // revision/first/last may not differ either: all in one window set
            ASSERT_EQ(got[k], c) << "round " << round << "\n got " << test::describe(got[k]) << "\nwant "
                                 << test::describe(c);
        }
    }
}

TEST(engine, exact_sum_is_order_independent) {
    internal::exact_sum a;
    internal::exact_sum b;
    const double xs[] = {1e16, 0.1, -1e16, 0.2, 3.3, 1e-3};
    for (double x : xs) {
        a.add(x);
    }
    for (int i = 5; i >= 0; --i) {
        b.add(xs[i]);
    }
    EXPECT_EQ(a.value(), b.value());
    internal::exact_sum small;
    for (double x : {1e-3, 3.3, 0.2, 0.1}) {
        small.add(x);
    }
    EXPECT_EQ(a.value(), small.value()); // the two 1e16 cancel exactly
    double naive = 0;
    for (double x : xs) {
        naive += x;
    }
    EXPECT_NE(naive, a.value()); // what plain summation would have given
}

TEST(engine, take_updates_reports_each_change_once) {
    engine_config cfg;
    cfg.intervals = {model::interval(micros_per_minute)};
    candle_engine e(cfg);
    int64_t t0 = 1'700'000'000'000'000 - 1'700'000'000'000'000 % micros_per_minute;
    for (int i = 0; i < 5; ++i) {
        ASSERT_EQ(e.add(make_tick("A", t0 + i * 1000, 1.0 + i, 1.0, i + 1), partition_id(0)),
                  tick_outcome::accepted);
    }
    std::vector<model::candle> out;
    test::take_expanded(e, out);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_FALSE(out[0].final);
    EXPECT_EQ(out[0].trade_count, 5);
    EXPECT_EQ(out[0].close, 5.0);
    out.clear();
    test::take_expanded(e, out);
    EXPECT_TRUE(out.empty());
    EXPECT_EQ(e.stats().open_windows, 1u);
}

TEST(engine, validate_rejects_bad_configs) {
    engine_config cfg;
    EXPECT_TRUE(candle_engine::validate(cfg).has_value());
    cfg.intervals.clear();
    EXPECT_EQ(candle_engine::validate(cfg).error().code, errc::bad_config);
    cfg.intervals = {model::interval(micros_per_minute), model::interval(micros_per_minute)};
    EXPECT_EQ(candle_engine::validate(cfg).error().code, errc::bad_config);
    cfg.intervals = {model::interval(0)};
    EXPECT_EQ(candle_engine::validate(cfg).error().code, errc::bad_config);
    cfg = engine_config{};
    cfg.out_of_orderness_us = -1;
    EXPECT_EQ(candle_engine::validate(cfg).error().code, errc::bad_config);
    cfg = engine_config{};
    cfg.allowed_lateness_us = -1;
    auto r = candle_engine::validate(cfg);
    ASSERT_TRUE(r.has_error());
    EXPECT_NE(r.error().what().find("lateness"), std::string::npos);
}

std::vector<std::pair<std::string, std::string>> some_state(const engine_config& cfg) {
    candle_engine e(cfg);
    (void)e.add(make_tick("A", 1'700'000'000'000'000, 1.0, 2.0, 1), partition_id(3));
    std::vector<std::pair<std::string, std::optional<std::string>>> changes;
    e.take_state_changes(changes);
    std::vector<std::pair<std::string, std::string>> kv;
    for (auto& [k, v] : changes) {
        EXPECT_TRUE(v.has_value());
        EXPECT_EQ(k.rfind("engine/", 0), 0u);
        kv.emplace_back(k, *v);
    }
    return kv;
}

TEST(engine, restore_rejects_bad_state) {
    engine_config cfg;
    auto kv = some_state(cfg);
    ASSERT_GE(kv.size(), 5u);
    {
        candle_engine e(cfg);
        EXPECT_TRUE(e.restore(kv).has_value());
        EXPECT_EQ(e.stats().accepted, 1u);
        // A second restore, or one after add(), is a misuse.
        EXPECT_EQ(e.restore(kv).error().code, errc::bad_state);
    }
    for (size_t i = 0; i < kv.size(); ++i) {
        auto broken = kv;
        broken[i].second.pop_back(); // truncated value
        candle_engine e(cfg);
        auto r = e.restore(broken);
        EXPECT_TRUE(r.has_error()) << kv[i].first;
        if (r.has_error()) {
            EXPECT_EQ(r.error().code, errc::bad_state);
        }
        // A failed restore leaves a fresh engine, not a half-restored one.
        EXPECT_TRUE(e.restore(kv).has_value()) << kv[i].first;
    }
    {
        auto broken = kv;
        broken.emplace_back("other/key", "x");
        candle_engine e(cfg);
        EXPECT_EQ(e.restore(broken).error().code, errc::bad_state);
    }
    {
        engine_config fewer;
        fewer.intervals = {model::interval(micros_per_minute)};
        candle_engine e(fewer);
        auto r = e.restore(kv);
        ASSERT_TRUE(r.has_error());
        EXPECT_EQ(r.error().code, errc::bad_config);
        EXPECT_NE(r.error().what().find("1s"), std::string::npos) << r.error().what();
    }
}

// State saved by a version whose finish() made every later tick late (a
// trailing "finished" byte in engine/c): restored as not finished.
TEST(engine, restore_ignores_the_old_finished_flag) {
    engine_config cfg;
    cfg.intervals = {model::interval(micros_per_minute)};
    auto kv = some_state(cfg);
    bool found = false;
    for (auto& [k, v] : kv) {
        if (k == "engine/c") {
            v.push_back('\x01');
            found = true;
        }
    }
    ASSERT_TRUE(found);
    candle_engine e(cfg);
    ASSERT_TRUE(e.restore(kv).has_value());
    EXPECT_EQ(e.stats().accepted, 1u);
    EXPECT_EQ(e.add(make_tick("A", 1'700'000'000'000'000 + 1000, 1.5, 1.0, 2), partition_id(3)),
              tick_outcome::accepted);
}

// Finality stays a prefix of each series: after finish(), a tick into a still
// open (by the watermark) window before the first one finish() finalized is
// final at once, as a late-but-allowed tick into an empty window would be.
TEST(engine, tick_before_a_finished_window_is_final) {
    engine_config cfg;
    cfg.intervals = {model::interval(micros_per_minute)};
    cfg.out_of_orderness_us = 90 * micros_per_second;
    candle_engine e(cfg);
    const int64_t t0 = 1'700'000'040'000'000; // a minute boundary
    ASSERT_EQ(e.add(make_tick("A", t0 + micros_per_minute + 10'000'000, 2.0, 1.0, 1), partition_id(0)),
              tick_outcome::accepted);
    e.finish();
    std::vector<model::candle> out;
    test::take_expanded(e, out);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_TRUE(out[0].final);
    out.clear();
    // Watermark t0 - 20s: window t0 is neither final nor closed by it.
    ASSERT_EQ(e.add(make_tick("A", t0 + 30'000'000, 1.0, 1.0, 2), partition_id(0)), tick_outcome::accepted);
    test::take_expanded(e, out);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].window_start(), t0);
    EXPECT_TRUE(out[0].final);
    EXPECT_EQ(out[0].revision, 0);
    EXPECT_EQ(e.stats().open_windows, 0u);
}

TEST(engine, publishes_metrics_in_take_updates) {
    auto& reg = metrics::global();
    auto& accepted = reg.get_counter("mdsp_engine_ticks_total", "", {{"outcome", "accepted"}});
    auto& dup = reg.get_counter("mdsp_engine_ticks_total", "", {{"outcome", "duplicate"}});
    auto& open = reg.get_counter("mdsp_engine_candles_emitted_total", "", {{"final", "false"}});
    auto& fin = reg.get_counter("mdsp_engine_candles_emitted_total", "", {{"final", "true"}});
    uint64_t a0 = accepted.value(), d0 = dup.value(), o0 = open.value(), f0 = fin.value();
    engine_config cfg;
    cfg.intervals = {model::interval(micros_per_minute)};
    candle_engine e(cfg);
    (void)e.add(make_tick("A", 0, 1.0, 1.0, 1), partition_id(0));
    (void)e.add(make_tick("A", 1, 1.0, 1.0, 1), partition_id(0));
    EXPECT_EQ(accepted.value(), a0); // not before take_updates
    std::vector<model::candle> out;
    test::take_expanded(e, out);
    EXPECT_EQ(accepted.value(), a0 + 1);
    EXPECT_EQ(dup.value(), d0 + 1);
    EXPECT_EQ(open.value(), o0 + 1);
    e.finish();
    test::take_expanded(e, out);
    EXPECT_EQ(fin.value(), f0 + 1);
    EXPECT_NE(reg.expose().find("mdsp_engine_ticks_total{outcome=\"late\"}"), std::string::npos);
}

TEST(engine, a_long_silence_is_one_filler_run_not_a_candle_per_window) {
    // A month between two ticks at the 1s interval is 2.7 million empty
    // windows; emitting a candle for each took gigabytes (issue 10, item 1).
    // They are one run now, and every window of it is still a filler.
    engine_config cfg;
    cfg.intervals = {model::interval(1'000'000)};
    candle_engine e(cfg);
    const int64_t t0 = 1'704'153'600'000'000; // 2024-01-02
    const int64_t month = 31LL * 86'400'000'000;
    ASSERT_EQ(e.add(make_tick("A", t0, 10.0, 1.0, 1), partition_id(0)), tick_outcome::accepted);
    ASSERT_EQ(e.add(make_tick("A", t0 + month, 11.0, 1.0, 2), partition_id(0)), tick_outcome::accepted);
    std::vector<model::candle> out;
    std::vector<model::filler_run> runs;
    e.take_updates(out, runs);
    e.finish();
    e.take_updates(out, runs);
    for (const auto& c : out) { // the two windows with ticks (the second open, then final)
        EXPECT_TRUE(c.window_start() == t0 || c.window_start() == t0 + month) << c.window_start();
    }
    ASSERT_FALSE(runs.empty());
    // The purged span, the windows still in the ring, those finish() made final.
    EXPECT_LE(runs.size(), 3u);
    int64_t next = t0 + 1'000'000;
    for (const auto& r : runs) {
        EXPECT_EQ(r.first(), next);
        EXPECT_EQ(r.close, 10.0); // the previous close
        EXPECT_TRUE(r.final);
        EXPECT_EQ(r.revision, 0);
        next = r.first() + r.count * 1'000'000;
    }
    EXPECT_EQ(next, t0 + month); // every empty window, none twice
}

TEST(engine, an_idle_symbol_frees_its_windows_and_a_commit_visits_only_due_symbols) {
    // 20,000 symbols tick once, then one symbol goes on for two hours: the
    // others become idle (all their windows purged), and the state a commit
    // writes is only the active symbol's.
    engine_config cfg;
    candle_engine e(cfg);
    const int64_t t0 = 1'704'153'600'000'000;
    for (int i = 0; i < 20'000; ++i) {
        ASSERT_EQ(e.add(make_tick(fmt::format("S{}", i), t0 + i, 10.0, 1.0, 1), partition_id(0)),
                  tick_outcome::accepted);
    }
    std::vector<model::candle> out;
    std::vector<model::filler_run> runs;
    std::vector<std::pair<std::string, std::optional<std::string>>> st;
    e.take_updates(out, runs);
    e.take_state_changes(st);
    int64_t t = t0 + 100'000;
    for (int i = 0; i < 7200; ++i, t += 1'000'000) {
        ASSERT_EQ(e.add(make_tick("ACTIVE", t, 10.0, 1.0, 2 + i), partition_id(0)), tick_outcome::accepted);
    }
    out.clear();
    st.clear();
    e.take_updates(out, runs);
    e.take_state_changes(st); // the others' purges
    out.clear();
    runs.clear();
    st.clear();
    ASSERT_EQ(e.add(make_tick("ACTIVE", t, 10.0, 1.0, 9000), partition_id(0)), tick_outcome::accepted);
    e.take_updates(out, runs);
    e.take_state_changes(st);
    for (const auto& c : out) {
        EXPECT_EQ(c.symbol, "ACTIVE");
    }
    for (const auto& [k, v] : st) {
        EXPECT_TRUE(k.find("S1") == std::string::npos) << k;
    }
    EXPECT_LT(st.size(), 20u);
}

} // namespace
} // namespace mdsp::stream
