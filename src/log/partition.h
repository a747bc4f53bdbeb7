#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "base/metrics.h"
#include "base/named_type.h"
#include "base/result.h"
#include "log/config.h"
#include "log/record_batch.h"

namespace mdsp::log {

namespace internal {
class segment;
struct segment_recovery;
} // namespace internal

// Wakes threads waiting for appends to any partition of a topic, so one
// consumer can block on many partitions. Thread-safe.
class append_notifier {
public:
    // A count that changes on every append; read it before checking for data.
    uint64_t sequence() const;
    // Waits until sequence() != seen, close() or the timeout (at most a day
    // per call). Returns false on timeout or close.
    bool wait(uint64_t seen, std::chrono::milliseconds timeout) const;
    void notify();
    void close();

private:
    mutable std::mutex _mu;
    mutable std::condition_variable _cv;
    uint64_t _seq = 0;
    bool _closed = false;
};

// What read() put in the caller's buffer.
struct read_result {
    size_t bytes = 0; // appended to the buffer: whole batches only
    size_t batches = 0;
    mdsp::offset next_offset; // the offset after the last batch read (= from when none)
};

// What opening a partition found and repaired (partition::recovery()).
//
// A torn tail is what a crash leaves: bad bytes at the very end of the
// partition with nothing valid after them; they are cut off, and the offsets
// they held (never acknowledged under fsync = always, possibly acknowledged
// under interval or never) are given again to the next appends.
//
// Corruption is bad bytes with valid batches after them (in the same segment
// or a later one): a bad disk, a stray write, or a power loss that flushed
// later pages and not earlier ones; never a process crash. The bytes are
// skipped, every valid batch is kept under its own offsets, and the offsets
// in the damaged stretch are lost for good: reads pass over the gap. The end
// offset never goes backwards because of corruption.
struct recovery_report {
    struct damage {
        std::string file;               // segment file name, e.g. 00000000000000000000.log
        uint64_t position = 0;          // byte of the file (before its repair) where the damage starts
        uint64_t bytes = 0;             // bytes skipped
        mdsp::offset first_lost_offset; // the lost offsets are [first_lost_offset, next_offset)
        mdsp::offset next_offset;       // first offset kept after the damage
        uint64_t batches_after = 0;     // valid batches kept after it in that segment
        std::string reason;
    };
    std::vector<damage> corruption;
    uint64_t corrupt_bytes = 0;   // sum of corruption[i].bytes
    int64_t lost_offsets = 0;     // offsets inside damaged stretches, unreadable from now on
    uint64_t torn_tail_bytes = 0; // cut off the end of the partition
    bool corrupt() const noexcept { return !corruption.empty(); }
};

// Counters one topic's partitions share (base/metrics.h global registry).
struct partition_metrics {
    metrics::counter* records = nullptr;
    metrics::counter* bytes = nullptr;
    metrics::counter* batches = nullptr;
    metrics::counter* fsyncs = nullptr;
};

// One partition: an ordered list of segments in <data_dir>/<topic>-<n>/.
//
// Threads: append*() may be called from any thread but is serialised by an
// internal mutex; the design point is one appender thread per partition.
// Any number of reader threads call read(), start_offset(), end_offset(),
// wait_for() at the same time. flush() and enforce_retention() run on the
// log's background thread or the caller's. Created and destroyed by log;
// pointers to it stay valid until the log is destroyed.
class partition {
public:
    partition(const partition&) = delete;
    partition& operator=(const partition&) = delete;
    ~partition();

    // Opens (recovering) or creates the partition directory.
    static result<std::unique_ptr<partition>> open(std::filesystem::path dir, std::string topic,
                                                   partition_id id, const config& cfg,
                                                   append_notifier* topic_notifier, partition_metrics m);

    const std::string& topic() const noexcept { return _topic; }
    partition_id id() const noexcept { return _id; }

    // Appends the records as one batch; returns the offset of the first.
    result<mdsp::offset> append(std::span<const record> records);
    // Appends a batch built by the caller (finishes it; the caller resets it).
    result<mdsp::offset> append(batch_builder& batch);
    // Appends one encoded batch as it is (any codec), after checking its
    // header, size and CRC; stamps baseOffset and partitionLeaderEpoch 0.
    result<mdsp::offset> append_encoded(std::span<char> batch);

    // Appends to out the whole batches from the one holding `from`, up to
    // max_bytes (at least one batch, however large), crossing segments. The
    // first batch may start before `from`: skip records below it. `from`
    // equal to end_offset() reads nothing; below start_offset() or above
    // end_offset() is errc::offset_out_of_range.
    result<read_result> read(mdsp::offset from, size_t max_bytes, std::string& out) const;

    // The first offset still kept and the offset the next record will get.
    mdsp::offset start_offset() const;
    mdsp::offset end_offset() const;
    // Waits until end_offset() > o (record o exists), close(), or the
    // timeout (at most a day per call). True when the record is there.
    bool wait_for(mdsp::offset o, std::chrono::milliseconds timeout) const;

    // fdatasync of every segment written since the last flush.
    result<void> flush();
    // Deletes whole segments, oldest first, never the active one: those
    // whose newest record is older than now_ms - retention_ms, and while the
    // partition is above retention_bytes. Returns how many were deleted.
    result<size_t> enforce_retention(int64_t now_ms);

    // What open() found and repaired; set once by open(), then constant.
    const recovery_report& recovery() const noexcept { return _recovery; }

    uint64_t size_bytes() const;
    size_t segment_count() const;
    // Wakes waiters and refuses further appends.
    void close();

private:
    partition(std::filesystem::path dir, std::string topic, partition_id id, const config& cfg,
              append_notifier* n, partition_metrics m);

    // Logs, counts and records in _recovery what open() repaired, one entry
    // of recs per segment of _segments.
    void report_recovery(const std::vector<internal::segment_recovery>& recs);
    result<mdsp::offset> append_locked(std::span<char> batch, const batch_header& h);
    result<void> roll(int64_t base);

    const std::filesystem::path _dir;
    const std::string _topic;
    const partition_id _id;
    const config _cfg;
    append_notifier* _topic_notifier;
    partition_metrics _metrics;
    recovery_report _recovery; // written by open() only

    // Appender state, guarded by _append_mu.
    std::mutex _append_mu;
    std::shared_ptr<internal::segment> _active;
    std::unique_ptr<batch_builder> _builder; // for append(span<record>)
    bool _closed_for_append = false;

    // Published state, guarded by _mu; readers copy what they need and
    // release it before touching files.
    mutable std::mutex _mu;
    mutable std::condition_variable _cv;
    std::vector<std::shared_ptr<internal::segment>> _segments;
    int64_t _end = 0;
    uint64_t _active_size = 0; // bytes of the active segment readers may see
    bool _closed = false;
};

} // namespace mdsp::log
