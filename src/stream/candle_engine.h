#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/named_type.h"
#include "base/result.h"
#include "model/candle.h"
#include "model/interval.h"
#include "model/tick.h"
#include "stream/quality_rules.h"

namespace mdsp::stream {

enum class errc {
    bad_state = 1,
    bad_config,
};

struct engine_config {
    std::vector<model::interval> intervals = model::default_intervals();
    // Watermark = max event time seen in a partition minus this.
    int64_t out_of_orderness_us = 2'000'000;
    // A final window still takes ticks this long after the watermark passed
    // its end (each such change re-emits it with revision + 1); later ones are late.
    int64_t allowed_lateness_us = 60'000'000;
    // Emit fillers (OHLC = previous close, volume 0) for empty windows
    // between two windows with ticks, as runs (model::filler_run): a gap of
    // any length is one record.
    bool fill_gaps = true;
};

enum class tick_outcome {
    accepted,
    duplicate, // seq not above the last seen for (source, symbol): counted, dropped
    late,      // its window is past the allowed lateness: counted, dead-lettered by the caller
};

struct engine_stats {
    uint64_t accepted = 0;
    uint64_t duplicates = 0;
    uint64_t late = 0;
    uint64_t open_windows = 0;
};

// Event-time tumbling-window candle builder (DESIGN.md "Candle semantics").
// Single-threaded: owned by the processing thread. Deterministic: the same
// ticks in any arrival order within the allowances give the same candles.
class candle_engine {
public:
    // cfg must pass validate(); an invalid one is a broken invariant (abort).
    explicit candle_engine(engine_config cfg);
    ~candle_engine();
    candle_engine(candle_engine&&) noexcept;
    candle_engine& operator=(candle_engine&&) noexcept;

    // Adds one tick read from log partition p (watermarks are per partition).
    // spike_rules: the data-quality spike thresholds of its symbol
    // (stream/quality.h), or null for no spike check. The engine keeps each
    // symbol's spike_estimator with its windows and state; a tick it
    // accepts and judges a spike counts as any other, and every candle it
    // lands in carries candle::spike from then on. *spiked (when given) says
    // whether it was; always false unless accepted.
    tick_outcome add(const model::tick& t, partition_id p, const quality_thresholds* spike_rules = nullptr,
                     bool* spiked = nullptr);

    // Ends a bounded input (a replayed file): every window up to the newest
    // one with ticks is finalized now (fillers included), as if the watermark
    // had passed them. The watermarks themselves do not move, so the engine
    // goes on taking input afterwards (another replay, a live source): ticks
    // are judged against the watermarks and the lateness as before, and a tick
    // into a window finalized here, while within the lateness, re-emits it
    // with revision + 1. Nothing of finish() itself is saved in the state
    // beyond the candles it finalized.
    void finish();
    // finish() in steps of at most max_symbols symbols, so that a caller can
    // take and write what each step finalized before the next (a universe of
    // symbols is not one giant batch): true once every symbol is done. Any
    // add() between two steps starts the next call over.
    bool finish_some(size_t max_symbols);

    // Appends every candle that changed since the last call, at most once per
    // (symbol, interval, window_start), in its latest state: open windows with
    // final=false; finalized ones with final=true. Windows without ticks go to
    // fillers as runs of alike consecutive windows, never one per window.
    // Calling this at the commit cadence is what throttles live updates.
    void take_updates(std::vector<model::candle>& out, std::vector<model::filler_run>& fillers);

    // Appends the engine-state changes since the last call as key/values
    // (nullopt = delete), to be written in the same atomic store write as the
    // candles and the consumed offsets.
    void take_state_changes(std::vector<std::pair<std::string, std::optional<std::string>>>& out);

    // Rebuilds the engine from every key/value take_state_changes produced and
    // a store kept (load_state of the engine prefix). Call before any add().
    result<void> restore(const std::vector<std::pair<std::string, std::string>>& state);

    // The key prefix of all engine state.
    static constexpr std::string_view state_prefix = "engine/";
    // The symbol a state key belongs to, or "" for a key of the whole engine
    // (watermarks, counters). A store that cannot write a whole batch of
    // state changes atomically must keep each symbol's keys together, and
    // write the whole-engine keys only after them: the restored engine then
    // never has a symbol half before and half after a tick, nor a watermark
    // ahead of a symbol's windows.
    static std::string_view state_key_symbol(std::string_view key);

    engine_stats stats() const;

    // Checks a configuration before constructing an engine with it: 1..16
    // distinct positive intervals, non-negative out_of_orderness and lateness.
    static result<void> validate(const engine_config& cfg);

private:
    struct impl;
    std::unique_ptr<impl> _impl;
};

} // namespace mdsp::stream

MDSP_DECLARE_ERRC(mdsp::stream)
