// `mdsp bench --only kafka`: the Kafka bus on a real Apache Kafka cluster
// (one node started here with tests/cluster/kafka_cluster.py, or the brokers
// of --kafka), beside Apache Kafka's own ProducerPerformance and
// ConsumerPerformance on the same cluster in the same run; then the
// processing stage from the cluster into a store, and ingest -> candle
// readable latency at a fixed rate. `--kafka mock` runs the mdsp phases on
// librdkafka's mock cluster in this process (no Java, no baselines).
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "bench/bench.h"
#include "bench/kafka_rig.h"
#include "bench/kafka_tools.h"
#include "bus/kafka.h"
#include "model/framing.h"
#include "store/rocks_store.h"

namespace mdsp::bench {

namespace {

constexpr double mib = 1024.0 * 1024.0;

// a. Our producer, Avro encoding included, then ProducerPerformance.
struct produce_figures {
    size_t n = 0;
    size_t avg = 0; // bytes per value
    double ours_s = 0;
    std::optional<result<java_produce_figures>> java;
};

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

result<std::unique_ptr<store::store>> rocks_in_folder(const std::string& dir) {
    auto st = store::rocks_store::open(std::filesystem::path(dir) / "store", {});
    if (!st) {
        return st.error();
    }
    return std::unique_ptr<store::store>(std::move(*st));
}

// c. The processing stage from a backlog in the cluster into a RocksDB store.
result<void> stage_to_rocks(const config& base, bench_cluster& c, size_t n) {
    auto f = stage_phase(base, c, stage_run{"stage", n, false}, rocks_in_folder);
    if (!f) {
        return f.error();
    }
    std::printf("          process stage (group member, Avro decode -> candle engine -> RocksDB, candles to "
                "Kafka): %.0f ticks/s (%llu of %zu backlogged ticks in %.2f s, the group join's %.2f s "
                "included)\n",
                f->ticks_per_s(), static_cast<unsigned long long>(f->done), n, f->seconds, f->join_s);
    return ok();
}

// d. End to end at a fixed rate: producer -> Kafka -> process stage ->
//    candle readable in a RocksDB store.
result<void> latency_to_rocks(const config& base, bench_cluster& c, double seconds, double rate) {
    auto f = latency_phase(base, c, "lat", seconds, rate, rocks_in_folder);
    if (!f) {
        return f.error();
    }
    std::printf("          ingest -> Kafka -> candle readable in the store at %.0f ticks/s, %zu ticks: "
                "p50 %.1f ms  p99 %.1f ms  p99.9 %.1f ms\n",
                rate, f->ticks, f->p50_ms, f->p99_ms, f->p999_ms);
    std::printf("            (decided by linger.ms=%d, the consumer's fetch.wait.max.ms=10 and "
                "process.commit_interval=%.0f ms: a tick is readable after its store write)\n",
                c.producer.linger_ms, static_cast<double>(base.process.commit_interval_us) / 1000.0);
    return ok();
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
    if (auto r = stage_to_rocks(base, c, n); !r) {
        return r;
    }
    return latency_to_rocks(base, c, seconds, rate);
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
