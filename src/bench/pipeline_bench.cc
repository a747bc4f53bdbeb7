// `mdsp bench`: throughput and latency of the pipeline on this machine, each
// beside a baseline measured in the same run where one exists.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "base/time.h"
#include "bench/bench.h"
#include "bench/stats.h"
#include "feed/simulator.h"
#include "log/log.h"
#include "pipeline/pipeline.h"
#include "stream/candle_engine.h"

namespace mdsp::bench {

using pipeline::pipeline;

namespace {

bool wanted(const options& o, std::string_view phase) {
    if (o.only.empty()) {
        return true;
    }
    return ("," + o.only + ",").find("," + std::string(phase) + ",") != std::string::npos;
}

std::string bench_dir(const config& cfg, const char* phase) {
    auto d = std::filesystem::path(cfg.data_dir) / fmt::format("bench-{}-{}", phase, getpid());
    std::filesystem::remove_all(d);
    return d.string();
}

// Opens and starts a pipeline for a phase; null (after saying why) on failure.
std::unique_ptr<pipeline> start_pipeline(const config& cfg, const pipeline::options& po) {
    auto p = pipeline::open(cfg, po);
    if (!p) {
        spdlog::error("bench: {}", p.error().what());
        return nullptr;
    }
    if (auto r = (*p)->start(); !r) {
        spdlog::error("bench: {}", r.error().what());
        return nullptr;
    }
    return std::move(*p);
}

// The whole pipeline with the simulator as fast as it goes, for `seconds`.
int bench_pipeline(const config& base, double seconds) {
    config cfg = base;
    cfg.data_dir = bench_dir(base, "pipeline");
    cfg.sim.rate = 0;
    cfg.sim.symbols = {"BTC/USD", "ETH/USD", "AAPL", "MSFT",    "EUR/USD",
                       "GBP/USD", "TSLA",    "NVDA", "SOL/USD", "XRP/USD"};
    pipeline::options po;
    po.http = false;
    po.finish_at_end = false;
    auto p = start_pipeline(cfg, po);
    if (!p) {
        return 1;
    }
    auto& pl = *p;
    // Warm up for a second, then measure.
    std::this_thread::sleep_for(std::chrono::seconds(1));
    uint64_t in0 = pl.ticks_ingested(), out0 = pl.ticks_processed();
    int64_t t0 = mono_nanos();
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    uint64_t in1 = pl.ticks_ingested(), out1 = pl.ticks_processed();
    double dt = static_cast<double>(mono_nanos() - t0) / 1e9;
    pl.request_stop();
    auto r = pl.join();
    std::filesystem::remove_all(cfg.data_dir);
    if (!r) {
        spdlog::error("bench: {}", r.error().what());
        return 1;
    }
    double in_rate = static_cast<double>(in1 - in0) / dt;
    double out_rate = static_cast<double>(out1 - out0) / dt;
    std::printf("pipeline  simulator -> log -> engine -> store, %zu symbols, %zu intervals, %.0f s\n",
                cfg.sim.symbols.size(), cfg.engine.intervals.size(), dt);
    std::printf("          ingested   %12.0f ticks/s\n", in_rate);
    std::printf("          processed  %12.0f ticks/s  (sustained: candles and ticks in the store)\n",
                out_rate);
    std::printf("          goal       %12.0f ticks/s  -> %s\n", 1e6, out_rate >= 1e6 ? "met" : "NOT met");
    return 0;
}

// Ingest-to-readable latency at a fixed rate.
int bench_latency(const config& base, double seconds, double rate) {
    config cfg = base;
    cfg.data_dir = bench_dir(base, "latency");
    cfg.sim.rate = rate;
    std::vector<int64_t> lat;
    lat.reserve(static_cast<size_t>(rate * (seconds + 2)));
    pipeline::options po;
    po.http = false;
    po.finish_at_end = false;
    po.latency_sink = &lat;
    auto p = start_pipeline(cfg, po);
    if (!p) {
        return 1;
    }
    auto& pl = *p;
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds + 1));
    pl.request_stop();
    auto r = pl.join();
    std::filesystem::remove_all(cfg.data_dir);
    if (!r) {
        spdlog::error("bench: {}", r.error().what());
        return 1;
    }
    // Leave out the first second (start-up).
    size_t skip = std::min(lat.size(), static_cast<size_t>(rate));
    std::vector<int64_t> v(lat.begin() + static_cast<long>(skip), lat.end());
    double p50 = percentile(v, 0.50) / 1000.0;
    double p99 = percentile(v, 0.99) / 1000.0;
    double p999 = percentile(v, 0.999) / 1000.0;
    double mx = v.empty() ? 0 : static_cast<double>(*std::max_element(v.begin(), v.end())) / 1000.0;
    std::printf("latency   ingest -> candle readable in the store at %.0f ticks/s, %zu ticks\n", rate,
                v.size());
    std::printf("          p50 %.3f ms   p99 %.3f ms   p99.9 %.3f ms   max %.3f ms\n", p50, p99, p999, mx);
    std::printf("          goal p99 <= 5 ms -> %s\n", p99 <= 5.0 ? "met" : "NOT met");
    return 0;
}

// The candle engine alone on one core.
int bench_engine(const config& cfg, double seconds) {
    feed::simulator_config sc;
    sc.rate = 0;
    sc.seed = 7;
    sc.start_time = 1'700'000'000'000'000LL;
    sc.symbols.clear();
    for (int i = 0; i < 100; ++i) {
        sc.symbols.push_back(fmt::format("SYM{:03}", i));
    }
    auto sim = feed::simulator::create(sc);
    if (!sim) {
        spdlog::error("bench: {}", sim.error().what());
        return 1;
    }
    std::vector<model::tick> ticks;
    ticks.reserve(2'000'000);
    while (ticks.size() < 2'000'000) {
        (void)(*sim)->poll(ticks, 2'000'000 - ticks.size());
    }
    stream::engine_config ec;
    ec.intervals = cfg.engine.intervals;
    stream::candle_engine eng(ec);
    std::vector<model::candle> out;
    std::vector<model::filler_run> fillers;
    std::vector<std::pair<std::string, std::optional<std::string>>> st;
    uint64_t n = 0;
    int64_t t0 = mono_nanos();
    int64_t until = t0 + static_cast<int64_t>(seconds * 1e9);
    int64_t shift = 0;
    while (mono_nanos() < until) {
        for (size_t i = 0; i < ticks.size(); ++i) {
            auto& t = ticks[i];
            if (shift) {
                t.event_time += shift;
                t.seq += static_cast<int64_t>(ticks.size());
            }
            eng.add(t, partition_id(0));
            if ((i & 8191) == 0) {
                out.clear();
                fillers.clear();
                st.clear();
                eng.take_updates(out, fillers);
                eng.take_state_changes(st);
            }
        }
        n += ticks.size();
        shift = ticks.back().event_time - ticks.front().event_time + 1;
    }
    double dt = static_cast<double>(mono_nanos() - t0) / 1e9;
    std::printf("engine    candle engine alone, 100 symbols, %zu intervals, one core\n", ec.intervals.size());
    std::printf("          %12.0f ticks/s per core\n", static_cast<double>(n) / dt);
    return 0;
}

// Our log appending `total` bytes of 80-byte records with one fdatasync at the
// end; MB/s of payload.
result<double> log_append_once(const std::string& dir, size_t total) {
    log::config lc;
    lc.fsync = log::fsync_policy::never();
    auto lg = log::log::open(std::filesystem::path(dir) / "log", lc);
    if (!lg) {
        return lg.error();
    }
    if (auto t = (*lg)->ensure_topic("bench", 1); !t) {
        return t.error();
    }
    const size_t per_batch = 1000;
    std::string key = "BTC/USD";
    std::string value(80, 'x');
    std::vector<log::record> batch(per_batch, log::record{key, value, 1'700'000'000'000});
    size_t written = 0;
    int64_t t0 = mono_nanos();
    while (written < total) {
        if (auto r = (*lg)->append("bench", partition_id(0), batch); !r) {
            return r.error();
        }
        written += per_batch * (key.size() + value.size());
    }
    if (auto r = (*lg)->flush(); !r) {
        return r.error();
    }
    double secs = static_cast<double>(mono_nanos() - t0) / 1e9;
    lg->reset();
    std::filesystem::remove_all(std::filesystem::path(dir) / "log");
    return static_cast<double>(written) / 1e6 / secs;
}

// dd writing the same bytes with conv=fdatasync; MB/s.
double dd_once(const std::string& dir, size_t total) {
    std::string file = dir + "/dd.bin";
    std::string cmd =
        fmt::format("dd if=/dev/zero of={} bs=1M count={} conv=fdatasync 2>/dev/null", file, total >> 20);
    int64_t t0 = mono_nanos();
    int rc = std::system(cmd.c_str());
    double secs = static_cast<double>(mono_nanos() - t0) / 1e9;
    std::filesystem::remove(file);
    return rc == 0 ? static_cast<double>(total) / 1e6 / secs : 0;
}

// Log append alone, beside dd in the same run: rounds alternate the two so
// that the disk's and page cache's drift hits both alike.
int bench_log(const config& base) {
    std::string dir = bench_dir(base, "log");
    std::filesystem::create_directories(dir);
    const size_t total = size_t{256} << 20;
    const int rounds = 5;
    std::vector<double> ours, dd, ratio;
    for (int i = 0; i < rounds; ++i) {
        auto o = log_append_once(dir, total);
        if (!o) {
            spdlog::error("bench: {}", o.error().what());
            return 1;
        }
        double d = dd_once(dir, total);
        ours.push_back(*o);
        dd.push_back(d);
        ratio.push_back(d > 0 ? *o / d : 0);
    }
    std::filesystem::remove_all(dir);
    std::printf("log       append of 80-byte records in batches of 1000, %zu MiB, fdatasync at the end; "
                "median of %d\n",
                total >> 20, rounds);
    std::printf("          mdsp log  %8.0f MB/s (payload)\n", median(ours));
    std::printf("          dd        %8.0f MB/s (bs=1M conv=fdatasync, same disk, alternating rounds)\n",
                median(dd));
    std::printf("          ratio     %8.2f (median of per-round ratios)\n", median(ratio));
    return 0;
}

} // namespace

int run(const config& cfg, const options& opts) {
    spdlog::set_level(spdlog::level::warn);
    std::printf("mdsp bench on %u cores; data in %s\n", std::thread::hardware_concurrency(),
                cfg.data_dir.c_str());
    int rc = 0;
    if (wanted(opts, "pipeline")) {
        rc |= bench_pipeline(cfg, opts.seconds);
    }
    if (wanted(opts, "latency")) {
        rc |= bench_latency(cfg, opts.seconds, opts.latency_rate);
    }
    if (wanted(opts, "engine")) {
        rc |= bench_engine(cfg, opts.seconds);
    }
    if (wanted(opts, "log")) {
        rc |= bench_log(cfg);
    }
    if (wanted(opts, "twelvedata")) {
        std::string dir = bench_dir(cfg, "twelvedata");
        rc |= bench_twelvedata(dir, opts.seconds);
        std::filesystem::remove_all(dir);
    }
    // Optional: only when asked for by name (a Kafka cluster, Cassandra and
    // Java; minutes of replays).
    if (("," + opts.only + ",").find(",kafka,") != std::string::npos) {
        rc |= bench_kafka(cfg, opts.kafka, opts.seconds, opts.latency_rate);
    }
    if (("," + opts.only + ",").find(",cassandra,") != std::string::npos) {
        rc |= bench_cassandra(cfg, opts.cassandra, opts.kafka, opts.seconds, opts.latency_rate);
    }
    if (("," + opts.only + ",").find(",universe,") != std::string::npos) {
        rc |= bench_universe(cfg, opts.universe_ticks);
    }
    return rc;
}

} // namespace mdsp::bench
