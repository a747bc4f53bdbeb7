#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"

// What `mdsp bench --only kafka` runs beside mdsp: the project's local Kafka
// cluster tool (tests/cluster/kafka_cluster.py) and Apache Kafka's own
// performance tools, from the jars scripts/setup fetches (tests/cluster/lib).
namespace mdsp::bench {

// A command's exit code and what it wrote to stdout and stderr, interleaved.
struct command_output {
    int exit_code = -1;
    std::string text;
};

// Runs args (args[0] looked up in PATH) and waits for it.
result<command_output> run_command(const std::vector<std::string>& args);

// Helpers of the tool runners: $name or otherwise when unset or empty;
// Debian's /usr/bin/python3 (else python3 from PATH); the last line of a
// tool's output; its last n bytes, for an error message.
std::string env_or(const char* name, std::string otherwise);
std::string system_python();
std::string last_line(const std::string& text);
std::string tail(const std::string& text, size_t n = 1500);

// Where the cluster tool and Kafka's jars are: $MDSP_KAFKA_CLUSTER_TOOL, else
// tests/cluster/kafka_cluster.py of the source tree this binary was built
// from; the jars: $MDSP_KAFKA_LIB, else lib/ beside the tool.
struct kafka_paths {
    std::string tool;
    std::string lib;
    static kafka_paths find();
    // An error naming scripts/setup when the jars are not there.
    result<void> check_jars() const;
};

// A 1-node cluster of the project's tool, started in dir and stopped (its
// data removed) by stop() or the destructor. Owned by one thread.
class local_kafka {
public:
    static result<local_kafka> start(const kafka_paths& paths, const std::string& dir);
    local_kafka(local_kafka&& o) noexcept;
    local_kafka& operator=(local_kafka&&) = delete;
    local_kafka(const local_kafka&) = delete;
    local_kafka& operator=(const local_kafka&) = delete;
    ~local_kafka();

    const std::string& bootstrap() const { return _bootstrap; }
    void stop();

private:
    local_kafka(kafka_paths p, std::string dir, std::string bootstrap)
      : _paths(std::move(p))
      , _dir(std::move(dir))
      , _bootstrap(std::move(bootstrap)) {}
    kafka_paths _paths;
    std::string _dir;
    std::string _bootstrap;
};

// The producer settings both producers run with (librdkafka and Java names agree).
struct producer_settings {
    int linger_ms = 5;
    int batch_bytes = 1 << 20;
    std::string compression = "lz4";
};

// ProducerPerformance's summary line.
struct java_produce_figures {
    int64_t records = 0;
    double records_per_s = 0;
    double mb_per_s = 0;
    std::string summary; // the line itself
};

// org.apache.kafka.tools.ProducerPerformance: records of record_size random
// bytes (no key) to topic, acks=all, enable.idempotence=true and settings.
result<java_produce_figures> producer_performance(const kafka_paths& paths, const std::string& brokers,
                                                  const std::string& topic, int64_t records,
                                                  size_t record_size, const producer_settings& settings);

// ConsumerPerformance's CSV line: the whole run, and the fetch time alone
// (without joining the group).
struct java_consume_figures {
    int64_t records = 0;
    double records_per_s = 0;
    double fetch_records_per_s = 0;
    double fetch_mb_per_s = 0;
};

// org.apache.kafka.tools.ConsumerPerformance: reads records from topic in group.
result<java_consume_figures> consumer_performance(const kafka_paths& paths, const std::string& brokers,
                                                  const std::string& topic, const std::string& group,
                                                  int64_t records);

} // namespace mdsp::bench
