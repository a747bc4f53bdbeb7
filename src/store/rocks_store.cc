#include "store/rocks_store.h"

#include <algorithm>
#include <limits>

#include <rocksdb/cache.h>
#include <rocksdb/convenience.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/memtablerep.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>
#include <spdlog/spdlog.h>

#include "base/metrics.h"
#include "base/time.h"
#include "store/internal/codec.h"
#include "store/internal/rocks_common.h"

namespace mdsp::store {

namespace {

namespace fs = std::filesystem;
using internal::bad_symbol;
using internal::corrupt;
using internal::slice;
using internal::status_error;
using internal::valid_symbol;
using internal::view;

constexpr std::string_view meta_format_key = "format";
constexpr std::string_view meta_next_chunk_key = "next_chunk";

bool is_lock_error(const rocksdb::Status& s) {
    if (!s.IsIOError()) {
        return false;
    }
    const std::string text = s.ToString();
    return text.find("lock") != std::string::npos || text.find("LOCK") != std::string::npos;
}

bool supported(rocksdb::CompressionType t) {
    static const auto all = rocksdb::GetSupportedCompressions();
    return std::find(all.begin(), all.end(), t) != all.end();
}

// Per-family options: lz4 (zstd at the bottom level, but for the state: see
// open), bloom filters for the point-lookup families, one shared block cache.
rocksdb::ColumnFamilyOptions family_options(size_t write_buffer, bool bloom,
                                            const std::shared_ptr<rocksdb::Cache>& cache) {
    rocksdb::ColumnFamilyOptions o;
    o.write_buffer_size = write_buffer;
    o.max_write_buffer_number = 3;
    o.level_compaction_dynamic_level_bytes = true;
    o.compression = supported(rocksdb::kLZ4Compression) ? rocksdb::kLZ4Compression : rocksdb::kNoCompression;
    if (supported(rocksdb::kZSTD)) {
        o.bottommost_compression = rocksdb::kZSTD;
    }
    rocksdb::BlockBasedTableOptions t;
    t.block_cache = cache;
    t.block_size = 16 * 1024;
    t.cache_index_and_filter_blocks = true;
    t.pin_l0_filter_and_index_blocks_in_cache = true;
    t.format_version = 5;
    if (bloom) {
        t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
        t.optimize_filters_for_memory = true;
    }
    o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
    return o;
}

bool newer(int64_t et_a, int64_t seq_a, int64_t et_b, int64_t seq_b) {
    return std::pair(et_a, seq_a) > std::pair(et_b, seq_b);
}

struct group_key {
    std::string_view symbol;
    int64_t bucket;
    bool operator==(const group_key&) const = default;
};
struct group_key_hash {
    size_t operator()(const group_key& k) const noexcept {
        return std::hash<std::string_view>{}(k.symbol)
               ^ (static_cast<size_t>(k.bucket) * 0x9E3779B97F4A7C15ULL);
    }
};

struct store_metrics {
    metrics::counter& ticks = metrics::global().get_counter("mdsp_store_ticks_written_total",
                                                            "Ticks written to the embedded store");
    metrics::counter& candles = metrics::global().get_counter("mdsp_store_candles_written_total",
                                                              "Candle upserts written to the embedded store");
    metrics::histogram& write_seconds = metrics::global().get_histogram(
        "mdsp_store_write_duration_seconds", "Time of one atomic store write, in seconds");
};
store_metrics& store_stats() {
    static store_metrics m;
    return m;
}

} // namespace

rocks_store::rocks_store(std::filesystem::path dir, rocks_options options)
  : _dir(std::move(dir))
  , _options(options) {}

rocks_store::~rocks_store() {
    if (auto r = close(); !r) {
        spdlog::warn("closing the store in {}: {}", _dir.string(), r.error().what());
    }
}

result<std::unique_ptr<rocks_store>> rocks_store::open(const std::filesystem::path& dir,
                                                       const rocks_options& options) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) {
        return make_error(errc::io_error,
                          "cannot create the data directory {}: {}; check the path and its permissions",
                          dir.string(), ec.message());
    }
    std::unique_ptr<rocks_store> st(new rocks_store(dir, options));

    rocksdb::DBOptions db;
    db.create_if_missing = true;
    db.create_missing_column_families = true;
    db.max_background_jobs = 2;
    db.bytes_per_sync = 1 << 20;
    db.wal_bytes_per_sync = 1 << 20;
    db.max_total_wal_size = 4 * options.write_buffer_bytes;
    db.db_write_buffer_size = 3 * options.write_buffer_bytes;
    db.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
    db.keep_log_file_num = 3;
    db.max_log_file_size = 8 << 20;

    auto cache = rocksdb::NewLRUCache(options.block_cache_bytes);
    const size_t small = std::max<size_t>(options.write_buffer_bytes / 4, 1 << 20);
    std::vector<rocksdb::ColumnFamilyDescriptor> families{
        {rocksdb::kDefaultColumnFamilyName, family_options(1 << 20, true, cache)},
        {"ticks", family_options(options.write_buffer_bytes, false, cache)},
        {"candles", family_options(small, false, cache)},
        {"latest", family_options(small, true, cache)},
        {"state", family_options(std::max<size_t>(options.write_buffer_bytes / 16, 1 << 20), true, cache)},
    };
    // The engine state is written at every commit and read rarely (when a
    // stage starts or takes a partition, and the positions for the topics
    // view's groups): an unsorted memtable takes its puts without a
    // skip-list search, and each read sorts a copy of it, as a flush does.
    // Its memtable is a sixteenth of the ticks' (4 MB): a flush of 16 MB,
    // mostly overwrites of the same keys, sorted for 66 ms on one of the
    // two cores and held a store write up as long (`mdsp bench --only kafka`:
    // p99 21-40 ms in 4 of 15 runs, 10-12 ms in 12 of 12 at 4 MB; the
    // 100,000-symbol replay took the same time).
    families.back().options.memtable_factory = std::make_shared<rocksdb::VectorRepFactory>();
    // Its keys are rewritten at every commit, so each compaction mostly
    // drops older copies: LZ4 there too rather than ZSTD (whose density
    // buys nothing for a row a few seconds old), and compactions half as
    // often (8 L0 files). Replaying 1,000,000 ticks over 100,000 symbols,
    // whose engine state is rewritten for nearly every tick: 13-15% less
    // CPU, about 5% less time; the store's files 25% larger at the end,
    // mostly not yet compacted copies.
    auto& state = families.back().options;
    state.bottommost_compression = state.compression;
    state.level0_file_num_compaction_trigger = 8;
    db.allow_concurrent_memtable_write = false;
    rocksdb::DB* raw = nullptr;
    auto s = rocksdb::DB::Open(db, dir.string(), families, &st->_handles, &raw);
    if (!s.ok()) {
        if (is_lock_error(s)) {
            return make_error(errc::locked,
                              "another mdsp is using {}; stop it or choose another --data-dir ({})",
                              dir.string(), s.ToString());
        }
        return status_error(s, "opening the store", dir);
    }
    st->_db.reset(raw);
    st->_meta = st->_handles[0];
    st->_ticks = st->_handles[1];
    st->_candles = st->_handles[2];
    st->_latest = st->_handles[3];
    st->_state = st->_handles[4];

    std::string value;
    s = st->_db->Get({}, st->_meta, slice(meta_format_key), &value);
    if (s.IsNotFound()) {
        s = st->_db->Put({}, st->_meta, slice(meta_format_key), slice(internal::format_version));
    } else if (s.ok() && value != internal::format_version) {
        return make_error(
            errc::corrupt,
            "{} holds store format '{}' but this mdsp reads '{}'; use an mdsp of the same version "
            "or another --data-dir",
            dir.string(), value, internal::format_version);
    }
    if (!s.ok()) {
        return status_error(s, "reading the store format", dir);
    }
    s = st->_db->Get({}, st->_meta, slice(meta_next_chunk_key), &value);
    if (s.ok() && value.size() == 8) {
        st->_next_chunk = internal::get_be64(value.data());
    } else if (s.ok()) {
        return corrupt("the tick chunk counter", dir);
    } else if (!s.IsNotFound()) {
        return status_error(s, "reading the tick chunk counter", dir);
    }
    return st;
}

result<void> rocks_store::close() {
    if (_closed.exchange(true) || !_db) {
        return ok();
    }
    auto flushed = _db->FlushWAL(true);
    for (auto* h : _handles) {
        (void)_db->DestroyColumnFamilyHandle(h);
    }
    _handles.clear();
    auto closed = _db->Close();
    _db.reset();
    if (!flushed.ok()) {
        return status_error(flushed, "flushing the write-ahead log", _dir);
    }
    if (!closed.ok()) {
        return status_error(closed, "closing the store", _dir);
    }
    return ok();
}

result<void> rocks_store::check_open() const {
    if (_closed.load(std::memory_order_acquire)) {
        return make_error(errc::closed, "the store in {} is closed", _dir.string());
    }
    return ok();
}

result<void> rocks_store::put_ticks(rocksdb::WriteBatch& wb, std::span<const model::tick> ticks) {
    // Group by (symbol, bucket), keeping arrival order within a group.
    std::unordered_map<group_key, uint32_t, group_key_hash> index;
    struct group {
        group_key key;
        uint32_t count = 0;
        uint32_t start = 0;
    };
    std::vector<group> groups;
    std::vector<uint32_t> gid(ticks.size());
    std::string_view last_symbol;
    int64_t last_bucket = 0;
    uint32_t last_gid = 0;
    for (size_t i = 0; i < ticks.size(); ++i) {
        const model::tick& t = ticks[i];
        const int64_t bucket = internal::tick_bucket(t.event_time());
        if (i == 0 || bucket != last_bucket || t.symbol != last_symbol) {
            if (!valid_symbol(t.symbol)) {
                return bad_symbol(t.symbol);
            }
            auto [it, inserted] = index.try_emplace(group_key{t.symbol, bucket}, uint32_t(groups.size()));
            if (inserted) {
                groups.push_back(group{it->first});
            }
            last_symbol = t.symbol;
            last_bucket = bucket;
            last_gid = it->second;
        }
        gid[i] = last_gid;
        ++groups[last_gid].count;
    }
    uint32_t start = 0;
    for (auto& g : groups) {
        g.start = start;
        start += g.count;
        g.count = 0;
    }
    std::vector<const model::tick*> ordered(ticks.size());
    for (size_t i = 0; i < ticks.size(); ++i) {
        group& g = groups[gid[i]];
        ordered[g.start + g.count++] = &ticks[i];
    }
    // In key order: a memtable insert right after the previous key is cheap
    // (the skip list keeps its last position), one elsewhere walks the list.
    std::sort(groups.begin(), groups.end(), [](const group& a, const group& b) {
        return a.key.symbol != b.key.symbol ? a.key.symbol < b.key.symbol : a.key.bucket < b.key.bucket;
    });
    std::string key;
    std::string value;
    for (const auto& g : groups) {
        key = internal::tick_chunk_key(g.key.symbol, g.key.bucket, _next_chunk++);
        value.clear();
        internal::encode_ticks(value, internal::tick_bucket_base(g.key.bucket),
                               std::span<const model::tick* const>(ordered.data() + g.start, g.count));
        wb.Put(_ticks, key, value);
    }
    std::string counter;
    internal::put_be64(counter, _next_chunk);
    wb.Put(_meta, slice(meta_next_chunk_key), counter);
    return ok();
}

result<void> rocks_store::put_latest(rocksdb::WriteBatch& wb, std::span<const model::tick> rows,
                                     std::vector<std::pair<std::string, newest>>& updates) {
    std::unordered_map<std::string_view, const model::tick*> best;
    for (const auto& t : rows) {
        if (!valid_symbol(t.symbol)) {
            return bad_symbol(t.symbol);
        }
        auto [it, inserted] = best.try_emplace(t.symbol, &t);
        if (!inserted && newer(t.event_time(), t.seq(), it->second->event_time(), it->second->seq())) {
            it->second = &t;
        }
    }
    std::string value;
    for (const auto& [symbol, t] : best) {
        auto cached = _latest_cache.find(std::string(symbol));
        if (cached == _latest_cache.end()) {
            auto stored = latest(symbol);
            if (!stored) {
                return stored.error();
            }
            if (*stored) {
                cached = _latest_cache
                             .emplace(std::string(symbol), newest{(*stored)->event_time(), (*stored)->seq()})
                             .first;
            }
        }
        if (cached != _latest_cache.end()
            && !newer(t->event_time(), t->seq(), cached->second.event_time, cached->second.seq)) {
            continue;
        }
        value.clear();
        internal::encode_ticks(value, 0, std::span<const model::tick* const>(&t, 1));
        wb.Put(_latest, slice(symbol), value);
        updates.emplace_back(std::string(symbol), newest{t->event_time(), t->seq()});
    }
    return ok();
}

// The most write() keeps of its buffers between two writes.
constexpr size_t kept_buffer_bytes = size_t(64) << 20;

result<void> rocks_store::write(const write_batch& b) {
    const int64_t started = mono_nanos();
    std::lock_guard lock(_write_mu);
    if (auto r = check_open(); !r) {
        return r;
    }
    if (!_wb) {
        _wb = std::make_unique<rocksdb::WriteBatch>();
    }
    rocksdb::WriteBatch& wb = *_wb;
    wb.Clear();
    if (!b.ticks.empty()) {
        if (auto r = put_ticks(wb, b.ticks); !r) {
            return r;
        }
    }
    // Each family's keys go in in key order (see put_ticks); a stable sort
    // keeps the later of two writes of one key last.
    _rows.clear();
    _row_refs.clear();
    for (const auto& c : b.candles) {
        if (!valid_symbol(c.symbol)) {
            return bad_symbol(c.symbol);
        }
        if (c.interval.micros() <= 0) {
            return make_error(errc::bad_query, "candle of {} has interval {} us; an interval is positive",
                              c.symbol, c.interval.micros());
        }
        const size_t key_at = _rows.size();
        internal::append_candle_key(_rows, c.symbol, c.interval.micros(), c.window_start());
        if (c.trade_count == 0 && !c.backfilled) {
            auto stored = stored_candle(std::string_view(_rows).substr(key_at), c);
            if (!stored) {
                return stored.error();
            }
            if (*stored && (*stored)->backfilled) {
                _rows.resize(key_at);
                continue; // a filler says less than the vendor's bar
            }
        }
        row_ref& ref = _row_refs.emplace_back();
        ref.key_at = key_at;
        ref.key_size = _rows.size() - key_at;
        ref.value_at = _rows.size();
        internal::encode_candle(_rows, c);
        ref.value_size = _rows.size() - ref.value_at;
    }
    const std::string_view rows = _rows;
    std::stable_sort(_row_refs.begin(), _row_refs.end(), [rows](const row_ref& x, const row_ref& y) {
        return rows.substr(x.key_at, x.key_size) < rows.substr(y.key_at, y.key_size);
    });
    for (const row_ref& r : _row_refs) {
        wb.Put(_candles, rocksdb::Slice(rows.data() + r.key_at, r.key_size),
               rocksdb::Slice(rows.data() + r.value_at, r.value_size));
    }
    std::vector<std::pair<std::string, newest>> latest_updates;
    if (!b.latest.empty()) {
        if (auto r = put_latest(wb, b.latest, latest_updates); !r) {
            return r;
        }
    }
    // The state family's memtable is unsorted (see open): its keys go in as
    // they come, the later of two writes of one key last.
    for (const auto& [k, v] : b.state) {
        if (v) {
            wb.Put(_state, k, *v);
        } else {
            wb.Delete(_state, k);
        }
    }
    if (wb.Count() == 0) {
        return ok();
    }
    rocksdb::WriteOptions wo;
    wo.sync = false;
    auto s = _db->Write(wo, &wb);
    if (wb.GetDataSize() > kept_buffer_bytes) {
        _wb.reset(); // an exceptional batch (a replay's end) does not keep its memory
    }
    if (_rows.capacity() > kept_buffer_bytes) {
        std::string().swap(_rows);
    }
    if (!s.ok()) {
        return status_error(s, "writing a batch", _dir);
    }
    for (auto& [symbol, n] : latest_updates) {
        _latest_cache.insert_or_assign(std::move(symbol), n);
    }
    auto& m = store_stats();
    m.ticks.inc(b.ticks.size());
    m.candles.inc(b.candles.size());
    m.write_seconds.observe(static_cast<double>(mono_nanos() - started) / 1e9);
    return ok();
}

result<std::optional<model::candle>> rocks_store::stored_candle(std::string_view key,
                                                                const model::candle& like) {
    std::string value;
    auto s = _db->Get(rocksdb::ReadOptions(), _candles, slice(key), &value);
    if (s.IsNotFound()) {
        return std::optional<model::candle>();
    }
    if (!s.ok()) {
        return status_error(s, "reading a candle", _dir);
    }
    model::candle c;
    c.symbol = like.symbol;
    c.interval = like.interval;
    c.window_start = like.window_start;
    if (!internal::decode_candle(value, c)) {
        return make_error(errc::corrupt, "a stored candle of {} in {} does not decode", like.symbol,
                          _dir.string());
    }
    return std::optional<model::candle>(std::move(c));
}

result<backfill_outcome> rocks_store::write_backfill(std::span<const model::candle> candles,
                                                     std::span<const state_change> state) {
    std::lock_guard lock(_write_mu);
    if (auto r = check_open(); !r) {
        return r.error();
    }
    backfill_outcome out;
    rocksdb::WriteBatch wb;
    std::string key;
    std::string value;
    for (const auto& given : candles) {
        if (!valid_symbol(given.symbol)) {
            return bad_symbol(given.symbol);
        }
        if (given.interval.micros() <= 0 || given.window_start() % given.interval.micros() != 0) {
            return make_error(errc::bad_query,
                              "backfilled candle of {} at {} us is not aligned to its interval", given.symbol,
                              given.window_start());
        }
        key = internal::candle_key(given.symbol, given.interval.micros(), given.window_start());
        auto stored = stored_candle(key, given);
        if (!stored) {
            return stored.error();
        }
        if (*stored && !(*stored)->backfilled && (*stored)->trade_count > 0) {
            ++out.kept_live;
            continue;
        }
        model::candle c = given;
        c.backfilled = true;
        value.clear();
        internal::encode_candle(value, c);
        wb.Put(_candles, key, value);
        ++out.written;
    }
    for (const auto& [k, v] : state) {
        if (v) {
            wb.Put(_state, k, *v);
        } else {
            wb.Delete(_state, k);
        }
    }
    if (wb.Count() > 0) {
        auto s = _db->Write(rocksdb::WriteOptions(), &wb);
        if (!s.ok()) {
            return status_error(s, "writing backfilled candles", _dir);
        }
        store_stats().candles.inc(out.written);
    }
    return out;
}

result<void> rocks_store::sync() {
    if (auto c = check_open(); !c) {
        return c;
    }
    auto s = _db->FlushWAL(true);
    if (!s.ok()) {
        return status_error(s, "syncing the write-ahead log", _dir);
    }
    return ok();
}

result<void> rocks_store::enforce_retention(mdsp::event_time now) {
    std::lock_guard lock(_write_mu);
    if (auto c = check_open(); !c) {
        return c;
    }
    if (_options.ticks_retention <= 0) {
        return ok();
    }
    constexpr int64_t lowest = std::numeric_limits<int64_t>::min();
    const int64_t cutoff =
        now() < lowest + _options.ticks_retention ? lowest : now() - _options.ticks_retention;
    const int64_t keep_from = internal::tick_bucket(cutoff); // buckets before this one are wholly older
    rocksdb::WriteBatch wb;
    std::unique_ptr<rocksdb::Iterator> it(_db->NewIterator({}, _ticks));
    it->SeekToFirst();
    while (it->Valid()) {
        auto parts = internal::parse_tick_chunk_key(view(it->key()));
        if (!parts) {
            return corrupt("a tick chunk key", _dir);
        }
        std::string symbol(parts->symbol);
        if (parts->bucket < keep_from) {
            wb.DeleteRange(_ticks, internal::tick_bucket_prefix(symbol, internal::tick_bucket(lowest)),
                           internal::tick_bucket_prefix(symbol, keep_from));
        }
        // Every key of this symbol starts with symbol NUL; the next symbol's
        // keys are at or after symbol \x01.
        it->Seek(symbol + '\x01');
    }
    if (!it->status().ok()) {
        return status_error(it->status(), "scanning ticks for retention", _dir);
    }
    if (wb.Count() == 0) {
        return ok();
    }
    auto s = _db->Write({}, &wb);
    if (!s.ok()) {
        return status_error(s, "deleting expired ticks", _dir);
    }
    return ok();
}

} // namespace mdsp::store
