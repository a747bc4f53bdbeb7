#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "base/named_type.h"
#include "base/result.h"
#include "log/internal/file.h"
#include "log/record_batch.h"

namespace mdsp::log::internal {

// One sparse index entry: the batch whose baseOffset is base + relative_offset
// starts at byte position of the segment. Stored as two big-endian int32s.
struct index_entry {
    int32_t relative_offset = 0;
    int32_t position = 0;
    bool operator==(const index_entry&) const = default;
};

struct segment_options {
    uint32_t index_interval_bytes = 4096;
    size_t max_batch_bytes = default_max_batch_bytes;
};

// A damaged stretch of a segment with a valid batch after it: corruption
// (a bad disk, a stray write), not a write torn by a crash, which can only
// be at the end. Positions are those of the file before its repair.
struct damaged_region {
    uint64_t position = 0;         // where the damage starts: the end of the last valid batch
    uint64_t bytes = 0;            // skipped, up to the next valid batch
    int64_t first_lost_offset = 0; // the offset the damaged bytes started at
    int64_t next_offset = 0;       // baseOffset of the valid batch after them
    uint64_t batches_after = 0;    // valid batches after the damage in this segment, all kept
    std::string reason;            // what was wrong with the bytes at position
};

// What open() found and repaired.
struct segment_recovery {
    uint64_t truncated_bytes = 0; // cut off the end: no valid batch after them
    uint64_t truncated_at = 0;    // where the cut bytes started in the file before its repair
    std::string reason;           // why, when truncated_bytes > 0
    // Skipped, in file order; the segment was rewritten without them and
    // keeps every valid batch, under its own offsets.
    std::vector<damaged_region> damaged;
    bool index_rebuilt = false;
};

// "<20-digit base offset>.log" and ".index" names.
std::string segment_file_name(int64_t base_offset, std::string_view ext);

// One segment of a partition: <base>.log holding whole RecordBatch v2 batches
// back to back, and <base>.index, a sparse index written every
// index_interval_bytes of log.
//
// Threads: the partition's appender thread alone calls append(); any thread
// may call read(), lookup() and the accessors; flush() may run on the
// flusher thread while the appender appends (fdatasync and pwrite on one fd
// are safe together). The owning partition decides which bytes readers may
// see (it publishes sizes under its lock); the segment only keeps its own
// counters consistent. A segment is shared (shared_ptr) by the partition and
// readers in flight, so retention can unlink it while a read finishes.
class segment {
public:
    segment(const segment&) = delete;
    segment& operator=(const segment&) = delete;

    // A new, empty segment at base.
    static result<std::shared_ptr<segment>> create(const std::filesystem::path& dir, int64_t base,
                                                   const segment_options& opt);
    // Opens and scans an existing segment batch by batch. Every length is
    // bounded by max_batch_bytes and the file size; with verify_crc each
    // batch's CRC is checked too. At a bad batch the scan looks further for
    // the next valid one (header, offsets and CRC-32C all right): when there
    // is one, the bytes in between are damage, and the segment is rewritten
    // without them (temporary copy, fsync, rename), keeping every valid
    // batch after them; when there is none, they are a torn tail and are
    // truncated. See rec. The index is rewritten when it disagrees with the
    // scan.
    static result<std::shared_ptr<segment>> open(const std::filesystem::path& dir, int64_t base,
                                                 const segment_options& opt, bool verify_crc,
                                                 segment_recovery& rec);

    mdsp::offset base_offset() const noexcept { return mdsp::offset(_base); }
    // The offset after the last batch (base when empty).
    mdsp::offset next_offset() const noexcept { return mdsp::offset(_next.load(std::memory_order_acquire)); }
    uint64_t size() const noexcept { return _size.load(std::memory_order_acquire); }
    // Largest record timestamp (ms), -1 when empty.
    int64_t max_timestamp() const noexcept { return _max_ts.load(std::memory_order_acquire); }
    bool dirty() const noexcept { return _dirty.load(std::memory_order_acquire); }

    // Writes one whole batch (its baseOffset already stamped) at the end.
    // On failure nothing is published and the file is cut back.
    result<void> append(std::span<const char> batch, const batch_header& h);
    // fdatasync of the log (and index) file when anything was written since.
    result<bool> flush();
    // Where to start scanning for the batch holding offset o.
    uint64_t lookup(mdsp::offset o) const;
    // Reads up to out.size() bytes at pos, never past limit.
    result<size_t> read(uint64_t pos, uint64_t limit, std::span<char> out) const;
    // Unlinks both files; readers holding this segment keep reading.
    result<void> remove();

    std::vector<index_entry> index_entries() const;
    const std::filesystem::path& log_path() const noexcept { return _log.path(); }
    const std::filesystem::path& index_path() const noexcept { return _index.path(); }

private:
    segment(int64_t base, file log, file index, segment_options opt)
      : _base(base)
      , _next(base)
      , _log(std::move(log))
      , _index(std::move(index))
      , _opt(opt) {}

    result<void> write_index(const std::vector<index_entry>& entries);

    const int64_t _base;
    std::atomic<int64_t> _next;
    std::atomic<uint64_t> _size{0};
    std::atomic<int64_t> _max_ts{-1};
    std::atomic<bool> _dirty{false};
    file _log;
    file _index;
    segment_options _opt;
    uint64_t _bytes_since_index = 0; // appender only

    mutable std::mutex _index_mu; // guards _entries
    std::vector<index_entry> _entries;
};

} // namespace mdsp::log::internal
