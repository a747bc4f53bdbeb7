// Append throughput of the log with ~80-byte tick-like records, batched the
// way the bus producer batches them (one reused batch_builder).
#include <string>

#include <benchmark/benchmark.h>
#include <spdlog/spdlog.h>

#include "log/log.h"
#include "testing/temp_dir.h"

namespace {

using namespace mdsp::log;

void run_append(benchmark::State& state, fsync_policy policy) {
    const auto records_per_batch = size_t(state.range(0));
    spdlog::set_level(spdlog::level::warn);
    mdsp::testing::temp_dir dir;
    config c;
    c.fsync = policy;
    auto l = log::open(dir.path(), c);
    if (!l || !(*l)->ensure_topic("bench", 1)) {
        state.SkipWithError("cannot open the log");
        return;
    }
    auto* p = *(*l)->get_partition("bench", mdsp::partition_id(0));
    batch_builder b(c.max_batch_bytes);
    // ~80 bytes of value, like an Avro tick with Confluent framing.
    std::string value(72, 'v');
    const char* symbols[] = {"BTC/USD", "ETH/USD", "AAPL", "MSFT", "EUR/USD", "XRP/ETH", "TSLA", "NVDA"};
    int64_t ts = 1'700'000'000'000, records = 0, bytes = 0, n = 0;
    for (auto _ : state) {
        for (size_t i = 0; i < records_per_batch; ++i, ++n) {
            value[0] = char(n);
            b.add(std::string_view(symbols[n & 7]), std::string_view(value), ts + n / 1000);
        }
        bytes += int64_t(b.size_bytes());
        auto r = p->append(b);
        if (!r) {
            state.SkipWithError(r.error().what().c_str());
            return;
        }
        b.reset();
        records += int64_t(records_per_batch);
    }
    state.SetBytesProcessed(bytes);
    state.SetItemsProcessed(records);
    state.counters["records/s"] = benchmark::Counter(double(records), benchmark::Counter::kIsRate);
}

void BM_append_fsync_never(benchmark::State& s) {
    run_append(s, fsync_policy::never());
}
void BM_append_fsync_interval_1s(benchmark::State& s) {
    run_append(s, fsync_policy::interval(std::chrono::milliseconds(1000)));
}
void BM_append_fsync_interval_10ms(benchmark::State& s) {
    run_append(s, fsync_policy::interval(std::chrono::milliseconds(10)));
}

// Encoding alone: the per-record cost of building batches.
void BM_batch_builder_add(benchmark::State& state) {
    batch_builder b;
    std::string value(72, 'v');
    int64_t n = 0;
    for (auto _ : state) {
        if (!b.add(std::string_view("BTC/USD"), std::string_view(value), 1'700'000'000'000 + n)) {
            b.reset();
        }
        ++n;
    }
    state.SetItemsProcessed(n);
}

} // namespace

BENCHMARK(BM_append_fsync_never)->Arg(100)->Arg(1000)->UseRealTime();
BENCHMARK(BM_append_fsync_interval_1s)->Arg(100)->Arg(1000)->UseRealTime();
BENCHMARK(BM_append_fsync_interval_10ms)->Arg(1000)->UseRealTime();
BENCHMARK(BM_batch_builder_add);
