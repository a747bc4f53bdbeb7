#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/metrics.h"
#include "bus/bus.h"
#include "log/log.h"

// The local bus: producer and consumer over an in-process log::log. The log
// is shared by reference and must outlive every producer and consumer.
namespace mdsp::bus {

struct local_producer_config {
    // A partition's batch is appended when it holds this many records ...
    size_t batch_max_records = 4096;
    // ... or this many bytes (capped by the log's max_batch_bytes) ...
    size_t batch_max_bytes = 1u << 20;
    // ... or its first record has waited this long. There is no background
    // thread: send() and poll_linger() check it, so at low rates the owner
    // calls poll_linger() when linger_deadline() passes (or flush()). 0 =
    // every send() appends at once (lowest latency, one batch per record).
    std::chrono::microseconds linger{1000};
    // Partitions of a topic created on first use.
    int32_t default_partitions = 4;
};

// Accumulates records per partition into RecordBatch v2 batches (encoded as
// they are sent, into buffers reused across batches) and appends them to the
// log. Memory is bounded by partitions x batch_max_bytes; send() never drops:
// a full batch is appended before the record is added.
//
// Threads: owned by one thread at a time; the log it writes to may be shared
// with consumers and other producers. Destruction flushes.
class local_producer final : public producer {
public:
    explicit local_producer(log::log& l, local_producer_config cfg = {});
    ~local_producer() override;
    local_producer(const local_producer&) = delete;
    local_producer& operator=(const local_producer&) = delete;

    result<void> send(std::string_view topic, std::string_view key, std::string_view value,
                      int64_t timestamp_ms, std::optional<partition_id> partition = std::nullopt) override;
    result<void> flush() override;
    // Creates the topic with default_partitions when it does not exist.
    result<int32_t> partition_count(std::string_view topic) override;

    // Appends every batch whose first record has waited at least the linger.
    // Cheap when none has; an event loop calls it when linger_deadline() passes.
    result<void> poll_linger();
    // When the oldest pending batch's linger runs out; nullopt when nothing is pending.
    std::optional<std::chrono::steady_clock::time_point> linger_deadline() const;

private:
    struct pending {
        log::partition* part = nullptr;
        log::batch_builder batch;
        int64_t first_ns = 0; // mono_nanos() of the first record in batch
        explicit pending(size_t max_bytes)
          : batch(max_bytes) {}
    };
    struct topic_state {
        std::string name;
        std::vector<std::unique_ptr<pending>> parts;
        metrics::counter* sent = nullptr;
    };
    struct string_hash {
        using is_transparent = void;
        size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
    };

    result<topic_state*> state_for(std::string_view topic);
    result<void> append(topic_state& t, pending& p);
    result<void> sweep_linger(int64_t now_ns);

    log::log& _log;
    local_producer_config _cfg;
    size_t _batch_bytes;
    std::unordered_map<std::string, std::unique_ptr<topic_state>, string_hash, std::equal_to<>> _topics;
    topic_state* _last = nullptr;   // the topic of the previous send(), looked up without hashing
    int64_t _oldest_ns = INT64_MAX; // first_ns of the oldest pending batch (a lower bound)
};

struct local_consumer_config {
    // The consumer group whose offsets commit()/committed() keep, under
    // <data_dir>/__consumer_offsets/<group>/; empty = no commits.
    std::string group;
    // Bytes read from the log per poll (at least one batch is always read).
    size_t max_poll_bytes = 4u << 20;
    // Partitions of a topic created by subscribe() or assign().
    int32_t default_partitions = 4;
};

// Reads one topic from the log. subscribe() owns every partition (a local
// "group" of one) starting at the group's committed offsets, or the log
// start; assign() takes the partitions and offsets given. poll() blocks on
// the topic's append notifier. Batches are CRC-checked as they are decoded;
// control batches are skipped. A position that retention has deleted moves
// to the log start, with a warning.
//
// Threads: owned by one thread; the log may be shared.
class local_consumer final : public consumer {
public:
    explicit local_consumer(log::log& l, local_consumer_config cfg = {});
    local_consumer(const local_consumer&) = delete;
    local_consumer& operator=(const local_consumer&) = delete;

    result<void> assign(std::string_view topic, const offsets& start) override;
    result<void> subscribe(std::string_view topic, rebalance_listener listener) override;
    // An offset below the log start is moved to it; above the end is errc::offset_out_of_range.
    result<void> seek(partition_id p, mdsp::offset o) override;
    result<void> poll(poll_result& out, size_t max_records, std::chrono::milliseconds timeout) override;
    // Durable: each offset is written to its file with write-temp + fsync + rename.
    result<void> commit(const offsets& next) override;
    result<std::optional<mdsp::offset>> committed(partition_id p) override;
    result<mdsp::offset> end_offset(partition_id p) override;
    // The log end minus the read position over the assigned partitions, also
    // set in mdsp_consumer_lag{topic,partition}.
    std::optional<int64_t> lag() override;

    // The offset poll() reads next from p.
    result<mdsp::offset> position(partition_id p) const;
    std::vector<partition_id> assignment() const;

private:
    struct assigned {
        log::partition* part = nullptr;
        mdsp::offset position;
    };

    result<log::topic*> open_topic(std::string_view topic);
    result<mdsp::offset> clamp(const log::partition& p, mdsp::offset o) const;
    // Reads what is there without waiting; returns records added.
    result<size_t> fetch(poll_result& out, size_t max_records);
    std::filesystem::path offset_file(partition_id p) const;

    log::log& _log;
    local_consumer_config _cfg;
    log::topic* _topic = nullptr;
    std::map<int32_t, assigned> _assigned;
    size_t _next_rr = 0; // partition to read first next time, for fairness
    std::optional<rebalance_listener> _pending_assign;
    metrics::counter* _polled = nullptr;
};

// One group's committed offset of one partition, as a local_consumer keeps it.
struct local_committed {
    std::string group;
    std::string topic;
    partition_id partition;
    mdsp::offset next;
};
// The committed offsets of every group in the log's directory (the Topics
// view's groups), at most max_entries of them, sorted. Files that are not
// offsets are skipped.
result<std::vector<local_committed>> local_committed_offsets(const log::log& l, size_t max_entries = 10'000);

// The log's errors as bus errors, message kept.
mdsp::error to_bus_error(const mdsp::error& e);

} // namespace mdsp::bus
