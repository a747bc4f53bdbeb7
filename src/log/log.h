#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/named_type.h"
#include "base/result.h"
#include "log/config.h"
#include "log/errc.h"
#include "log/partition.h"
#include "log/record_batch.h"

// The durable partitioned log: topics of partitions of segments holding Kafka
// RecordBatch v2 bytes. Layout under the data directory:
//   __topics/<topic>                    "partitions=N" (the topic's metadata)
//   <topic>-<n>/<20-digit base>.log     segments
//   <topic>-<n>/<20-digit base>.index   sparse offset index
//   .lock                               flock(2): one process per directory
namespace mdsp::log {

// A topic: a fixed set of partitions and a notifier that fires on every
// append to any of them. Owned by the log; valid until the log is destroyed.
class topic {
public:
    topic(std::string name, std::vector<std::unique_ptr<partition>> parts);
    const std::string& name() const noexcept { return _name; }
    int32_t partition_count() const noexcept { return int32_t(_parts.size()); }
    // nullptr when p is out of range.
    partition* get(partition_id p) const noexcept;
    append_notifier& notifier() noexcept { return *_notifier; }
    const std::vector<std::unique_ptr<partition>>& partitions() const noexcept { return _parts; }

private:
    std::string _name;
    std::unique_ptr<append_notifier> _notifier;
    std::vector<std::unique_ptr<partition>> _parts;
    friend class log;
};

// Kafka's legal topic names: 1..249 of [A-Za-z0-9._-], not "." or "..".
result<void> validate_topic_name(std::string_view name);

// The log of one data directory.
//
// Threads: every method is thread-safe. Topic and partition pointers stay
// valid until the log is destroyed. open() starts one background thread
// when the fsync policy is interval or retention is configured (it flushes
// and applies retention); close() (or the destructor) stops it, flushes,
// wakes every waiting reader and refuses further appends.
class log {
public:
    // Opens or creates the data directory, recovering every partition of
    // every topic recorded there.
    static result<std::unique_ptr<log>> open(std::filesystem::path data_dir, config cfg = {});
    ~log();
    log(const log&) = delete;
    log& operator=(const log&) = delete;

    // Creates the topic with `partitions` partitions, or finds it. Returns
    // its partition count, which an existing topic keeps.
    result<int32_t> ensure_topic(std::string_view name, int32_t partitions);
    std::optional<int32_t> partition_count(std::string_view name) const;
    std::vector<std::string> topics() const;
    result<topic*> get_topic(std::string_view name) const;
    result<partition*> get_partition(std::string_view topic, partition_id p) const;

    // Shorthands for get_partition(...)->append / read.
    result<mdsp::offset> append(std::string_view topic, partition_id p, std::span<const record> records);
    result<read_result> read(std::string_view topic, partition_id p, mdsp::offset from, size_t max_bytes,
                             std::string& out) const;

    // fdatasync of everything written since the last flush.
    result<void> flush();
    // Applies retention to every partition now; returns segments deleted.
    result<size_t> enforce_retention();
    void close();

    const config& cfg() const noexcept { return _cfg; }
    const std::filesystem::path& dir() const noexcept { return _dir; }

private:
    log(std::filesystem::path dir, config cfg, int lock_fd);
    result<topic*> open_topic(const std::string& name, int32_t partitions);
    void background();
    std::vector<partition*> all_partitions() const;

    const std::filesystem::path _dir;
    const config _cfg;
    int _lock_fd;

    mutable std::mutex _mu; // guards _topics and _closed
    std::map<std::string, std::unique_ptr<topic>, std::less<>> _topics;
    bool _closed = false;

    std::mutex _bg_mu;
    std::condition_variable _bg_cv;
    bool _bg_stop = false;
    std::thread _bg;
};

} // namespace mdsp::log
