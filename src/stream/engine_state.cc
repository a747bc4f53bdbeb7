// take_state_changes() and restore(): the engine state as key/values under
// "engine/" (layout in README.md).
#include <algorithm>
#include <bit>
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

enum window_flags : uint8_t { w_ticks = 1, w_filler = 2, w_lo = 4 };
enum meta_flags : uint8_t { m_real = 1, m_closed = 2 };

std::string key(char kind) {
    std::string k(candle_engine::state_prefix);
    k.push_back(kind);
    return k;
}

std::string series_key(char kind, const std::string& symbol, int64_t width) {
    std::string k = key(kind);
    put_string(k, symbol);
    put_varint(k, static_cast<uint64_t>(width));
    return k;
}

std::string encode_window(const window& x) {
    std::string v;
    bool lo = x.volume.lo != 0 || x.pv.lo != 0 || x.psum.lo != 0;
    uint8_t f = (x.real() ? w_ticks : 0) | (x.is_filler() ? w_filler : 0) | (lo ? w_lo : 0);
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
    return v;
}

bool decode_window(std::string_view v, window& x) {
    internal::reader r(v);
    uint8_t f = 0;
    uint64_t rev = 0;
    if (!r.byte(f) || !r.varint(rev) || !r.f64(x.close) || (f & (w_ticks | w_filler)) == (w_ticks | w_filler)
        || (f & (w_ticks | w_filler)) == 0) {
        return false;
    }
    x.revision = static_cast<int64_t>(rev);
    if (f & w_filler) {
        x.make_filler(x.close);
        return r.done();
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
    x.flags = window::has_ticks;
    return r.done() && count > 0;
}

} // namespace

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

    for (uint32_t si : m.dirty_symbols) {
        auto& sym = m.symbols[si];
        if (sym.meta_dirty) {
            std::string k = key('s');
            k.append(sym.name);
            std::string v;
            put_varint(v, sym.partitions.size());
            for (int32_t p : sym.partitions) {
                put_zigzag(v, p);
            }
            put_zigzag(v, sym.wm_floor);
            out.emplace_back(std::move(k), std::move(v));
            sym.meta_dirty = false;
        }
        if (sym.seq_dirty) {
            for (auto& src : sym.sources) {
                if (!src.dirty) {
                    continue;
                }
                std::string k = key('d');
                put_string(k, sym.name);
                k.append(src.name);
                std::string v;
                put_zigzag(v, src.max_seq);
                out.emplace_back(std::move(k), std::move(v));
                src.dirty = false;
            }
            sym.seq_dirty = false;
        }
        sym.queued = false;
    }
    m.dirty_symbols.clear();

    const size_t n = m.widths.size();
    for (uint32_t sid : m.meta_queue) {
        auto& s = m.series[sid];
        s.meta_dirty = false;
        std::string v;
        v.push_back(static_cast<char>((s.has_real ? m_real : 0) | (s.has_closed ? m_closed : 0)));
        put_zigzag(v, s.base);
        put_zigzag(v, s.first_real);
        put_zigzag(v, s.newest_real);
        put_zigzag(v, s.cursor);
        if (s.has_closed) {
            put_zigzag(v, s.closed_idx);
            put_double(v, s.closed_close);
        }
        out.emplace_back(series_key('m', m.symbols[sid / n].name, s.width), std::move(v));
    }
    m.meta_queue.clear();

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
        window& x = s.at(idx);
        if (!(x.flags & window::state_dirty)) {
            continue;
        }
        x.flags = static_cast<uint8_t>((x.flags & ~window::state_dirty) | window::persisted);
        std::string k = series_key('w', m.symbols[sid / n].name, s.width);
        put_zigzag(k, idx);
        out.emplace_back(std::move(k), encode_window(x));
    }
    m.state_queue.clear();
}

result<void> candle_engine::restore(const std::vector<std::pair<std::string, std::string>>& state) {
    auto& m = *_impl;
    if (!m.symbols.empty() || !m.partitions.empty()
        || m.counts.accepted + m.counts.duplicates + m.counts.late > 0) {
        return make_error(errc::bad_state,
                          "candle_engine::restore() must run on a fresh engine, before any add()");
    }
    auto r = [&]() -> result<void> {
        auto bad = [](std::string_view k, std::string_view why) {
            return make_error(
                errc::bad_state,
                "engine state key '{}' is malformed ({}); it was written by another version or is "
                "corrupt: delete the engine/ keys and the consumed offsets to rebuild from the log",
                std::string(k.substr(0, std::min<size_t>(k.size(), 40))), why);
        };
        const size_t n = m.widths.size();
        std::vector<std::tuple<uint32_t, int64_t, window>> windows;
        std::vector<bool> has_meta;

        // Finds the series of (symbol, width) in a 'm' or 'w' key.
        auto series_of = [&](internal::reader& r, uint32_t& sid) -> result<void> {
            std::string_view sym;
            uint64_t width = 0;
            if (!r.string(sym) || !r.varint(width)) {
                return make_error(errc::bad_state, "truncated series key");
            }
            auto it = std::find(m.widths.begin(), m.widths.end(), static_cast<int64_t>(width));
            if (it == m.widths.end()) {
                return make_error(
                    errc::bad_config,
                    "the saved engine state has candles of interval {} which is not configured; "
                    "configure the same intervals as before, or delete the engine/ keys to rebuild",
                    model::interval(static_cast<int64_t>(width)).name());
            }
            sid = m.symbol_for(sym) * static_cast<uint32_t>(n) + static_cast<uint32_t>(it - m.widths.begin());
            return ok();
        };

        for (const auto& [k, v] : state) {
            if (k.size() <= state_prefix.size() || k.compare(0, state_prefix.size(), state_prefix) != 0) {
                return bad(k, "not an engine/ key");
            }
            char kind = k[state_prefix.size()];
            internal::reader kr(std::string_view(k).substr(state_prefix.size() + 1));
            internal::reader vr(v);
            switch (kind) {
            case 'c': {
                // Older versions appended a "finished" byte that made every
                // later tick late; it is ignored (finish() no longer persists
                // anything beyond the windows and cursors it finalized).
                uint8_t finished = 0;
                if (!vr.varint(m.counts.accepted) || !vr.varint(m.counts.duplicates)
                    || !vr.varint(m.counts.late) || (!vr.done() && (!vr.byte(finished) || !vr.done()))) {
                    return bad(k, "counters");
                }
                break;
            }
            case 'p': {
                auto id = kr.rest();
                int64_t max_et = 0;
                if (id.size() != 4 || !vr.zigzag(max_et) || !vr.done()) {
                    return bad(k, "partition");
                }
                uint32_t p = 0;
                for (char c : id) {
                    p = (p << 8) | static_cast<uint8_t>(c);
                }
                if (p >= (1u << 20)) {
                    return bad(k, "partition id out of range");
                }
                m.partition(partition_id(static_cast<int32_t>(p))).max_et = max_et;
                break;
            }
            case 's': {
                auto& sym = m.symbols[m.symbol_for(kr.rest())];
                uint64_t np = 0;
                if (!vr.varint(np) || np > 1024) {
                    return bad(k, "symbol partitions");
                }
                sym.partitions.clear();
                for (uint64_t i = 0; i < np; ++i) {
                    int64_t p = 0;
                    if (!vr.zigzag(p) || p < 0 || p >= (1 << 20)) {
                        return bad(k, "symbol partition");
                    }
                    sym.partitions.push_back(static_cast<int32_t>(p));
                }
                if (!vr.zigzag(sym.wm_floor) || !vr.done()) {
                    return bad(k, "symbol watermark floor");
                }
                break;
            }
            case 'd': {
                std::string_view name;
                int64_t seq = 0;
                if (!kr.string(name) || !vr.zigzag(seq) || !vr.done()) {
                    return bad(k, "dedupe sequence");
                }
                auto& sym = m.symbols[m.symbol_for(name)];
                auto& src = sym.sources.emplace_back();
                src.name = std::string(kr.rest());
                src.max_seq = seq;
                break;
            }
            case 'm': {
                uint32_t sid = 0;
                if (auto r = series_of(kr, sid); !r) {
                    return r.error().code == errc::bad_config ? r : bad(k, r.error().message);
                }
                auto& s = m.series[sid];
                uint8_t f = 0;
                if (!kr.done() || !vr.byte(f) || !vr.zigzag(s.base) || !vr.zigzag(s.first_real)
                    || !vr.zigzag(s.newest_real) || !vr.zigzag(s.cursor)) {
                    return bad(k, "series");
                }
                s.has_real = (f & m_real) != 0;
                s.has_closed = (f & m_closed) != 0;
                if (s.has_closed && (!vr.zigzag(s.closed_idx) || !vr.f64(s.closed_close))) {
                    return bad(k, "series closed window");
                }
                if (!vr.done() || !s.has_real || s.first_real > s.newest_real || s.cursor < s.first_real
                    || s.cursor > s.newest_real + 1) {
                    return bad(k, "series invariants");
                }
                if (has_meta.size() <= sid) {
                    has_meta.resize(sid + 1);
                }
                has_meta[sid] = true;
                break;
            }
            case 'w': {
                uint32_t sid = 0;
                if (auto r = series_of(kr, sid); !r) {
                    return r.error().code == errc::bad_config ? r : bad(k, r.error().message);
                }
                int64_t idx = 0;
                window x;
                if (!kr.zigzag(idx) || !kr.done() || !decode_window(v, x)) {
                    return bad(k, "window");
                }
                x.flags |= window::persisted;
                windows.emplace_back(sid, idx, x);
                break;
            }
            default:
                return bad(k, "unknown kind");
            }
        }

        for (auto& sym : m.symbols) {
            for (int32_t p : sym.partitions) {
                if (static_cast<size_t>(p) >= m.partitions.size()) {
                    return bad(sym.name, "symbol refers to a partition without a saved watermark");
                }
            }
        }
        for (uint32_t sid = 0; sid < m.series.size(); ++sid) {
            auto& s = m.series[sid];
            if (s.has_real) {
                m.grow(s, std::max(s.newest_real, s.cursor));
            }
        }
        for (auto& [sid, idx, x] : windows) {
            auto& s = m.series[sid];
            if (sid >= has_meta.size() || !has_meta[sid] || idx < s.base) {
                return bad(m.symbols[sid / n].name, "window without its series or below its base");
            }
            if (idx >= s.base + s.capacity()) {
                m.grow(s, idx);
            }
            s.at(idx) = x;
        }
        m.saved_counts = m.counts;
        m.published = m.counts;
        return ok();
    }();
    if (r.has_error()) {
        // Leave a fresh engine rather than a half-restored one.
        _impl = std::make_unique<impl>(m.cfg);
    }
    return r;
}

} // namespace mdsp::stream
