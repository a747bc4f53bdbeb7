#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/named_type.h"
#include "base/result.h"

namespace mdsp::bus {

inline constexpr std::string_view ticks_topic = "market.ticks";
inline constexpr std::string_view candles_topic = "market.candles";
inline constexpr std::string_view deadletter_topic = "market.deadletter";

// The names of mdsp's three topics. The local log always has the plain ones;
// on Kafka a prefix (kafka.topic_prefix) lets several pipelines, or tests,
// share one cluster without seeing each other's records.
struct topic_names {
    std::string ticks{ticks_topic};
    std::string candles{candles_topic};
    std::string deadletter{deadletter_topic};

    static topic_names with_prefix(std::string_view prefix) {
        std::string p(prefix);
        return {p + std::string(ticks_topic), p + std::string(candles_topic),
                p + std::string(deadletter_topic)};
    }
};

enum class errc {
    unknown_topic = 1,
    unknown_partition,
    offset_out_of_range,
    queue_full,
    closed,
    io_error,
    corrupt,
    config,
    rebalance, // the group is rebalancing, or no coordinator answers now (Kafka): retry the commit later
    refused,   // the brokers refused the credentials or the TLS handshake failed (Kafka)
};

// One consumed record. The views point into the poll_result that holds it and
// stay valid until that poll_result is cleared or reused.
struct record_view {
    partition_id partition;
    mdsp::offset offset;
    int64_t timestamp_ms = 0;
    std::string_view key;
    std::string_view value;
};

// What one consumer::poll() returns: records in offset order per partition.
struct poll_result {
    std::vector<record_view> records;
    std::vector<std::string> storage; // owns the bytes the views point into

    void clear() {
        records.clear();
        storage.clear();
    }
};

using offsets = std::vector<std::pair<partition_id, mdsp::offset>>;

// Kafka's default partitioner: murmur2(key) & 0x7fffffff mod n, so our
// partitions agree with every Kafka client's.
partition_id partition_for(std::string_view key, int32_t partitions) noexcept;
uint32_t murmur2(std::string_view key) noexcept;

// Writes records to topics. Owned by one thread at a time; send() may block
// when the queue is full (back-pressure), it never drops.
class producer {
public:
    virtual ~producer() = default;
    // Queues one record. The partition is partition_for(key) unless given.
    virtual result<void> send(std::string_view topic, std::string_view key, std::string_view value,
                              int64_t timestamp_ms, std::optional<partition_id> partition = std::nullopt) = 0;
    // Returns once every record sent so far is acknowledged (durable in the
    // local log per its fsync policy, or acked by the brokers).
    virtual result<void> flush() = 0;
    // flush() without waiting: mark() stands for every record sent so far,
    // and delivered(mark) tells, at once, whether each of them is
    // acknowledged (a failed delivery is returned as flush() returns it). A
    // caller that must not stop for the brokers, e.g. a process stage
    // ordering its offset commit after its candles, polls delivered().
    // Without an own implementation delivered() is a flush().
    virtual uint64_t mark() { return 0; }
    virtual result<bool> delivered(uint64_t /*mark*/) {
        if (auto r = flush(); !r) {
            return r.error();
        }
        return true;
    }
    virtual result<int32_t> partition_count(std::string_view topic) = 0;
};

// Called on the polling thread when a group rebalance changes what this
// consumer owns. on_revoked runs before the partitions are taken away: flush
// and commit there.
struct rebalance_listener {
    std::function<void(const std::vector<partition_id>&)> on_assigned;
    std::function<void(const std::vector<partition_id>&)> on_revoked;
};

// Reads records from partitions of one topic. Owned by one thread.
class consumer {
public:
    virtual ~consumer() = default;
    // Takes these partitions, each starting at the offset given (the log start
    // when that offset is below it).
    virtual result<void> assign(std::string_view topic, const offsets& start) = 0;
    // Joins the consumer group for the topic; the local bus owns every
    // partition at once and calls on_assigned on the first poll.
    virtual result<void> subscribe(std::string_view topic, rebalance_listener listener) = 0;
    virtual result<void> seek(partition_id p, mdsp::offset o) = 0;
    // Appends up to max_records to out, waiting at most timeout for the first.
    // Every record appended was read under the assignment in force when poll
    // returns: a rebalance inside the call (the listener runs there) drops
    // what was read before it, which the partitions' new owners read again.
    virtual result<void> poll(poll_result& out, size_t max_records, std::chrono::milliseconds timeout) = 0;
    // Commits, for each partition, the offset of the next record to read.
    virtual result<void> commit(const offsets& next) = 0;
    // commit() without waiting for the coordinator's answer. A commit that
    // failed is returned by the next commit_async() or commit() call, with
    // errc::rebalance when committing again later is all it takes;
    // commit_async({}) only returns such a failure. Without an own
    // implementation it is commit().
    virtual result<void> commit_async(const offsets& next) { return commit(next); }
    virtual result<std::optional<mdsp::offset>> committed(partition_id p) = 0;
    // The offset the next appended record will get (the high watermark).
    virtual result<mdsp::offset> end_offset(partition_id p) = 0;

    // Every later commit() carries this as its metadata (Kafka's commit
    // metadata string: which replica committed). The local bus keeps none.
    virtual void set_commit_metadata(std::string /*md*/) {}
    // The committed offset of p with its metadata; nullopt when none.
    virtual result<std::optional<std::pair<mdsp::offset, std::string>>>
    committed_with_metadata(partition_id p) {
        auto c = committed(p);
        if (!c) {
            return c.error();
        }
        if (!*c) {
            return std::optional<std::pair<mdsp::offset, std::string>>();
        }
        return std::optional(std::pair{**c, std::string()});
    }
    // Records of the owned partitions not read yet, as last measured (also
    // exported per partition as mdsp_consumer_lag{topic,partition}); nullopt
    // before the first measurement.
    virtual std::optional<int64_t> lag() { return std::nullopt; }
    // Leaves the group (on_revoked runs for what is owned). Idempotent.
    virtual void close() {}
};

} // namespace mdsp::bus

MDSP_DECLARE_ERRC(mdsp::bus)
