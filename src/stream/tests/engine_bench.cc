// Candle engine throughput on one core: default intervals (1s, 1m, 5m, 1h, 1d),
// 1 or 100 symbols, in event-time order or slightly shuffled (within the
// out-of-orderness), with take_updates + take_state_changes at a commit
// cadence of every 10,000 ticks, as the pipeline does. Reports ticks/s.
#include <random>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "stream/candle_engine.h"

namespace mdsp::stream {
namespace {

constexpr size_t n_ticks = 1 << 20;

std::vector<model::tick> make_ticks(int symbols, bool shuffled) {
    std::mt19937_64 rng(42);
    std::vector<double> price(static_cast<size_t>(symbols), 100.0);
    std::vector<model::tick> ticks(n_ticks);
    int64_t t0 = 1'700'000'000'000'000;
    for (size_t i = 0; i < n_ticks; ++i) {
        auto s = static_cast<size_t>(rng() % static_cast<uint64_t>(symbols));
        price[s] += (static_cast<double>(rng() % 201) - 100.0) * 0.001;
        auto& t = ticks[i];
        t.symbol = fmt::format("SYM{:03}", s);
        t.source = "bench";
        // ~1M ticks per second of event time, like the pipeline's target load.
        t.event_time = event_time(t0 + static_cast<int64_t>(i));
        t.price = price[s];
        t.size = static_cast<double>(rng() % 1000) / 10.0;
    }
    if (shuffled) {
        // Each tick swaps with one up to 64 places later: arrival is out of
        // event-time order by well under the 2 s allowance.
        for (size_t i = 0; i + 64 < n_ticks; ++i) {
            std::swap(ticks[i], ticks[i + rng() % 64]);
        }
    }
    std::vector<int64_t> seq(static_cast<size_t>(symbols), 0);
    for (auto& t : ticks) {
        t.seq = sequence(++seq[static_cast<size_t>(std::stoi(t.symbol.substr(3)))]);
    }
    return ticks;
}

void run(benchmark::State& state, bool commits) {
    const int symbols = static_cast<int>(state.range(0));
    const bool shuffled = state.range(1) != 0;
    const auto ticks = make_ticks(symbols, shuffled);
    std::vector<model::candle> updates;
    std::vector<model::filler_run> fillers;
    std::vector<std::pair<std::string, std::optional<std::string>>> changes;
    uint64_t accepted = 0;
    for (auto _ : state) {
        state.PauseTiming();
        auto engine = std::make_unique<candle_engine>(engine_config{});
        state.ResumeTiming();
        for (size_t i = 0; i < ticks.size(); ++i) {
            accepted += engine->add(ticks[i], partition_id(0)) == tick_outcome::accepted ? 1 : 0;
            if (commits && i % 10'000 == 9'999) {
                updates.clear();
                fillers.clear();
                changes.clear();
                engine->take_updates(updates, fillers);
                engine->take_state_changes(changes);
            }
        }
        benchmark::DoNotOptimize(accepted);
        state.PauseTiming();
        engine.reset();
        state.ResumeTiming();
    }
    if (accepted != ticks.size() * state.iterations()) {
        state.SkipWithError("not every tick was accepted");
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * ticks.size()));
    state.counters["ticks_per_s_per_core"] = benchmark::Counter(
        static_cast<double>(state.iterations() * ticks.size()), benchmark::Counter::kIsRate);
}

void bm_engine_with_commits(benchmark::State& state) {
    run(state, true);
}
void bm_engine_add_only(benchmark::State& state) {
    run(state, false);
}

BENCHMARK(bm_engine_with_commits)
    ->ArgNames({"symbols", "shuffled"})
    ->Args({1, 0})
    ->Args({1, 1})
    ->Args({100, 0})
    ->Args({100, 1})
    ->Unit(benchmark::kMillisecond);
BENCHMARK(bm_engine_add_only)
    ->ArgNames({"symbols", "shuffled"})
    ->Args({1, 0})
    ->Args({100, 1})
    ->Unit(benchmark::kMillisecond);

} // namespace
} // namespace mdsp::stream
