// take_state_changes() and restore(): the engine state as key/values under
// "engine/" (layout in README.md).
#include <algorithm>
#include <bit>
#include <limits>
#include <tuple>

#include "stream/candle_engine.h"
#include "stream/internal/codec.h"
#include "stream/internal/engine_impl.h"

namespace mdsp::stream {

using internal::put_double;
using internal::put_string;
using internal::put_varint;
using internal::put_zigzag;
using internal::window;
using internal::wrapping_add;
using internal::wrapping_sub;

namespace {

enum window_flags : uint8_t { w_ticks = 1, w_filler = 2, w_lo = 4, w_spike = 8 };
enum meta_flags : uint8_t { m_real = 1, m_closed = 2, m_windows = 4 };

// Keys and values are built in one allocation each: a sparse universe
// writes several per tick.
constexpr size_t key_reserve = 48;
// The most windows a series' embedded list may hold when restored: more
// than embed_limit, so that a state saved with a larger limit still loads.
constexpr uint64_t max_embedded = 1024;
constexpr int64_t max_restored_span = int64_t(1) << 22;

std::string key(char kind) {
    std::string k;
    k.reserve(key_reserve);
    k.append(candle_engine::state_prefix);
    k.push_back(kind);
    return k;
}

std::string series_key(char kind, const std::string& symbol, int64_t width) {
    std::string k = key(kind);
    put_string(k, symbol);
    put_varint(k, static_cast<uint64_t>(width));
    return k;
}

void put_window(std::string& v, const window& x) {
    bool lo = x.volume.lo != 0 || x.pv.lo != 0 || x.psum.lo != 0;
    uint8_t f = (x.real() ? w_ticks : 0) | (x.is_filler() ? w_filler : 0) | (lo ? w_lo : 0)
                | ((x.flags & window::spike) ? w_spike : 0);
    v.push_back(static_cast<char>(f));
    put_varint(v, static_cast<uint64_t>(x.revision));
    put_double(v, x.close);
    if (x.real()) {
        put_varint(v, static_cast<uint64_t>(x.count));
        put_zigzag(v, x.open_et);
        put_zigzag(v, x.open_seq);
        put_zigzag(v, wrapping_sub(x.close_et, x.open_et));
        put_zigzag(v, wrapping_sub(x.close_seq, x.open_seq)); // seqs are anything a source sent
        put_double(v, x.open);
        put_double(v, x.high);
        put_double(v, x.low);
        put_double(v, x.volume.hi);
        put_double(v, x.pv.hi);
        put_double(v, x.psum.hi);
        if (lo) {
            put_double(v, x.volume.lo);
            put_double(v, x.pv.lo);
            put_double(v, x.psum.lo);
        }
    }
}

std::string encode_window(const window& x) {
    std::string v;
    v.reserve(128); // the longest form: 3 bytes, 4 varints of up to 10, 10 doubles
    put_window(v, x);
    return v;
}

// A window as put_window wrote it, from r's position on.
bool read_window(internal::reader& r, window& x) {
    uint8_t f = 0;
    uint64_t rev = 0;
    if (!r.byte(f) || !r.varint(rev) || !r.f64(x.close) || (f & (w_ticks | w_filler)) == (w_ticks | w_filler)
        || (f & (w_ticks | w_filler)) == 0) {
        return false;
    }
    x.revision = static_cast<int64_t>(rev);
    if (f & w_filler) {
        x.make_filler(x.close);
        return true;
    }
    uint64_t count = 0;
    int64_t dt = 0;
    int64_t dseq = 0;
    if (!r.varint(count) || !r.zigzag(x.open_et) || !r.zigzag(x.open_seq) || !r.zigzag(dt) || !r.zigzag(dseq)
        || !r.f64(x.open) || !r.f64(x.high) || !r.f64(x.low) || !r.f64(x.volume.hi) || !r.f64(x.pv.hi)
        || !r.f64(x.psum.hi)) {
        return false;
    }
    if ((f & w_lo) && (!r.f64(x.volume.lo) || !r.f64(x.pv.lo) || !r.f64(x.psum.lo))) {
        return false;
    }
    x.count = static_cast<int64_t>(count);
    x.close_et = wrapping_add(x.open_et, dt); // a corrupt state must not be undefined behaviour
    x.close_seq = wrapping_add(x.open_seq, dseq);
    x.flags = window::has_ticks | ((f & w_spike) ? window::spike : 0);
    return count > 0;
}

bool decode_window(std::string_view v, window& x) {
    internal::reader r(v);
    return read_window(r, x) && r.done();
}

// What a window saves: ticks, or a revised filler. An unrevised filler is
// an empty final window, which restore() derives.
bool saved(const window& x) {
    return x.real() || (x.is_filler() && x.revision != 0);
}

} // namespace

std::string_view candle_engine::state_key_symbol(std::string_view key) {
    if (!key.starts_with(state_prefix) || key.size() <= state_prefix.size()) {
        return {};
    }
    const char kind = key[state_prefix.size()];
    std::string_view rest = key.substr(state_prefix.size() + 1);
    if (kind == 'y' || kind == 's') {
        return rest;
    }
    std::string_view symbol;
    if ((kind == 'w' || kind == 'd' || kind == 'm') && internal::reader(rest).string(symbol)) {
        return symbol;
    }
    return {};
}

void candle_engine::take_state_changes(std::vector<std::pair<std::string, std::optional<std::string>>>& out) {
    auto& m = *_impl;
    m.sweep();

    if (m.counts.accepted != m.saved_counts.accepted || m.counts.duplicates != m.saved_counts.duplicates
        || m.counts.late != m.saved_counts.late) {
        std::string v;
        put_varint(v, m.counts.accepted);
        put_varint(v, m.counts.duplicates);
        put_varint(v, m.counts.late);
        out.emplace_back(key('c'), std::move(v));
        m.saved_counts = m.counts;
    }

    for (int32_t p : m.dirty_partitions) {
        auto& part = m.partitions[static_cast<size_t>(p)];
        std::string k = key('p');
        auto u = static_cast<uint32_t>(p);
        for (int shift = 24; shift >= 0; shift -= 8) {
            k.push_back(static_cast<char>((u >> shift) & 0xff));
        }
        std::string v;
        put_zigzag(v, part.max_et);
        out.emplace_back(std::move(k), std::move(v));
        part.dirty = false;
    }
    m.dirty_partitions.clear();

    for (auto& k : m.legacy_keys) {
        out.emplace_back(std::move(k), std::nullopt);
    }
    m.legacy_keys.clear();

    // One key per symbol that changed: its partitions, dedupe marks and the
    // bounds of each series, so a commit writes one key per symbol however
    // many of its windows moved on.
    const size_t n = m.widths.size();
    for (uint32_t si : m.dirty_symbols) {
        auto& sym = m.symbols[si];
        sym.queued = false;
        std::string k = key('y');
        k.append(sym.name);
        std::string v;
        v.reserve(64 + 48 * n + 128); // and usually a window or two (put_embedded)
        put_varint(v, sym.partitions.size());
        for (int32_t p : sym.partitions) {
            put_zigzag(v, p);
        }
        put_zigzag(v, sym.wm_floor);
        put_varint(v, sym.sources.size());
        for (auto& src : sym.sources) {
            put_string(v, src.name);
            put_zigzag(v, src.max_seq);
        }
        size_t with_real = 0;
        for (size_t i = 0; i < n; ++i) {
            with_real += m.series[sym.first_series + i].has_real ? 1 : 0;
        }
        put_varint(v, with_real);
        for (size_t i = 0; i < n; ++i) {
            const auto sid = static_cast<uint32_t>(sym.first_series + i);
            auto& s = m.series[sid];
            if (!s.has_real) {
                continue;
            }
            put_varint(v, static_cast<uint64_t>(s.width));
            const size_t flags_at = v.size();
            v.push_back(static_cast<char>(m_real | (s.has_closed ? m_closed : 0)));
            // An idle series' base follows the watermark without being saved
            // each time; it is saved as just past its newest window, so the
            // state does not depend on when it was written.
            put_zigzag(v, s.ring.empty() && s.base > s.newest_real ? s.newest_real + 1 : s.base);
            put_zigzag(v, s.first_real);
            put_zigzag(v, s.newest_real);
            put_zigzag(v, s.cursor);
            if (s.has_closed) {
                put_zigzag(v, s.closed_idx);
                put_double(v, s.closed_close);
            }
            if (m.put_embedded(sid, v)) {
                v[flags_at] = static_cast<char>(v[flags_at] | m_windows);
            }
        }
        // The spike estimator, once the symbol has one (absent in the state
        // of older versions and of engines without the check).
        if (const auto& e = sym.spike; e.window != std::numeric_limits<int64_t>::min()) {
            put_zigzag(v, e.window);
            put_double(v, e.last_price);
            put_double(v, e.scale);
            put_varint(v, e.returns);
            v.push_back(static_cast<char>(e.spike_run));
        }
        out.emplace_back(std::move(k), std::move(v));
    }
    m.dirty_symbols.clear();

    for (auto [sid, idx] : m.state_deletes) {
        std::string k = series_key('w', m.symbols[sid / n].name, m.series[sid].width);
        put_zigzag(k, idx);
        out.emplace_back(std::move(k), std::nullopt);
    }
    m.state_deletes.clear();

    for (auto [sid, idx] : m.state_queue) {
        auto& s = m.series[sid];
        if (idx < s.base) {
            continue; // purged since; its delete (if it was saved) is above
        }
        if (s.embedded) {
            continue; // its symbol's key, written above, holds it
        }
        if (s.slot(idx) == 0) {
            continue; // emptied since
        }
        window& x = m.at(s, idx);
        if (!(x.flags & window::state_dirty)) {
            continue;
        }
        if (x.is_filler() && x.revision == 0 && !(x.flags & window::persisted)) {
            // restore() derives it: an empty window below the cursor.
            x.flags &= static_cast<uint8_t>(~window::state_dirty);
            continue;
        }
        x.flags = static_cast<uint8_t>((x.flags & ~window::state_dirty) | window::persisted);
        std::string k = series_key('w', m.symbols[sid / n].name, s.width);
        put_zigzag(k, idx);
        out.emplace_back(std::move(k), encode_window(x));
    }
    m.state_queue.clear();
}

bool candle_engine::impl::put_embedded(uint32_t sid, std::string& v) {
    auto& s = series[sid];
    const int64_t top = s.ring.empty() ? s.base - 1 : s.newest_real;
    const size_t count_at = v.size();
    v.push_back(0);
    size_t count = 0;
    for (int64_t idx = s.base; idx <= top; ++idx) {
        if (s.slot(idx) == 0) {
            continue;
        }
        const window& x = at(s, idx);
        if (!saved(x)) {
            continue;
        }
        if (++count > internal::embed_limit) {
            break;
        }
        put_varint(v, static_cast<uint64_t>(idx - s.base));
        put_window(v, x);
    }
    const bool embed = count <= internal::embed_limit;
    if (embed) {
        v[count_at] = static_cast<char>(count);
    } else {
        v.resize(count_at);
    }
    if (embed != s.embedded) {
        move_windows(sid, embed);
    }
    return embed;
}

void candle_engine::impl::move_windows(uint32_t sid, bool embed) {
    // Embedded now: the windows' own keys go. Not any more: each window to
    // save gets its key at this take (the state queue comes after the
    // symbols, and held none of this series: mark() queues only the symbol
    // of an embedded one). An embedded series' windows may carry a stale
    // state_dirty flag; it is set or cleared here before mark() reads it.
    auto& s = series[sid];
    const int64_t top = s.ring.empty() ? s.base - 1 : s.newest_real;
    for (int64_t idx = s.base; idx <= top; ++idx) {
        if (s.slot(idx) == 0) {
            continue;
        }
        window& x = at(s, idx);
        if (embed) {
            if (x.flags & window::persisted) {
                x.flags &= static_cast<uint8_t>(~window::persisted);
                state_deletes.emplace_back(sid, idx);
            }
        } else if (saved(x)) {
            x.flags |= window::state_dirty;
            state_queue.emplace_back(sid, idx);
        } else {
            x.flags &= static_cast<uint8_t>(~window::state_dirty);
        }
    }
    s.embedded = embed;
}

namespace {

result<void> bad_key(std::string_view k, std::string_view why) {
    return make_error(errc::bad_state,
                      "engine state key '{}' is malformed ({}); it was written by another version or is "
                      "corrupt: delete the engine/ keys and the consumed offsets to rebuild from the log",
                      std::string(k.substr(0, std::min<size_t>(k.size(), 40))), why);
}

error unconfigured(int64_t width) {
    return make_error(errc::bad_config,
                      "the saved engine state has candles of interval {} which is not configured; "
                      "configure the same intervals as before, or delete the engine/ keys to rebuild",
                      model::interval(width).name());
}

// The partitions a symbol's ticks came from and its watermark floor: the
// start of an engine/y value, and the whole of an older engine/s one.
bool in_time_range(int64_t t) {
    return t > -internal::time_range && t < internal::time_range;
}

result<void> restore_partitions(internal::symbol_state& sym, internal::reader& v) {
    uint64_t np = 0;
    if (!v.varint(np) || np > 1024) {
        return make_error(errc::bad_state, "symbol partitions");
    }
    sym.partitions.clear();
    for (uint64_t i = 0; i < np; ++i) {
        int64_t p = 0;
        if (!v.zigzag(p) || p < 0 || p >= (1 << 20)) {
            return make_error(errc::bad_state, "symbol partition");
        }
        sym.partitions.push_back(static_cast<int32_t>(p));
    }
    if (!v.zigzag(sym.wm_floor) || (sym.wm_floor != internal::no_time && !in_time_range(sym.wm_floor))) {
        return make_error(errc::bad_state, "symbol watermark floor");
    }
    return ok();
}

} // namespace

result<uint32_t> candle_engine::impl::restored_series(internal::reader& k) {
    std::string_view sym;
    uint64_t width = 0;
    if (!k.string(sym) || !k.varint(width)) {
        return make_error(errc::bad_state, "truncated series key");
    }
    auto it = std::find(widths.begin(), widths.end(), static_cast<int64_t>(width));
    if (it == widths.end()) {
        return unconfigured(static_cast<int64_t>(width));
    }
    return symbol_for(sym) * static_cast<uint32_t>(widths.size())
           + static_cast<uint32_t>(it - widths.begin());
}

result<void> candle_engine::impl::restore_partition(std::string_view id, internal::reader& v) {
    int64_t max_et = 0;
    // Ticks beyond the time range are late, so no saved maximum is.
    if (id.size() != 4 || !v.zigzag(max_et) || !v.done() || !in_time_range(max_et)) {
        return make_error(errc::bad_state, "partition");
    }
    uint32_t p = 0;
    for (char c : id) {
        p = (p << 8) | static_cast<uint8_t>(c);
    }
    if (p >= (1u << 20)) {
        return make_error(errc::bad_state, "partition id out of range");
    }
    partition(partition_id(static_cast<int32_t>(p))).max_et = max_et;
    return ok();
}

result<void> candle_engine::impl::restore_symbol(std::string_view name, internal::reader& v,
                                                 restore_scratch& r) {
    const uint32_t si = symbol_for(name);
    auto& sym = symbols[si];
    if (auto x = restore_partitions(sym, v); !x) {
        return x;
    }
    uint64_t ns = 0;
    if (!v.varint(ns) || ns > 1024) {
        return make_error(errc::bad_state, "symbol sources");
    }
    sym.sources.clear();
    for (uint64_t i = 0; i < ns; ++i) {
        std::string_view src;
        auto& x = sym.sources.emplace_back();
        if (!v.string(src) || !v.zigzag(x.max_seq)) {
            return make_error(errc::bad_state, "symbol source");
        }
        x.name = std::string(src);
    }
    uint64_t nseries = 0;
    if (!v.varint(nseries) || nseries > internal::max_intervals) {
        return make_error(errc::bad_state, "symbol series");
    }
    for (uint64_t i = 0; i < nseries; ++i) {
        uint64_t width = 0;
        if (!v.varint(width)) {
            return make_error(errc::bad_state, "series width");
        }
        auto it = std::find(widths.begin(), widths.end(), static_cast<int64_t>(width));
        if (it == widths.end()) {
            return unconfigured(static_cast<int64_t>(width));
        }
        auto sid = symbols[si].first_series + static_cast<uint32_t>(it - widths.begin());
        if (auto x = restore_series_meta(sid, v, r); !x) {
            return x;
        }
    }
    if (!v.done()) {
        auto& e = symbols[si].spike;
        uint64_t returns = 0;
        if (!v.zigzag(e.window) || !v.f64(e.last_price) || !v.f64(e.scale) || !v.varint(returns)
            || returns > UINT32_MAX || !v.byte(e.spike_run) || !v.done()) {
            return make_error(errc::bad_state, "symbol spike estimator");
        }
        e.returns = static_cast<uint32_t>(returns);
    }
    return ok();
}

result<void> candle_engine::impl::restore_legacy_symbol(std::string_view name, internal::reader& v) {
    auto& sym = symbols[symbol_for(name)];
    if (auto x = restore_partitions(sym, v); !x) {
        return x;
    }
    return v.done() ? ok() : make_error(errc::bad_state, "symbol has trailing bytes");
}

result<void> candle_engine::impl::restore_series_meta(uint32_t sid, internal::reader& v, restore_scratch& r) {
    auto& s = series[sid];
    uint8_t f = 0;
    if (!v.byte(f) || !v.zigzag(s.base) || !v.zigzag(s.first_real) || !v.zigzag(s.newest_real)
        || !v.zigzag(s.cursor)) {
        return make_error(errc::bad_state, "series");
    }
    s.has_real = (f & m_real) != 0;
    s.has_closed = (f & m_closed) != 0;
    if (s.has_closed && (!v.zigzag(s.closed_idx) || !v.f64(s.closed_close))) {
        return make_error(errc::bad_state, "series closed window");
    }
    // Window numbers of times within the range (so that window arithmetic
    // cannot overflow), in the order the series keeps them.
    const int64_t most = internal::time_range / s.width + 2;
    auto in_range = [most](int64_t idx) { return idx >= -most && idx <= most; };
    if (!s.has_real || !in_range(s.base) || !in_range(s.first_real) || !in_range(s.newest_real)
        || (s.has_closed && !in_range(s.closed_idx)) || s.first_real > s.newest_real
        || s.cursor < s.first_real || s.cursor > s.newest_real + 1) {
        return make_error(errc::bad_state, "series invariants");
    }
    // The windows from base to the newest one take a ring slot each: a
    // corrupt base must not allocate gigabytes. A live series spans about
    // (out-of-orderness + lateness) / width windows; this allows 48 days of
    // 1s windows.
    if (s.base <= s.newest_real && s.newest_real - s.base > max_restored_span) {
        return make_error(errc::bad_state, "series spans more windows than a restore allows");
    }
    s.embedded = (f & m_windows) != 0;
    if (s.embedded) {
        uint64_t count = 0;
        if (!v.varint(count) || count > max_embedded) {
            return make_error(errc::bad_state, "series windows");
        }
        if (count > 0 && s.base > s.newest_real) {
            return make_error(errc::bad_state, "series windows of an idle series");
        }
        // Unsigned: a corrupt base must not overflow.
        const uint64_t span = static_cast<uint64_t>(s.newest_real) - static_cast<uint64_t>(s.base);
        for (uint64_t i = 0; i < count; ++i) {
            uint64_t offset = 0;
            window x;
            if (!v.varint(offset) || offset > span || !read_window(v, x)) {
                return make_error(errc::bad_state, "series window");
            }
            r.windows.emplace_back(sid, static_cast<int64_t>(static_cast<uint64_t>(s.base) + offset), x);
        }
    }
    if (r.has_meta.size() <= sid) {
        r.has_meta.resize(sid + 1);
    }
    r.has_meta[sid] = true;
    return ok();
}

result<void> candle_engine::impl::restore_key(std::string_view k, std::string_view v, restore_scratch& r) {
    if (k.size() <= state_prefix.size() || k.compare(0, state_prefix.size(), state_prefix) != 0) {
        return bad_key(k, "not an engine/ key");
    }
    const char kind = k[state_prefix.size()];
    internal::reader kr(k.substr(state_prefix.size() + 1));
    internal::reader vr(v);
    auto checked = [&](result<void> x) -> result<void> {
        if (!x && x.error().code != errc::bad_config) {
            return bad_key(k, x.error().message);
        }
        return x;
    };
    switch (kind) {
    case 'c': {
        // Older versions appended a "finished" byte that made every later
        // tick late; it is ignored (finish() persists nothing of its own).
        uint8_t finished = 0;
        if (!vr.varint(counts.accepted) || !vr.varint(counts.duplicates) || !vr.varint(counts.late)
            || (!vr.done() && (!vr.byte(finished) || !vr.done()))) {
            return bad_key(k, "counters");
        }
        return ok();
    }
    case 'p':
        return checked(restore_partition(kr.rest(), vr));
    case 'y':
        return checked(restore_symbol(kr.rest(), vr, r));
    // 's', 'd' and 'm': the keys of versions before one key per symbol;
    // deleted (and the symbol written as 'y') at the next take.
    case 's':
        r.legacy_symbols.push_back(symbol_for(kr.rest()));
        legacy_keys.emplace_back(k);
        return checked(restore_legacy_symbol(kr.rest(), vr));
    case 'd': {
        std::string_view name;
        int64_t seq = 0;
        if (!kr.string(name) || !vr.zigzag(seq) || !vr.done()) {
            return bad_key(k, "dedupe sequence");
        }
        auto& src = symbols[symbol_for(name)].sources.emplace_back();
        src.name = std::string(kr.rest());
        src.max_seq = seq;
        r.legacy_symbols.push_back(symbol_for(name));
        legacy_keys.emplace_back(k);
        return ok();
    }
    case 'm': {
        auto sid = restored_series(kr);
        if (!sid) {
            return checked(sid.error());
        }
        if (!kr.done()) {
            return bad_key(k, "series");
        }
        r.legacy_symbols.push_back(*sid / static_cast<uint32_t>(widths.size()));
        legacy_keys.emplace_back(k);
        if (auto x = restore_series_meta(*sid, vr, r); !x) {
            return checked(x);
        }
        return vr.done() ? ok() : bad_key(k, "series");
    }
    case 'w': {
        auto sid = restored_series(kr);
        if (!sid) {
            return checked(sid.error());
        }
        int64_t idx = 0;
        window x;
        if (!kr.zigzag(idx) || !kr.done() || !decode_window(v, x)) {
            return bad_key(k, "window");
        }
        x.flags |= window::persisted;
        r.windows.emplace_back(*sid, idx, x);
        return ok();
    }
    default:
        return bad_key(k, "unknown kind");
    }
}

result<void> candle_engine::impl::restore_finish(restore_scratch& r) {
    const size_t n = widths.size();
    for (auto& sym : symbols) {
        for (int32_t p : sym.partitions) {
            if (static_cast<size_t>(p) >= partitions.size()
                || partitions[static_cast<size_t>(p)].max_et == internal::no_time) {
                return bad_key(sym.name, "symbol refers to a partition without a saved watermark");
            }
        }
    }
    for (auto& s : series) {
        // An idle series (everything purged) keeps no ring until its next tick.
        if (s.has_real && s.base <= s.newest_real) {
            grow(s, std::max(s.newest_real, s.cursor));
        }
    }
    for (auto& [sid, idx, x] : r.windows) {
        auto& s = series[sid];
        if (sid >= r.has_meta.size() || !r.has_meta[sid] || idx < s.base || idx > s.newest_real) {
            return bad_key(symbols[sid / n].name, "window without its series or outside it");
        }
        at(s, idx) = x;
    }
    // The first and newest windows with ticks, when not purged, were saved
    // (a window with ticks always is): a state without them is not whole.
    for (uint32_t sid = 0; sid < series.size(); ++sid) {
        const auto& s = series[sid];
        if (!s.has_real || s.ring.empty()) {
            continue;
        }
        for (int64_t idx : {s.first_real, s.newest_real}) {
            if (idx >= s.base && (peek(s, idx) == nullptr || !peek(s, idx)->real())) {
                return bad_key(symbols[sid / n].name,
                               "a series' first or newest window with ticks is missing");
            }
        }
    }
    // Fillers are saved only once revised: the others are the empty final
    // windows, implied (see internal::series) as in the engine that saved them.
    for (uint32_t si = 0; si < symbols.size(); ++si) {
        if (symbols[si].partitions.size() > 1) {
            symbols[si].multi = true;
            multi_symbols.push_back(si);
        }
        schedule(si);
    }
    for (uint32_t si : r.legacy_symbols) {
        queue_symbol(si);
    }
    saved_counts = counts;
    published = counts;
    return ok();
}

result<void> candle_engine::restore(const std::vector<std::pair<std::string, std::string>>& state) {
    auto& m = *_impl;
    if (!m.symbols.empty() || !m.partitions.empty()
        || m.counts.accepted + m.counts.duplicates + m.counts.late > 0) {
        return make_error(errc::bad_state,
                          "candle_engine::restore() must run on a fresh engine, before any add()");
    }
    impl::restore_scratch scratch;
    result<void> r = ok();
    for (const auto& [k, v] : state) {
        if (r = m.restore_key(k, v, scratch); !r) {
            break;
        }
    }
    if (r) {
        r = m.restore_finish(scratch);
    }
    if (r.has_error()) {
        // Leave a fresh engine rather than a half-restored one.
        _impl = std::make_unique<impl>(m.cfg);
    }
    return r;
}

} // namespace mdsp::stream
