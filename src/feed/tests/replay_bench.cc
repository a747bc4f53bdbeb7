// Replay throughput: lines per second through replay::poll() for each format,
// from a file in the page cache (generated once per process), plus the
// simulator's cost per tick. Run: build/release/src/feed/feed_replay_bench
#include <filesystem>
#include <fstream>

#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "feed/replay.h"
#include "feed/simulator.h"

namespace {

namespace fs = std::filesystem;
constexpr int lines = 200'000;

std::string make_file(const std::string& name, const std::string& header,
                      const std::function<std::string(int)>& row) {
    auto dir = fs::temp_directory_path() / fmt::format("mdsp_feed_bench_{}", ::getpid()) / "binance-xrpeth";
    fs::create_directories(dir);
    auto p = (dir / name).string();
    std::ofstream f(p);
    f << header;
    for (int i = 0; i < lines; ++i) {
        f << row(i);
    }
    return p;
}

const std::string& binance_file() {
    static const std::string p =
        make_file("trades.csv",
                  "agg_trade_id,price,qty,first_trade_id,last_trade_id,time_ms,is_buyer_maker\n", [](int i) {
                      return fmt::format("{},0.00{},{}.00000000,{},{},{},{}\n", 13519807 + i,
                                         141342 + i % 997, 1 + i % 500, 15373518 + i, 15373518 + i,
                                         1570752011620 + i * 17, i % 3 ? "true" : "false");
                  });
    return p;
}

const std::string& generic_file() {
    static const std::string p = make_file("ticks.csv", "time,symbol,price,size\n", [](int i) {
        return fmt::format("2024-01-02T03:{:02}:{:02}.{:06}Z,{},{}.{:02},{}\n", (i / 60) % 60, i % 60,
                           i % 1000000, i % 2 ? "AAPL" : "EUR/USD", 100 + i % 50, i % 100,
                           i % 7 ? std::to_string(i % 300) : "");
    });
    return p;
}

const std::string& twelvedata_file() {
    static const std::string p = make_file("td.jsonl", "", [](int i) {
        return fmt::format(R"({{"event":"price","symbol":"AAPL","currency":"USD","exchange":"NASDAQ",)"
                           R"("mic_code":"XNGS","type":"Common Stock","timestamp":{},"price":{}.{:02},)"
                           R"("bid":189.4,"ask":189.6,"day_volume":{}}})"
                           "\n",
                           1700000000 + i, 180 + i % 20, i % 100, 1000000 + i);
    });
    return p;
}

void run_replay(benchmark::State& state, const std::string& path) {
    std::vector<mdsp::model::tick> out;
    out.reserve(4096);
    int64_t total = 0;
    for (auto _ : state) {
        mdsp::feed::replay_config cfg;
        cfg.path = path;
        auto r = mdsp::feed::replay::open(cfg, nullptr);
        if (!r) {
            state.SkipWithError(r.error().what().c_str());
            return;
        }
        while (true) {
            out.clear();
            auto st = (*r)->poll(out, 4096);
            benchmark::DoNotOptimize(out.data());
            if (!st || *st == mdsp::feed::poll_status::end) {
                break;
            }
        }
        total += (*r)->lines();
    }
    state.counters["lines/s"] = benchmark::Counter(static_cast<double>(total), benchmark::Counter::kIsRate);
    state.SetItemsProcessed(total);
}

void BM_replay_binance_csv(benchmark::State& s) {
    run_replay(s, binance_file());
}
void BM_replay_generic_csv(benchmark::State& s) {
    run_replay(s, generic_file());
}
void BM_replay_twelvedata_jsonl(benchmark::State& s) {
    run_replay(s, twelvedata_file());
}

void BM_simulator(benchmark::State& state) {
    mdsp::feed::simulator_config cfg;
    cfg.rate = 0;
    cfg.start_time = 1'700'000'000'000'000;
    auto sim = mdsp::feed::simulator::create(cfg);
    std::vector<mdsp::model::tick> out;
    out.reserve(4096);
    int64_t total = 0;
    for (auto _ : state) {
        out.clear();
        (void)(*sim)->poll(out, 4096);
        benchmark::DoNotOptimize(out.data());
        total += static_cast<int64_t>(out.size());
    }
    state.counters["ticks/s"] = benchmark::Counter(static_cast<double>(total), benchmark::Counter::kIsRate);
    state.counters["ns/tick"] = benchmark::Counter(static_cast<double>(total),
                                                   benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
    state.SetItemsProcessed(total);
}

BENCHMARK(BM_replay_binance_csv)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_replay_generic_csv)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_replay_twelvedata_jsonl)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_simulator)->Unit(benchmark::kMicrosecond);

struct quiet_and_cleanup {
    // The per-run "replay done" lines would drown the figures.
    quiet_and_cleanup() { spdlog::set_level(spdlog::level::warn); }
    ~quiet_and_cleanup() {
        fs::remove_all(fs::temp_directory_path() / fmt::format("mdsp_feed_bench_{}", ::getpid()));
    }
} quiet_and_cleanup_at_exit;

} // namespace
