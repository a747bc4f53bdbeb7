#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "store/store.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
class WriteBatch;
} // namespace rocksdb

namespace mdsp::store {

struct rocks_options {
    // Ticks older than this (micros of event time behind `now`) are deleted by
    // enforce_retention(); 0 keeps every tick.
    int64_t ticks_retention = 0;
    // Memtable of the ticks family; the other families get a quarter each.
    size_t write_buffer_bytes = size_t{64} << 20;
    // Block cache shared by all families.
    size_t block_cache_bytes = size_t{32} << 20;
};

// The embedded store: the tables of DESIGN.md as RocksDB column families
// ticks, candles, latest and state in one database directory.
//
// Ticks are stored in chunks (all ticks of one symbol in one second of event
// time from one write) so a write costs one Put per (symbol, second), not one
// per tick; see internal/codec.h for the layout.
//
// Threads: one writer (write, enforce_retention) and any number of readers at
// once; writes are serialized by a mutex. Lifecycle: open() takes the
// directory's lock until close() or destruction. Writes go to the WAL without
// fsync; sync() makes them durable.
class rocks_store final : public store {
public:
    // Opens (creating if needed) the database in dir. Fails with errc::locked
    // when another process (or another rocks_store) holds the directory.
    static result<std::unique_ptr<rocks_store>> open(const std::filesystem::path& dir,
                                                     const rocks_options& options = {});
    ~rocks_store() override;
    rocks_store(const rocks_store&) = delete;
    rocks_store& operator=(const rocks_store&) = delete;

    result<void> write(const write_batch& b) override;
    result<backfill_outcome> write_backfill(std::span<const model::candle> candles,
                                            std::span<const state_change> state) override;
    result<std::vector<model::candle>> candles(std::string_view symbol, model::interval iv,
                                               const range& r) override;
    result<std::vector<model::tick>> ticks(std::string_view symbol, const range& r) override;
    result<std::vector<model::tick>> latest() override;
    result<std::optional<model::tick>> latest(std::string_view symbol) override;
    result<std::vector<std::string>> symbols() override;
    result<std::vector<std::pair<std::string, std::string>>> load_state(std::string_view prefix) override;
    result<void> sync() override;

    // Deletes the ticks older than now - options.ticks_retention, in whole
    // one-second buckets (a bucket goes once all of it is older). A no-op when
    // the retention is 0. Counts as a write (serialized with write()).
    result<void> enforce_retention(mdsp::event_time now) override;

    // Flushes the WAL, releases the directory lock. Afterwards every call
    // fails with errc::closed. Not to be called while other calls run.
    result<void> close();

    const std::filesystem::path& dir() const noexcept { return _dir; }

private:
    struct newest {
        int64_t event_time;
        int64_t seq;
    };

    rocks_store(std::filesystem::path dir, rocks_options options);
    result<void> check_open() const;
    result<void> put_ticks(rocksdb::WriteBatch& wb, std::span<const model::tick> ticks);
    result<void> put_latest(rocksdb::WriteBatch& wb, std::span<const model::tick> rows,
                            std::vector<std::pair<std::string, newest>>& updates);

    std::filesystem::path _dir;
    rocks_options _options;
    std::unique_ptr<rocksdb::DB> _db;
    std::vector<rocksdb::ColumnFamilyHandle*> _handles; // owned; destroyed before _db
    rocksdb::ColumnFamilyHandle* _meta = nullptr;       // default family: format, chunk counter
    rocksdb::ColumnFamilyHandle* _ticks = nullptr;
    rocksdb::ColumnFamilyHandle* _candles = nullptr;
    rocksdb::ColumnFamilyHandle* _latest = nullptr;
    rocksdb::ColumnFamilyHandle* _state = nullptr;
    std::atomic<bool> _closed{false};

    // The stored candle's flags (internal/codec.h), or nullopt when there is none.
    result<std::optional<model::candle>> stored_candle(std::string_view key, const model::candle& like);
    // Writer-only state, under _write_mu.
    std::mutex _write_mu;
    uint64_t _next_chunk = 0;
    // write()'s buffers, kept between writes so that a batch of a hundred
    // thousand rows does not allocate each of them again: the batch itself,
    // and the encoded candle rows (keys and values back to back) with their
    // offsets, sorted by key before they go into the batch.
    struct row_ref {
        size_t key_at, key_size, value_at, value_size;
    };
    std::unique_ptr<rocksdb::WriteBatch> _wb;
    std::string _rows;
    std::vector<row_ref> _row_refs;
    // (event_time, seq) of each symbol's stored latest row, filled on demand.
    std::unordered_map<std::string, newest> _latest_cache;
};

} // namespace mdsp::store
