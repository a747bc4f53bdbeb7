// Write and read speed of the embedded store. Figures, not assertions:
//   store_bench --benchmark_min_time=5
#include <filesystem>
#include <random>

#include <benchmark/benchmark.h>
#include <unistd.h>

#include "store/rocks_store.h"

namespace mdsp::store {
namespace {

namespace fs = std::filesystem;

struct bench_dir {
    fs::path path;
    explicit bench_dir(const std::string& name)
      : path(fs::temp_directory_path() / ("mdsp-store-bench-" + name + "-" + std::to_string(::getpid()))) {
        fs::remove_all(path);
    }
    ~bench_dir() { fs::remove_all(path); }
};

std::unique_ptr<rocks_store> open_store(const fs::path& p) {
    auto s = rocks_store::open(p);
    if (!s) {
        throw std::runtime_error(s.error().what());
    }
    return std::move(s).value();
}

std::vector<std::string> symbols(int n) {
    std::vector<std::string> out;
    for (int i = 0; i < n; ++i) {
        out.push_back("SYM" + std::to_string(i) + "/USD");
    }
    return out;
}

// A stream of ticks 1 us apart in event time (1,000,000 ticks per second of
// market time) over `nsym` symbols, written in batches of state.range(0).
void bm_write_ticks(benchmark::State& state) {
    bench_dir dir("ticks");
    auto st = open_store(dir.path);
    const auto syms = symbols(static_cast<int>(state.range(1)));
    const size_t batch = static_cast<size_t>(state.range(0));
    std::vector<model::tick> ticks(batch);
    std::mt19937_64 rng(1);
    std::uniform_real_distribution<double> price(99.0, 101.0);
    int64_t t = 1'700'000'000'000'000;
    int64_t seq = 0;
    for (size_t i = 0; i < batch; ++i) {
        ticks[i].source = "sim";
        ticks[i].exchange = "NASDAQ";
        ticks[i].currency = "USD";
        ticks[i].size = 1.0;
    }
    std::vector<model::tick> latest(syms.size());
    for (auto _ : state) {
        for (size_t i = 0; i < batch; ++i) {
            auto& k = ticks[i];
            k.symbol = syms[rng() % syms.size()];
            k.event_time = mdsp::event_time(t++);
            k.ingest_time = mdsp::ingest_time(t + 150);
            k.price = price(rng);
            k.trade_id = seq;
            k.seq = mdsp::sequence(seq++);
        }
        write_batch b;
        b.ticks = ticks;
        auto r = st->write(b);
        if (!r) {
            state.SkipWithError(r.error().what().c_str());
            break;
        }
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(batch));
}
BENCHMARK(bm_write_ticks)
    ->Args({1000, 100})
    ->Args({10000, 100})
    ->Args({20000, 100})
    ->Args({10000, 2000})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// Candle upserts as the engine emits them: batches of 1000 over 100 symbols
// and 5 intervals, each window updated several times.
void bm_upsert_candles(benchmark::State& state) {
    bench_dir dir("candles");
    auto st = open_store(dir.path);
    const auto syms = symbols(100);
    const int64_t ivs[] = {1'000'000, 60'000'000, 300'000'000, 3'600'000'000, 86'400'000'000};
    std::vector<model::candle> cs(1000);
    int64_t n = 0;
    for (auto _ : state) {
        for (auto& c : cs) {
            c.symbol = syms[n % 100];
            c.interval = model::interval(ivs[(n / 100) % 5]);
            c.window_start = mdsp::event_time(((n / 500) / 4) * c.interval.micros());
            c.open = c.high = c.low = c.close = 100.0 + static_cast<double>(n % 7);
            c.volume = static_cast<double>(n);
            c.trade_count = n++;
        }
        write_batch b;
        b.candles = cs;
        auto r = st->write(b);
        if (!r) {
            state.SkipWithError(r.error().what().c_str());
            break;
        }
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * 1000);
}
BENCHMARK(bm_upsert_candles)->Unit(benchmark::kMillisecond)->UseRealTime();

// The newest 1000 ticks of one symbol, as /api/v1/ticks without from asks.
void bm_query_ticks_tail(benchmark::State& state) {
    bench_dir dir("query");
    auto st = open_store(dir.path);
    const auto syms = symbols(20);
    std::vector<model::tick> ticks(10000);
    int64_t t = 1'700'000'000'000'000;
    for (int w = 0; w < 100; ++w) {
        for (size_t i = 0; i < ticks.size(); ++i) {
            ticks[i].symbol = syms[i % syms.size()];
            ticks[i].source = "sim";
            ticks[i].event_time = mdsp::event_time(t);
            t += 50; // 20,000 ticks/s
            ticks[i].price = 1.0;
            ticks[i].seq = mdsp::sequence(t);
        }
        write_batch b;
        b.ticks = ticks;
        (void)st->write(b);
    }
    range r;
    r.limit = 1000;
    r.tail = true;
    for (auto _ : state) {
        auto got = st->ticks(syms[3], r);
        benchmark::DoNotOptimize(got);
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * 1000);
}
BENCHMARK(bm_query_ticks_tail)->Unit(benchmark::kMicrosecond);

} // namespace
} // namespace mdsp::store
