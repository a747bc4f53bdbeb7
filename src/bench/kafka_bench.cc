// `mdsp bench --only kafka`: the Kafka bus on a real Apache Kafka cluster
// (one node started here with tests/cluster/kafka_cluster.py, or the brokers
// of --kafka), beside Apache Kafka's own ProducerPerformance and
// ConsumerPerformance on the same cluster in the same run; then the
// processing stage from the cluster into a store, and ingest -> candle
// readable latency at a fixed rate. `--kafka mock` runs the mdsp phases on
// librdkafka's mock cluster in this process (no Java, no baselines).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <random>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "base/time.h"
#include "bench/bench.h"
#include "bench/kafka_tools.h"
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
constexpr int32_t bench_partitions = 8;
constexpr double mib = 1024.0 * 1024.0;

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

double seconds_since(int64_t t0_ns) {
    return static_cast<double>(mono_nanos() - t0_ns) / 1e9;
}

// Where the run happens: the brokers, the cluster started for it (if any),
// the settings every client of mdsp gets.
struct bench_cluster {
    std::string brokers;
    std::optional<local_kafka> local;
    std::unique_ptr<bus::kafka_mock_cluster> mock;
    kafka_paths paths = kafka_paths::find();
    std::map<std::string, std::string> properties; // [kafka.properties]
    std::string prefix = fmt::format("mdsp-bench-{}.", getpid());
    producer_settings producer;

    bus::kafka_config kafka() const { return bus::kafka_config{brokers, properties, "mdsp-bench"}; }
    bus::kafka_producer_config producer_config() const {
        bus::kafka_producer_config pc;
        pc.kafka = kafka();
        pc.linger_ms = producer.linger_ms;
        pc.batch_bytes = producer.batch_bytes;
        pc.compression = producer.compression;
        return pc;
    }
    // The bench's topics, all under its own prefix: several runs, or a
    // user's pipeline, can share the cluster.
    result<void> make_topics(const std::vector<std::string>& names) {
        std::vector<bus::topic_spec> specs;
        for (const auto& n : names) {
            int32_t parts = n.ends_with("deadletter") ? 1 : bench_partitions;
            if (mock) {
                if (auto r = mock->create_topic(prefix + n, parts, 1); !r) {
                    return r;
                }
            }
            // As mdsp makes its topics: the ticks' old event times must not
            // let retention delete them while the bench reads them.
            specs.push_back(
                bus::topic_spec{prefix + n, parts, -1, {{"message.timestamp.type", "LogAppendTime"}}});
        }
        if (mock) {
            return ok();
        }
        auto r = bus::ensure_topics(kafka(), specs, true, std::chrono::seconds(60));
        return r ? ok() : result<void>(r.error());
    }
};

result<void> open_cluster(const config& base, const std::string& kafka, bench_cluster& c) {
    c.properties = base.kafka.properties;
    if (kafka == "mock") {
        auto mc = bus::kafka_mock_cluster::start(3);
        if (!mc) {
            return mc.error();
        }
        c.mock = std::move(*mc);
        c.brokers = c.mock->bootstrap();
        std::printf("kafka     librdkafka's mock cluster of 3 brokers in this process (%s); no baselines\n",
                    c.brokers.c_str());
        return ok();
    }
    if (!kafka.empty()) {
        c.brokers = kafka;
        std::printf("kafka     the cluster at %s (--kafka); topics %s*\n", c.brokers.c_str(),
                    c.prefix.c_str());
        return ok();
    }
    // One node: on two cores three JVMs replicating each other would take
    // the CPU both clients need, and measure the brokers, not the clients.
    auto dir = std::filesystem::path(base.data_dir) / fmt::format("bench-kafka-cluster-{}", getpid());
    int64_t t0 = mono_nanos();
    auto lk = local_kafka::start(c.paths, dir.string());
    if (!lk) {
        return lk.error();
    }
    c.local.emplace(std::move(*lk));
    c.brokers = c.local->bootstrap();
    std::printf("kafka     Apache Kafka, 1 KRaft node started with %s in %.1f s (%s)\n", c.paths.tool.c_str(),
                seconds_since(t0), c.brokers.c_str());
    return ok();
}

// a. Our producer, Avro encoding included, then ProducerPerformance.
struct produce_figures {
    size_t n = 0;
    size_t avg = 0; // bytes per value
    double ours_s = 0;
    std::optional<result<java_produce_figures>> java;
};

result<void> produce_ticks(bus::kafka_producer& prod, const std::string& topic, size_t n, size_t* bytes) {
    tick_maker tm;
    std::string buf;
    int64_t et = 1'700'000'000'000'000;
    for (size_t i = 0; i < n; ++i) {
        auto t = tm.next(et + static_cast<int64_t>(i) * 100);
        buf.clear();
        model::encode_framed(t, buf);
        *bytes += buf.size();
        if (auto r = prod.send(topic, t.symbol, buf, t.event_time() / 1000); !r) {
            return r;
        }
    }
    return prod.flush();
}

result<produce_figures> produce_phase(bench_cluster& c, size_t n) {
    produce_figures f;
    f.n = n;
    auto prod = bus::kafka_producer::open(c.producer_config());
    if (!prod) {
        return prod.error();
    }
    size_t bytes = 0;
    int64_t t0 = mono_nanos();
    if (auto r = produce_ticks(**prod, c.prefix + "mdsp", n, &bytes); !r) {
        return r.error();
    }
    f.ours_s = seconds_since(t0);
    f.avg = bytes / n;
    if (!c.mock) {
        f.java = producer_performance(c.paths, c.brokers, c.prefix + "java", static_cast<int64_t>(n), f.avg,
                                      c.producer);
    }
    double ours = static_cast<double>(n) / f.ours_s;
    std::printf(
        "          produce, %zu records of %zu B, 8 partitions, acks=all, idempotent, %s, linger.ms=%d, "
        "batch.size=%d:\n",
        n, f.avg, c.producer.compression.c_str(), c.producer.linger_ms, c.producer.batch_bytes);
    std::printf("            mdsp (Avro-encoded ticks, key = symbol)     %9.0f records/s %6.1f MB/s\n", ours,
                ours * static_cast<double>(f.avg) / mib);
    if (f.java && *f.java) {
        const auto& j = **f.java;
        std::printf("            Kafka ProducerPerformance (random, no key)  %9.0f records/s %6.1f MB/s\n",
                    j.records_per_s, j.mb_per_s);
        std::printf("            ratio mdsp/Java %.2f (goal >= 1.0 -> %s)\n", ours / j.records_per_s,
                    ours >= j.records_per_s ? "met" : "NOT met");
    } else if (f.java) {
        std::printf("            Kafka ProducerPerformance: %s\n", f.java->error().what().c_str());
    }
    return f;
}

// b. Our consumer, Avro decoding included, then ConsumerPerformance on the same topic.
result<void> consume_phase(bench_cluster& c, const produce_figures& pf) {
    bus::kafka_consumer_config cc;
    cc.kafka = c.kafka();
    cc.group = c.prefix + "consume";
    auto cons = bus::kafka_consumer::open(cc);
    if (!cons) {
        return cons.error();
    }
    bus::offsets start;
    for (int32_t p = 0; p < bench_partitions; ++p) {
        start.emplace_back(partition_id(p), offset(0));
    }
    if (auto r = (*cons)->assign(c.prefix + "mdsp", start); !r) {
        return r;
    }
    size_t got = 0;
    size_t bad = 0;
    size_t bytes = 0;
    bus::poll_result pr;
    int64_t t0 = mono_nanos();
    for (int idle = 0; got < pf.n && idle < 100;) {
        pr.clear();
        if (auto r = (*cons)->poll(pr, 8192, std::chrono::milliseconds(100)); !r) {
            return r;
        }
        idle = pr.records.empty() ? idle + 1 : 0;
        for (const auto& rec : pr.records) {
            bad += model::decode_framed_tick(rec.value) ? 0 : 1;
            bytes += rec.value.size();
        }
        got += pr.records.size();
    }
    double secs = seconds_since(t0);
    (*cons)->close();
    double ours = static_cast<double>(got) / secs;
    std::printf("          consume the same topic from offset 0 (%zu records read, %zu undecodable):\n", got,
                bad);
    std::printf("            mdsp (Avro-decoded ticks, assigned)         %9.0f records/s %6.1f MB/s\n", ours,
                static_cast<double>(bytes) / secs / mib);
    if (c.mock) {
        return ok();
    }
    auto j = consumer_performance(c.paths, c.brokers, c.prefix + "mdsp", c.prefix + "java-consume",
                                  static_cast<int64_t>(pf.n));
    if (!j) {
        std::printf("            Kafka ConsumerPerformance: %s\n", j.error().what().c_str());
        return ok();
    }
    std::printf("            Kafka ConsumerPerformance (fetch time)      %9.0f records/s %6.1f MB/s "
                "(%.0f records/s with the group join)\n",
                j->fetch_records_per_s, j->fetch_mb_per_s, j->records_per_s);
    std::printf("            ratio mdsp/Java %.2f (goal >= 1.0 -> %s)\n", ours / j->fetch_records_per_s,
                ours >= j->fetch_records_per_s ? "met" : "NOT met");
    return ok();
}

// A processing stage as `mdsp process` runs it: its own group, store and
// topics (prefix + "market.*"), removed at the end.
struct stage_rig {
    config cfg;
    std::unique_ptr<store::rocks_store> st;
    std::unique_ptr<bus::kafka_consumer> cons;
    std::unique_ptr<bus::kafka_producer> prod;
    std::unique_ptr<pipeline::process_stage> proc;

    stage_rig() = default;
    stage_rig(const stage_rig&) = delete;
    stage_rig& operator=(const stage_rig&) = delete;
    ~stage_rig() {
        if (proc) {
            (void)proc->stop();
        }
        proc.reset();
        cons.reset();
        prod.reset();
        st.reset();
        std::filesystem::remove_all(cfg.data_dir);
    }
};

result<std::unique_ptr<stage_rig>> open_stage(const config& base, const bench_cluster& c,
                                              const std::string& prefix, std::vector<int64_t>* latencies) {
    auto rig = std::make_unique<stage_rig>();
    rig->cfg = base;
    rig->cfg.data_dir =
        (std::filesystem::path(base.data_dir) / fmt::format("bench-kafka-{}-{}", getpid(), prefix)).string();
    std::filesystem::remove_all(rig->cfg.data_dir);
    rig->cfg.kafka.brokers = c.brokers;
    rig->cfg.kafka.group = prefix + "process";
    rig->cfg.kafka.topic_prefix = prefix;
    rig->cfg.kafka.properties = c.properties;
    auto st = store::rocks_store::open(std::filesystem::path(rig->cfg.data_dir) / "store", {});
    if (!st) {
        return st.error();
    }
    rig->st = std::move(*st);
    auto cons = bus::kafka_consumer::open(bus::kafka_consumer_config{c.kafka(), rig->cfg.kafka.group});
    if (!cons) {
        return cons.error();
    }
    rig->cons = std::move(*cons);
    auto prod = bus::kafka_producer::open(c.producer_config());
    if (!prod) {
        return prod.error();
    }
    rig->prod = std::move(*prod);
    pipeline::process_stage::options po;
    po.group = true;
    po.publish_candles = true;
    po.finish_at_end = false;
    po.latency_sink = latencies;
    po.topics = bus::topic_names::with_prefix(prefix);
    rig->proc = std::make_unique<pipeline::process_stage>(rig->cfg, *rig->cons, *rig->prod, *rig->st, po);
    if (auto r = rig->proc->start(); !r) {
        return r.error();
    }
    int64_t deadline = mono_nanos() + 60'000'000'000LL;
    while (rig->proc->owned().empty()) { // joined the group
        if (auto r = rig->proc->step(std::chrono::milliseconds(50)); !r) {
            return r.error();
        }
        if (mono_nanos() > deadline) {
            return make_error(pipeline::errc::io_error, "the bench's process stage got no partition in 60 s");
        }
    }
    return rig;
}

// c. The processing stage from a backlog in the cluster into the store.
result<void> stage_phase(const config& base, bench_cluster& c, size_t n) {
    const std::string prefix = c.prefix + "stage.";
    if (auto r = c.make_topics({"stage.market.ticks", "stage.market.candles", "stage.market.deadletter"});
        !r) {
        return r;
    }
    {
        auto prod = bus::kafka_producer::open(c.producer_config());
        if (!prod) {
            return prod.error();
        }
        size_t bytes = 0;
        if (auto r = produce_ticks(**prod, prefix + "market.ticks", n, &bytes); !r) {
            return r;
        }
    }
    // Timed from the start, group join included: librdkafka prefetches
    // while the stage joins, so a clock started after the join flatters it.
    int64_t t0 = mono_nanos();
    auto rig = open_stage(base, c, prefix, nullptr);
    if (!rig) {
        return rig.error();
    }
    auto& proc = *(*rig)->proc;
    double join_s = seconds_since(t0);
    int64_t deadline = t0 + 120'000'000'000LL;
    for (int64_t progress = mono_nanos(); proc.ticks_processed() < n && mono_nanos() < deadline
                                          && mono_nanos() - progress < 10'000'000'000LL;) {
        uint64_t had = proc.ticks_processed();
        if (auto r = proc.step(std::chrono::milliseconds(20)); !r) {
            return r.error();
        }
        progress = proc.ticks_processed() > had ? mono_nanos() : progress;
    }
    if (auto r = proc.commit(); !r) {
        return r;
    }
    double secs = seconds_since(t0);
    uint64_t done = proc.ticks_processed();
    std::printf("          process stage (group member, Avro decode -> candle engine -> RocksDB, candles to "
                "Kafka): %.0f ticks/s (%llu of %zu backlogged ticks in %.2f s, the group join's %.2f s "
                "included)\n",
                static_cast<double>(done) / secs, static_cast<unsigned long long>(done), n, secs, join_s);
    return ok();
}

// d. End to end at a fixed rate: producer -> Kafka -> process stage ->
//    candle readable in a RocksDB store.
result<void> latency_phase(const config& base, bench_cluster& c, double seconds, double rate) {
    const std::string prefix = c.prefix + "lat.";
    if (auto r = c.make_topics({"lat.market.ticks", "lat.market.candles", "lat.market.deadletter"}); !r) {
        return r;
    }
    auto prod = bus::kafka_producer::open(c.producer_config());
    if (!prod) {
        return prod.error();
    }
    std::vector<int64_t> lat;
    lat.reserve(static_cast<size_t>(rate * (seconds + 2)));
    auto rig = open_stage(base, c, prefix, &lat);
    if (!rig) {
        return rig.error();
    }
    auto& proc = *(*rig)->proc;
    std::atomic<bool> stop{false};
    std::atomic<bool> failed{false};
    std::thread feeder([&, p = prod->get(), topic = prefix + "market.ticks"] {
        tick_maker fm;
        int64_t begin = mono_nanos();
        size_t sent = 0;
        std::string b;
        while (!stop.load()) {
            auto due = static_cast<size_t>(seconds_since(begin) * rate);
            for (; sent < due; ++sent) {
                auto t = fm.next(now_micros());
                b.clear();
                model::encode_framed(t, b);
                if (!p->send(topic, t.symbol, b, t.event_time() / 1000)) {
                    failed = true;
                    return;
                }
            }
            p->poll();
            std::this_thread::sleep_for(std::chrono::microseconds(500));
        }
        (void)p->flush();
    });
    int64_t end = mono_nanos() + static_cast<int64_t>((seconds + 1) * 1e9);
    result<void> out = ok();
    while (mono_nanos() < end && !failed.load()) {
        if (auto r = proc.step(std::chrono::milliseconds(20)); !r) {
            out = r.error();
            break;
        }
    }
    stop = true;
    feeder.join();
    if (failed.load()) {
        return make_error(pipeline::errc::io_error, "the latency phase's producer failed");
    }
    size_t skip = std::min(lat.size(), static_cast<size_t>(rate)); // the first second: warming up
    std::vector<int64_t> v(lat.begin() + static_cast<long>(skip), lat.end());
    std::printf("          ingest -> Kafka -> candle readable in the store at %.0f ticks/s, %zu ticks: "
                "p50 %.1f ms  p99 %.1f ms  p99.9 %.1f ms\n",
                rate, v.size(), percentile(v, 0.5) / 1000.0, percentile(v, 0.99) / 1000.0,
                percentile(v, 0.999) / 1000.0);
    std::printf("            (decided by linger.ms=%d, the consumer's fetch.wait.max.ms=10 and "
                "process.commit_interval=%.0f ms: a tick is readable after its store write)\n",
                c.producer.linger_ms, static_cast<double>(base.process.commit_interval_us) / 1000.0);
    return out;
}

result<void> run_phases(const config& base, bench_cluster& c, double seconds, double rate) {
    // librdkafka's mock keeps at most 100,000 records a partition and drops
    // the oldest beyond: fewer there (the 10 symbols' keys fill 8 partitions unevenly).
    const size_t n = c.mock ? 400'000 : 1'000'000;
    if (auto r = c.make_topics({"mdsp", "java"}); !r) {
        return r;
    }
    auto pf = produce_phase(c, n);
    if (!pf) {
        return pf.error();
    }
    if (auto r = consume_phase(c, *pf); !r) {
        return r;
    }
    if (auto r = stage_phase(base, c, n); !r) {
        return r;
    }
    return latency_phase(base, c, seconds, rate);
}

} // namespace

int bench_kafka(const config& base, const std::string& kafka, double seconds, double rate) {
    bench_cluster c;
    if (auto r = open_cluster(base, kafka, c); !r) {
        spdlog::error("bench kafka: {}", r.error().what());
        return 1;
    }
    auto r = run_phases(base, c, seconds, rate);
    if (!r) {
        spdlog::error("bench kafka: {}", r.error().what());
    }
    if (!c.local && !c.mock) {
        std::printf("          (the bench's topics %s* stay on the cluster: delete them with kafka-topics.sh "
                    "--delete --topic '%s\\..*')\n",
                    c.prefix.c_str(), c.prefix.substr(0, c.prefix.size() - 1).c_str());
    }
    return r ? 0 : 1;
}

} // namespace mdsp::bench
