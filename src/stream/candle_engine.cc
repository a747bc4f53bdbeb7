#include "stream/candle_engine.h"

#include <algorithm>
#include <bit>

#include "base/assert.h"
#include "stream/internal/engine_impl.h"

namespace mdsp::stream {
std::string errc_message(errc e) {
    switch (e) {
    case errc::bad_state:
        return "the saved engine state is malformed or does not match this engine";
    case errc::bad_config:
        return "the candle engine configuration is invalid";
    }
    return "unknown stream error";
}
} // namespace mdsp::stream

MDSP_DEFINE_ERRC_CATEGORY(mdsp::stream, "mdsp.stream", errc_message)

namespace mdsp::stream {

using internal::max_time;
using internal::no_time;
using internal::window;

result<void> candle_engine::validate(const engine_config& cfg) {
    if (cfg.intervals.empty() || cfg.intervals.size() > internal::max_intervals) {
        return make_error(errc::bad_config,
                          "the candle engine needs 1 to {} intervals, got {}; set e.g. 1m,5m",
                          internal::max_intervals, cfg.intervals.size());
    }
    for (size_t i = 0; i < cfg.intervals.size(); ++i) {
        int64_t w = cfg.intervals[i].micros();
        if (w <= 0 || w > internal::time_range / 4) {
            return make_error(errc::bad_config,
                              "interval of {} us is out of range; use a positive width up to years", w);
        }
        for (size_t j = 0; j < i; ++j) {
            if (cfg.intervals[j] == cfg.intervals[i]) {
                return make_error(errc::bad_config, "interval {} is listed twice; list each interval once",
                                  cfg.intervals[i].name());
            }
        }
    }
    if (cfg.out_of_orderness_us < 0 || cfg.out_of_orderness_us > internal::time_range / 4) {
        return make_error(errc::bad_config, "out_of_orderness {} us is out of range; use 0 or more (e.g. 2s)",
                          cfg.out_of_orderness_us);
    }
    if (cfg.allowed_lateness_us < 0 || cfg.allowed_lateness_us > internal::time_range / 4) {
        return make_error(errc::bad_config, "allowed_lateness {} us is out of range; use 0 or more (e.g. 1m)",
                          cfg.allowed_lateness_us);
    }
    return ok();
}

candle_engine::impl::impl(engine_config c)
  : cfg(std::move(c)) {
    auto v = validate(cfg);
    MDSP_ASSERT(v.has_value(), "candle_engine: {}", v.has_value() ? "" : v.error().what());
    for (const auto& i : cfg.intervals) {
        widths.push_back(i.micros());
        interval_names.push_back(i.name());
    }
    largest = static_cast<size_t>(std::max_element(widths.begin(), widths.end()) - widths.begin());
    auto& reg = metrics::global();
    const char* ticks_help = "Ticks the candle engine saw, by outcome";
    m_accepted = &reg.get_counter("mdsp_engine_ticks_total", ticks_help, {{"outcome", "accepted"}});
    m_duplicate = &reg.get_counter("mdsp_engine_ticks_total", ticks_help, {{"outcome", "duplicate"}});
    m_late = &reg.get_counter("mdsp_engine_ticks_total", ticks_help, {{"outcome", "late"}});
    const char* candles_help = "Candle updates the engine emitted, open (final=false) and final";
    m_final = &reg.get_counter("mdsp_engine_candles_emitted_total", candles_help, {{"final", "true"}});
    m_open = &reg.get_counter("mdsp_engine_candles_emitted_total", candles_help, {{"final", "false"}});
}

uint32_t candle_engine::impl::symbol_for(std::string_view name) {
    if (auto it = symbol_index.find(name); it != symbol_index.end()) [[likely]] {
        return it->second;
    }
    auto si = static_cast<uint32_t>(symbols.size());
    auto& s = symbols.emplace_back();
    s.name = std::string(name);
    s.first_series = static_cast<uint32_t>(series.size());
    for (int64_t w : widths) {
        series.emplace_back().width = w;
    }
    symbol_index.emplace(s.name, si);
    return si;
}

internal::partition_state& candle_engine::impl::partition(partition_id p) {
    MDSP_ASSERT(p() >= 0 && p() < (1 << 20), "candle_engine: partition {} out of range", p());
    auto i = static_cast<size_t>(p());
    if (i >= partitions.size()) [[unlikely]] {
        partitions.resize(i + 1);
    }
    return partitions[i];
}

int64_t candle_engine::impl::symbol_wm(const internal::symbol_state& s) const noexcept {
    int64_t m = max_time;
    for (int32_t p : s.partitions) {
        m = std::min(m, partitions[static_cast<size_t>(p)].max_et);
    }
    if (m == no_time || m == max_time) {
        return std::max(s.wm_floor, no_time);
    }
    return std::max(s.wm_floor, m - cfg.out_of_orderness_us);
}

model::candle candle_engine::impl::make_candle(uint32_t sid, int64_t idx, const window& x, bool final) const {
    const auto& s = series[sid];
    auto ival = sid % widths.size();
    model::candle c;
    c.symbol = symbols[sid / widths.size()].name;
    c.interval = cfg.intervals[ival];
    x.to_candle(c, idx * s.width);
    c.final = final;
    if (!final) {
        c.revision = 0;
    }
    return c;
}

void candle_engine::impl::grow(internal::series& s, int64_t idx) {
    // The span a series needs is about (out_of_orderness + lateness) / width
    // windows; it only grows past that when a symbol's watermark is held back
    // by another partition.
    auto need = static_cast<uint64_t>(std::max<int64_t>(idx - s.base + 1, 0));
    uint64_t cap = std::bit_ceil(std::max<uint64_t>(need, 1));
    if (s.ring.empty()) {
        s.ring.resize(cap);
        s.mask = cap - 1;
        return;
    }
    std::vector<uint32_t> ring(cap);
    uint64_t mask = cap - 1;
    for (int64_t i = s.base; i < s.base + s.capacity(); ++i) {
        ring[static_cast<uint64_t>(i) & mask] = s.slot(i);
    }
    s.ring = std::move(ring);
    s.mask = mask;
}

void candle_engine::impl::unqueue_purged_fillers(uint32_t sid, int64_t lo, int64_t hi) {
    // Runs not taken yet that cover windows in [lo, hi) lose them: those
    // windows are in the ring again and are emitted from it, once, in their
    // latest state.
    const auto& s = series[sid];
    const auto& name = symbols[sid / widths.size()].name;
    const auto& iv = cfg.intervals[sid % widths.size()];
    std::vector<model::filler_run> kept;
    for (auto& r : purged_fillers) {
        const int64_t a = internal::floor_div(r.first(), s.width);
        const int64_t b = a + r.count;
        if (r.symbol != name || r.interval != iv || b <= lo || a >= hi) {
            kept.push_back(std::move(r));
            continue;
        }
        for (int64_t g = std::max(a, lo); g < std::min(b, hi); ++g) {
            window& x = at(series[sid], g);
            if (!x.real() && !x.is_filler()) {
                x.make_filler(r.close); // as the run had it
                x.revision = r.revision;
            }
            mark(sid, g, x);
        }
        if (a < lo) {
            auto& left = kept.emplace_back(r);
            left.count = lo - a;
        }
        if (b > hi) {
            auto& right = kept.emplace_back(std::move(r));
            right.first = event_time(hi * s.width);
            right.count = b - hi;
        }
    }
    purged_fillers = std::move(kept);
    purged_run = {};
}

void candle_engine::impl::rebase(uint32_t sid, int64_t idx) {
    auto& s = series[sid];
    // Nothing with ticks was ever purged at or above idx (it is within the
    // lateness, and base rises only to the purge limit or over empty windows
    // of an idle series): the ring just reaches down.
    const int64_t old_base = s.base;
    const int64_t top = s.base + s.capacity() - 1;
    uint64_t cap = std::bit_ceil(static_cast<uint64_t>(std::max(top, old_base) - idx + 1));
    std::vector<uint32_t> ring(cap);
    uint64_t mask = cap - 1;
    for (int64_t i = s.base; i <= top; ++i) {
        ring[static_cast<uint64_t>(i) & mask] = s.slot(i);
    }
    s.ring = std::move(ring);
    s.mask = mask;
    s.base = idx;
    // The empty windows base skipped that are final were emitted as a filler
    // run at the close before them (see apply): they are fillers again.
    if (cfg.fill_gaps && s.has_closed) {
        const int64_t lo = std::max(idx, s.first_real + 1);
        const int64_t hi = std::min(old_base, s.cursor);
        for (int64_t g = lo; g < hi; ++g) {
            at(s, g).make_filler(s.closed_close);
        }
        if (lo < hi && !purged_fillers.empty()) {
            unqueue_purged_fillers(sid, lo, hi);
        }
    }
}

void candle_engine::impl::refresh(uint32_t sid, int64_t wm) {
    auto& s = series[sid];
    if (wm >= s.wm_next) {
        s.final_limit = internal::floor_div(wm, s.width);
        s.purge_limit = internal::floor_div(wm - cfg.allowed_lateness_us, s.width);
        s.wm_next =
            std::min((s.final_limit + 1) * s.width, (s.purge_limit + 1) * s.width + cfg.allowed_lateness_us);
    }
    if (!s.has_real) {
        return;
    }
    finalize_to(sid, std::min(s.final_limit, s.newest_real + 1));
    if (s.base < s.purge_limit) {
        // Everything below purge_limit is past the lateness: no tick can change
        // it again. Windows >= cursor here are empty (after newest_real).
        int64_t end = std::min(s.purge_limit, s.base + s.capacity());
        for (int64_t idx = s.base; idx < end; ++idx) {
            if (s.slot(idx) == 0) {
                continue;
            }
            window& x = at(s, idx);
            if (x.real()) {
                s.has_closed = true;
                s.closed_idx = idx;
                s.closed_close = x.close;
            }
            if (x.flags & window::update_dirty) {
                if (x.real()) {
                    purged_out.push_back(make_candle(sid, idx, x, true));
                } else {
                    add_fillers(purged_fillers, purged_run, sid, idx, 1, x.close, x.revision, true);
                }
            }
            if (x.flags & window::persisted) {
                state_deletes.emplace_back(sid, idx);
            }
            clear(s, idx);
        }
        const bool was_idle = s.ring.empty();
        s.base = s.purge_limit;
        if (s.base > s.newest_real && s.cursor > s.newest_real && !s.ring.empty()) {
            // Idle: nothing left to finalize or purge until the next tick.
            free_ring(s);
        } else if (!s.ring.empty()) {
            skip_silence(s);
        }
        if (!was_idle && !s.embedded) {
            // An idle series' base follows the watermark and says nothing a
            // restore needs (the next refresh moves it again): not saved.
            // Nor is an embedded series' purge: its saved windows and base
            // are as before it, and a restored engine purges them again at
            // its first refresh, as this one did (no candle: a purge emits
            // only windows changed since the last take). Its key is
            // rewritten with its next change.
            mark_meta(sid);
        }
    }
}

void candle_engine::impl::skip_silence(internal::series& s) {
    // The windows after the last purged one up to the next that matters (with
    // ticks, to emit, or saved) are empty or unrevised fillers at the purged
    // close: base moves over them as over an idle series' silence (a late
    // tick brings them back, see rebase), and a ring that spanned a silence
    // shrinks to what is left.
    while (s.base < s.newest_real) {
        if (s.slot(s.base) != 0) {
            const window& x = at(s, s.base);
            if (x.real() || (x.flags & (window::update_dirty | window::persisted))
                || (x.is_filler() && x.revision != 0)) {
                break;
            }
            clear(s, s.base);
        }
        ++s.base;
    }
    const auto span = static_cast<uint64_t>(s.newest_real - s.base + 1);
    if (s.ring.size() >= 16 && span * 4 <= s.ring.size()) {
        for (int64_t i = s.newest_real + 1; i < s.base + s.capacity(); ++i) {
            clear(s, i);
        }
        const uint64_t cap = std::bit_ceil(span);
        std::vector<uint32_t> ring(cap);
        for (int64_t i = s.base; i <= s.newest_real; ++i) {
            ring[static_cast<uint64_t>(i) & (cap - 1)] = s.slot(i);
        }
        s.ring = std::move(ring);
        s.mask = cap - 1;
    }
}

void candle_engine::impl::add_fillers(std::vector<model::filler_run>& out, run_tracker& t, uint32_t sid,
                                      int64_t idx, int64_t count, double close, int64_t revision,
                                      bool final) const {
    if (t.sid == sid && t.end == idx && !out.empty()) {
        auto& r = out.back();
        if (r.close == close && r.revision == revision && r.final == final) {
            r.count += count;
            t.end += count;
            return;
        }
    }
    auto& r = out.emplace_back();
    r.symbol = symbols[sid / widths.size()].name;
    r.interval = cfg.intervals[sid % widths.size()];
    r.first = event_time(idx * series[sid].width);
    r.count = count;
    r.close = close;
    r.final = final;
    r.revision = revision;
    t.sid = sid;
    t.end = idx + count;
}

void candle_engine::impl::finalize_to(uint32_t sid, int64_t target) {
    auto& s = series[sid];
    if (s.cursor >= target) {
        return;
    }
    // Windows in [cursor, target) become final now: real ones are emitted,
    // empty ones (all after a real window, before newest_real) are fillers,
    // emitted as runs and left empty (implied, see series).
    double prev = 0;
    if (s.cursor > s.first_real) {
        prev = close_before(s, s.cursor);
    }
    // Below base the windows are gone (past the lateness): their empty
    // windows are one filler run, however long the gap.
    const int64_t purged_end = std::min(target, s.base);
    if (s.cursor < purged_end && cfg.fill_gaps) {
        add_fillers(purged_fillers, purged_run, sid, s.cursor, purged_end - s.cursor, prev, 0, true);
    }
    for (int64_t idx = std::max(s.cursor, purged_end); idx < target; ++idx) {
        const uint32_t h = s.slot(idx);
        window* x = h != 0 ? &pool[h] : nullptr;
        if (x != nullptr && x->real()) {
            prev = x->close;
            mark_update(sid, idx, *x); // its saved state does not change with finality (the cursor's does)
        } else if (!cfg.fill_gaps) {
            continue;
        } else if (x != nullptr && x->flags != 0) {
            x->make_filler(prev); // not expected past the cursor; kept and emitted as it is
            x->revision = 0;
            mark(sid, idx, *x);
        } else {
            if (x != nullptr) {
                clear(s, idx);
            }
            add_fillers(purged_fillers, purged_run, sid, idx, 1, prev, 0, true);
        }
    }
    s.cursor = target;
    mark_meta(sid);
}

void candle_engine::impl::revalue_fillers_after(uint32_t sid, int64_t w, double close) {
    auto& s = series[sid];
    int64_t g = w + 1;
    for (; g < s.cursor; ++g) {
        window* f = peek(s, g);
        if (f == nullptr && !cfg.fill_gaps) {
            break;
        }
        if (f == nullptr) {
            // Implied: emitted at the old close, now a revision at the new.
            window& x = at(s, g);
            x.make_filler(close);
            x.revision = 1;
            mark(sid, g, x);
            continue;
        }
        if (!f->is_filler()) {
            break;
        }
        if (f->close != close) {
            f->make_filler(close);
            ++f->revision;
            mark(sid, g, *f);
        }
    }
    if (g > w + 1 && !purged_fillers.empty()) {
        // Runs not taken yet lose the windows revised here.
        unqueue_purged_fillers(sid, w + 1, g);
    }
}

void candle_engine::impl::claim_implied(uint32_t sid, int64_t idx) {
    auto& s = series[sid];
    const double close = close_before(s, idx);
    window& x = at(s, idx);
    x.make_filler(close);
    x.revision = 0;
    if (!purged_fillers.empty()) {
        unqueue_purged_fillers(sid, idx, idx + 1);
    }
}

void candle_engine::impl::apply(uint32_t sid, int64_t w, int64_t et, int64_t seq, double price, bool has_size,
                                double size, int64_t wm, bool spike) {
    auto& s = series[sid];
    if (wm >= s.wm_next || (s.has_real && s.cursor < std::min(s.final_limit, s.newest_real + 1)))
        [[unlikely]] {
        refresh(sid, wm);
    }
    if (!s.has_real) [[unlikely]] {
        // The first window: the ring starts with it alone, and reaches back
        // only when an older tick within the lateness comes (rebase).
        s.base = w;
        s.has_real = true;
        s.first_real = s.newest_real = s.cursor = w;
        mark_meta(sid);
    } else if (w < s.base) [[unlikely]] {
        rebase(sid, w);
        mark_meta(sid);
    } else if (s.ring.empty() && w > s.base) {
        // An idle series (everything purged, no ring): the empty windows up
        // to w take no slots. base moves over them, so when final they are
        // one filler run at the last close, as purged ones are; a late tick
        // into one brings them back (rebase). A sparse symbol thus costs a
        // window per tick, however long its silences.
        s.base = w;
        mark_meta(sid);
    }
    if (w >= s.base + s.capacity()) [[unlikely]] {
        grow(s, w);
    }
    if (w < s.cursor && implied_filler(s, w)) [[unlikely]] {
        claim_implied(sid, w);
    }
    window& x = at(s, w);
    if (w < s.first_real) [[unlikely]] {
        int64_t old_first = s.first_real;
        s.first_real = w;
        x.apply(et, seq, price, has_size, size, spike);
        mark(sid, w, x);
        if (s.cursor == old_first) {
            s.cursor = w; // nothing emitted yet; refresh handles it
        } else if (cfg.fill_gaps) {
            // w is final: it and the windows up to the old first one are
            // emitted now (the latter as fillers, for the first time).
            for (int64_t g = w + 1; g < old_first; ++g) {
                window& f = at(s, g);
                f.make_filler(x.close);
                f.revision = 0;
                mark(sid, g, f);
            }
        }
        mark_meta(sid);
    } else if (w < s.cursor) [[unlikely]] {
        // Final: a revision of a window emitted already (real or filler), or
        // the first emission of an empty one (only without fill_gaps).
        const bool emitted = x.real() || x.is_filler();
        MDSP_DEBUG_ASSERT(emitted || !cfg.fill_gaps, "window {} below the cursor is empty", w);
        double old_close = x.close;
        x.apply(et, seq, price, has_size, size, spike);
        x.revision += emitted ? 1 : 0;
        mark(sid, w, x);
        if (x.close != old_close) {
            revalue_fillers_after(sid, w, x.close);
        }
    } else {
        x.apply(et, seq, price, has_size, size, spike);
        mark(sid, w, x);
        if (w > s.newest_real) {
            s.newest_real = w;
            mark_meta(sid);
        }
    }
    if (s.cursor < std::min(s.final_limit, s.newest_real + 1)) [[unlikely]] {
        refresh(sid, wm);
    }
}

void candle_engine::impl::refresh_symbol(uint32_t si) {
    const auto& sym = symbols[si];
    int64_t wm = symbol_wm(sym);
    for (uint32_t i = 0; i < widths.size(); ++i) {
        refresh(sym.first_series + i, wm);
    }
}

int64_t candle_engine::impl::series_wake(const internal::series& s) const noexcept {
    if (!s.has_real) {
        return max_time;
    }
    int64_t w = max_time;
    if (s.cursor <= s.newest_real) {
        w = (s.cursor + 1) * s.width; // the watermark that makes window cursor final
    }
    if (s.base <= s.newest_real) {
        // ... that purges the first window whose purge does something (one
        // with ticks, to emit or saved); the empty windows before it can
        // wait, so a gap does not wake its symbol every window.
        int64_t j = s.base;
        const int64_t end = std::min(s.newest_real, s.base + s.capacity() - 1);
        while (j < end) {
            if (const uint32_t h = s.slot(j); h != 0) {
                const window& x = pool[h];
                if (x.real() || (x.flags & (window::update_dirty | window::persisted))) {
                    break;
                }
            }
            ++j;
        }
        w = std::min(w, (j + 1) * s.width + cfg.allowed_lateness_us);
    }
    return w;
}

int64_t candle_engine::impl::symbol_wake(uint32_t si) const noexcept {
    int64_t w = max_time;
    for (uint32_t i = 0; i < widths.size(); ++i) {
        w = std::min(w, series_wake(series[symbols[si].first_series + i]));
    }
    return w;
}

void candle_engine::impl::schedule(uint32_t si) {
    auto& sym = symbols[si];
    if (sym.multi || sym.partitions.empty()) {
        return;
    }
    const int64_t w = symbol_wake(si);
    if (w < sym.wake) {
        // An earlier entry than the one queued, if any: that one pops later,
        // finds the symbol's wake changed and is dropped.
        sym.wake = w;
        auto& timers = partitions[static_cast<size_t>(sym.partitions[0])].timers;
        timers.emplace_back(w, si);
        std::push_heap(timers.begin(), timers.end(), std::greater<>());
    }
}

void candle_engine::impl::sweep() {
    for (uint32_t si : multi_symbols) {
        refresh_symbol(si);
    }
    for (auto& part : partitions) {
        if (part.timers.empty() || part.max_et == no_time) {
            continue;
        }
        const int64_t wm = part.max_et - cfg.out_of_orderness_us;
        auto& timers = part.timers;
        while (!timers.empty() && timers.front().first <= wm) {
            auto [wake, si] = timers.front();
            std::pop_heap(timers.begin(), timers.end(), std::greater<>());
            timers.pop_back();
            auto& sym = symbols[si];
            if (sym.wake != wake || sym.multi) {
                continue; // superseded by an earlier entry, or swept every time now
            }
            // The wake may have moved on since (a tick finalized or purged
            // what was due): refresh only when there is work, so that when
            // series refresh does not depend on the history of the timers.
            sym.wake = max_time;
            if (symbol_wake(si) <= wm) {
                refresh_symbol(si);
            }
            schedule(si); // only ever later than wm: each refresh catches up to it
        }
    }
}

candle_engine::candle_engine(engine_config cfg)
  : _impl(std::make_unique<impl>(std::move(cfg))) {}
candle_engine::~candle_engine() = default;
candle_engine::candle_engine(candle_engine&&) noexcept = default;
candle_engine& candle_engine::operator=(candle_engine&&) noexcept = default;

tick_outcome candle_engine::add(const model::tick& t, partition_id p, const quality_thresholds* spike_rules,
                                bool* spiked) {
    if (spiked != nullptr) {
        *spiked = false;
    }
    auto& m = *_impl;
    const int64_t et = t.event_time();
    if (et <= -internal::time_range || et >= internal::time_range) [[unlikely]] {
        ++m.counts.late;
        return tick_outcome::late;
    }
    uint32_t si = m.symbol_for(t.symbol);
    auto* sym = &m.symbols[si];

    internal::source_seq* src = nullptr;
    for (auto& s : sym->sources) {
        if (s.name == t.source) [[likely]] {
            src = &s;
            break;
        }
    }
    const int64_t seq = t.seq();
    if (src == nullptr) [[unlikely]] {
        src = &sym->sources.emplace_back();
        src->name = t.source;
        src->max_seq = std::numeric_limits<int64_t>::min();
    } else if (seq <= src->max_seq) {
        ++m.counts.duplicates;
        return tick_outcome::duplicate;
    }

    auto& part = m.partition(p);
    if (std::find(sym->partitions.begin(), sym->partitions.end(), p()) == sym->partitions.end())
        [[unlikely]] {
        if (!sym->partitions.empty()) {
            sym->wm_floor = m.symbol_wm(*sym);
            if (!sym->multi) {
                sym->multi = true;
                m.multi_symbols.push_back(si);
            }
        }
        sym->partitions.push_back(p());
        m.queue_symbol(si);
    }
    if (et > part.max_et) {
        part.max_et = et;
        if (!part.dirty) {
            part.dirty = true;
            m.dirty_partitions.push_back(p());
        }
    }
    const int64_t wm = m.symbol_wm(*sym);

    // A tick is late when any of its windows is past the allowed lateness:
    // it is then applied to none, so a dead-lettered tick never counts twice.
    const size_t n = m.widths.size();
    int64_t widx[internal::max_intervals];
    const int64_t lateness = m.cfg.allowed_lateness_us;
    bool late = false;
    for (size_t i = 0; i < n; ++i) {
        auto& s = m.series[sym->first_series + i];
        int64_t w = s.window_of(et);
        widx[i] = w;
        late |= (w + 1) * s.width + lateness <= wm;
    }
    if (late) {
        ++m.counts.late;
        return tick_outcome::late;
    }

    src->max_seq = seq;
    m.queue_symbol(si);
    ++m.counts.accepted;
    bool spike = false;
    if (spike_rules != nullptr) {
        sym->spike.enter(widx[m.largest]);
        spike = sym->spike.judge(t.price, *spike_rules);
        sym->spike.update(t.price, *spike_rules, spike);
        if (spiked != nullptr) {
            *spiked = spike;
        }
    }
    const bool has_size = t.size.has_value();
    const double size = has_size ? *t.size : 0.0;
    for (size_t i = 0; i < n; ++i) {
        m.apply(sym->first_series + static_cast<uint32_t>(i), widx[i], et, seq, t.price, has_size, size, wm,
                spike);
    }
    m.schedule(si);
    return tick_outcome::accepted;
}

void candle_engine::finish() {
    while (!finish_some(SIZE_MAX)) {
    }
}

bool candle_engine::finish_some(size_t max_symbols) {
    // Each symbol is brought up to its watermark first (purges included), so
    // the saved state after finish() does not depend on when the last sweep
    // ran (every series, not only the due ones, whatever the timers did).
    // Then every window up to its newest real one is final, but the
    // watermarks stay: later input is judged against them as before, and a
    // tick into a window finalized here while it is within the lateness is a
    // revision. Symbols are independent here, so steps of a few at a time
    // give the same result as all at once.
    auto& m = *_impl;
    if (m.finish_step_counts != m.counts.accepted + m.counts.duplicates + m.counts.late) {
        m.finish_next = 0; // input came since the last step: start over
    }
    const size_t n = m.widths.size();
    size_t done = 0;
    for (; m.finish_next < m.symbols.size() && done < max_symbols; ++m.finish_next, ++done) {
        const auto si = static_cast<uint32_t>(m.finish_next);
        if (!m.symbols[si].partitions.empty()) {
            m.refresh_symbol(si);
        }
        for (uint32_t i = 0; i < n; ++i) {
            const uint32_t sid = m.symbols[si].first_series + i;
            if (m.series[sid].has_real) {
                m.finalize_to(sid, m.series[sid].newest_real + 1);
            }
        }
        m.schedule(si);
    }
    m.finish_step_counts = m.counts.accepted + m.counts.duplicates + m.counts.late;
    if (m.finish_next < m.symbols.size()) {
        return false;
    }
    m.finish_next = 0;
    return true;
}

void candle_engine::take_updates(std::vector<model::candle>& out, std::vector<model::filler_run>& fillers) {
    auto& m = *_impl;
    m.sweep();
    for (auto& c : m.purged_out) {
        ++m.emitted_final;
        out.push_back(std::move(c));
    }
    m.purged_out.clear();
    for (auto& r : m.purged_fillers) {
        m.emitted_final += static_cast<uint64_t>(r.count);
        fillers.push_back(std::move(r));
    }
    m.purged_fillers.clear();
    m.purged_run = {};
    impl::run_tracker run;
    for (auto [sid, idx] : m.update_queue) {
        auto& s = m.series[sid];
        if (idx < s.base) {
            continue; // purged; already in purged_out
        }
        if (s.slot(idx) == 0) {
            continue; // emptied since
        }
        window& x = m.at(s, idx);
        if (!(x.flags & window::update_dirty)) {
            continue;
        }
        x.flags &= static_cast<uint8_t>(~window::update_dirty);
        bool final = idx < s.cursor; // see the series invariants
        ++(final ? m.emitted_final : m.emitted_open);
        if (x.is_filler()) {
            m.add_fillers(fillers, run, sid, idx, 1, x.close, x.revision, final);
        } else {
            out.push_back(m.make_candle(sid, idx, x, final));
        }
    }
    m.update_queue.clear();

    // Metrics are published here, not per tick, to keep add() free of atomics.
    m.m_accepted->inc(m.counts.accepted - m.published.accepted);
    m.m_duplicate->inc(m.counts.duplicates - m.published.duplicates);
    m.m_late->inc(m.counts.late - m.published.late);
    m.published = m.counts;
    m.m_final->inc(m.emitted_final);
    m.m_open->inc(m.emitted_open);
    m.emitted_final = m.emitted_open = 0;
}

engine_stats candle_engine::stats() const {
    const auto& m = *_impl;
    engine_stats st = m.counts;
    st.open_windows = 0;
    for (uint32_t si = 0; si < m.symbols.size(); ++si) {
        int64_t wm = m.symbol_wm(m.symbols[si]);
        for (uint32_t i = 0; i < m.widths.size(); ++i) {
            const auto& s = m.series[m.symbols[si].first_series + i];
            if (!s.has_real) {
                continue;
            }
            // Open: real and neither below the cursor nor below the watermark
            // (the latter are final at the next sweep).
            int64_t final_limit = wm == no_time ? no_time : internal::floor_div(wm, s.width);
            for (int64_t idx = std::max({s.base, s.cursor, final_limit}); idx <= s.newest_real; ++idx) {
                const window* x = m.peek(s, idx);
                st.open_windows += x != nullptr && x->real() ? 1 : 0;
            }
        }
    }
    return st;
}

} // namespace mdsp::stream
