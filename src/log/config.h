#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

#include "base/result.h"
#include "log/record_batch.h"

namespace mdsp::log {

// When appended data is forced to disk. Under every policy append() has
// written the batch to the file (write(2)) before it returns, so a process
// crash (kill -9) loses nothing; the policy only decides what a machine crash
// or power loss can lose.
struct fsync_policy {
    enum class mode { always, interval, never };
    mode kind = mode::interval;
    std::chrono::milliseconds every{1000}; // for interval

    // fdatasync after every append, before append() returns.
    static fsync_policy always() { return {mode::always, {}}; }
    // A background flusher fdatasyncs what changed, every `ms`.
    static fsync_policy interval(std::chrono::milliseconds ms) { return {mode::interval, ms}; }
    // Left to the operating system's writeback.
    static fsync_policy never() { return {mode::never, {}}; }
};

struct config {
    fsync_policy fsync = fsync_policy::interval(std::chrono::milliseconds(1000));
    // A segment rolls when the next batch would take it past this size.
    uint64_t segment_max_bytes = 128ull << 20;
    // Whole segments whose newest record is older than this are deleted; -1 keeps them.
    int64_t retention_ms = -1;
    // Oldest segments are deleted while the partition stays above this; -1 keeps them.
    int64_t retention_bytes = -1;
    // One sparse index entry per this many bytes of log.
    uint32_t index_interval_bytes = 4096;
    // The largest batch accepted or read; every length read from disk is checked against it.
    size_t max_batch_bytes = default_max_batch_bytes;
    // How often the background thread applies retention; 0 = only on enforce_retention().
    std::chrono::milliseconds retention_check_interval{5 * 60 * 1000};

    // Checks ranges; the error says which value is wrong.
    result<void> validate() const;
};

} // namespace mdsp::log
