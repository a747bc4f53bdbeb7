#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

// What the Topics view (Kafdrop's job in our dashboard) reads, as an
// interface the bus side implements for its log: the embedded log
// (pipeline/topics_local.h) or Kafka. http stays free of the log's and
// librdkafka's types; the routes (http/topics_routes.h) turn these into JSON.
namespace mdsp::http::topics {

enum class errc {
    unknown_topic = 1,   // -> 404 naming the topic
    unknown_partition,   // -> 400 naming the partition parameter
    offset_out_of_range, // -> 400 naming the offset parameter
    unavailable,         // the log or the brokers cannot answer now -> 503
    failed,              // anything else -> 500
};

struct partition_info {
    int32_t id = 0;
    int64_t start_offset = 0; // the first offset still kept
    int64_t end_offset = 0;   // the offset the next record will get
    std::optional<uint64_t> size_bytes;
    // Kafka only: broker ids.
    std::optional<int32_t> leader;
    std::vector<int32_t> replicas;
    std::vector<int32_t> isr;
};

struct topic_info {
    std::string name;
    std::vector<partition_info> partitions;
};

struct group_member {
    std::string id;
    std::string client_id;
    std::string host;
    std::vector<std::pair<std::string, int32_t>> assignment; // (topic, partition)
};

struct group_partition {
    std::string topic;
    int32_t partition = 0;
    std::optional<int64_t> committed; // the next offset the group reads; nullopt = none committed
    int64_t end_offset = 0;
    // end - committed (all of the kept records when nothing is committed).
    int64_t lag = 0;
};

struct group_info {
    std::string id;
    std::string state;    // "Stable", "Empty", ... as the log says; "" when it keeps none
    std::string position; // where the offsets are kept, e.g. "store" or "group coordinator"
    std::vector<group_member> members;
    std::vector<group_partition> offsets;
};

struct header {
    std::string key;
    std::optional<std::string> value;
};

struct message {
    int32_t partition = 0;
    int64_t offset = 0;
    int64_t timestamp_ms = 0;
    std::optional<std::string> key;
    std::optional<std::string> value;
    std::vector<header> headers;
    // The value was longer than the read's max_value_bytes and is cut there.
    bool value_cut = false;
    size_t value_bytes = 0; // its whole length
};

// One bounded read of one partition: the records from `offset` on, at most
// `limit` of them, reading at most about max_read_bytes from the log (one
// batch more when the first batch is larger), each value cut to
// max_value_bytes.
struct read_request {
    std::string topic;
    int32_t partition = 0;
    int64_t offset = 0;
    size_t limit = 1;
    size_t max_read_bytes = size_t{1} << 20;
    size_t max_value_bytes = size_t{64} << 10;
    std::chrono::milliseconds timeout{5000};
};

// Where the Topics routes read from. Every call is bounded (a page, a
// timeout) and thread-safe: the HTTP workers call it concurrently.
class source {
public:
    virtual ~source() = default;
    // "embedded" or "kafka".
    virtual std::string_view kind() const = 0;
    virtual result<std::vector<topic_info>> list_topics() = 0;
    // errc::unknown_topic when there is no such topic.
    virtual result<topic_info> describe_topic(std::string_view name) = 0;
    virtual result<std::vector<group_info>> list_groups() = 0;
    // The records [offset, ...) of one partition, in offset order; fewer
    // than limit at the end of the partition. An offset below the start or
    // beyond the end is errc::offset_out_of_range.
    virtual result<std::vector<message>> read(const read_request& r) = 0;
    // The first offset whose timestamp is at or after ts_ms; the end offset
    // when none is.
    virtual result<int64_t> offset_for_time(std::string_view topic, int32_t partition, int64_t ts_ms) = 0;
};

// The schema text of a registry id, or nullopt when the registry has none.
using schema_lookup = std::function<std::optional<std::string>(int32_t id)>;

} // namespace mdsp::http::topics

MDSP_DECLARE_ERRC(mdsp::http::topics)
