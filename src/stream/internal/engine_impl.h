#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/metrics.h"
#include "stream/candle_engine.h"
#include "stream/internal/window.h"

namespace mdsp::stream::internal {

class reader;

constexpr int64_t no_time = std::numeric_limits<int64_t>::min();
constexpr int64_t max_time = std::numeric_limits<int64_t>::max();
// Event times beyond this many microseconds from the epoch (~36,000 years)
// cannot be windowed without overflow; such ticks are rejected as late.
constexpr int64_t time_range = int64_t(1) << 60;
constexpr size_t max_intervals = 16;
// A series with at most this many windows to save keeps them in its
// symbol's engine/y value: a sparse universe then writes one key per symbol
// a commit, not one per window (see series::embedded).
constexpr size_t embed_limit = 8;
static_assert(embed_limit < 128, "the count of embedded windows is one varint byte");

struct string_hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

// Dedupe state of one (source, symbol).
struct source_seq {
    std::string name;
    int64_t max_seq = 0;
};

struct symbol_state {
    std::string name;
    std::vector<source_seq> sources; // usually one
    std::vector<int32_t> partitions; // the partitions its ticks came from; usually one
    // The symbol's watermark never goes back: when a partition is added whose
    // watermark is lower, this holds the watermark the symbol had reached.
    int64_t wm_floor = no_time;
    uint32_t first_series = 0; // series of interval i: first_series + i
    // The symbol watermark at which a refresh has work to do (a window to
    // finalize or purge), as scheduled in its partition's timers; max_time
    // when nothing is scheduled. Symbols on several partitions are swept
    // every time instead (multi).
    int64_t wake = max_time;
    spike_estimator spike; // the data-quality spike rule's state (quality_rules.h)
    bool multi = false;
    bool queued = false; // in impl::dirty_symbols: its state key is written at the next take
};

// (wake watermark, symbol index), a min-heap by wake.
using timer = std::pair<int64_t, uint32_t>;

struct partition_state {
    int64_t max_et = no_time;
    bool dirty = false;
    // The symbols read only from this partition that have a window to
    // finalize or purge, by the watermark at which they do: a commit visits
    // only the symbols whose time has come, not the whole universe.
    std::vector<timer> timers;
};

// The windows of one (symbol, interval). Window indices are window_start /
// width. Invariants once has_real:
//  - windows < base are purged ("closed"): past the allowed lateness, or
//    empty windows an idle series skipped when its next tick came (those
//    within the lateness come back on a late tick, see rebase); the newest
//    real one among them is remembered in closed_*;
//  - windows in [first_real, cursor) are final and have been emitted: each is
//    real, a materialized filler, or (below base) gone; finality is always a
//    prefix of the series, so a window is final exactly when it is < cursor;
//  - min(final_limit, newest_real + 1) <= cursor <= newest_real + 1 after a
//    refresh;
//  - the ring covers [base, newest_real] while base <= newest_real; once
//    everything is purged (an idle series) the ring is freed, so a silent
//    symbol costs only its open windows of the wide intervals. The cursor is normally min(final_limit,
//    newest_real + 1); finish() moves it to newest_real + 1 without touching the watermark, so after it
//    windows past the watermark's final limit can be final. Lateness and purging (base) follow the watermark
//    only.
//
// The ring holds handles into the engine's window pool (impl::pool), 0 for
// an empty window, so a span of empty windows (the silence between two ticks
// of a sparse symbol, within the lateness) costs 4 bytes a window. With
// fill_gaps, an empty window in (first_real, cursor) is a filler at the close
// of the nearest window with a value before it (impl::close_before): it is
// emitted as part of a filler run when it becomes final and takes a pool
// window only once something changes it (a late tick, a revaluation).
struct series {
    int64_t width = 0;
    std::vector<uint32_t> ring; // power-of-two size; window i's handle is ring[i & mask]
    uint64_t mask = 0;
    int64_t base = no_time;
    bool has_real = false;
    int64_t first_real = 0;
    int64_t newest_real = 0;
    int64_t cursor = 0;
    bool has_closed = false;
    // Its windows are saved inside its symbol's engine/y value (a sparse
    // series: at most embed_limit of them), not one engine/w key each; decided
    // at each write of that value (take_state_changes).
    bool embedded = true;
    int64_t closed_idx = 0;
    double closed_close = 0;
    // Derived from the watermark (not saved): windows < final_limit are final,
    // windows < purge_limit are past lateness; both hold until wm >= wm_next.
    int64_t final_limit = no_time;
    int64_t purge_limit = no_time;
    int64_t wm_next = no_time;
    // The window of the last tick, to skip the division on most ticks.
    int64_t hot_idx = 0;
    int64_t hot_start = 0;
    int64_t hot_end = 0;

    uint32_t& slot(int64_t idx) noexcept { return ring[static_cast<uint64_t>(idx) & mask]; }
    uint32_t slot(int64_t idx) const noexcept { return ring[static_cast<uint64_t>(idx) & mask]; }
    int64_t capacity() const noexcept { return static_cast<int64_t>(ring.size()); }
    int64_t window_of(int64_t et) noexcept {
        if (et >= hot_start && et < hot_end) [[likely]] {
            return hot_idx;
        }
        hot_idx = floor_div(et, width);
        hot_start = hot_idx * width;
        hot_end = hot_start + width;
        return hot_idx;
    }
};

// (series index, window index)
using window_ref = std::pair<uint32_t, int64_t>;

// The engine's windows, addressed by handle (1-based; 0 = none). Chunks
// never move, so a window& stays valid while others are allocated; freed
// windows are reused, so the pool is as large as the most windows ever held
// at once, not the sum of all.
class window_pool {
public:
    window& operator[](uint32_t h) noexcept { return _chunks[(h - 1) >> chunk_bits][(h - 1) & chunk_mask]; }
    const window& operator[](uint32_t h) const noexcept {
        return _chunks[(h - 1) >> chunk_bits][(h - 1) & chunk_mask];
    }
    uint32_t allocate() {
        if (!_free.empty()) {
            uint32_t h = _free.back();
            _free.pop_back();
            return h;
        }
        if ((_size & chunk_mask) == 0) {
            _chunks.push_back(std::make_unique<window[]>(chunk_mask + 1));
        }
        return ++_size;
    }
    void release(uint32_t h) {
        (*this)[h] = window{};
        _free.push_back(h);
    }

private:
    static constexpr uint32_t chunk_bits = 10;
    static constexpr uint32_t chunk_mask = (1u << chunk_bits) - 1;
    std::vector<std::unique_ptr<window[]>> _chunks;
    std::vector<uint32_t> _free;
    uint32_t _size = 0;
};

} // namespace mdsp::stream::internal

namespace mdsp::stream {

struct candle_engine::impl {
    explicit impl(engine_config c);

    engine_config cfg;
    std::vector<int64_t> widths;
    size_t largest = 0; // the index of the largest width: the spike estimators start over with its windows
    std::vector<std::string> interval_names;

    std::unordered_map<std::string, uint32_t, internal::string_hash, std::equal_to<>> symbol_index;
    std::vector<internal::symbol_state> symbols;
    std::vector<internal::series> series;
    std::vector<internal::partition_state> partitions; // by partition id
    internal::window_pool pool;                        // the windows the series' rings refer to

    // Dirty lists; the flags in the items keep each entry unique.
    std::vector<internal::window_ref> update_queue;
    std::vector<internal::window_ref> state_queue;
    std::vector<internal::window_ref> state_deletes;
    std::vector<uint32_t> dirty_symbols;
    std::vector<std::string> legacy_keys; // of older versions, deleted at the next take
    std::vector<int32_t> dirty_partitions;
    std::vector<uint32_t> multi_symbols;   // on more than one partition: swept every time
    std::vector<model::candle> purged_out; // emissions of windows purged before take_updates
    std::vector<model::filler_run> purged_fillers;

    engine_stats counts;
    engine_stats saved_counts; // as of the last take_state_changes
    engine_stats published;    // as last added to the metrics registry
    // finish_some(): the next symbol, and the tick count when it stopped.
    size_t finish_next = 0;
    uint64_t finish_step_counts = 0;
    uint64_t emitted_final = 0;
    uint64_t emitted_open = 0;

    metrics::counter* m_accepted;
    metrics::counter* m_duplicate;
    metrics::counter* m_late;
    metrics::counter* m_final;
    metrics::counter* m_open;

    uint32_t symbol_for(std::string_view name);
    internal::partition_state& partition(partition_id p);
    int64_t symbol_wm(const internal::symbol_state& s) const noexcept;

    void apply(uint32_t sid, int64_t w, int64_t et, int64_t seq, double price, bool has_size, double size,
               int64_t wm, bool spike);
    // Brings a series up to the watermark: final emissions, fillers, purges.
    void refresh(uint32_t sid, int64_t wm);
    // Emits windows [cursor, target) final (empty ones as fillers) and moves
    // the cursor to target; target <= newest_real + 1.
    void finalize_to(uint32_t sid, int64_t target);
    // Refreshes the symbols whose timers are due (and those on several
    // partitions): the work of a commit follows what changed, not how many
    // symbols there are.
    void sweep();
    void refresh_symbol(uint32_t si);
    // The symbol watermark at which refresh() has work for a series.
    int64_t series_wake(const internal::series& s) const noexcept;
    int64_t symbol_wake(uint32_t si) const noexcept;
    // Puts the symbol on its partition's timers when its wake came earlier.
    void schedule(uint32_t si);
    void grow(internal::series& s, int64_t idx);
    // Lowers base to idx (an older window within the lateness than any yet).
    void rebase(uint32_t sid, int64_t idx);
    void skip_silence(internal::series& s);
    void unqueue_purged_fillers(uint32_t sid, int64_t lo, int64_t hi);
    // Appends count filler windows of series sid from idx to out, extending
    // the last run when they continue it (same series, value, revision and
    // finality, the next window).
    struct run_tracker {
        uint32_t sid = UINT32_MAX;
        int64_t end = 0;
    };
    void add_fillers(std::vector<model::filler_run>& out, run_tracker& t, uint32_t sid, int64_t idx,
                     int64_t count, double close, int64_t revision, bool final) const;
    void revalue_fillers_after(uint32_t sid, int64_t w, double close);
    model::candle make_candle(uint32_t sid, int64_t idx, const internal::window& x, bool final) const;

    // restore(), one key kind each (engine_state.cc). Windows are read
    // before their series may be, so they wait in the scratch.
    struct restore_scratch {
        std::vector<std::tuple<uint32_t, int64_t, internal::window>> windows;
        std::vector<bool> has_meta;           // by series
        std::vector<uint32_t> legacy_symbols; // restored from the keys of older versions
    };
    result<void> restore_key(std::string_view k, std::string_view v, restore_scratch& r);
    result<void> restore_partition(std::string_view id, internal::reader& v);
    result<void> restore_symbol(std::string_view name, internal::reader& v, restore_scratch& r);
    result<void> restore_legacy_symbol(std::string_view name, internal::reader& v);
    result<void> restore_series_meta(uint32_t sid, internal::reader& v, restore_scratch& r);
    // Appends series sid's windows to its symbol's value when it has at
    // most embed_limit to save and says so (series::embedded); moves them
    // between that and their own keys when the answer changes.
    bool put_embedded(uint32_t sid, std::string& v);
    void move_windows(uint32_t sid, bool embed);
    // The series of (symbol, width) at the start of a 'm' or 'w' key.
    result<uint32_t> restored_series(internal::reader& k);
    // After every key: checks references, places windows, derives the fillers
    // that were not saved, and schedules every symbol.
    result<void> restore_finish(restore_scratch& r);
    run_tracker purged_run; // of purged_fillers

    // Window idx of a series, taken from the pool when it had none (idx must
    // be within its ring).
    internal::window& at(internal::series& s, int64_t idx) {
        uint32_t& h = s.slot(idx);
        if (h == 0) {
            h = pool.allocate();
        }
        return pool[h];
    }
    // Window idx, or null when it is empty (no ticks, not a materialized filler).
    internal::window* peek(internal::series& s, int64_t idx) {
        return const_cast<internal::window*>(std::as_const(*this).peek(std::as_const(s), idx));
    }
    const internal::window* peek(const internal::series& s, int64_t idx) const {
        uint32_t h = s.slot(idx);
        return h != 0 && (pool[h].flags & (internal::window::has_ticks | internal::window::filler)) ? &pool[h]
                                                                                                    : nullptr;
    }
    // Empties window idx, giving its pool window back.
    void clear(internal::series& s, int64_t idx) {
        uint32_t& h = s.slot(idx);
        if (h != 0) {
            pool.release(h);
            h = 0;
        }
    }
    // Gives back every window of a series' ring and the ring itself.
    void free_ring(internal::series& s) {
        for (uint32_t h : s.ring) {
            if (h != 0) {
                pool.release(h);
            }
        }
        std::vector<uint32_t>().swap(s.ring);
        s.mask = 0;
    }
    // An empty window that is a filler without a pool window (see series).
    bool implied_filler(const internal::series& s, int64_t idx) const {
        return cfg.fill_gaps && idx > s.first_real && idx < s.cursor && peek(s, idx) == nullptr;
    }
    // The close of the nearest window before idx with a value (real or
    // filler): what an implied filler at idx is worth.
    double close_before(const internal::series& s, int64_t idx) const {
        for (int64_t j = std::min(idx - 1, s.base + s.capacity() - 1); j >= s.base; --j) {
            if (const auto* x = peek(s, j)) {
                return x->close;
            }
        }
        return s.closed_close;
    }
    // Materializes the implied filler at idx as the filler it was emitted as
    // (revision 0), out of any run not taken yet, before something changes it.
    void claim_implied(uint32_t sid, int64_t idx);

    // The window's candle is emitted at the next take_updates.
    void mark_update(uint32_t sid, int64_t idx, internal::window& x) {
        if (!(x.flags & internal::window::update_dirty)) {
            x.flags |= internal::window::update_dirty;
            update_queue.emplace_back(sid, idx);
        }
    }
    // ... and its state is saved at the next take_state_changes: in its
    // symbol's key when the series is embedded, else in its own.
    void mark(uint32_t sid, int64_t idx, internal::window& x) {
        mark_update(sid, idx, x);
        if (series[sid].embedded) {
            mark_meta(sid);
            return;
        }
        if (!(x.flags & internal::window::state_dirty)) {
            x.flags |= internal::window::state_dirty;
            state_queue.emplace_back(sid, idx);
        }
    }
    // A series' cursor, base or bounds changed: its symbol's key is rewritten.
    void mark_meta(uint32_t sid) { queue_symbol(sid / static_cast<uint32_t>(widths.size())); }
    void queue_symbol(uint32_t si) {
        if (!symbols[si].queued) {
            symbols[si].queued = true;
            dirty_symbols.push_back(si);
        }
    }
};

} // namespace mdsp::stream
