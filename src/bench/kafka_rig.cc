#include "bench/kafka_rig.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <thread>

#include <fmt/format.h>
#include <unistd.h>

#include "bench/stats.h"
#include "model/framing.h"
#include "pipeline/errc.h"
#include "pipeline/process_stage.h"

namespace mdsp::bench {

const std::vector<std::string> bench_symbols{"BTC/USD", "ETH/USD", "AAPL", "MSFT",    "EUR/USD",
                                             "GBP/USD", "TSLA",    "NVDA", "SOL/USD", "XRP/USD"};

model::tick tick_maker::next(int64_t event_us) {
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

bench_cluster::bench_cluster()
  : prefix(fmt::format("mdsp-bench-{}.", getpid())) {}

bus::kafka_config bench_cluster::kafka() const {
    return bus::kafka_config{brokers, properties, "mdsp-bench"};
}

bus::kafka_producer_config bench_cluster::producer_config() const {
    bus::kafka_producer_config pc;
    pc.kafka = kafka();
    pc.linger_ms = producer.linger_ms;
    pc.batch_bytes = producer.batch_bytes;
    pc.compression = producer.compression;
    return pc;
}

result<void> bench_cluster::make_topics(const std::vector<std::string>& names) {
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

namespace {

// A processing stage as `mdsp process` runs it: its own group, store and
// topics (prefix + "market.*"), its folder removed at the end.
struct stage_rig {
    config cfg;
    std::unique_ptr<store::store> st;
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
                                              const std::string& prefix, const store_opener& open,
                                              std::vector<int64_t>* latencies) {
    auto rig = std::make_unique<stage_rig>();
    rig->cfg = base;
    rig->cfg.data_dir =
        (std::filesystem::path(base.data_dir) / fmt::format("bench-kafka-{}-{}", getpid(), prefix)).string();
    std::filesystem::remove_all(rig->cfg.data_dir);
    rig->cfg.kafka.brokers = c.brokers;
    rig->cfg.kafka.group = prefix + "process";
    rig->cfg.kafka.topic_prefix = prefix;
    rig->cfg.kafka.properties = c.properties;
    auto st = open(rig->cfg.data_dir);
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

result<void> make_stage_topics(bench_cluster& c, const std::string& name) {
    return c.make_topics({name + ".market.ticks", name + ".market.candles", name + ".market.deadletter"});
}

// Steps the stage until it wrote `want` ticks, 10 s pass without progress,
// or 5 minutes in all; then writes what is pending.
result<void> drain(pipeline::process_stage& proc, uint64_t want) {
    int64_t deadline = mono_nanos() + 300'000'000'000LL;
    for (int64_t progress = mono_nanos(); proc.ticks_processed() < want && mono_nanos() < deadline
                                          && mono_nanos() - progress < 10'000'000'000LL;) {
        uint64_t had = proc.ticks_processed();
        if (auto r = proc.step(std::chrono::milliseconds(20)); !r) {
            return r.error();
        }
        progress = proc.ticks_processed() > had ? mono_nanos() : progress;
    }
    return proc.commit();
}

} // namespace

result<stage_figures> stage_phase(const config& base, bench_cluster& c, const stage_run& run,
                                  const store_opener& open) {
    const std::string prefix = c.prefix + run.name + ".";
    const std::string topic = prefix + "market.ticks";
    if (auto r = make_stage_topics(c, run.name); !r) {
        return r.error();
    }
    auto prod = bus::kafka_producer::open(c.producer_config());
    if (!prod) {
        return prod.error();
    }
    stage_figures f;
    size_t bytes = 0;
    if (!run.ingest_meanwhile) {
        int64_t p0 = mono_nanos();
        if (auto r = produce_ticks(**prod, topic, run.ticks, &bytes); !r) {
            return r.error();
        }
        f.produce_s = seconds_since(p0);
    }
    // Timed from the start, group join included: librdkafka prefetches
    // while the stage joins, so a clock started after the join flatters it.
    int64_t t0 = mono_nanos();
    auto rig = open_stage(base, c, prefix, open, nullptr);
    if (!rig) {
        return rig.error();
    }
    auto& proc = *(*rig)->proc;
    f.join_s = seconds_since(t0);
    const uint64_t writes0 = proc.probe().store_writes().value();
    const double write_s0 = proc.probe().write_latency().sum();
    std::optional<result<void>> produced;
    std::thread feeder;
    if (run.ingest_meanwhile) {
        f.join_s = 0;
        t0 = mono_nanos();
        feeder = std::thread([&, p = prod->get()] {
            int64_t p0 = mono_nanos();
            produced = produce_ticks(*p, topic, run.ticks, &bytes);
            f.produce_s = seconds_since(p0);
        });
    }
    auto drained = drain(proc, run.ticks);
    f.seconds = seconds_since(t0);
    f.done = proc.ticks_processed();
    f.store_writes = proc.probe().store_writes().value() - writes0;
    f.store_write_s = proc.probe().write_latency().sum() - write_s0;
    if (feeder.joinable()) {
        feeder.join();
        if (!*produced) {
            return produced->error();
        }
    }
    if (!drained) {
        return drained.error();
    }
    return f;
}

std::string cores_busy(double share) {
    if (share < 0) {
        return "the machine's load unknown";
    }
    return fmt::format("the {} cores {:.0f}% busy", std::thread::hardware_concurrency(), share * 100);
}

result<latency_figures> latency_phase(const config& base, bench_cluster& c, const std::string& name,
                                      double seconds, double rate, const store_opener& open) {
    const std::string prefix = c.prefix + name + ".";
    if (auto r = make_stage_topics(c, name); !r) {
        return r.error();
    }
    auto prod = bus::kafka_producer::open(c.producer_config());
    if (!prod) {
        return prod.error();
    }
    std::vector<int64_t> lat;
    lat.reserve(static_cast<size_t>(rate * (latency_warmup_s + seconds + 2)));
    auto rig = open_stage(base, c, prefix, open, &lat);
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
    const uint64_t writes0 = proc.probe().store_writes().value();
    const double write_s0 = proc.probe().write_latency().sum();
    const int64_t begin = mono_nanos();
    const int64_t measured = begin + static_cast<int64_t>(latency_warmup_s * 1e9);
    int64_t end = begin + static_cast<int64_t>((latency_warmup_s + seconds) * 1e9);
    std::optional<cpu_times> cpu0;
    result<void> out = ok();
    while (mono_nanos() < end && !failed.load()) {
        if (!cpu0 && mono_nanos() >= measured) {
            cpu0 = cpu_times::now();
        }
        if (auto r = proc.step(std::chrono::milliseconds(20)); !r) {
            out = r.error();
            break;
        }
    }
    const double elapsed = seconds_since(begin);
    const double busy = cpu0 ? busy_share(*cpu0, cpu_times::now()) : -1;
    const uint64_t writes = proc.probe().store_writes().value() - writes0;
    const double write_s = proc.probe().write_latency().sum() - write_s0;
    stop = true;
    feeder.join();
    if (failed.load()) {
        return make_error(pipeline::errc::io_error, "the latency phase's producer failed");
    }
    if (!out) {
        return out.error();
    }
    // Ticks reach the store about in the order they were offered, at `rate`.
    size_t skip = std::min(lat.size(), static_cast<size_t>(rate * latency_warmup_s));
    std::vector<int64_t> warm(lat.begin(), lat.begin() + static_cast<long>(skip));
    std::vector<int64_t> v(lat.begin() + static_cast<long>(skip), lat.end());
    latency_figures f;
    f.warmup_p99_ms = percentile(warm, 0.99) / 1000.0;
    f.written_per_s = static_cast<double>(lat.size()) / elapsed;
    f.written = lat.size();
    f.store_writes = writes;
    f.store_write_s = write_s;
    f.ticks = v.size();
    f.p50_ms = percentile(v, 0.5) / 1000.0;
    f.p99_ms = percentile(v, 0.99) / 1000.0;
    f.p999_ms = percentile(v, 0.999) / 1000.0;
    f.machine_busy = busy;
    return f;
}

} // namespace mdsp::bench
