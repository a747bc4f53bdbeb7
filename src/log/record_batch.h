#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "base/named_type.h"
#include "base/result.h"
#include "log/errc.h"

// Kafka RecordBatch v2 (magic 2), byte for byte as Kafka keeps it on disk and
// on the wire: a 61-byte header (big-endian) followed by records whose fields
// are zigzag varints. The CRC-32C covers attributes .. end of batch, so
// baseOffset and partitionLeaderEpoch can be stamped after the CRC is computed.
namespace mdsp::log {

inline constexpr size_t log_overhead = 12;      // baseOffset int64 + batchLength int32
inline constexpr size_t batch_header_size = 61; // through recordsCount
inline constexpr size_t min_batch_length = batch_header_size - log_overhead; // 49
inline constexpr size_t crc_offset = 17;                                     // crc uint32 at byte 17
inline constexpr size_t attributes_offset = 21; // the CRC covers from here to the end
inline constexpr int8_t magic_v2 = 2;
inline constexpr size_t default_max_batch_bytes = 16u << 20;

enum class compression : uint8_t { none = 0, gzip = 1, snappy = 2, lz4 = 3, zstd = 4 };
std::string_view compression_name(int codec) noexcept;

// A record to append. std::nullopt is Kafka's null key or value (length -1).
struct record {
    std::optional<std::string_view> key;
    std::optional<std::string_view> value;
    int64_t timestamp_ms = 0;
};

// One decoded record; the views point into the batch bytes it came from.
struct record_view {
    mdsp::offset offset;
    int64_t timestamp_ms = 0;
    std::optional<std::string_view> key;
    std::optional<std::string_view> value;
    int32_t header_count = 0;      // headers are validated and skipped ...
    std::string_view header_bytes; // ... and kept here, for read_headers()
};

// One record header; the views point where header_bytes does.
struct header_view {
    std::string_view key;
    std::optional<std::string_view> value;
};
// Appends to out the headers of a record_view that record_reader::next()
// returned (and so validated): at most max of them.
void read_headers(const record_view& r, std::vector<header_view>& out, size_t max);

// The fixed header of a batch, as read from its first 61 bytes.
struct batch_header {
    int64_t base_offset = 0;
    int32_t batch_length = 0; // bytes after the batchLength field
    int32_t partition_leader_epoch = 0;
    int8_t magic = 0;
    uint32_t crc = 0;
    int16_t attributes = 0;
    int32_t last_offset_delta = 0;
    int64_t base_timestamp = 0;
    int64_t max_timestamp = 0;
    int64_t producer_id = -1;
    int16_t producer_epoch = -1;
    int32_t base_sequence = -1;
    int32_t record_count = 0;

    size_t size_bytes() const noexcept { return log_overhead + size_t(batch_length); }
    mdsp::offset first_offset() const noexcept { return mdsp::offset(base_offset); }
    mdsp::offset last_offset() const noexcept { return mdsp::offset(base_offset + last_offset_delta); }
    int codec() const noexcept { return attributes & 0x7; }
    bool log_append_time() const noexcept { return (attributes & 0x8) != 0; }
    bool is_transactional() const noexcept { return (attributes & 0x10) != 0; }
    bool is_control() const noexcept { return (attributes & 0x20) != 0; }
};

// Parses the header at the start of bytes, checking what can be checked
// without the rest of the batch: at least 61 bytes, magic 2, batchLength in
// [49, max_batch_bytes - 12], lastOffsetDelta and recordsCount not negative.
// It does not check the CRC or that the whole batch is present.
result<batch_header> parse_batch_header(std::span<const char> bytes, size_t max_batch_bytes);

// True when the CRC in the header matches batch (one whole batch).
bool crc_matches(const batch_header& h, std::span<const char> batch) noexcept;

// Writes baseOffset into an encoded batch (outside the CRC).
void set_base_offset(std::span<char> batch, int64_t base_offset) noexcept;

// Decodes the records of one whole, uncompressed batch. Every length is
// checked against the batch bounds; nothing is allocated. Compressed batches
// are refused with errc::unsupported rather than misread.
class record_reader {
public:
    // batch must hold exactly one whole batch (header.size_bytes() bytes).
    static result<record_reader> open(std::span<const char> batch, size_t max_batch_bytes,
                                      bool verify_crc = true);

    const batch_header& header() const noexcept { return _h; }
    // The next record into out: true, false after the last, or errc::corrupt.
    result<bool> next(record_view& out);

private:
    record_reader(batch_header h, std::span<const char> batch)
      : _h(h)
      , _pos(batch.data() + batch_header_size)
      , _end(batch.data() + batch.size()) {}

    batch_header _h;
    const char* _pos;
    const char* _end;
    int32_t _read = 0;
};

// Walks a buffer of concatenated batches (a segment, a fetch response). A
// partial batch at the end is not an error: next() returns false and
// position() tells where it starts.
class batch_iterator {
public:
    batch_iterator(std::span<const char> bytes, size_t max_batch_bytes)
      : _bytes(bytes)
      , _max(max_batch_bytes) {}

    // The next whole batch: true, false at the end of whole batches, or an
    // error for a header that cannot be right.
    result<bool> next(batch_header& h, std::span<const char>& batch);
    size_t position() const noexcept { return _pos; }

private:
    std::span<const char> _bytes;
    size_t _max;
    size_t _pos = 0;
};

// Builds one uncompressed batch in a buffer it owns and reuses: after the
// first few batches, adding records allocates nothing. Owned by one thread.
// baseOffset is left 0 (the log stamps it); partitionLeaderEpoch is 0,
// producerId/epoch/baseSequence are -1 (not idempotent), as Kafka writes a
// plain producer's batch.
class batch_builder {
public:
    explicit batch_builder(size_t max_batch_bytes = default_max_batch_bytes);

    // Bytes one record takes in a batch, its length prefix included.
    static size_t record_size(std::optional<std::string_view> key, std::optional<std::string_view> value,
                              int64_t timestamp_delta, int32_t offset_delta) noexcept;

    // Appends a record. Returns false, and adds nothing, when the batch would
    // exceed max_batch_bytes: finish and append the batch, then add again. A
    // false on an empty batch means the record alone is too large.
    bool add(std::optional<std::string_view> key, std::optional<std::string_view> value,
             int64_t timestamp_ms);
    bool add(const record& r) { return add(r.key, r.value, r.timestamp_ms); }

    int32_t record_count() const noexcept { return _count; }
    bool empty() const noexcept { return _count == 0; }
    size_t size_bytes() const noexcept { return _size; }
    size_t max_batch_bytes() const noexcept { return _max; }
    int64_t max_timestamp() const noexcept { return _max_ts; }

    // Writes the header and CRC; the returned bytes are one complete batch,
    // valid until the next add() or reset(). Requires !empty().
    std::span<char> finish() noexcept;
    // Empties the batch, keeping the buffer.
    void reset() noexcept;

private:
    void reserve(size_t n);

    std::unique_ptr<char[]> _buf;
    size_t _cap = 0;
    size_t _size = batch_header_size;
    size_t _max;
    int32_t _count = 0;
    int64_t _base_ts = 0;
    int64_t _max_ts = -1;
};

} // namespace mdsp::log
