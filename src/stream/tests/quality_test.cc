// The data-quality checks (stream/quality.h) on crafted inputs, each firing
// where it should, and silent on the Binance XRP/ETH reference; the spike
// flag carried by the engine into every candle of the tick and kept across
// a restore of its state.
#include <algorithm>
#include <cmath>
#include <map>

#include "stream/quality.h"
#include "stream/tests/test_util.h"

namespace mdsp::stream {
namespace {

constexpr int64_t second = 1'000'000;
constexpr int64_t t0 = 1'700'000'000'000'000;

model::tick tick_at(std::string symbol, int64_t et, double price, std::string source = "binance") {
    model::tick t;
    t.symbol = std::move(symbol);
    t.source = std::move(source);
    t.event_time = event_time(et);
    t.ingest_time = ingest_time(et + 50'000); // 50 ms later: a healthy live feed
    t.price = price;
    t.size = 1;
    return t;
}

// The monitor with the engine that keeps the spike estimators, as the
// processing stage has them.
struct harness : quality_monitor {
    explicit harness(quality_config c)
      : quality_monitor(std::move(c)) {}
    candle_engine engine{engine_config{}};
    int64_t next_seq = 0;
};

// Checks t and gives it to the engine as the processing stage does (with
// the next seq, unless t has one; each source on a partition of its own, so
// that one source's clock does not make another's ticks late); the
// verdict, spike included.
quality_verdict feed(harness& q, model::tick t, std::vector<std::string>* stalled = nullptr) {
    if (t.seq() == 0) {
        t.seq = sequence(++q.next_seq);
    }
    auto v = q.check(t);
    switch (q.engine.add(t, partition_id(t.source == "binance" ? 0 : 1), v.rules, &v.spike)) {
    case tick_outcome::accepted:
        q.accept(t, v, stalled);
        break;
    case tick_outcome::duplicate:
        q.note(quality_check::duplicate, t.symbol, t.event_time());
        break;
    case tick_outcome::late:
        q.note(quality_check::late, t.symbol, t.event_time());
        break;
    }
    return v;
}

// A quiet series: prices wobbling by 0.1 % around 100, one a second.
void wobble(harness& q, const std::string& symbol, int64_t from, int n, double base = 100) {
    for (int i = 0; i < n; ++i) {
        auto v = feed(q, tick_at(symbol, from + i * second, base * (i % 2 == 0 ? 1.0 : 1.001)));
        ASSERT_FALSE(v.spike) << symbol << " tick " << i;
    }
}

uint64_t entry_count(const quality_report& r, quality_check c, const std::string& symbol) {
    for (const auto& k : r.checks) {
        if (k.kind == c) {
            for (const auto& e : k.top) {
                if (e.symbol == symbol) {
                    return e.count;
                }
            }
        }
    }
    return 0;
}

TEST(quality, silent_on_the_binance_reference_with_the_defaults) {
    harness q(quality_config{});
    for (const auto& t0 : test::binance_trades()) {
        auto t = t0;
        t.ingest_time = ingest_time(t.event_time() + 200'000); // as if live
        feed(q, t);
    }
    for (auto c : {quality_check::spike, quality_check::stall, quality_check::clock_skew,
                   quality_check::out_of_order}) {
        EXPECT_EQ(q.total(c), 0u) << quality_check_name(c);
    }
    EXPECT_EQ(q.stalled_now(), 0u);
}

TEST(quality, a_jump_beyond_k_robust_deviations_is_a_spike_and_the_next_tick_is_not) {
    harness q(quality_config{});
    wobble(q, "AAA", t0, 100);
    // 5 %: far beyond 12 times the usual 0.1 % and beyond min_jump (2 %),
    // below max_jump (10 %): the k rule alone fires.
    auto v = feed(q, tick_at("AAA", t0 + 100 * second, 105));
    EXPECT_TRUE(v.spike);
    // Back at the usual level: judged against the price before the spike.
    v = feed(q, tick_at("AAA", t0 + 101 * second, 100.05));
    EXPECT_FALSE(v.spike);
    // 1.5 % is more than 12 deviations, but under min_jump: not a spike.
    v = feed(q, tick_at("AAA", t0 + 102 * second, 101.6));
    EXPECT_FALSE(v.spike);
    EXPECT_EQ(q.total(quality_check::spike), 1u);
    auto r = q.report();
    EXPECT_EQ(entry_count(r, quality_check::spike, "AAA"), 1u);
    EXPECT_EQ(r.checks[0].top.at(0).last_event_us, t0 + 100 * second);
}

TEST(quality, a_jump_beyond_max_jump_is_a_spike_even_before_warm_up) {
    harness q(quality_config{});
    feed(q, tick_at("BBB", t0, 10));
    EXPECT_TRUE(feed(q, tick_at("BBB", t0 + second, 11.5)).spike); // +15 %
    EXPECT_FALSE(feed(q, tick_at("BBB", t0 + 2 * second, 10.01)).spike);
}

TEST(quality, a_new_level_is_flagged_at_most_twice_then_becomes_the_reference) {
    harness q(quality_config{});
    wobble(q, "CCC", t0, 50);
    EXPECT_TRUE(feed(q, tick_at("CCC", t0 + 50 * second, 130)).spike);
    EXPECT_TRUE(feed(q, tick_at("CCC", t0 + 51 * second, 130.1)).spike);
    EXPECT_FALSE(feed(q, tick_at("CCC", t0 + 52 * second, 130)).spike);
    EXPECT_FALSE(feed(q, tick_at("CCC", t0 + 53 * second, 130.1)).spike);
}

TEST(quality, a_tick_the_engine_refuses_moves_no_estimator) {
    harness q(quality_config{});
    wobble(q, "DDD", t0, 40);
    auto spike = tick_at("DDD", t0 + 40 * second, 150);
    spike.seq = sequence(1); // seen already: a duplicate
    auto v = feed(q, spike);
    EXPECT_FALSE(v.spike);
    EXPECT_EQ(q.total(quality_check::spike), 0u);
    EXPECT_EQ(q.total(quality_check::duplicate), 1u);
    EXPECT_FALSE(feed(q, tick_at("DDD", t0 + 41 * second, 100.1)).spike);
    EXPECT_TRUE(feed(q, tick_at("DDD", t0 + 42 * second, 150)).spike);
}

// Day windows (the largest default interval): the estimator starts over.
TEST(quality, the_spike_estimator_starts_over_with_each_window_of_the_largest_interval) {
    constexpr int64_t day = 86'400 * second;
    const int64_t midnight = (t0 / day + 1) * day;
    harness q(quality_config{});
    wobble(q, "EEE", midnight - 40 * second, 40);
    // No reference yet in the new day: +15 % is not judged.
    EXPECT_FALSE(feed(q, tick_at("EEE", midnight, 115)).spike);
    // A tick of the day before, within the lateness, is judged against
    // today's state: -13 % from 115 (but nothing from yesterday's 100).
    EXPECT_TRUE(feed(q, tick_at("EEE", midnight - second / 2, 100)).spike);
    // Within the day, max_jump applies from the second tick on, the k rule
    // only after the warm-up (5 %, beyond 12 deviations of 0.1 %).
    wobble(q, "EEE", midnight + second, 10, 115);
    EXPECT_FALSE(feed(q, tick_at("EEE", midnight + 11 * second, 115 * 1.05)).spike);
    EXPECT_TRUE(feed(q, tick_at("EEE", midnight + 12 * second, 115 * 1.25)).spike);
    wobble(q, "EEE", midnight + 13 * second, 80, 115); // the big moves fade from the scale
    EXPECT_TRUE(feed(q, tick_at("EEE", midnight + 93 * second, 115 * 1.05)).spike);
}

TEST(quality, a_symbol_silent_while_its_source_goes_on_stalls_once) {
    quality_config cfg;
    cfg.defaults.stall_factor = 10;
    cfg.defaults.stall_min_us = 30 * second;
    harness q(cfg);
    std::vector<std::string> stalled;
    // Both tick every second for 60 s: usual gap 1 s, deadline 30 s after the last.
    for (int i = 0; i < 60; ++i) {
        feed(q, tick_at("QUIET", t0 + i * second, 100), &stalled);
        feed(q, tick_at("BUSY", t0 + i * second + 1, 50), &stalled);
    }
    EXPECT_TRUE(stalled.empty());
    // Another source's clock does not count: its time says nothing of binance's.
    feed(q, tick_at("ELSEWHERE", t0 + 3600 * second, 1, "twelvedata"), &stalled);
    EXPECT_TRUE(stalled.empty());
    // Only BUSY goes on; QUIET is due 30 s after its last tick (59 s).
    for (int i = 60; i < 89; ++i) {
        feed(q, tick_at("BUSY", t0 + i * second + 1, 50), &stalled);
    }
    EXPECT_TRUE(stalled.empty()) << stalled.front();
    for (int i = 89; i < 200; ++i) {
        feed(q, tick_at("BUSY", t0 + i * second + 1, 50), &stalled);
    }
    ASSERT_EQ(stalled.size(), 1u);
    EXPECT_EQ(stalled[0], "QUIET");
    EXPECT_EQ(q.stalled_now(), 1u);
    EXPECT_EQ(q.total(quality_check::stall), 1u);
    // It speaks again: no longer stalled, and it can stall again later.
    feed(q, tick_at("QUIET", t0 + 200 * second, 100), &stalled);
    EXPECT_EQ(q.stalled_now(), 0u);
    EXPECT_EQ(q.total(quality_check::stall), 1u);
}

TEST(quality, a_lone_symbol_never_stalls_by_its_own_ticks) {
    quality_config cfg;
    cfg.defaults.stall_factor = 2;
    cfg.defaults.stall_min_us = second;
    harness q(cfg);
    std::vector<std::string> stalled;
    for (int i = 0; i < 100; ++i) {
        feed(q, tick_at("ONLY", t0 + int64_t(i) * i * second, 100), &stalled); // ever longer gaps
    }
    EXPECT_TRUE(stalled.empty());
    EXPECT_EQ(q.total(quality_check::stall), 0u);
}

TEST(quality, clock_skew_beyond_the_bound_on_live_sources_only) {
    harness q(quality_config{});
    auto t = tick_at("EEE", t0, 10);
    t.ingest_time = ingest_time(t0 + 61 * second);
    EXPECT_TRUE(feed(q, t).clock_skew);
    t.ingest_time = ingest_time(t0 - 61 * second); // from the future
    EXPECT_TRUE(feed(q, t).clock_skew);
    t.ingest_time = ingest_time(t0 + 59 * second);
    EXPECT_FALSE(feed(q, t).clock_skew);
    auto old = tick_at("EEE", t0, 10, "replay:/data/trades.csv");
    old.ingest_time = ingest_time(t0 + 86400 * second); // a file read a day later
    EXPECT_FALSE(feed(q, old).clock_skew);
    EXPECT_EQ(q.total(quality_check::clock_skew), 2u);
}

TEST(quality, an_event_time_older_than_the_previous_is_out_of_order) {
    harness q(quality_config{});
    EXPECT_FALSE(feed(q, tick_at("FFF", t0 + 10, 10)).out_of_order);
    EXPECT_TRUE(feed(q, tick_at("FFF", t0 + 5, 10)).out_of_order);
    EXPECT_FALSE(feed(q, tick_at("FFF", t0 + 10, 10)).out_of_order); // equal is in order
    EXPECT_FALSE(feed(q, tick_at("GGG", t0, 10)).out_of_order);      // per symbol
    EXPECT_EQ(q.total(quality_check::out_of_order), 1u);
}

TEST(quality, overrides_by_symbol_win_over_asset_type_over_defaults) {
    quality_config cfg;
    quality_thresholds loose = cfg.defaults;
    loose.max_jump = 0.5;
    cfg.asset_types["Digital Currency"] = loose;
    quality_thresholds strict = cfg.defaults;
    strict.max_jump = 0.01;
    cfg.symbols["DOGE"] = strict;
    harness q(cfg);
    auto jump = [&](const std::string& sym, const char* type) {
        auto a = tick_at(sym, t0, 10);
        a.asset_type = type;
        feed(q, a);
        auto b = tick_at(sym, t0 + second, 12); // +20 %
        b.asset_type = type;
        return feed(q, b).spike;
    };
    EXPECT_TRUE(jump("AAPL", "Common Stock"));
    EXPECT_FALSE(jump("BTC", "Digital Currency"));
    EXPECT_TRUE(jump("DOGE", "Digital Currency"));
}

TEST(quality, the_report_keeps_at_most_top_symbols_per_check) {
    quality_config cfg;
    cfg.top = 3;
    harness q(cfg);
    for (int s = 0; s < 10; ++s) {
        for (int i = 0; i <= s; ++i) {
            q.note(quality_check::duplicate, "S" + std::to_string(s), t0 + i);
        }
    }
    auto r = q.report();
    const auto& d = r.checks[static_cast<size_t>(quality_check::duplicate)];
    EXPECT_EQ(d.kind, quality_check::duplicate);
    EXPECT_EQ(d.total, 55u);
    ASSERT_EQ(d.top.size(), 3u);
    EXPECT_EQ(d.top[0].symbol, "S9"); // the most frequent stays, counted at most error too high
    EXPECT_GE(d.top[0].count, 10u);
    EXPECT_LE(d.top[0].count - d.top[0].error, 10u);
    EXPECT_EQ(quality_check_name(d.kind), "duplicate");
}

TEST(quality, a_refused_ticks_symbol_is_kept_cut_to_a_symbols_length) {
    harness q(quality_config{});
    q.note(quality_check::invalid, std::string(100'000, 'H'), t0);
    auto r = q.report();
    const auto& top = r.checks[static_cast<size_t>(quality_check::invalid)].top;
    ASSERT_EQ(top.size(), 1u);
    EXPECT_EQ(top[0].symbol, std::string(64, 'H'));
}

TEST(quality, disabled_checks_nothing) {
    quality_config cfg;
    cfg.enabled = false;
    harness q(cfg);
    feed(q, tick_at("HHH", t0, 10));
    EXPECT_FALSE(feed(q, tick_at("HHH", t0 - 1, 100)).spike);
    EXPECT_EQ(q.total(quality_check::out_of_order), 0u);
}

TEST(quality, bad_settings_are_refused_with_where_they_are) {
    quality_config cfg;
    EXPECT_TRUE(quality_config::validate(cfg));
    cfg.symbols["X"].spike_k = -1;
    auto r = quality_config::validate(cfg);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().what().find("quality.symbols.\"X\""), std::string::npos) << r.error().what();
    cfg = {};
    cfg.defaults.max_jump = std::nan("");
    EXPECT_FALSE(quality_config::validate(cfg));
    cfg = {};
    cfg.top = 0;
    EXPECT_FALSE(quality_config::validate(cfg));
}

// The engine: a spiked tick marks every candle it lands in, only those,
// and the mark survives the engine state's save and restore.
TEST(quality, the_engine_marks_the_candles_of_a_spiked_tick) {
    engine_config cfg;
    cfg.intervals = {model::interval(second), model::interval(60 * second)};
    candle_engine e(cfg);
    auto a = tick_at("ZZZ", t0, 100);
    a.seq = sequence(1);
    auto b = tick_at("ZZZ", t0 + 2 * second, 150);
    b.seq = sequence(2);
    const quality_thresholds rules;
    bool spiked = true;
    ASSERT_EQ(e.add(a, partition_id(0), &rules, &spiked), tick_outcome::accepted);
    EXPECT_FALSE(spiked);
    ASSERT_EQ(e.add(b, partition_id(0), &rules, &spiked), tick_outcome::accepted); // +50 %
    EXPECT_TRUE(spiked);
    std::vector<std::pair<std::string, std::optional<std::string>>> changes;
    e.take_state_changes(changes);
    std::vector<std::pair<std::string, std::string>> saved;
    for (auto& [k, v] : changes) {
        if (v) {
            saved.emplace_back(k, *v);
        }
    }
    candle_engine r(cfg);
    ASSERT_TRUE(r.restore(saved));
    for (auto* eng : {&e, &r}) {
        eng->finish();
        std::vector<model::candle> out;
        test::take_expanded(*eng, out);
        std::map<test::candle_key, model::candle> latest;
        test::fold(latest, out);
        ASSERT_EQ(latest.size(), 4u); // 1s: t0, its filler, t0+2; 1m: one
        for (const auto& [k, c] : latest) {
            bool want = c.window_start() == t0 + 2 * second || c.interval.micros() == 60 * second;
            EXPECT_EQ(c.spike, want) << test::describe(c);
        }
    }
}

// What makes replicas agree: the verdicts of an engine restored from the
// state of another mid-way, and of a fresh engine started at the first tick
// of a day (where a replica rebuilding a partition from the log starts),
// equal those of the uninterrupted engine, tick by tick.
TEST(quality, restored_and_rebuilt_engines_flag_the_same_ticks) {
    constexpr int64_t day = 86'400 * second;
    const int64_t start = (t0 / day + 1) * day - 3 * 3600 * second; // 21:00
    std::vector<model::tick> ticks;
    uint64_t x = 7;
    double price = 50;
    for (int i = 0; i < 4000; ++i) { // one every 5 s: 21:00 .. 02:33
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        double u = double(x >> 11) / double(1ULL << 53);
        price *= u < 0.01 ? 1.3 : u < 0.02 ? 0.75 : 1 + (u - 0.5) * 0.004;
        // A jump on the first tick of the day and one the k rule would see
        // with yesterday's warm-up: where an engine without yesterday differs.
        price *= i == 2160 ? 1.3 : i == 2170 ? 1.05 : 1;
        auto t = tick_at("RND", start + i * 5 * second, price);
        t.seq = sequence(i + 1);
        ticks.push_back(t);
    }
    const quality_thresholds rules;
    auto run = [&](candle_engine& e, size_t from, size_t to) {
        std::vector<bool> out;
        for (size_t i = from; i < to; ++i) {
            bool spiked = false;
            EXPECT_EQ(e.add(ticks[i], partition_id(0), &rules, &spiked), tick_outcome::accepted);
            out.push_back(spiked);
        }
        return out;
    };
    candle_engine whole{engine_config{}};
    auto want = run(whole, 0, ticks.size());
    ASSERT_GT(std::count(want.begin(), want.end(), true), 20);

    // Restored mid-way from the state the first 3000 ticks left.
    candle_engine first{engine_config{}};
    run(first, 0, 3000);
    std::vector<std::pair<std::string, std::optional<std::string>>> changes;
    first.take_state_changes(changes);
    std::map<std::string, std::string> saved;
    test::fold_state(saved, changes);
    candle_engine restored{engine_config{}};
    ASSERT_TRUE(restored.restore({saved.begin(), saved.end()}));
    EXPECT_EQ(run(restored, 3000, ticks.size()), std::vector<bool>(want.begin() + 3000, want.end()));

    // A symbol key whose spike estimator is cut short is refused, not half read.
    auto cut = saved;
    for (auto& [k, v] : cut) {
        if (candle_engine::state_key_symbol(k) == "RND" && k[candle_engine::state_prefix.size()] == 'y') {
            v.pop_back();
        }
    }
    candle_engine refused{engine_config{}};
    auto bad = refused.restore({cut.begin(), cut.end()});
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().what().find("spike estimator"), std::string::npos) << bad.error().what();

    // Rebuilt from the first tick after midnight (21:00 + 2160 * 5 s).
    candle_engine rebuilt{engine_config{}};
    EXPECT_EQ(run(rebuilt, 2160, ticks.size()), std::vector<bool>(want.begin() + 2160, want.end()));
}

} // namespace
} // namespace mdsp::stream
