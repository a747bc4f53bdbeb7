// End-to-end cost of the local bus: producer.send() per ~80-byte tick
// (batching, partitioning, appends) and consumer.poll() reading them back.
#include <benchmark/benchmark.h>
#include <spdlog/spdlog.h>

#include "bus/local.h"
#include "testing/temp_dir.h"

namespace {

using namespace mdsp;

void BM_local_producer_send(benchmark::State& state) {
    spdlog::set_level(spdlog::level::warn);
    mdsp::testing::temp_dir dir;
    log::config c;
    c.fsync = log::fsync_policy::interval(std::chrono::milliseconds(1000));
    auto l = std::move(*log::log::open(dir.path(), c));
    bus::local_producer prod(*l);
    std::string value(72, 'v');
    const char* symbols[] = {"BTC/USD", "ETH/USD", "AAPL", "MSFT", "EUR/USD", "XRP/ETH", "TSLA", "NVDA"};
    int64_t n = 0;
    for (auto _ : state) {
        value[0] = char(n);
        if (!prod.send("market.ticks", symbols[n & 7], value, 1'700'000'000'000 + n / 1000)) {
            state.SkipWithError("send failed");
            return;
        }
        ++n;
    }
    if (!prod.flush()) {
        state.SkipWithError("flush failed");
    }
    state.SetItemsProcessed(n);
}

void BM_local_consumer_poll(benchmark::State& state) {
    spdlog::set_level(spdlog::level::warn);
    mdsp::testing::temp_dir dir;
    log::config c;
    c.fsync = log::fsync_policy::never();
    auto l = std::move(*log::log::open(dir.path(), c));
    const int64_t total = 2'000'000;
    {
        bus::local_producer prod(*l);
        std::string value(72, 'v');
        for (int64_t i = 0; i < total; ++i) {
            (void)prod.send("market.ticks", "SYM" + std::to_string(i & 63), value, i);
        }
    }
    int64_t n = 0;
    bus::local_consumer cons(*l);
    (void)cons.subscribe("market.ticks", {});
    bus::poll_result out;
    for (auto _ : state) {
        out.clear();
        if (!cons.poll(out, 10'000, std::chrono::milliseconds(0)) || out.records.empty()) {
            for (int32_t p = 0; p < 4; ++p) {
                (void)cons.seek(partition_id(p), mdsp::offset(0));
            }
            continue;
        }
        n += int64_t(out.records.size());
    }
    state.SetItemsProcessed(n);
}

} // namespace

BENCHMARK(BM_local_producer_send)->UseRealTime();
BENCHMARK(BM_local_consumer_poll)->UseRealTime();
