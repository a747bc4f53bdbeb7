#pragma once

// The byte layout of the RocksDB tables: keys that sort as the tables' primary
// keys, and compact values. Private to store/: the on-disk format is versioned
// by format_version and checked when a store opens.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "model/candle.h"
#include "model/tick.h"

namespace mdsp::store::internal {

// Bumped when any key or value layout below changes.
constexpr std::string_view format_version = "mdsp-rocks-1";

// Ticks are kept in chunks: all the ticks of one symbol whose event times fall
// in one bucket of this width, from one write(). Queries read whole buckets.
constexpr int64_t tick_bucket_micros = 1'000'000;

// The bucket number of an event time (floor division, also for negative t).
constexpr int64_t tick_bucket(int64_t t) noexcept {
    int64_t q = t / tick_bucket_micros;
    return (t % tick_bucket_micros < 0) ? q - 1 : q;
}

// The first event time of a bucket, wrapping instead of overflowing for the
// outermost buckets; only used as the base of relative times in a chunk.
constexpr int64_t tick_bucket_base(int64_t bucket) noexcept {
    return static_cast<int64_t>(static_cast<uint64_t>(bucket) * static_cast<uint64_t>(tick_bucket_micros));
}

// A symbol can be stored when it is non-empty and has no NUL byte: NUL ends
// the symbol inside keys, so "AB" keys sort before every "ABC" key.
bool valid_symbol(std::string_view s) noexcept;

// Appends v big-endian with the sign bit flipped: byte order = numeric order.
void put_ordered_i64(std::string& out, int64_t v);
int64_t get_ordered_i64(const char* p) noexcept;
void put_be64(std::string& out, uint64_t v);
uint64_t get_be64(const char* p) noexcept;

// symbol NUL ord(bucket) be64(chunk id)
std::string tick_chunk_key(std::string_view symbol, int64_t bucket, uint64_t chunk_id);
// symbol NUL ord(bucket): the start of a bucket (a prefix of its chunk keys).
std::string tick_bucket_prefix(std::string_view symbol, int64_t bucket);
// symbol NUL ord(interval micros) ord(window_start)
std::string candle_key(std::string_view symbol, int64_t interval_micros, int64_t window_start);
// The same key appended to out (a writer's buffer of many keys).
void append_candle_key(std::string& out, std::string_view symbol, int64_t interval_micros,
                       int64_t window_start);
// symbol NUL ord(interval micros): the prefix of one series.
std::string candle_series_prefix(std::string_view symbol, int64_t interval_micros);

struct tick_chunk_key_parts {
    std::string_view symbol;
    int64_t bucket = 0;
    uint64_t chunk_id = 0;
};
std::optional<tick_chunk_key_parts> parse_tick_chunk_key(std::string_view key) noexcept;

struct candle_key_parts {
    std::string_view symbol;
    int64_t interval_micros = 0;
    int64_t window_start = 0;
};
std::optional<candle_key_parts> parse_candle_key(std::string_view key) noexcept;

// A chunk of ticks of one symbol, in the given order; the symbol is in the key
// and not repeated. base is a time the event times are stored relative to (the
// bucket start), which only affects the size.
void encode_ticks(std::string& out, int64_t base, std::span<const model::tick* const> ticks);
// Appends the decoded ticks, each with the given symbol; false on bytes that
// are not a chunk (corruption).
bool decode_ticks(std::string_view in, int64_t base, std::string_view symbol, std::vector<model::tick>& out);

void encode_candle(std::string& out, const model::candle& c);
// Fills every field but symbol, interval and window_start (which are in the key).
bool decode_candle(std::string_view in, model::candle& c);

} // namespace mdsp::store::internal
