#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <queue>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/metrics.h"
#include "base/result.h"
#include "model/tick.h"
#include "stream/quality_rules.h"

namespace mdsp::stream {

// The data-quality findings of the processing stage, by name in /metrics
// and /api/v1/quality. spike, stall, clock_skew and out_of_order keep the
// tick; the others are what the engine's dedupe, its lateness and
// model::check_tick already refuse, counted here per symbol too.
enum class quality_check : uint8_t {
    spike,        // a price jump beyond k robust deviations or beyond max_jump; the tick is kept
    stall,        // a symbol silent for stall_factor times its usual gap while its source goes on
    clock_skew,   // |ingest_time - event_time| beyond max_skew (live sources only)
    out_of_order, // an event time older than the symbol's previous one
    duplicate,    // the engine's dedupe dropped it
    late,         // past the allowed lateness: dead-lettered
    crossed,      // a crossed or locked quote (bid >= ask): dead-lettered
    bad_number,   // a price, size, bid or ask not finite or out of sign: dead-lettered
    invalid,      // any other reason model::check_tick gives (text, far future): dead-lettered
};
inline constexpr size_t quality_check_count = 9;
std::string_view quality_check_name(quality_check c);

// [quality] of the configuration: the defaults, then overrides by asset type
// (the tick's asset_type) and by symbol; a symbol's override wins.
struct quality_config {
    bool enabled = true;
    quality_thresholds defaults;
    std::map<std::string, quality_thresholds> asset_types;
    std::map<std::string, quality_thresholds> symbols;
    size_t top = 20; // symbols kept per check for /api/v1/quality

    static result<void> validate(const quality_config& c);
};

// What the checks found for one tick, before the engine takes it: the spike
// flag goes with the tick into its candles.
struct quality_verdict {
    // The spike rule's thresholds for the tick's symbol, for the engine,
    // which keeps each symbol's estimator (candle_engine::add); null when
    // the checks are off. The engine's finding goes in spike.
    const quality_thresholds* rules = nullptr;
    bool spike = false;
    bool clock_skew = false;
    bool out_of_order = false;
    // The monitor's index of the symbol when check() knew it, so accept()
    // does not look the name up again; not meaningful to callers.
    uint32_t symbol = UINT32_MAX;
};

// A bounded report: per check the total and the symbols seen most often, by
// the space-saving summary (Metwally et al.): at most `top` entries, a
// symbol's count is exact while it stays in, and overstated by at most
// `error` after it replaced another.
struct quality_report {
    struct entry {
        std::string symbol;
        uint64_t count = 0;
        uint64_t error = 0;
        int64_t last_event_us = 0; // event time of the last occurrence
    };
    struct check {
        quality_check kind{};
        uint64_t total = 0;
        std::vector<entry> top; // by count, descending
    };
    std::vector<check> checks;
    uint64_t stalled_now = 0; // symbols stalled and not heard from since
    uint64_t symbols = 0;
};

// Per-symbol data-quality state and the checks of every tick, O(1) per tick
// whatever the number of symbols: a symbol costs one fixed-size record (the
// `sym` struct, 64 bytes) plus its name and index entry; stalls come from a
// min-heap of deadlines per source, popped only as that source's event
// time passes them, never from a scan of the symbols.
//
// Metrics (its own): mdsp_quality_events_total{check} per finding, by the
// names of quality_check_name (never a series per symbol), and
// mdsp_quality_stalled_symbols.
//
// Threads: owned by the processing thread (check, accept, note); report()
// may be called from any thread (the HTTP server's): the summaries it reads
// are under a mutex taken only when a check fires.
// The spike rule's estimators are not here but in the candle engine
// (spike_estimator, saved with its state), since the candles carry the
// flag; what is here (gaps, stalls, summaries) is in memory only and
// starts over after a restart.
class quality_monitor {
public:
    explicit quality_monitor(quality_config cfg);

    // Checks t before the engine takes it; changes nothing. The spike
    // finding is the engine's (candle_engine::add with verdict.rules).
    quality_verdict check(const model::tick& t);
    // The engine accepted t with this verdict: the gap estimate and the
    // stall deadlines move on, the findings are counted. Returns the symbols
    // found stalled by the time t's source has reached (appended to stalled).
    void accept(const model::tick& t, const quality_verdict& v, std::vector<std::string>* stalled = nullptr);
    // A tick the engine or validation did not take (duplicate, late, invalid).
    void note(quality_check c, std::string_view symbol, int64_t event_us);

    quality_report report() const;
    // Totals by check (the probe's counters follow these).
    uint64_t total(quality_check c) const;
    uint64_t stalled_now() const;
    const quality_config& config() const { return _cfg; }

private:
    struct sym {
        int64_t last_et = 0;   // newest event time
        int64_t gap_us = 0;    // EWMA of the gaps between event times
        int64_t deadline = 0;  // stalled when its source passes this; 0 = none
        int64_t queued_at = 0; // the deadline of its one live heap entry; 0 = none
        uint32_t gaps = 0;     // saturating
        uint16_t profile = 0;  // index into _profiles
        uint16_t source = 0;   // index into _sources
        bool seen = false;     // a tick of it was accepted
        bool stalled = false;
    };
    using deadline_entry = std::pair<int64_t, uint32_t>; // (deadline, symbol index)
    struct source_clock {
        std::string name;
        int64_t now = INT64_MIN; // newest event time of the source
        std::priority_queue<deadline_entry, std::vector<deadline_entry>, std::greater<>> heap;
    };
    struct summary {
        uint64_t total = 0;
        std::vector<quality_report::entry> top;
    };

    uint32_t symbol_index(const model::tick& t);
    uint16_t source_index(std::string_view name);
    uint16_t profile_for(const model::tick& t) const;
    void schedule(uint32_t si);
    void expire(source_clock& src, std::vector<std::string>* stalled);
    void record(quality_check c, std::string_view symbol, int64_t event_us);

    quality_config _cfg;
    std::vector<quality_thresholds> _profiles; // 0 = defaults, then asset types, then symbols
    std::unordered_map<std::string, uint16_t> _asset_profile;
    std::unordered_map<std::string, uint16_t> _symbol_profile;
    std::vector<sym> _syms;
    std::deque<std::string> _names; // stable, the keys of _index view into them
    std::unordered_map<std::string_view, uint32_t> _index;
    std::vector<source_clock> _sources;
    std::atomic<uint64_t> _stalled{0}; // read by report() callers on other threads

    std::array<metrics::counter*, quality_check_count> _counters{};
    metrics::gauge* _stalled_gauge = nullptr;
    mutable std::mutex _mu; // guards _summaries (writers: rare findings; readers: report())
    std::array<summary, quality_check_count> _summaries;
};

} // namespace mdsp::stream
