#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bus/bus.h"

// The distributed bus: producer and consumer over Apache Kafka (or any Kafka
// protocol peer) through librdkafka.
namespace mdsp::bus {

struct kafka_config {
    std::string brokers; // bootstrap.servers, host:port[,host:port...]
    // Passed to librdkafka as they are, after (and over) our defaults:
    // security.protocol, sasl.*, ssl.*, linger.ms, ... Values are never
    // logged; keys that look secret are shown as *** in errors.
    std::map<std::string, std::string> properties;
    std::string client_id = "mdsp";
};

// One topic mdsp needs, with the shape it creates it with when missing.
struct topic_spec {
    std::string name;
    int32_t partitions = 1;
    int16_t replication_factor = -1; // -1 = the broker's default
    // Topic configuration it is created with (e.g. message.timestamp.type).
    std::map<std::string, std::string> config;
};

// Makes sure the topics exist: those missing are created through the Admin
// API (CreateTopics) when create is true. A missing topic that cannot be
// created (create is false, no permission, a broker without the API) is an
// errc::unknown_topic error that names the topic and says how to create it.
// A topic that exists keeps its partition count (a difference is logged).
// Returns the partition count of each topic, in the order given.
result<std::vector<int32_t>> ensure_topics(const kafka_config& cfg, const std::vector<topic_spec>& topics,
                                           bool create, std::chrono::milliseconds timeout);

// True for librdkafka property names whose values are secrets.
bool is_secret_property(std::string_view name) noexcept;

// The version of the librdkafka mdsp runs with, e.g. "2.12.1".
std::string_view kafka_library_version() noexcept;

struct kafka_producer_config {
    kafka_config kafka;
    // The batching knobs (librdkafka's names); properties override them.
    int linger_ms = 5;
    int batch_bytes = 1 << 20;       // batch.size
    std::string compression = "lz4"; // none | gzip | snappy | lz4 | zstd
    // Longest flush() waits for acknowledgements before it fails: past
    // librdkafka's message.timeout.ms (300 s by default), so that brokers
    // that take minutes to come back (a whole cluster restarting on a
    // loaded machine) hold the source instead of failing it, and a record
    // that cannot be delivered fails with its own reason first.
    std::chrono::milliseconds flush_timeout{310'000};
};

// A Kafka producer: acks=all, enable.idempotence=true (a broker without
// idempotence support fails it with a fatal error that says so; set
// enable.idempotence=false in [kafka.properties] for such a broker), lz4
// compression, batching by linger.ms and batch.size, partition = murmur2 of
// the key like the Java client (murmur2_random). A full local queue makes
// send() serve delivery reports and wait, never drop. Delivery reports
// count into mdsp_kafka_delivered_total{topic,outcome}; a failed delivery is
// kept and returned by a later send() (reports are served every 256 sends
// and whenever the queue is full) or by flush().
//
// Threads: owned by one thread at a time (librdkafka's own threads do the I/O).
class kafka_producer final : public producer {
public:
    static result<std::unique_ptr<kafka_producer>> open(const kafka_producer_config& cfg);
    ~kafka_producer() override;
    kafka_producer(const kafka_producer&) = delete;
    kafka_producer& operator=(const kafka_producer&) = delete;

    result<void> send(std::string_view topic, std::string_view key, std::string_view value,
                      int64_t timestamp_ms, std::optional<partition_id> partition = std::nullopt) override;
    result<void> flush() override;
    uint64_t mark() override;
    result<bool> delivered(uint64_t mark) override;
    result<int32_t> partition_count(std::string_view topic) override;

    // Serves delivery reports without waiting (an idle owner calls it now and then).
    void poll();
    // Records sent and not yet acknowledged.
    int64_t in_flight() const;

    struct impl;

private:
    explicit kafka_producer(std::unique_ptr<impl> i);
    std::unique_ptr<impl> _impl;
};

struct kafka_consumer_config {
    kafka_config kafka;
    std::string group = "mdsp-process";
    // Where a partition without a committed offset starts.
    std::string auto_offset_reset = "earliest";
};

// A Kafka consumer in a consumer group with manual commits
// (enable.auto.commit=false). subscribe() joins the group; the group's
// rebalances call the rebalance_listener on the polling thread inside poll():
// on_revoked before the partitions go (flush and commit there), on_assigned
// before fetching starts (seek() there sets where each partition starts; one
// not sought starts at its committed offset, or auto_offset_reset). assign()
// takes partitions without a group. Consumer lag per partition (high
// watermark minus position) goes to mdsp_consumer_lag{topic,partition}.
//
// Threads: owned by one thread. Destruction leaves the group (revoking).
class kafka_consumer final : public consumer {
public:
    static result<std::unique_ptr<kafka_consumer>> open(const kafka_consumer_config& cfg);
    ~kafka_consumer() override;
    kafka_consumer(const kafka_consumer&) = delete;
    kafka_consumer& operator=(const kafka_consumer&) = delete;

    result<void> assign(std::string_view topic, const offsets& start) override;
    result<void> subscribe(std::string_view topic, rebalance_listener listener) override;
    result<void> seek(partition_id p, mdsp::offset o) override;
    result<void> poll(poll_result& out, size_t max_records, std::chrono::milliseconds timeout) override;
    // Synchronous: returns once the group coordinator has the offsets;
    // errc::rebalance while the group rebalances or no broker answers.
    result<void> commit(const offsets& next) override;
    result<void> commit_async(const offsets& next) override;
    result<std::optional<mdsp::offset>> committed(partition_id p) override;
    result<mdsp::offset> end_offset(partition_id p) override;

    void close() override;
    void set_commit_metadata(std::string md) override;
    result<std::optional<std::pair<mdsp::offset, std::string>>>
    committed_with_metadata(partition_id p) override;
    // The sum of the per-partition lag gauges, updated about once a second by poll().
    std::optional<int64_t> lag() override;
    std::vector<partition_id> assignment() const;

    struct impl;

private:
    explicit kafka_consumer(std::unique_ptr<impl> i);
    std::unique_ptr<impl> _impl;
};

// librdkafka's mock cluster (rdkafka_mock.h): N brokers on loopback speaking
// the Kafka protocol, in this process, with no Java. For tests and users' tests.
class kafka_mock_cluster {
public:
    static result<std::unique_ptr<kafka_mock_cluster>> start(int brokers);
    ~kafka_mock_cluster();
    kafka_mock_cluster(const kafka_mock_cluster&) = delete;
    kafka_mock_cluster& operator=(const kafka_mock_cluster&) = delete;

    // host:port,host:port,... for bootstrap.servers.
    std::string bootstrap() const;
    result<void> create_topic(const std::string& name, int32_t partitions, int32_t replication_factor);
    // The next requests of api_key (Kafka's number, e.g. 8 = OffsetCommit)
    // are answered with these error codes, one each, for failure tests.
    void fail_requests(int16_t api_key, const std::vector<int32_t>& codes);

    struct impl;

private:
    explicit kafka_mock_cluster(std::unique_ptr<impl> i);
    std::unique_ptr<impl> _impl;
};

} // namespace mdsp::bus
