#include <random>
#include <set>

#include "base/metrics.h"
#include "stream/internal/codec.h"
#include "stream/internal/engine_impl.h"
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

// The state of `ticks` ticks of A one second apart: with twelve, more 1s
// windows than a symbol's key holds (engine/w keys), and one window of each
// wider interval (in the symbol's key).
std::vector<std::pair<std::string, std::string>> some_state(const engine_config& cfg, int ticks = 1) {
    candle_engine e(cfg);
    for (int i = 0; i < ticks; ++i) {
        (void)e.add(make_tick("A", 1'700'000'000'000'000 + i * micros_per_second, 1.0 + i, 2.0, 1 + i),
                    partition_id(3));
    }
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
    auto kv = some_state(cfg, 12);
    ASSERT_GE(kv.size(), 15u); // c, p, y and twelve w
    EXPECT_EQ(kv[3].first.rfind("engine/w", 0), 0u);
    {
        candle_engine e(cfg);
        EXPECT_TRUE(e.restore(kv).has_value());
        EXPECT_EQ(e.stats().accepted, 12u);
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

// State saved before one key per symbol ('s', 'd' and 'm' keys) restores,
// and the next take rewrites it as the symbol's one key, deleting the old ones.
TEST(engine, restores_the_keys_of_versions_before_one_key_per_symbol) {
    engine_config cfg;
    cfg.intervals = {model::interval(micros_per_minute)};
    const int64_t t0 = 1'704'153'600'000'000; // 2024-01-02, a minute boundary
    auto str = [](std::string& out, std::string_view x) {
        internal::put_varint(out, x.size());
        out.append(x);
    };
    std::vector<std::pair<std::string, std::string>> kv;
    std::string v;
    internal::put_varint(v, 1);
    internal::put_varint(v, 0);
    internal::put_varint(v, 0);
    kv.emplace_back("engine/c", v);
    std::string k = "engine/d";
    str(k, "A");
    k += "unit";
    v.clear();
    internal::put_zigzag(v, 7);
    kv.emplace_back(k, v);
    k = "engine/m";
    str(k, "A");
    internal::put_varint(k, static_cast<uint64_t>(micros_per_minute));
    v.clear();
    v.push_back(1); // has ticks
    const int64_t w = t0 / micros_per_minute;
    for (int64_t x : {w, w, w, w}) { // base, first_real, newest_real, cursor
        internal::put_zigzag(v, x);
    }
    kv.emplace_back(k, v);
    v.clear();
    internal::put_zigzag(v, t0 + 1000);
    kv.emplace_back(std::string("engine/p") + std::string("\0\0\0\0", 4), v);
    v.clear();
    internal::put_varint(v, 1);
    internal::put_zigzag(v, 0); // partition 0
    internal::put_zigzag(v, internal::no_time);
    kv.emplace_back("engine/sA", v);
    k = "engine/w";
    str(k, "A");
    internal::put_varint(k, static_cast<uint64_t>(micros_per_minute));
    internal::put_zigzag(k, w);
    v.clear();
    v.push_back(1);                     // ticks
    internal::put_varint(v, 0);         // revision
    internal::put_double(v, 10.0);      // close
    internal::put_varint(v, 1);         // count
    internal::put_zigzag(v, t0 + 1000); // open_et
    internal::put_zigzag(v, 7);         // open_seq
    internal::put_zigzag(v, 0);
    internal::put_zigzag(v, 0);
    for (double d : {10.0, 10.0, 10.0, 1.0, 10.0, 10.0}) { // open high low volume pv psum
        internal::put_double(v, d);
    }
    kv.emplace_back(k, v);
    std::sort(kv.begin(), kv.end());

    candle_engine e(cfg);
    ASSERT_TRUE(e.restore(kv).has_value());
    EXPECT_EQ(e.add(make_tick("A", t0 + 2000, 9.0, 1.0, 7), partition_id(0)), tick_outcome::duplicate);
    EXPECT_EQ(e.add(make_tick("A", t0 + 3000, 12.0, 1.0, 8), partition_id(0)), tick_outcome::accepted);
    std::vector<std::pair<std::string, std::optional<std::string>>> st;
    e.take_state_changes(st);
    std::set<std::string> deleted;
    bool symbol_key = false;
    for (const auto& [key, val] : st) {
        if (!val) {
            deleted.insert(key);
        }
        symbol_key |= key == "engine/yA" && val.has_value();
    }
    EXPECT_TRUE(symbol_key);
    for (const auto& [key, _] : kv) {
        if (key[7] == 's' || key[7] == 'd' || key[7] == 'm') {
            EXPECT_TRUE(deleted.contains(key)) << key;
        }
    }
    std::vector<model::candle> out;
    e.finish();
    test::take_expanded(e, out);
    ASSERT_FALSE(out.empty());
    EXPECT_EQ(out.back().open, 10.0);
    EXPECT_EQ(out.back().close, 12.0);
    EXPECT_EQ(out.back().trade_count, 2);

    // And the new keys restore to the same engine.
    std::vector<std::pair<std::string, std::string>> kv2;
    std::map<std::string, std::string> merged(kv.begin(), kv.end());
    for (auto& [key, val] : st) {
        if (val) {
            merged[key] = *val;
        } else {
            merged.erase(key);
        }
    }
    candle_engine e2(cfg);
    ASSERT_TRUE(e2.restore({merged.begin(), merged.end()}).has_value());
    EXPECT_EQ(e2.add(make_tick("A", t0 + 3000, 12.0, 1.0, 8), partition_id(0)), tick_outcome::duplicate);
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

TEST(engine, a_window_becoming_final_rewrites_only_its_symbol_key) {
    // Finality is the series cursor, kept in the symbol's key: a window whose
    // ticks were saved is not written again when the watermark finalizes it,
    // so a sparse universe writes each window's state once per change.
    engine_config cfg;
    cfg.intervals = {model::interval(1'000'000), model::interval(60'000'000)};
    candle_engine e(cfg);
    const int64_t t0 = 1'704'153'600'000'000;
    ASSERT_EQ(e.add(make_tick("A", t0 + 10, 10.0, 1.0, 1), partition_id(0)), tick_outcome::accepted);
    std::vector<model::candle> out;
    std::vector<model::filler_run> runs;
    std::vector<std::pair<std::string, std::optional<std::string>>> st;
    e.take_updates(out, runs);
    e.take_state_changes(st);
    ASSERT_FALSE(st.empty());
    // B's tick moves the partition's watermark past A's 1s window.
    ASSERT_EQ(e.add(make_tick("B", t0 + 5'000'000, 11.0, 1.0, 1), partition_id(0)), tick_outcome::accepted);
    out.clear();
    st.clear();
    e.take_updates(out, runs);
    e.take_state_changes(st);
    bool a_final = false;
    for (const auto& c : out) {
        a_final = a_final || (c.symbol == "A" && c.final && c.interval == model::interval(1'000'000));
    }
    EXPECT_TRUE(a_final);
    int a_keys = 0;
    for (const auto& [k, v] : st) {
        if (candle_engine::state_key_symbol(k) == "A") {
            ++a_keys;
            EXPECT_EQ(k, std::string(candle_engine::state_prefix) + "yA");
        }
    }
    EXPECT_EQ(a_keys, 1);
    // What was saved restores to an engine that goes on exactly as this one.
    std::map<std::string, std::string> kv;
    candle_engine first(cfg);
    ASSERT_EQ(first.add(make_tick("A", t0 + 10, 10.0, 1.0, 1), partition_id(0)), tick_outcome::accepted);
    st.clear();
    first.take_state_changes(st);
    ASSERT_EQ(first.add(make_tick("B", t0 + 5'000'000, 11.0, 1.0, 1), partition_id(0)),
              tick_outcome::accepted);
    first.take_state_changes(st);
    test::fold_state(kv, st);
    std::vector<std::pair<std::string, std::string>> saved(kv.begin(), kv.end());
    candle_engine restored(cfg);
    ASSERT_TRUE(restored.restore(saved).has_value());
    for (auto* x : {&first, &restored}) {
        ASSERT_EQ(x->add(make_tick("A", t0 + 1'500'000, 12.0, 1.0, 2), partition_id(0)),
                  tick_outcome::accepted);
        x->finish();
    }
    std::vector<model::candle> a;
    std::vector<model::candle> b;
    first.take_updates(a, runs);
    restored.take_updates(b, runs);
    auto open_1m = [](const std::vector<model::candle>& v) {
        for (const auto& c : v) {
            if (c.symbol == "A" && c.interval == model::interval(60'000'000)) {
                return std::make_tuple(c.open, c.high, c.low, c.close, c.trade_count);
            }
        }
        return std::make_tuple(0.0, 0.0, 0.0, 0.0, int64_t(-1));
    };
    EXPECT_EQ(open_1m(a), open_1m(b));
    EXPECT_EQ(open_1m(a), std::make_tuple(10.0, 12.0, 10.0, 12.0, int64_t(2)));
}

TEST(engine, a_sparse_series_keeps_its_windows_in_the_symbol_key_a_dense_one_in_their_own) {
    // One key per symbol a commit in a sparse universe: a series with at most
    // internal::embed_limit windows to save keeps them in engine/y. Past that
    // each window has its engine/w key; back under it those keys go again.
    engine_config cfg;
    cfg.intervals = {model::interval(micros_per_second), model::interval(micros_per_minute)};
    cfg.out_of_orderness_us = 0;
    cfg.allowed_lateness_us = 20 * micros_per_second;
    const int64_t t0 = 1'704'153'600'000'000;
    candle_engine e(cfg);
    std::map<std::string, std::string> kv;
    std::vector<std::pair<std::string, std::optional<std::string>>> st;
    std::vector<model::candle> out;
    std::vector<model::filler_run> runs;
    std::vector<model::tick> fed;
    auto tick = [&](int64_t at_s) {
        fed.push_back(make_tick("A", t0 + at_s * micros_per_second,
                                10.0 + static_cast<double>(fed.size() % 7), 1.0,
                                static_cast<int64_t>(fed.size()) + 1));
        ASSERT_EQ(e.add(fed.back(), partition_id(0)), tick_outcome::accepted);
    };
    auto commit = [&] {
        out.clear();
        st.clear();
        e.take_updates(out, runs);
        e.take_state_changes(st);
        test::fold_state(kv, st);
    };
    auto w_keys = [&] {
        size_t n = 0;
        for (const auto& [k, v] : kv) {
            n += k.rfind("engine/w", 0) == 0 ? 1 : 0;
        }
        return n;
    };
    // An engine restored from the saved state goes on as one that never
    // stopped: a tick into the newest windows (restored ones), then finish().
    auto same_after_restore = [&] {
        candle_engine restored(cfg);
        std::vector<std::pair<std::string, std::string>> saved(kv.begin(), kv.end());
        ASSERT_TRUE(restored.restore(saved).has_value());
        candle_engine whole(cfg);
        for (const auto& t : fed) {
            (void)whole.add(t, partition_id(0));
        }
        auto probe = fed.back();
        probe.seq = sequence(static_cast<int64_t>(fed.size()) + 1);
        probe.price = 1.0;
        std::vector<model::candle> a;
        std::vector<model::candle> b;
        for (auto* x : {&whole, &restored}) {
            ASSERT_EQ(x->add(probe, partition_id(0)), tick_outcome::accepted);
            x->finish();
            x->take_updates(x == &whole ? a : b, runs);
        }
        ASSERT_FALSE(b.empty());
        for (const auto& c : b) {
            auto it = std::find_if(a.begin(), a.end(), [&](const model::candle& w) {
                return test::key_of(w) == test::key_of(c);
            });
            ASSERT_NE(it, a.end()) << test::describe(c);
            EXPECT_EQ(*it, c) << "restored " << test::describe(c) << "\nwhole " << test::describe(*it);
        }
    };
    tick(0);
    commit();
    EXPECT_EQ(w_keys(), 0u);
    EXPECT_EQ(st.size(), 3u) << "c, p and y only";
    for (int i = 1; i <= 12; ++i) { // twelve more 1s windows within the lateness
        tick(i);
    }
    commit();
    EXPECT_EQ(w_keys(), 13u) << "the 1s series' windows, each in its key; the 1m window stays in y";
    same_after_restore();
    tick(40); // purges the dense stretch: two 1s windows left
    commit();
    EXPECT_EQ(w_keys(), 0u);
    same_after_restore();
    // Every window a commit saved is in the state: restored, the engine
    // answers the candles the uninterrupted one does, after every step.
    for (int i = 41; i <= 60; ++i) {
        tick(i);
        if (i % 5 == 0) {
            commit();
            same_after_restore();
        }
    }
    EXPECT_GT(w_keys(), 0u);
}

TEST(engine, a_late_tick_into_the_silence_of_an_idle_symbol_revises_its_fillers) {
    // A symbol idle long enough for its 1s ring to be freed skips the empty
    // windows before its next tick (they take no memory); a late tick into
    // that silence, within the lateness, still makes its window real
    // (revision 1, as it was emitted as a filler) and revises the fillers
    // after it.
    engine_config cfg;
    cfg.intervals = {model::interval(1'000'000)};
    cfg.out_of_orderness_us = 2'000'000;
    cfg.allowed_lateness_us = 60'000'000;
    candle_engine e(cfg);
    const int64_t t0 = 1'704'153'600'000'000;
    const int64_t s = 1'000'000;
    std::vector<model::candle> out;
    std::map<test::candle_key, model::candle> latest;
    ASSERT_EQ(e.add(make_tick("A", t0, 10.0, 1.0, 1), partition_id(0)), tick_outcome::accepted);
    // Another symbol on the partition moves the watermark far on: A is idle.
    ASSERT_EQ(e.add(make_tick("B", t0 + 100 * s, 1.0, 1.0, 1), partition_id(0)), tick_outcome::accepted);
    test::take_expanded(e, out);
    ASSERT_EQ(e.add(make_tick("A", t0 + 100 * s, 12.0, 1.0, 2), partition_id(0)), tick_outcome::accepted);
    ASSERT_EQ(e.add(make_tick("B", t0 + 110 * s, 1.0, 1.0, 2), partition_id(0)), tick_outcome::accepted);
    test::take_expanded(e, out);
    test::fold(latest, out);
    out.clear();
    for (int64_t w = 1; w < 100; ++w) {
        auto it = latest.find({"A", s, t0 + w * s});
        ASSERT_NE(it, latest.end()) << w;
        EXPECT_EQ(it->second.close, 10.0);
        EXPECT_EQ(it->second.trade_count, 0);
        EXPECT_EQ(it->second.final, true);
        EXPECT_EQ(it->second.revision, 0);
    }
    // wm = 108 s: window 50 (ends at 51 s) is within the minute of lateness.
    ASSERT_EQ(e.add(make_tick("A", t0 + 50 * s, 11.0, 2.0, 3), partition_id(0)), tick_outcome::accepted);
    // Window 40 is past it.
    EXPECT_EQ(e.add(make_tick("A", t0 + 40 * s, 11.0, 2.0, 4), partition_id(0)), tick_outcome::late);
    test::take_expanded(e, out);
    test::fold(latest, out);
    const auto& real = latest.at({"A", s, t0 + 50 * s});
    EXPECT_EQ(real.trade_count, 1);
    EXPECT_EQ(real.close, 11.0);
    EXPECT_EQ(real.revision, 1);
    for (int64_t w = 1; w < 100; ++w) {
        if (w == 50) {
            continue;
        }
        const auto& c = latest.at({"A", s, t0 + w * s});
        EXPECT_EQ(c.trade_count, 0) << w;
        EXPECT_EQ(c.close, w < 50 ? 10.0 : 11.0) << w;
        EXPECT_EQ(c.revision, w < 50 ? 0 : 1) << w;
    }
    EXPECT_EQ(latest.at({"A", s, t0 + 100 * s}).open, 12.0);
}

// take_expanded, checking that the take has each window at most once.
void take_once_each(candle_engine& e, std::vector<model::candle>& out, uint64_t seed) {
    std::vector<model::candle> took;
    test::take_expanded(e, took);
    std::set<test::candle_key> seen;
    for (const auto& c : took) {
        EXPECT_TRUE(seen.insert(test::key_of(c)).second)
            << "seed " << seed << " twice: " << test::describe(c);
    }
    out.insert(out.end(), took.begin(), took.end());
}

TEST(engine, sparse_symbols_with_late_ticks_match_a_plain_computation) {
    // Random sparse ticks (often idle longer than the lateness), some late,
    // taken at random points: the final candles of the accepted ticks are the
    // plain OHLC of each window, with fillers at the previous close between.
    engine_config cfg;
    cfg.intervals = {model::interval(1'000'000), model::interval(10'000'000)};
    cfg.out_of_orderness_us = 2'000'000;
    cfg.allowed_lateness_us = 20'000'000;
    for (uint64_t seed = 1; seed <= 20; ++seed) {
        std::mt19937_64 rng(seed);
        candle_engine e(cfg);
        const int64_t t0 = 1'704'153'600'000'000;
        std::vector<model::tick> accepted;
        std::map<test::candle_key, model::candle> latest;
        std::vector<model::candle> out;
        int64_t now = t0;
        for (int i = 0; i < 400; ++i) {
            now += static_cast<int64_t>(rng() % 3'000'000);
            std::string sym = rng() % 4 == 0 ? "A" : "B";
            int64_t et = now - static_cast<int64_t>(rng() % 4 == 0 ? rng() % 40'000'000 : 0);
            if (sym == "A" && rng() % 3 != 0) {
                continue; // A is sparse
            }
            auto t = make_tick(sym, et, static_cast<double>(rng() % 1000) / 10.0, 1.0, i + 1);
            if (e.add(t, partition_id(0)) == tick_outcome::accepted) {
                accepted.push_back(t);
            }
            if (rng() % 7 == 0) {
                take_once_each(e, out, seed);
            }
        }
        e.finish();
        take_once_each(e, out, seed);
        test::fold(latest, out);
        for (int64_t width : {int64_t{1'000'000}, int64_t{10'000'000}}) {
            for (const std::string sym : {"A", "B"}) {
                std::map<int64_t, std::vector<const model::tick*>> windows;
                for (const auto& t : accepted) {
                    if (t.symbol == sym) {
                        windows[internal::floor_div(t.event_time(), width)].push_back(&t);
                    }
                }
                if (windows.empty()) {
                    continue;
                }
                double prev = 0;
                for (int64_t w = windows.begin()->first; w <= windows.rbegin()->first; ++w) {
                    auto it = latest.find({sym, width, w * width});
                    ASSERT_NE(it, latest.end()) << "seed " << seed << " " << sym << " " << w;
                    const auto& c = it->second;
                    EXPECT_TRUE(c.final);
                    auto ws = windows.find(w);
                    if (ws == windows.end()) {
                        EXPECT_EQ(c.trade_count, 0) << "seed " << seed;
                        EXPECT_EQ(c.close, prev) << "seed " << seed << " " << test::describe(c);
                        continue;
                    }
                    auto by_time = [](const model::tick* a, const model::tick* b) {
                        return std::tuple(a->event_time(), a->seq()) < std::tuple(b->event_time(), b->seq());
                    };
                    auto& v = ws->second;
                    std::sort(v.begin(), v.end(), by_time);
                    EXPECT_EQ(c.trade_count, static_cast<int64_t>(v.size())) << "seed " << seed;
                    EXPECT_EQ(c.open, v.front()->price) << "seed " << seed;
                    EXPECT_EQ(c.close, v.back()->price) << "seed " << seed;
                    prev = v.back()->price;
                }
            }
        }
    }
}

TEST(engine, finish_in_steps_is_finish) {
    // finish_some() a few symbols at a time, taking in between, gives the
    // same candles and the same state as one finish().
    engine_config cfg;
    auto feed = [](candle_engine& e) {
        std::mt19937_64 rng(7);
        const int64_t t0 = 1'704'153'600'000'000;
        for (int i = 0; i < 3000; ++i) {
            auto t = make_tick(fmt::format("S{}", rng() % 50), t0 + i * 40'000,
                               10.0 + static_cast<double>(rng() % 9), 1.0, i + 1);
            e.add(t, partition_id(static_cast<int32_t>(std::hash<std::string>{}(t.symbol) % 3)));
        }
    };
    auto fold_all = [](candle_engine& e, std::map<test::candle_key, model::candle>& latest,
                       std::map<std::string, std::string>& state) {
        std::vector<model::candle> out;
        test::take_expanded(e, out);
        test::fold(latest, out);
        std::vector<std::pair<std::string, std::optional<std::string>>> st;
        e.take_state_changes(st);
        test::fold_state(state, st);
    };
    candle_engine a(cfg);
    candle_engine b(cfg);
    std::map<test::candle_key, model::candle> la;
    std::map<test::candle_key, model::candle> lb;
    std::map<std::string, std::string> sa;
    std::map<std::string, std::string> sb;
    feed(a);
    feed(b);
    fold_all(a, la, sa);
    fold_all(b, lb, sb);
    a.finish();
    fold_all(a, la, sa);
    int steps = 0;
    while (!b.finish_some(3)) {
        fold_all(b, lb, sb);
        ++steps;
    }
    fold_all(b, lb, sb);
    EXPECT_GE(steps, 10);
    EXPECT_EQ(la.size(), lb.size());
    for (const auto& [k, c] : la) {
        auto it = lb.find(k);
        ASSERT_NE(it, lb.end()) << test::describe(c);
        EXPECT_EQ(test::describe(c), test::describe(it->second));
    }
    EXPECT_EQ(sa, sb);
}

} // namespace
} // namespace mdsp::stream
