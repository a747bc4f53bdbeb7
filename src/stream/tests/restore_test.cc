// Restore property: stopping after any tick k, saving the accumulated state
// changes, and continuing in a fresh engine restored from them gives the same
// candles, revisions, counts and state as an uninterrupted run.
#include <limits>
#include <random>

#include "stream/tests/test_util.h"

namespace mdsp::stream {
namespace {

using state_map = std::map<std::string, std::string>;

struct input {
    std::vector<model::tick> ticks;
    std::vector<partition_id> partitions;
    std::vector<bool> finish; // empty, or true where finish() is called instead of a tick
};

struct outcome {
    std::map<test::candle_key, model::candle> candles;
    engine_stats stats;
    state_map state;
    std::vector<tick_outcome> outcomes;
    std::vector<std::vector<model::candle>> batches; // non-empty take_updates, each sorted
};

void take(candle_engine& e, outcome& out) {
    std::vector<model::candle> batch;
    test::take_expanded(e, batch);
    test::fold(out.candles, batch);
    if (!batch.empty()) {
        std::sort(batch.begin(), batch.end(),
                  [](const auto& a, const auto& b) { return test::key_of(a) < test::key_of(b); });
        out.batches.push_back(std::move(batch));
    }
}

void save(candle_engine& e, state_map& state) {
    std::vector<std::pair<std::string, std::optional<std::string>>> changes;
    e.take_state_changes(changes);
    std::set<std::string> seen;
    for (auto& [k, v] : changes) {
        EXPECT_TRUE(seen.insert(k).second) << "key twice in one take";
        if (v) {
            state[k] = *v;
        } else {
            EXPECT_EQ(state.erase(k), 1u) << "delete of a key never written";
        }
    }
}

// Feeds ticks [from, to), taking updates and state every `cadence` ticks.
void feed(candle_engine& e, const input& in, size_t from, size_t to, size_t cadence, outcome& out) {
    for (size_t i = from; i < to; ++i) {
        if (!in.finish.empty() && in.finish[i]) {
            e.finish();
        } else {
            out.outcomes.push_back(e.add(in.ticks[i], in.partitions[i]));
        }
        if (i % cadence == cadence - 1) {
            take(e, out);
            save(e, out.state);
        }
    }
}

void finish(candle_engine& e, outcome& out) {
    e.finish();
    take(e, out);
    save(e, out.state);
    out.stats = e.stats();
}

candle_engine restored(const engine_config& cfg, candle_engine& from, outcome& out) {
    take(from, out);
    save(from, out.state);
    candle_engine e(cfg);
    std::vector<std::pair<std::string, std::string>> kv(out.state.begin(), out.state.end());
    auto r = e.restore(kv);
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().what());
    return e;
}

void check_restores(const engine_config& cfg, const input& in, size_t cadence) {
    const size_t n = in.ticks.size();
    outcome whole;
    {
        candle_engine e(cfg);
        feed(e, in, 0, n, cadence, whole);
        finish(e, whole);
    }
    std::vector<size_t> splits = {0, 1, 2, 3, 7, n / 2, n - 1, n};
    for (size_t k = 13; k < n; k += n / 37 + 1) {
        splits.push_back(k);
    }
    if (n <= 64) {
        splits.clear();
        for (size_t k = 0; k <= n; ++k) {
            splits.push_back(k);
        }
    }
    for (size_t k : splits) {
        SCOPED_TRACE(fmt::format("split at {}", k));
        outcome part;
        candle_engine a(cfg);
        feed(a, in, 0, k, cadence, part);
        // Restart twice: at k and again halfway through the rest.
        size_t k2 = k + (n - k) / 2;
        candle_engine b = restored(cfg, a, part);
        feed(b, in, k, k2, cadence, part);
        candle_engine c = restored(cfg, b, part);
        feed(c, in, k2, n, cadence, part);
        finish(c, part);

        EXPECT_EQ(part.outcomes, whole.outcomes);
        EXPECT_EQ(part.stats.accepted, whole.stats.accepted);
        EXPECT_EQ(part.stats.duplicates, whole.stats.duplicates);
        EXPECT_EQ(part.stats.late, whole.stats.late);
        ASSERT_EQ(part.candles.size(), whole.candles.size());
        for (const auto& [key, c] : whole.candles) {
            auto it = part.candles.find(key);
            ASSERT_NE(it, part.candles.end()) << test::describe(c);
            ASSERT_EQ(it->second, c) << "got " << test::describe(it->second) << "\nwant "
                                     << test::describe(c);
        }
        EXPECT_EQ(part.state, whole.state);
        if (cadence == 1) {
            // Updates taken after every tick: the very same emissions.
            EXPECT_EQ(part.batches, whole.batches);
        }
    }
}

// Every golden case's input, stopped after each of its rows (finish() rows
// included: a restart after finish() goes on as the engine would have).
TEST(restore, golden_inputs_any_split) {
    const std::string dir = MDSP_TESTDATA_DIR "/tests/golden";
    int cases = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
        SCOPED_TRACE(e.path().filename().string());
        auto cfg = test::read_golden_config(e.path().string() + "/config");
        input in;
        for (auto& g : test::read_golden_ticks(e.path().string() + "/ticks.csv")) {
            in.ticks.push_back(g.tick);
            in.partitions.push_back(g.partition);
            in.finish.push_back(g.finish);
        }
        check_restores(cfg, in, 1);
        check_restores(cfg, in, 3);
        ++cases;
    }
    EXPECT_GE(cases, 8);
}

TEST(restore, reference_input_any_split) {
    input in;
    in.ticks = test::binance_trades();
    in.partitions.assign(in.ticks.size(), partition_id(0));
    engine_config cfg;
    cfg.intervals = {model::interval(micros_per_minute), model::interval(5 * micros_per_minute)};
    check_restores(cfg, in, 97);
}

// The reference trades as two symbols on two partitions, shuffled within the
// out-of-orderness, with resent duplicates and some ticks beyond the lateness.
input shuffled_input() {
    auto trades = test::binance_trades();
    std::mt19937_64 rng(20191011);
    constexpr int64_t jitter = 30 * micros_per_second;
    std::vector<std::pair<int64_t, size_t>> order;
    for (size_t i = 0; i < trades.size(); ++i) {
        int64_t j = static_cast<int64_t>(rng() % jitter);
        if (rng() % 50 == 0) {
            j += 3 * micros_per_minute; // arrives too late for its window
        }
        order.emplace_back(trades[i].event_time() + j, i);
    }
    std::sort(order.begin(), order.end());
    input in;
    int64_t seq[2] = {0, 0};
    for (auto [_, i] : order) {
        model::tick t = trades[i];
        int side = static_cast<int>(i % 2);
        t.symbol = side == 0 ? "XRPETH" : "XRPETH.B";
        t.seq = sequence(++seq[side]);
        in.ticks.push_back(t);
        in.partitions.emplace_back(side);
        if (rng() % 40 == 0) {
            in.ticks.push_back(t); // resent: a duplicate
            in.partitions.emplace_back(side);
        }
    }
    return in;
}

TEST(restore, shuffled_input_any_split) {
    auto in = shuffled_input();
    engine_config cfg; // 10s rather than 1s keeps the filler count of this sparse pair moderate
    cfg.intervals = {model::interval(10 * micros_per_second), model::interval(micros_per_minute),
                     model::interval(5 * micros_per_minute), model::interval(micros_per_hour),
                     model::interval(micros_per_day)};
    cfg.out_of_orderness_us = 30 * micros_per_second;
    cfg.allowed_lateness_us = 90 * micros_per_second;
    check_restores(cfg, in, 61);
}

// The same with finish() twice in the middle, as when several files are
// replayed one after the other into the same state and a live source follows.
TEST(restore, shuffled_input_with_finishes_any_split) {
    auto in = shuffled_input();
    in.finish.assign(in.ticks.size(), false);
    for (size_t at : {in.ticks.size() * 2 / 3, in.ticks.size() / 3}) {
        in.ticks.insert(in.ticks.begin() + static_cast<ptrdiff_t>(at), model::tick{});
        in.partitions.insert(in.partitions.begin() + static_cast<ptrdiff_t>(at), partition_id(0));
        in.finish.insert(in.finish.begin() + static_cast<ptrdiff_t>(at), true);
    }
    engine_config cfg;
    cfg.intervals = {model::interval(10 * micros_per_second), model::interval(micros_per_minute),
                     model::interval(5 * micros_per_minute), model::interval(micros_per_hour)};
    cfg.out_of_orderness_us = 30 * micros_per_second;
    cfg.allowed_lateness_us = 90 * micros_per_second;
    check_restores(cfg, in, 61);
}

TEST(restore, shuffled_input_really_has_late_and_duplicate_ticks) {
    auto in = shuffled_input();
    engine_config cfg;
    cfg.out_of_orderness_us = 30 * micros_per_second;
    cfg.allowed_lateness_us = 90 * micros_per_second;
    candle_engine e(cfg);
    for (size_t i = 0; i < in.ticks.size(); ++i) {
        (void)e.add(in.ticks[i], in.partitions[i]);
    }
    auto st = e.stats();
    EXPECT_GT(st.duplicates, 100u);
    EXPECT_GT(st.late, 10u);
}

// Found by pipeline_ingest_to_store_fuzz: seqs are whatever a source sent
// (a Binance trade id, a replay's line), so one window's first and last seq
// may be further apart than an int64_t holds; the state stored their
// difference with a signed overflow.
TEST(restore, seqs_at_the_ends_of_int64_any_split) {
    input in;
    const int64_t t0 = 1'709'510'400'000'000;
    // In time order as in seq order: the window opens at the lowest seq and closes at the highest.
    int64_t et = t0;
    for (int64_t seq : {std::numeric_limits<int64_t>::min() + 1, int64_t{-1}, int64_t{0},
                        std::numeric_limits<int64_t>::max() - 1, std::numeric_limits<int64_t>::max()}) {
        model::tick t;
        t.symbol = "AAA";
        t.source = "s";
        t.event_time = event_time(et += 1000);
        t.price = 100;
        t.size = 1;
        t.seq = sequence(seq);
        in.ticks.push_back(t);
        in.partitions.emplace_back(0);
    }
    check_restores(engine_config{}, in, 1);
}

} // namespace
} // namespace mdsp::stream
