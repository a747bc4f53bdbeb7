// Encode/decode throughput of the model records. The pipeline moves 1M+
// ticks/s through encode and decode; the targets are >10M encodes/s and >4M
// decodes/s per core for the typical tick below.
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "model/codec.h"
#include "model/framing.h"

namespace {
using namespace mdsp::model;

// A Binance replay trade: size and trade_id set, the other optionals null.
tick typical_tick() {
    tick t;
    t.symbol = "XRPETH";
    t.source = "replay:/x/trades.csv";
    t.event_time = mdsp::event_time(1'570'752'000'123'456);
    t.ingest_time = mdsp::ingest_time(1'700'000'000'654'321);
    t.price = 0.00123456;
    t.size = 250.5;
    t.trade_id = 123'456'789;
    t.seq = mdsp::sequence(1'234'567);
    return t;
}

tick full_tick() {
    tick t = typical_tick();
    t.exchange = "NASDAQ";
    t.mic_code = "XNGS";
    t.asset_type = "Common Stock";
    t.currency = "USD";
    t.day_volume = 12'345'678;
    t.bid = 0.00123;
    t.ask = 0.00124;
    return t;
}

candle typical_candle() {
    candle c;
    c.symbol = "XRPETH";
    c.interval = interval(60'000'000);
    c.window_start = mdsp::event_time(1'570'752'000'000'000);
    c.open = c.high = c.low = c.close = c.vwap = 0.00123;
    c.volume = 1234.5;
    c.trade_count = 17;
    c.first_event_time = mdsp::event_time(1'570'752'000'000'001);
    c.last_event_time = mdsp::event_time(1'570'752'059'999'999);
    return c;
}

// Encodes into a buffer that is cleared per record, as a producer batching
// one value at a time does.
template<typename T>
void bm_encode(benchmark::State& state, const T& v) {
    std::string out;
    out.reserve(256);
    for (auto _ : state) {
        out.clear();
        encode(v, out);
        benchmark::DoNotOptimize(out.data());
        benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(out.size()));
}

// decode_tick(): a fresh record per call, as the API returns it.
template<typename T, typename Decode>
void bm_decode(benchmark::State& state, const T& v, Decode decode_fn) {
    std::string bytes;
    encode(v, bytes);
    for (auto _ : state) {
        auto r = decode_fn(bytes);
        benchmark::DoNotOptimize(r);
    }
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytes.size()));
}

// decode(payload, out): reusing one record's strings, as a consumer loop can.
template<typename T>
void bm_decode_into(benchmark::State& state, const T& v) {
    std::string bytes;
    encode(v, bytes);
    T out;
    for (auto _ : state) {
        auto r = decode(bytes, out);
        benchmark::DoNotOptimize(r);
        benchmark::DoNotOptimize(out);
    }
    state.SetItemsProcessed(state.iterations());
}

void bm_encode_typical_tick(benchmark::State& s) {
    bm_encode(s, typical_tick());
}
void bm_encode_full_tick(benchmark::State& s) {
    bm_encode(s, full_tick());
}
void bm_encode_candle(benchmark::State& s) {
    bm_encode(s, typical_candle());
}
void bm_decode_typical_tick(benchmark::State& s) {
    bm_decode(s, typical_tick(), [](std::string_view b) { return decode_tick(b); });
}
void bm_decode_full_tick(benchmark::State& s) {
    bm_decode(s, full_tick(), [](std::string_view b) { return decode_tick(b); });
}
void bm_decode_candle(benchmark::State& s) {
    bm_decode(s, typical_candle(), [](std::string_view b) { return decode_candle(b); });
}
void bm_decode_into_typical_tick(benchmark::State& s) {
    bm_decode_into(s, typical_tick());
}

void bm_framed_round_trip_typical_tick(benchmark::State& state) {
    tick t = typical_tick();
    std::string out;
    out.reserve(256);
    for (auto _ : state) {
        out.clear();
        encode_framed(t, out);
        auto r = decode_framed_tick(out);
        benchmark::DoNotOptimize(r);
    }
    state.SetItemsProcessed(state.iterations());
}

BENCHMARK(bm_encode_typical_tick);
BENCHMARK(bm_encode_full_tick);
BENCHMARK(bm_encode_candle);
BENCHMARK(bm_decode_typical_tick);
BENCHMARK(bm_decode_full_tick);
BENCHMARK(bm_decode_candle);
BENCHMARK(bm_decode_into_typical_tick);
BENCHMARK(bm_framed_round_trip_typical_tick);

} // namespace
