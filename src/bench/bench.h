#pragma once

#include <string>

#include "pipeline/config.h"

// `mdsp bench`: every benchmark phase, each beside a baseline measured in the
// same run where one exists. Figures only: nothing here asserts a timing.
namespace mdsp::bench {

using pipeline::config;

struct options {
    double seconds = 5;
    double latency_rate = 50'000;
    // Comma-separated subset of pipeline,latency,engine,log,twelvedata,
    // universe,kafka,cassandra; empty = all but universe, kafka and cassandra
    // (which run only when named: they take minutes).
    std::string only;
    size_t universe_ticks = 1'000'000;
    // The kafka phase's cluster: bootstrap servers; "mock" for librdkafka's
    // mock cluster in this process; "" = a 1-node Apache Kafka started (and
    // stopped) with tests/cluster/kafka_cluster.py.
    std::string kafka;
    // The cassandra phase's cluster: cassandra://HOST[,HOST][:PORT]/KEYSPACE
    // (keyspaces KEYSPACE_<pid>_* are made there and dropped; the password
    // from MDSP_CASSANDRA_PASSWORD); "" = a 1-node Apache Cassandra started
    // (and stopped) with tests/cluster/cassandra_cluster.py. Its cluster
    // path phases use the Kafka of `kafka`.
    std::string cassandra;
};

// Runs the phases; 0 when every phase ran.
int run(const config& cfg, const options& opts);

// The phases that live in their own files.
int bench_kafka(const config& cfg, const std::string& kafka, double seconds, double rate);
int bench_cassandra(const config& cfg, const std::string& cassandra, const std::string& kafka, double seconds,
                    double rate);
int bench_twelvedata(const std::string& dir, double seconds);
int bench_universe(const config& cfg, size_t ticks);

} // namespace mdsp::bench
