#pragma once

#include <chrono>
#include <memory>
#include <mutex>

#include "bus/kafka.h"
#include "http/topics.h"

namespace mdsp::bus {

// The Topics view (issue 15) over Apache Kafka, for mdsp up/serve/process
// --kafka: topics and partitions (leader, replicas, ISR) from the cluster's
// metadata, start and end offsets from ListOffsets, time -> offset from the
// brokers' time index (rd_kafka_offsets_for_times), consumer groups with
// their members, assignments, committed offsets and lag through the Admin
// API, and one partition's records read by a consumer of its own that is
// assigned for one page and unassigned after it. Sizes are left unknown:
// librdkafka (2.12.1 included) has no DescribeLogDirs.
//
// Every call waits at most the timeout given to open() (a read, its
// request's timeout); a page holds at most the request's limit of records
// and about its max_read_bytes (librdkafka's prefetch is capped to that).
// It never commits: the reading consumer's group id is only a name.
//
// Threads: every method is thread-safe; the HTTP workers call it
// concurrently. Metadata and admin calls share one client handle (librdkafka
// handles are thread-safe); reads take turns on the one reading consumer.
class kafka_topics final : public http::topics::source {
public:
    static result<std::unique_ptr<kafka_topics>> open(const kafka_config& cfg,
                                                      std::chrono::milliseconds timeout);
    ~kafka_topics() override;
    kafka_topics(const kafka_topics&) = delete;
    kafka_topics& operator=(const kafka_topics&) = delete;

    std::string_view kind() const override { return "kafka"; }
    // Kafka's own topics (__consumer_offsets, ...) are left out of the list.
    result<std::vector<http::topics::topic_info>> list_topics() override;
    result<http::topics::topic_info> describe_topic(std::string_view name) override;
    // At most max_groups groups, by id.
    result<std::vector<http::topics::group_info>> list_groups() override;
    result<std::vector<http::topics::message>> read(const http::topics::read_request& r) override;
    result<int64_t> offset_for_time(std::string_view topic, int32_t partition, int64_t ts_ms) override;

    static constexpr size_t max_groups = 100;

    struct impl;

private:
    explicit kafka_topics(std::unique_ptr<impl> i);
    std::unique_ptr<impl> _impl;
};

} // namespace mdsp::bus
