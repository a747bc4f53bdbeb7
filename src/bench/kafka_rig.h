#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/time.h"
#include "bench/bench.h"
#include "bench/kafka_tools.h"
#include "bus/kafka.h"
#include "model/tick.h"
#include "store/store.h"

// What the bench phases on a Kafka cluster share (`--only kafka`, `--only
// cassandra`): the cluster, ticks as the ingest stage sends them, and a
// processing stage as `mdsp process` runs it, from the cluster into any
// store. One thread uses each of these.
namespace mdsp::bench {

extern const std::vector<std::string> bench_symbols;
constexpr int32_t bench_partitions = 8;

inline double seconds_since(int64_t t0_ns) {
    return static_cast<double>(mono_nanos() - t0_ns) / 1e9;
}

// Ticks of the bench symbols in turn, prices on a random walk (seed 42).
struct tick_maker {
    std::mt19937_64 rng{42};
    std::vector<double> price = std::vector<double>(bench_symbols.size(), 100.0);
    int64_t seq = 0;
    model::tick next(int64_t event_us);
};

// Where the run happens: the brokers, the cluster started for it (if any),
// the settings every client of mdsp gets.
struct bench_cluster {
    std::string brokers;
    std::optional<local_kafka> local;
    std::unique_ptr<bus::kafka_mock_cluster> mock;
    kafka_paths paths = kafka_paths::find();
    std::map<std::string, std::string> properties; // [kafka.properties]
    std::string prefix;                            // of every topic of the run: mdsp-bench-<pid>.
    producer_settings producer;

    bench_cluster();
    bus::kafka_config kafka() const;
    bus::kafka_producer_config producer_config() const;
    // The bench's topics, all under its own prefix: several runs, or a
    // user's pipeline, can share the cluster.
    result<void> make_topics(const std::vector<std::string>& names);
};

// kafka: bootstrap servers; "mock" for librdkafka's mock cluster; "" for a
// 1-node Apache Kafka started with the project's tool (stopped with c).
result<void> open_cluster(const config& base, const std::string& kafka, bench_cluster& c);

// n ticks from tick_maker, Avro-framed and keyed by symbol as the ingest
// stage sends them, event times 100 us apart; then a flush.
result<void> produce_ticks(bus::kafka_producer& prod, const std::string& topic, size_t n, size_t* bytes);

// Opens the store a stage writes to; data_dir is the stage's own folder
// (removed at the end), for a store that lives in one.
using store_opener = std::function<result<std::unique_ptr<store::store>>(const std::string& data_dir)>;

// A processing stage from name.market.ticks (8 partitions) into a store.
struct stage_run {
    std::string name; // topics <prefix><name>.market.*, unique in a run
    size_t ticks = 0;
    // false: the ticks are in the topic before the stage starts (a backlog),
    // and the clock includes the group join. true: the stage joins first,
    // then a producer thread sends the ticks as fast as it can while the
    // stage processes them: ingest -> Kafka -> process -> store at once.
    bool ingest_meanwhile = false;
};

struct stage_figures {
    uint64_t done = 0;         // ticks the stage wrote
    double seconds = 0;        // the timed part (see stage_run)
    double join_s = 0;         // of it, joining the group (backlog only)
    double produce_s = 0;      // the producer's time for all the ticks
    uint64_t store_writes = 0; // the stage's store writes
    double store_write_s = 0;  // and the time they took
    double ticks_per_s() const { return seconds > 0 ? static_cast<double>(done) / seconds : 0; }
};
result<stage_figures> stage_phase(const config& base, bench_cluster& c, const stage_run& run,
                                  const store_opener& open);

// Ticks at a fixed rate through name.market.ticks into the stage, for
// seconds (+1): ingest time -> written to the store, in ms, the first
// second left out (warming up).
struct latency_figures {
    size_t ticks = 0; // measured, after the warm-up
    double p50_ms = 0, p99_ms = 0, p999_ms = 0;
    double warmup_p99_ms = 0; // of the warm-up's ticks, left out of the above
    // Ticks written to the store per second over the whole run: below the
    // offered rate, the stage did not keep up and the latencies are queueing.
    double written_per_s = 0;
    size_t written = 0;        // ticks written, the warm-up's too
    uint64_t store_writes = 0; // the stage's store writes
    double store_write_s = 0;  // and the time they took
    // The share of the machine's cores busy while the measured ticks went
    // through (0..1; -1 unknown): near 1, every process waits for a core
    // and the latencies are mostly that wait.
    double machine_busy = -1;
};
// The path at `rate` ticks/s for latency_warmup_s and then `seconds`: only
// the ticks after the warm-up are measured. A just-started broker (or
// Cassandra node) compiles its request paths for several seconds: at
// 50,000 ticks/s on the 2-core machine the p50 falls from about 10 ms in
// the first second to about 5 ms after 8, and users' brokers run warm.
constexpr double latency_warmup_s = 8;
// "the 2 cores 97% busy": latency_figures::machine_busy for a reader.
std::string cores_busy(double share);
result<latency_figures> latency_phase(const config& base, bench_cluster& c, const std::string& name,
                                      double seconds, double rate, const store_opener& open);

} // namespace mdsp::bench
