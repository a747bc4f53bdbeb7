#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/named_type.h"
#include "base/result.h"
#include "model/candle.h"
#include "model/interval.h"
#include "model/tick.h"

namespace mdsp::store {

enum class errc {
    io_error = 1,
    corrupt,
    bad_query,
    closed,
    locked, // the data directory is in use by another process or store
};

// Half-open time range [from, to) with a row limit. When tail is set the
// limit keeps the newest rows of the range; rows always come oldest first.
struct range {
    mdsp::event_time from{std::numeric_limits<int64_t>::min()};
    mdsp::event_time to{std::numeric_limits<int64_t>::max()};
    size_t limit = 1000;
    bool tail = false;
};

using state_change = std::pair<std::string, std::optional<std::string>>; // nullopt deletes the key

// One write. Atomic in a store that is not shared(): all of it is visible
// after write() returns, or none. A shared store (several replicas write it,
// no cross-table atomicity) writes the state last and its pos/ keys after
// the rest of it, so a position never covers what is not stored.
struct write_batch {
    std::span<const model::tick> ticks;     // appended to the ticks table
    std::span<const model::candle> candles; // upserts keyed by (symbol, interval, window_start)
    std::span<const model::tick> latest;    // the newest tick per symbol; replaces an older one only
    std::span<const state_change> state;    // opaque key/values: consumed offsets, engine state
    // Empty, or one version per candle / per state change: a shared store
    // keeps, of two writes of the same row or key, the one with the higher
    // version whatever their order (Cassandra's USING TIMESTAMP), so that a
    // replica replaying older records, or a stalled one waking up, never
    // overwrites newer data. Versions are positive.
    std::span<const int64_t> candle_versions = {};
    std::span<const int64_t> state_versions = {};
    // Empty, or the ends (exclusive indices into state, ascending, the last
    // one state.size()) of runs of state changes that a shared store applies
    // all or none; of one key scope (see cassandra_store), the last run is
    // applied after the others. Without runs each change stands alone.
    std::span<const uint32_t> state_groups = {};
};

// The tables of DESIGN.md: ticks ((symbol, day), event_time, seq), candles
// ((symbol, interval, bucket), window_start), latest (symbol). Thread-safe:
// one writer and any number of readers at once.
// What write_backfill() did with each candle it was given.
struct backfill_outcome {
    size_t written = 0;   // stored (new, over a filler, or over an older backfilled one)
    size_t kept_live = 0; // a candle built from ticks was there already; it stays
};

class store {
public:
    virtual ~store() = default;
    // A filler candle (no ticks, not backfilled) in b never replaces a stored
    // backfilled candle: a vendor's bar for a window the feed missed says more
    // than "no trades seen".
    virtual result<void> write(const write_batch& b) = 0;
    // Stores candles from a data vendor's bars (marked backfilled) in one
    // atomic write, except over a stored candle built from ticks (live data
    // wins, so nothing is counted twice), together with the backfiller's own
    // state changes. Safe beside the writer.
    virtual result<backfill_outcome> write_backfill(std::span<const model::candle> candles,
                                                    std::span<const state_change> state) = 0;
    virtual result<std::vector<model::candle>> candles(std::string_view symbol, model::interval iv,
                                                       const range& r) = 0;
    virtual result<std::vector<model::tick>> ticks(std::string_view symbol, const range& r) = 0;
    virtual result<std::vector<model::tick>> latest() = 0;
    virtual result<std::optional<model::tick>> latest(std::string_view symbol) = 0;
    virtual result<std::vector<std::string>> symbols() = 0;
    // Every state key/value whose key starts with prefix, in key order.
    virtual result<std::vector<std::pair<std::string, std::string>>> load_state(std::string_view prefix) = 0;
    // Makes every write so far durable on disk (fsync).
    virtual result<void> sync() = 0;
    // Deletes the ticks older than the store's retention before now (event
    // time); a store whose tables expire on their own (TTL) does nothing.
    // Serialized with write() by the caller's thread.
    virtual result<void> enforce_retention(mdsp::event_time now) { return ok(); }
    // Several processes may write this store at once (a cluster database):
    // state under a key prefix is then shared by every replica, and write()
    // honours write_batch's versions instead of being atomic.
    virtual bool shared() const { return false; }
    // Sets the state key to value unless it has a value already, and returns
    // the value it holds afterwards. In a shared store this is one decision
    // for every replica (Cassandra: a lightweight transaction): of several
    // racing on a new key, one value wins and all of them get it. Here, for
    // a store with one writer, a read and a write.
    virtual result<std::string> put_state_if_absent(const std::string& key, const std::string& value);
};

} // namespace mdsp::store

MDSP_DECLARE_ERRC(mdsp::store)
