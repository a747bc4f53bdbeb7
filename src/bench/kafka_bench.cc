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
#include <functional>
#include <optional>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "bench/bench.h"
#include "bench/kafka_rig.h"
#include "bench/kafka_tools.h"
#include "bench/stats.h"
#include "bus/kafka.h"
#include "model/framing.h"
#include "pipeline/errc.h"
#include "store/rocks_store.h"

namespace mdsp::bench {

namespace {

// Rounds of each client pair, alternating which goes first: a broker warms
// up (JIT, page cache) during the first runs, so a fixed order would favour
// whoever runs second. Each side's median is compared.
constexpr int rounds = 3;

struct pair_figures {
    std::vector<double> ours; // records/s of each round
    std::vector<double> java;
};

void print_rounds(const pair_figures& f, const char* goal_label) {
    for (size_t i = 0; i < f.ours.size(); ++i) {
        std::printf("            round %zu (%s first): mdsp %9.0f, Java %9.0f records/s, ratio %.2f\n", i + 1,
                    i % 2 == 0 ? "mdsp" : "Java", f.ours[i], i < f.java.size() ? f.java[i] : 0.0,
                    i < f.java.size() && f.java[i] > 0 ? f.ours[i] / f.java[i] : 0.0);
    }
    if (f.java.empty()) {
        return;
    }
    double ours = median(f.ours);
    double java = median(f.java);
    std::printf("            %s: median mdsp/median Java %.2f (goal >= 1.0 -> %s)\n", goal_label, ours / java,
                ours >= java ? "met" : "NOT met");
}

// Runs `rounds` of ours() and java(), java() first in the even ones (not
// at all on the mock); java()'s first failure stops its runs and is kept.
result<pair_figures> run_rounds(const bench_cluster& c, const std::function<result<double>()>& ours,
                                const std::function<result<double>()>& java,
                                std::optional<error>& java_failed) {
    pair_figures f;
    auto run_java = [&] {
        if (c.mock || java_failed) {
            return;
        }
        if (auto j = java()) {
            f.java.push_back(*j);
        } else {
            java_failed = j.error();
        }
    };
    for (int i = 0; i < (c.mock ? 1 : rounds); ++i) {
        if (i % 2 == 1) {
            run_java();
        }
        auto o = ours();
        if (!o) {
            return o.error();
        }
        f.ours.push_back(*o);
        if (i % 2 == 0) {
            run_java();
        }
    }
    return f;
}

// a. Our producer, Avro encoding included, beside ProducerPerformance.
struct produce_figures {
    size_t n = 0;
    size_t avg = 0; // bytes per value
};

result<double> produce_ours(bench_cluster& c, size_t n, size_t* bytes) {
    auto prod = bus::kafka_producer::open(c.producer_config());
    if (!prod) {
        return prod.error();
    }
    *bytes = 0;
    int64_t t0 = mono_nanos();
    if (auto r = produce_ticks(**prod, c.prefix + "mdsp", n, bytes); !r) {
        return r.error();
    }
    return static_cast<double>(n) / seconds_since(t0);
}

result<produce_figures> produce_phase(bench_cluster& c, size_t n) {
    produce_figures f;
    f.n = n;
    std::optional<error> java_failed;
    auto pf = run_rounds(
        c,
        [&]() -> result<double> {
            size_t bytes = 0;
            auto r = produce_ours(c, n, &bytes);
            f.avg = bytes / n; // the first round is ours: the Java records get this size
            return r;
        },
        [&]() -> result<double> {
            auto j = producer_performance(c.paths, c.brokers, c.prefix + "java", static_cast<int64_t>(n),
                                          f.avg, c.producer);
            return j ? result<double>(j->records_per_s) : result<double>(j.error());
        },
        java_failed);
    if (!pf) {
        return pf.error();
    }
    std::printf(
        "          produce, %zu records of %zu B, 8 partitions, acks=all, idempotent, %s, linger.ms=%d, "
        "batch.size=%d;\n"
        "          mdsp: Avro-encoded ticks, key = symbol; Java: Kafka's ProducerPerformance, random "
        "bytes, no key:\n",
        n, f.avg, c.producer.compression.c_str(), c.producer.linger_ms, c.producer.batch_bytes);
    print_rounds(*pf, "producer");
    if (java_failed) {
        std::printf("            Kafka ProducerPerformance: %s\n", java_failed->what().c_str());
    }
    return f;
}

// b. Our consumer, Avro decoding included, beside ConsumerPerformance on the same topic.
result<double> consume_ours(bench_cluster& c, size_t n, size_t* bad) {
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
        return r.error();
    }
    size_t got = 0;
    bus::poll_result pr;
    int64_t t0 = mono_nanos();
    for (int idle = 0; got < n && idle < 100;) {
        pr.clear();
        if (auto r = (*cons)->poll(pr, 8192, std::chrono::milliseconds(100)); !r) {
            return r.error();
        }
        idle = pr.records.empty() ? idle + 1 : 0;
        for (const auto& rec : pr.records) {
            *bad += model::decode_framed_tick(rec.value) ? 0 : 1;
        }
        got += pr.records.size();
    }
    double secs = seconds_since(t0);
    (*cons)->close();
    if (got < n) {
        return make_error(pipeline::errc::io_error, "the bench's consumer read {} of {} records", got, n);
    }
    return static_cast<double>(got) / secs;
}

result<void> consume_phase(bench_cluster& c, const produce_figures& pf) {
    size_t bad = 0;
    std::optional<error> java_failed;
    int java_runs = 0;
    auto f = run_rounds(
        c, [&] { return consume_ours(c, pf.n, &bad); },
        [&]() -> result<double> {
            auto j = consumer_performance(c.paths, c.brokers, c.prefix + "mdsp",
                                          fmt::format("{}java-consume-{}", c.prefix, java_runs++),
                                          static_cast<int64_t>(pf.n));
            return j ? result<double>(j->fetch_records_per_s) : result<double>(j.error());
        },
        java_failed);
    if (!f) {
        return f.error();
    }
    std::printf("          consume %zu records of that topic from offset 0 (%zu undecodable); mdsp: "
                "Avro-decoded, assigned; Java: Kafka's ConsumerPerformance, fetch time (group join left "
                "out):\n",
                pf.n, bad);
    print_rounds(*f, "consumer");
    if (java_failed) {
        std::printf("            Kafka ConsumerPerformance: %s\n", java_failed->what().c_str());
    }
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
    std::printf(
        "          ingest -> Kafka -> candle readable in the store at %.0f ticks/s, %zu ticks after a "
        "%.0f s warm-up: p50 %.1f ms  p99 %.1f ms  p99.9 %.1f ms (goal p99 <= 20 ms -> %s; the "
        "warm-up's p99 %.1f ms; %s)\n",
        rate, f->ticks, latency_warmup_s, f->p50_ms, f->p99_ms, f->p999_ms,
        f->p99_ms <= 20 ? "met" : "NOT met", f->warmup_p99_ms, cores_busy(f->machine_busy).c_str());
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
