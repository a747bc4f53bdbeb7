// `mdsp bench --only kafka`: the Kafka bus on librdkafka's mock cluster (in
// this process), beside kcat producing as many equally sized messages to the
// same cluster in the same run.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/time.h"
#include "bench/bench.h"
#include "bench/stats.h"
#include "bus/kafka.h"
#include "model/framing.h"
#include "pipeline/errc.h"
#include "pipeline/process_stage.h"
#include "store/rocks_store.h"

namespace mdsp::bench {

namespace {

const std::vector<std::string> bench_symbols{"BTC/USD", "ETH/USD", "AAPL", "MSFT",    "EUR/USD",
                                             "GBP/USD", "TSLA",    "NVDA", "SOL/USD", "XRP/USD"};

struct tick_maker {
    std::mt19937_64 rng{42};
    std::vector<double> price = std::vector<double>(bench_symbols.size(), 100.0);
    int64_t seq = 0;
    model::tick next(int64_t event_us) {
        size_t i = static_cast<size_t>(seq % static_cast<int64_t>(bench_symbols.size()));
        price[i] += std::uniform_real_distribution<double>(-0.05, 0.05)(rng);
        model::tick t;
        t.symbol = bench_symbols[i];
        t.source = "bench";
        t.event_time = mdsp::event_time(event_us);
        t.ingest_time = mdsp::ingest_time(now_micros());
        t.price = price[i];
        t.size = 1.0 + static_cast<double>(seq % 7);
        t.seq = mdsp::sequence(++seq);
        return t;
    }
};

bus::kafka_producer_config producer_cfg(const std::string& brokers) {
    bus::kafka_producer_config pc;
    pc.kafka.brokers = brokers;
    return pc;
}

// kcat -P with the producer settings ours uses; returns its wall time in s.
result<double> run_kcat(const std::string& brokers, const std::string& topic, const std::string& file) {
    std::vector<std::string> args{"kcat",
                                  "-P",
                                  "-q",
                                  "-b",
                                  brokers,
                                  "-t",
                                  topic,
                                  "-K",
                                  "\t",
                                  "-l",
                                  file,
                                  "-X",
                                  "acks=all",
                                  "-X",
                                  "enable.idempotence=true",
                                  "-X",
                                  "compression.type=lz4",
                                  "-X",
                                  "linger.ms=5",
                                  "-X",
                                  "batch.size=1048576",
                                  "-X",
                                  "queue.buffering.max.messages=1000000",
                                  "-X",
                                  "partitioner=murmur2_random"};
    std::vector<char*> argv;
    for (auto& a : args) {
        argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    int64_t t0 = mono_nanos();
    pid_t pid = fork();
    if (pid == 0) {
        execvp("kcat", argv.data());
        _exit(127);
    }
    if (pid < 0) {
        return make_error(pipeline::errc::io_error, "cannot start kcat");
    }
    int status = 0;
    waitpid(pid, &status, 0);
    double secs = static_cast<double>(mono_nanos() - t0) / 1e9;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        return make_error(pipeline::errc::io_error,
                          "kcat failed (exit {}); install it with scripts/setup (Debian package kcat)",
                          WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    }
    return secs;
}

} // namespace

namespace {

// What phases 1-3 measured.
struct bus_figures {
    size_t n = 0;
    size_t avg = 0; // bytes per value
    double ours_s = 0;
    result<double> kcat_s = 0.0;
    size_t got = 0, bad = 0;
    double cons_s = 0;
};

// 1. Our producer, Avro encoding included; the producer stays open for phase 4.
result<void> produce_phase(bus::kafka_producer& prod, bus_figures& f) {
    tick_maker tm;
    std::string buf;
    size_t bytes = 0;
    int64_t t0 = mono_nanos();
    int64_t et = 1'700'000'000'000'000;
    for (size_t i = 0; i < f.n; ++i) {
        auto t = tm.next(et + static_cast<int64_t>(i) * 100);
        buf.clear();
        model::encode_framed(t, buf);
        bytes += buf.size();
        if (auto r = prod.send("bench.mdsp", t.symbol, buf, t.event_time() / 1000); !r) {
            return r;
        }
    }
    if (auto r = prod.flush(); !r) {
        return r;
    }
    f.ours_s = static_cast<double>(mono_nanos() - t0) / 1e9;
    f.avg = bytes / f.n;
    return ok();
}

// 2. kcat producing as many messages of the same size, same keys.
void kcat_phase(const config& base, const std::string& brokers, bus_figures& f) {
    auto file = std::filesystem::path(base.data_dir) / fmt::format("bench-kcat-{}.txt", getpid());
    std::filesystem::create_directories(file.parent_path());
    {
        std::ofstream out(file);
        std::mt19937 rng(7);
        std::string v(f.avg, 'x');
        for (size_t i = 0; i < f.n; ++i) {
            for (auto& ch : v) {
                ch = static_cast<char>('!' + rng() % 90);
            }
            out << bench_symbols[i % bench_symbols.size()] << '\t' << v << '\n';
        }
    }
    f.kcat_s = run_kcat(brokers, "bench.kcat", file.string());
    std::filesystem::remove(file);
}

// 3. Our consumer, Avro decoding included.
result<void> consume_phase(const std::string& brokers, int32_t parts, bus_figures& f) {
    bus::kafka_consumer_config cc;
    cc.kafka.brokers = brokers;
    cc.group = "bench";
    auto cons = bus::kafka_consumer::open(cc);
    if (!cons) {
        return cons.error();
    }
    bus::offsets start;
    for (int32_t p = 0; p < parts; ++p) {
        start.emplace_back(partition_id(p), offset(0));
    }
    (void)(*cons)->assign("bench.mdsp", start);
    bus::poll_result pr;
    int64_t t0 = mono_nanos();
    for (int idle = 0; f.got < f.n && idle < 100;) {
        pr.clear();
        if (auto r = (*cons)->poll(pr, 8192, std::chrono::milliseconds(100)); !r) {
            return r;
        }
        idle = pr.records.empty() ? idle + 1 : 0;
        for (const auto& rec : pr.records) {
            f.bad += model::decode_framed_tick(rec.value) ? 0 : 1;
        }
        f.got += pr.records.size();
    }
    f.cons_s = static_cast<double>(mono_nanos() - t0) / 1e9;
    (*cons)->close();
    return ok();
}

void report(const bus_figures& f) {
    size_t avg = f.avg;
    size_t n = f.n;
    double ours_s = f.ours_s;
    const auto& kcat_s = f.kcat_s;
    size_t got = f.got;
    size_t bad = f.bad;
    double cons_s = f.cons_s;
    std::printf(
        "          produce (mdsp, Avro-encoded, %zu B values, acks=all, idempotent, lz4): %.0f ticks/s\n",
        avg, static_cast<double>(n) / ours_s);
    if (kcat_s) {
        double ratio = *kcat_s / ours_s;
        std::printf(
            "          produce (kcat -P, %zu B values, same settings, same run):           %.0f msgs/s\n",
            avg, static_cast<double>(n) / *kcat_s);
        std::printf("          ratio mdsp/kcat %.2f (goal >= 0.80 -> %s)\n", ratio,
                    ratio >= 0.8 ? "met" : "NOT met");
    } else {
        std::printf("          kcat: %s\n", kcat_s.error().what().c_str());
    }
    std::printf("          consume (mdsp, Avro-decoded): %.0f ticks/s (%zu read, %zu undecodable)\n",
                static_cast<double>(got) / cons_s, got, bad);
}

// 4. End to end at a fixed rate: producer -> Kafka -> process stage ->
//    candle readable in a RocksDB store.
int end_to_end_phase(const config& base, const std::string& brokers, bus::kafka_producer& producer,
                     double seconds, double rate) {
    auto* prod = &producer;
    config cfg = base;
    cfg.data_dir = (std::filesystem::path(base.data_dir) / fmt::format("bench-kafka-{}", getpid())).string();
    std::filesystem::remove_all(cfg.data_dir);
    cfg.kafka.brokers = brokers;
    cfg.kafka.group = "bench-process";
    auto st = store::rocks_store::open(std::filesystem::path(cfg.data_dir) / "store", {});
    auto pcons =
        bus::kafka_consumer::open(bus::kafka_consumer_config{{brokers, {}, "mdsp"}, cfg.kafka.group});
    auto pprod = bus::kafka_producer::open(producer_cfg(brokers));
    if (!st || !pcons || !pprod) {
        spdlog::error("bench kafka: cannot open the process stage");
        return 1;
    }
    std::vector<int64_t> lat;
    lat.reserve(static_cast<size_t>(rate * (seconds + 2)));
    pipeline::process_stage::options po;
    po.group = true;
    po.publish_candles = true;
    po.finish_at_end = false;
    po.latency_sink = &lat;
    pipeline::process_stage proc(cfg, **pcons, **pprod, **st, po);
    if (auto r = proc.start(); !r) {
        spdlog::error("bench kafka: {}", r.error().what());
        return 1;
    }
    while (proc.owned().empty()) { // joined the group
        if (auto r = proc.step(std::chrono::milliseconds(50)); !r) {
            spdlog::error("bench kafka: {}", r.error().what());
            return 1;
        }
    }
    std::atomic<bool> stop{false};
    std::atomic<bool> failed{false};
    std::thread feeder([&] {
        tick_maker fm;
        int64_t begin = mono_nanos();
        size_t sent = 0;
        while (!stop.load()) {
            double elapsed = static_cast<double>(mono_nanos() - begin) / 1e9;
            auto due = static_cast<size_t>(elapsed * rate);
            std::string b;
            for (; sent < due; ++sent) {
                auto t = fm.next(now_micros());
                b.clear();
                model::encode_framed(t, b);
                if (!prod->send(bus::ticks_topic, t.symbol, b, t.event_time() / 1000)) {
                    failed = true;
                    return;
                }
            }
            prod->poll();
            std::this_thread::sleep_for(std::chrono::microseconds(500));
        }
        (void)prod->flush();
    });
    int64_t end = mono_nanos() + static_cast<int64_t>((seconds + 1) * 1e9);
    while (mono_nanos() < end && !failed.load()) {
        if (auto r = proc.step(std::chrono::milliseconds(20)); !r) {
            spdlog::error("bench kafka: {}", r.error().what());
            failed = true;
        }
    }
    stop = true;
    feeder.join();
    (void)proc.stop();
    std::filesystem::remove_all(cfg.data_dir);
    size_t skip = std::min(lat.size(), static_cast<size_t>(rate));
    std::vector<int64_t> v(lat.begin() + static_cast<long>(skip), lat.end());
    std::printf("          end to end at %.0f ticks/s (ingest -> Kafka -> candle readable in the store), %zu "
                "ticks:\n",
                rate, v.size());
    std::printf("          p50 %.3f ms   p99 %.3f ms   p99.9 %.3f ms\n", percentile(v, 0.5) / 1000.0,
                percentile(v, 0.99) / 1000.0, percentile(v, 0.999) / 1000.0);
    return failed.load() ? 1 : 0;
}

} // namespace

int bench_kafka(const config& base, double seconds, double rate) {
    auto mc = bus::kafka_mock_cluster::start(3);
    if (!mc) {
        spdlog::error("bench kafka: {}", mc.error().what());
        return 1;
    }
    std::string brokers = (*mc)->bootstrap();
    const int32_t parts = 8;
    for (const char* t :
         {"bench.mdsp", "bench.kcat", "market.ticks", "market.candles", "market.deadletter"}) {
        if (auto r = (*mc)->create_topic(t, std::string_view(t) == "market.deadletter" ? 1 : parts, 1); !r) {
            spdlog::error("bench kafka: {}", r.error().what());
            return 1;
        }
    }
    const size_t n = 500'000;
    std::printf("kafka     mock cluster of 3 brokers in this process (%s), %d partitions, %zu ticks\n",
                brokers.c_str(), parts, n);

    auto prod = bus::kafka_producer::open(producer_cfg(brokers));
    if (!prod) {
        spdlog::error("bench kafka: {}", prod.error().what());
        return 1;
    }
    bus_figures f;
    f.n = n;
    if (auto r = produce_phase(**prod, f); !r) {
        spdlog::error("bench kafka: {}", r.error().what());
        return 1;
    }
    kcat_phase(base, brokers, f);
    if (auto r = consume_phase(brokers, parts, f); !r) {
        spdlog::error("bench kafka: {}", r.error().what());
        return 1;
    }
    report(f);
    return end_to_end_phase(base, brokers, **prod, seconds, rate);
}

} // namespace mdsp::bench
