// The process stage's store writes (process_stage.h): a batch taken from
// the engines, written on the stage's thread or, when large, on the
// writer's while the stage reads on, and what follows a write.
#include <algorithm>

#include <spdlog/spdlog.h>

#include "base/time.h"
#include "model/framing.h"
#include "pipeline/data_folder.h"
#include "pipeline/process_stage.h"

namespace mdsp::pipeline {

namespace {

// A batch of at least this many records is written on the writer's thread
// while the next one is read and applied; a smaller one (low rates, where
// latency matters more than throughput) on the stage's thread at once.
constexpr int64_t async_write_records = 1024;

// Orders a partition's engine state changes for a store without atomic
// writes (candle_engine::state_key_symbol): each symbol's keys together,
// the whole-engine keys last. Returns where those begin; the ends of the
// symbols' runs go to ends.
size_t group_by_symbol(std::vector<store::state_change>& changes, std::vector<uint32_t>& ends) {
    auto sym = [](const store::state_change& c) { return stream::candle_engine::state_key_symbol(c.first); };
    std::stable_sort(changes.begin(), changes.end(), [&](const auto& a, const auto& b) {
        auto sa = sym(a), sb = sym(b);
        if (sa.empty() != sb.empty()) {
            return sb.empty();
        }
        return sa < sb;
    });
    size_t i = 0;
    while (i < changes.size() && !sym(changes[i]).empty()) {
        auto s = sym(changes[i]);
        while (i < changes.size() && sym(changes[i]) == s) {
            ++i;
        }
        ends.push_back(static_cast<uint32_t>(i));
    }
    return i;
}

} // namespace

void process_stage::take(engine_slot& s, const part* p) {
    for (auto& k : s.delete_keys) {
        _wb.state.emplace_back(std::move(k), std::nullopt);
    }
    s.delete_keys.clear();
    s.engine.take_updates(_wb.candles, _wb.fillers);
    _slot_state.clear();
    s.engine.take_state_changes(_slot_state);
    const auto base = static_cast<uint32_t>(_wb.state.size());
    if (_shared_store) {
        _group_scratch.clear();
        group_by_symbol(_slot_state, _group_scratch);
        for (uint32_t e : _group_scratch) {
            _wb.state_groups.push_back(base + e);
        }
    }
    for (auto& [k, v] : _slot_state) {
        _wb.state.emplace_back(s.prefix.empty() ? std::move(k) : s.prefix + k, std::move(v));
    }
    if (_shared_store) {
        // The whole-engine keys (and the version base) close the slot's last run.
        if (_shared && p && p->written != p->next) {
            _wb.state.emplace_back(s.prefix + "t", be64(p->version_base));
        }
        if (_wb.state_groups.empty() || _wb.state_groups.back() != _wb.state.size()) {
            _wb.state_groups.push_back(static_cast<uint32_t>(_wb.state.size()));
        }
    }
    if (_shared) {
        const int64_t v = p ? version(*p) : 1;
        _wb.candle_versions.resize(_wb.candles.size(), v);
        _wb.state_versions.resize(_wb.state.size(), v);
    }
}

// Takes what the engines changed, the positions and the latest prices into
// the batch (_wb), and the records read since the last take with it; false
// when there is nothing to write. Only while no write is in flight.
bool process_stage::take_batch() {
    _wb.candles.clear();
    _wb.fillers.clear();
    _wb.state.clear();
    _wb.candle_versions.clear();
    _wb.state_versions.clear();
    _wb.state_groups.clear();
    _wb.marks.clear();
    _wb.mark_versions.clear();
    _wb.covers.clear();
    _pending = 0;
    for (auto& [id, s] : _slots) {
        auto it = _parts.find(id);
        take(*s, it == _parts.end() ? nullptr : &it->second);
    }
    for (auto& [id, p] : _parts) {
        if (p.anchors) {
            int64_t wm = p.max_event == INT64_MIN ? INT64_MIN : p.max_event - _cfg.engine.out_of_orderness_us;
            p.anchors->take(wm, _cfg.engine.allowed_lateness_us, p.slot->prefix, _wb.state);
        }
        if (p.written != p.next) {
            if (p.anchors) {
                _wb.state.emplace_back(p.slot->prefix + "m", be64(p.max_event));
            }
            _wb.state.emplace_back(position_key(id), be64(p.next));
            if (_shared) {
                _wb.marks.emplace_back(p.slot->prefix + "o", be64(p.next));
                _wb.mark_versions.push_back(version(p));
            }
        }
        _wb.covers.emplace_back(id, p.next);
        if (_shared) {
            _wb.state_versions.resize(_wb.state.size(), version(p));
        }
        if (_shared_store && (_wb.state_groups.empty() || _wb.state_groups.back() != _wb.state.size())) {
            _wb.state_groups.push_back(static_cast<uint32_t>(_wb.state.size()));
        }
    }
    if (_wb.candles.empty() && _wb.fillers.empty() && _wb.state.empty() && _ticks.empty()) {
        _pending_ingest.clear();
        return false;
    }
    std::swap(_wb.ticks, _ticks);
    std::swap(_wb.ingest, _pending_ingest);
    _wb.latest.clear();
    for (auto& [_, t] : _latest) {
        _wb.latest.push_back(std::move(t));
    }
    _latest.clear();
    _unwritten = true;
    _published = false;
    return true;
}

// Before each attempt to write the batch, on the stage's thread: its candles
// to market.candles (once), and, embedded, the dead letters its positions
// skip (in a group the offset commit flushes them: commit_offsets).
result<void> process_stage::before_write() {
    if (_opts.publish_candles && !_published) {
        for (const auto& c : _wb.candles) {
            _buf.clear();
            model::encode_framed(c, _buf);
            if (auto r = _out.send(_opts.topics.candles, c.symbol, _buf, c.window_start() / 1000); !r) {
                return r;
            }
        }
        _published = true;
    }
    if (!_opts.group && _dlq_unflushed) {
        if (auto r = _out.flush(); !r) {
            return r;
        }
        _dlq_unflushed = false;
    }
    return ok();
}

result<void> process_stage::write_taken() {
    if (auto r = mark_covered(); !r) {
        return r;
    }
    return _store.write(store::write_batch{_wb.ticks, _wb.candles, _wb.latest, _wb.state, _wb.candle_versions,
                                           _wb.state_versions, _wb.state_groups});
}

// A batch that failed to write stays in _wb (_unwritten) and is written
// again as it was: the engines have handed it over already.
result<void> process_stage::commit() {
    if (auto r = collect(true); !r) {
        return r;
    }
    if (!_unwritten && !take_batch()) {
        return ok();
    }
    if (auto r = before_write(); !r) {
        return r;
    }
    const int64_t t0 = mono_nanos();
    if (auto r = write_taken(); !r) {
        return r;
    }
    after_write(t0, mono_nanos());
    return ok();
}

// A due batch from step(): a large one goes to the writer's thread, and
// this one reads on; the next batch is taken once this write is collected.
result<void> process_stage::write_async() {
    if (_pending < async_write_records || _unwritten) {
        return commit();
    }
    if (!take_batch()) {
        return ok();
    }
    if (auto r = before_write(); !r) {
        return r;
    }
    _writer.submit([this] { return write_taken(); });
    return ok();
}

// The end of a write on the writer's thread: waited for (block), or only
// looked at. A failed write stays in _wb for retry_write().
result<void> process_stage::collect(bool block) {
    if (_writer.idle()) {
        return ok();
    }
    std::optional<result<void>> r;
    if (block) {
        r = _writer.wait();
    } else if (r = _writer.poll(); !r) {
        return ok();
    }
    if (!*r) {
        return r->error();
    }
    after_write(_writer.started_ns(), _writer.ended_ns());
    return ok();
}

// The store has the batch: the positions it covers move, observers see it.
void process_stage::after_write(int64_t started_ns, int64_t ended_ns) {
    _unwritten = false;
    // Readable since the write ended, which may be a moment before now.
    const int64_t done_us = now_micros() - (mono_nanos() - ended_ns) / 1000;
    _probe.written(ended_ns - started_ns, _wb.candles.size(), _wb.ingest, done_us, _opts.latency_sink);
    if (_opts.on_commit) {
        _opts.on_commit(_wb.candles, _wb.fillers, _wb.latest);
    }
    for (const auto& [id, next] : _wb.covers) {
        if (auto it = _parts.find(id); it != _parts.end()) {
            it->second.written = next;
        }
    }
    _candles_written.fetch_add(_wb.candles.size(), std::memory_order_relaxed);
    _wb.ticks.clear();
    _wb.ingest.clear();
}

} // namespace mdsp::pipeline
