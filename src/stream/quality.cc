#include "stream/quality.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "model/text.h"
#include "stream/candle_engine.h"

namespace mdsp::stream {

namespace {
constexpr std::string_view check_names[quality_check_count] = {
    "spike", "stall", "clock_skew", "out_of_order", "duplicate", "late", "crossed", "bad_number", "invalid"};

// Weight of a new sample in the exponentially weighted estimates: 1/16,
// about the last 16 returns or gaps.
constexpr double ewma_weight = 1.0 / 16;

result<void> check_thresholds(const quality_thresholds& t, std::string_view where) {
    auto bad = [&](std::string_view what) -> result<void> {
        return make_error(errc::bad_config,
                          "quality{}: {} (set it to a positive number, or 0 to turn it off)", where, what);
    };
    if (!(t.spike_k >= 0) || !std::isfinite(t.spike_k)) {
        return bad("spike_k must be a finite number of at least 0");
    }
    if (!(t.min_jump >= 0) || !(t.max_jump >= 0) || !std::isfinite(t.min_jump)
        || !std::isfinite(t.max_jump)) {
        return bad("min_jump and max_jump must be finite fractions of at least 0");
    }
    if (t.warmup < 1 || t.warmup > 1'000'000) {
        return bad("warmup must be 1..1000000 returns");
    }
    if (!(t.stall_factor >= 0) || !std::isfinite(t.stall_factor)) {
        return bad("stall_factor must be a finite number of at least 0");
    }
    if (t.stall_min_us < 0 || t.max_skew_us < 0) {
        return bad("stall_min and max_skew must not be negative");
    }
    return ok();
}

// A replayed file's ticks are historical: their ingest time is when the file
// was read, so their skew says nothing about a clock.
bool live_source(std::string_view source) {
    return !source.starts_with("replay");
}
} // namespace

std::string_view quality_check_name(quality_check c) {
    return check_names[static_cast<size_t>(c)];
}

result<void> quality_config::validate(const quality_config& c) {
    if (auto r = check_thresholds(c.defaults, ""); !r) {
        return r;
    }
    for (const auto& [name, t] : c.asset_types) {
        if (auto r = check_thresholds(t, fmt::format(".asset_types.\"{}\"", name)); !r) {
            return r;
        }
    }
    for (const auto& [name, t] : c.symbols) {
        if (auto r = check_thresholds(t, fmt::format(".symbols.\"{}\"", name)); !r) {
            return r;
        }
    }
    if (c.asset_types.size() + c.symbols.size() >= std::numeric_limits<uint16_t>::max()) {
        return make_error(errc::bad_config, "quality: at most 65534 overrides by asset type and symbol");
    }
    if (c.top < 1 || c.top > 1000) {
        return make_error(errc::bad_config, "quality.top must be 1..1000 symbols per check");
    }
    return ok();
}

quality_monitor::quality_monitor(quality_config cfg)
  : _cfg(std::move(cfg)) {
    static_assert(sizeof(sym) <= 64, "a symbol's quality state is to stay one cache line (issue 11)");
    auto& reg = metrics::global();
    for (size_t i = 0; i < quality_check_count; ++i) {
        _counters[i] = &reg.get_counter("mdsp_quality_events_total",
                                        "Data-quality findings of the processing stage, by check",
                                        {{"check", std::string(check_names[i])}});
    }
    _stalled_gauge =
        &reg.get_gauge("mdsp_quality_stalled_symbols",
                       "Symbols silent for many times their usual gap while their source goes on");
    _profiles.push_back(_cfg.defaults);
    for (const auto& [name, t] : _cfg.asset_types) {
        _asset_profile.emplace(name, static_cast<uint16_t>(_profiles.size()));
        _profiles.push_back(t);
    }
    for (const auto& [name, t] : _cfg.symbols) {
        _symbol_profile.emplace(name, static_cast<uint16_t>(_profiles.size()));
        _profiles.push_back(t);
    }
}

uint16_t quality_monitor::profile_for(const model::tick& t) const {
    if (auto it = _symbol_profile.find(t.symbol); it != _symbol_profile.end()) {
        return it->second;
    }
    if (t.asset_type) {
        if (auto it = _asset_profile.find(*t.asset_type); it != _asset_profile.end()) {
            return it->second;
        }
    }
    return 0;
}

uint16_t quality_monitor::source_index(std::string_view name) {
    for (size_t i = 0; i < _sources.size(); ++i) {
        if (_sources[i].name == name) {
            return static_cast<uint16_t>(i);
        }
    }
    // Sources are few (one per feed or file); past the index range they share
    // the last clock, which only makes stalls among them less sensitive.
    if (_sources.size() >= std::numeric_limits<uint16_t>::max()) {
        return static_cast<uint16_t>(_sources.size() - 1);
    }
    _sources.emplace_back().name = std::string(name);
    return static_cast<uint16_t>(_sources.size() - 1);
}

uint32_t quality_monitor::symbol_index(const model::tick& t) {
    if (auto it = _index.find(t.symbol); it != _index.end()) {
        return it->second;
    }
    auto i = static_cast<uint32_t>(_syms.size());
    const std::string& name = _names.emplace_back(t.symbol);
    _index.emplace(std::string_view(name), i);
    auto& s = _syms.emplace_back();
    s.profile = profile_for(t);
    s.source = source_index(t.source);
    return i;
}

quality_verdict quality_monitor::check(const model::tick& t) {
    quality_verdict v;
    if (!_cfg.enabled) {
        return v;
    }
    auto it = _index.find(t.symbol);
    const quality_thresholds& th =
        it == _index.end() ? _profiles[profile_for(t)] : _profiles[_syms[it->second].profile];
    v.rules = &th;
    if (th.max_skew_us > 0 && live_source(t.source)) {
        // Subtracting in unsigned arithmetic cannot overflow for any two times.
        uint64_t d = static_cast<uint64_t>(t.ingest_time()) - static_cast<uint64_t>(t.event_time());
        uint64_t mag = t.ingest_time() >= t.event_time() ? d : 0 - d;
        v.clock_skew = mag > static_cast<uint64_t>(th.max_skew_us);
    }
    if (it == _index.end()) {
        return v;
    }
    v.symbol = it->second;
    v.out_of_order = t.event_time() < _syms[it->second].last_et;
    return v;
}

bool spike_estimator::judge(double price, const quality_thresholds& th) const noexcept {
    if (!(last_price > 0) || !(price > 0)) {
        return false;
    }
    double r = std::fabs(std::log(price / last_price));
    bool by_fraction = th.max_jump > 0 && std::fabs(price / last_price - 1) > th.max_jump;
    bool by_scale = th.spike_k > 0 && returns >= static_cast<uint32_t>(th.warmup) && r > th.min_jump
                    && r > th.spike_k * scale;
    return by_fraction || by_scale;
}

void spike_estimator::update(double price, const quality_thresholds& th, bool spike) noexcept {
    if (last_price > 0) {
        double r = std::fabs(std::log(price / last_price));
        // Clipped, so that one bad print barely moves the scale it is judged by.
        if (returns >= static_cast<uint32_t>(th.warmup) && th.spike_k > 0) {
            r = std::min(r, th.spike_k * scale);
        }
        scale = returns == 0 ? r : scale + ewma_weight * (r - scale);
        returns += returns < UINT32_MAX ? 1 : 0;
    }
    // A lone bad print does not become the reference: the next tick is
    // judged against the price before it. A second spike in a row is a new
    // level (a real gap), which becomes the reference.
    if (!spike || spike_run >= 1) {
        last_price = price;
        spike_run = 0;
    } else {
        ++spike_run;
    }
}

void quality_monitor::accept(const model::tick& t, const quality_verdict& v,
                             std::vector<std::string>* stalled) {
    if (!_cfg.enabled) {
        return;
    }
    const int64_t et = t.event_time();
    // The index check() found, unless the verdict is of another tick.
    uint32_t si = v.symbol < _syms.size() && _names[v.symbol] == t.symbol ? v.symbol : symbol_index(t);
    sym& s = _syms[si];
    const quality_thresholds& th = _profiles[s.profile];
    if (s.seen && et > s.last_et) {
        int64_t gap = et - s.last_et;
        s.gap_us = s.gaps == 0 ? gap : s.gap_us + static_cast<int64_t>(ewma_weight * double(gap - s.gap_us));
        s.gaps += s.gaps < UINT32_MAX ? 1 : 0;
    }
    s.seen = true;
    s.last_et = std::max(s.last_et, et);
    if (s.stalled) {
        s.stalled = false;
        --_stalled;
        _stalled_gauge->set(static_cast<double>(_stalled.load()));
    }
    if (v.spike) {
        record(quality_check::spike, t.symbol, et);
    }
    if (v.clock_skew) {
        record(quality_check::clock_skew, t.symbol, et);
    }
    if (v.out_of_order) {
        record(quality_check::out_of_order, t.symbol, et);
    }

    uint16_t src = _sources[s.source].name == t.source ? s.source : source_index(t.source);
    if (src != s.source) {
        s.source = src;
        s.queued_at = 0; // its entry in the old source's heap is stale now
    }
    if (th.stall_factor > 0 && s.gaps >= static_cast<uint32_t>(th.warmup)) {
        int64_t wait = std::max<int64_t>(
            th.stall_min_us, static_cast<int64_t>(std::min(9.0e18, th.stall_factor * double(s.gap_us))));
        s.deadline = s.last_et > INT64_MAX - wait ? INT64_MAX : s.last_et + wait;
        schedule(si);
    }
    auto& clock = _sources[src];
    clock.now = std::max(clock.now, et);
    expire(clock, stalled);
}

void quality_monitor::schedule(uint32_t si) {
    sym& s = _syms[si];
    if (s.queued_at == 0) {
        s.queued_at = s.deadline;
        _sources[s.source].heap.emplace(s.deadline, si);
    }
}

void quality_monitor::expire(source_clock& src, std::vector<std::string>* stalled) {
    const auto src_index = static_cast<uint16_t>(&src - _sources.data());
    while (!src.heap.empty() && src.heap.top().first < src.now) {
        auto [at, si] = src.heap.top();
        src.heap.pop();
        sym& s = _syms[si];
        if (s.source != src_index || s.queued_at != at) {
            continue; // stale: the symbol moved to another source
        }
        s.queued_at = 0;
        if (s.deadline >= src.now) {
            schedule(si); // it ticked since: wait for its new deadline
            continue;
        }
        if (!s.stalled) {
            s.stalled = true;
            ++_stalled;
            _stalled_gauge->set(static_cast<double>(_stalled.load()));
            record(quality_check::stall, _names[si], src.now);
            if (stalled) {
                stalled->push_back(_names[si]);
            }
        }
    }
}

void quality_monitor::note(quality_check c, std::string_view symbol, int64_t event_us) {
    if (_cfg.enabled) {
        record(c, symbol, event_us);
    }
}

// Space-saving: a symbol already listed counts up; a new one takes a free
// slot, or replaces the least counted, inheriting its count as its error.
void quality_monitor::record(quality_check c, std::string_view symbol, int64_t event_us) {
    _counters[static_cast<size_t>(c)]->inc();
    // A refused tick's symbol may be anything a source sent: the summary
    // keeps at most a valid symbol's length of it (the API escapes the rest).
    symbol = symbol.substr(0, model::max_symbol_bytes);
    std::lock_guard lock(_mu);
    auto& sm = _summaries[static_cast<size_t>(c)];
    ++sm.total;
    for (auto& e : sm.top) {
        if (e.symbol == symbol) {
            ++e.count;
            e.last_event_us = event_us;
            return;
        }
    }
    if (sm.top.size() < _cfg.top) {
        sm.top.push_back({std::string(symbol), 1, 0, event_us});
        return;
    }
    auto least = std::min_element(sm.top.begin(), sm.top.end(),
                                  [](const auto& a, const auto& b) { return a.count < b.count; });
    least->symbol.assign(symbol);
    least->error = least->count;
    ++least->count;
    least->last_event_us = event_us;
}

quality_report quality_monitor::report() const {
    quality_report r;
    {
        std::lock_guard lock(_mu);
        for (size_t i = 0; i < quality_check_count; ++i) {
            auto& c = r.checks.emplace_back();
            c.kind = static_cast<quality_check>(i);
            c.total = _summaries[i].total;
            c.top = _summaries[i].top;
            std::stable_sort(c.top.begin(), c.top.end(), [](const auto& a, const auto& b) {
                return a.count != b.count ? a.count > b.count : a.symbol < b.symbol;
            });
        }
    }
    return r;
}

uint64_t quality_monitor::total(quality_check c) const {
    std::lock_guard lock(_mu);
    return _summaries[static_cast<size_t>(c)].total;
}

uint64_t quality_monitor::stalled_now() const {
    return _stalled.load(std::memory_order_relaxed);
}

} // namespace mdsp::stream
