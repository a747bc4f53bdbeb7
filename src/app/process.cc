#include "app/process.h"

#include <algorithm>
#include <ranges>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "app/stage_state.h"
#include "base/time.h"
#include "model/codec.h"
#include "model/framing.h"

namespace mdsp::app {

std::string process_stage::position_key(int32_t partition) {
    return fmt::format("pos/{}/{:05}", bus::ticks_topic, partition);
}

process_stage::process_stage(const config& cfg, bus::consumer& in, bus::producer& dead_letters,
                             store::store& st)
  : _cfg(cfg)
  , _in(in)
  , _dlq(dead_letters)
  , _store(st)
  , _engine(engine_cfg(cfg)) {}

result<void> process_stage::restore(int32_t partitions) {
    auto st = _store.load_state(stream::candle_engine::state_prefix);
    if (!st) {
        return st.error();
    }
    if (auto r = _engine.restore(*st); !r) {
        return r;
    }
    bus::offsets start;
    for (int32_t p = 0; p < partitions; ++p) {
        auto kv = _store.load_state(position_key(p));
        if (!kv) {
            return kv.error();
        }
        int64_t next = kv->empty() ? 0 : from_be64(kv->front().second);
        start.emplace_back(partition_id(p), offset(next));
        _next[p] = next;
        _written[p] = next;
    }
    // Assign from the log start first: a stored position past the log's end
    // (the log lost a torn tail that the store had already taken in) is
    // clamped to the end, so new appends, which reuse those offsets, are read.
    bus::offsets from_start;
    for (const auto& [p, _] : start) {
        from_start.emplace_back(p, offset(0));
    }
    if (auto r = _in.assign(bus::ticks_topic, from_start); !r) {
        return r;
    }
    for (auto& [p, o] : start) {
        auto end = _in.end_offset(p);
        if (!end) {
            return end.error();
        }
        if (o > *end) {
            spdlog::warn(
                "process: market.ticks-{} ends at {} but the store consumed up to {}: the log lost its "
                "tail (a crash with log.fsync = {}); continuing at {}",
                p(), (*end)(), o(), _cfg.log.fsync, (*end)());
            o = *end;
            _next[p()] = o();
            _written[p()] = -1; // the clamped position is written at the next commit
        }
        if (auto r = _in.seek(p, o); !r) {
            return r;
        }
    }
    auto s = _engine.stats();
    if (!st->empty()) {
        spdlog::info("process: restored {} open windows; resuming market.ticks at {}", s.open_windows,
                     fmt::join(start | std::views::transform([](const auto& e) {
                                   return fmt::format("{}:{}", e.first(), e.second());
                               }),
                               ", "));
    }
    return ok();
}

void process_stage::dead_letter(const bus::record_view& r, const char* kind, const std::string& why) {
    model::dead_letter d;
    d.source_topic = std::string(bus::ticks_topic);
    d.source_partition = r.partition();
    d.source_offset = r.offset();
    d.error_kind = kind;
    d.message = why;
    d.raw = std::string(r.value);
    d.time = now_micros();
    _dl_buf.clear();
    model::write_frame_header(model::dead_letter_schema_id, _dl_buf);
    model::encode(d, _dl_buf);
    if (auto res = _dlq.send(bus::deadletter_topic, r.key, _dl_buf, d.time / 1000); !res) {
        spdlog::error("process: cannot write a dead letter: {}", res.error().what());
        return;
    }
    ++_dead;
    _metrics.dead_letter();
}

result<size_t> process_stage::step(int timeout_ms) {
    _polled.clear();
    size_t room = static_cast<size_t>(std::max<int64_t>(1, _cfg.process.max_batch - _pending));
    // With ticks waiting for their store write, wait no longer than the
    // commit interval has left: at low rates the write must not wait for
    // the next record to arrive.
    if (_pending > 0) {
        int64_t left_ms =
            (_cfg.process.commit_interval_us * 1000 - (mono_nanos() - _first_pending_ns)) / 1'000'000;
        timeout_ms = static_cast<int>(std::clamp<int64_t>(left_ms, 0, timeout_ms));
    }
    if (auto r = _in.poll(_polled, std::min<size_t>(room, 8192), std::chrono::milliseconds(timeout_ms)); !r) {
        return r.error();
    }
    for (const auto& rec : _polled.records) {
        _next[rec.partition()] = rec.offset() + 1;
        auto t = model::decode_framed_tick(rec.value);
        if (!t) {
            dead_letter(rec, "decode", t.error().what());
            continue;
        }
        auto outcome = _engine.add(*t, rec.partition);
        _metrics.count(outcome);
        switch (outcome) {
        case stream::tick_outcome::accepted:
            buffer_accepted(std::move(*t), _cfg.process.store_ticks, _latest, _pending_ingest, _ticks);
            break;
        case stream::tick_outcome::duplicate:
            break;
        case stream::tick_outcome::late:
            dead_letter(rec, "late", late_reason(*t, _cfg));
            break;
        }
    }
    size_t n = _polled.records.size();
    if (n > 0) {
        if (_pending == 0) {
            _first_pending_ns = mono_nanos();
        }
        _pending += static_cast<int64_t>(n);
        _processed += n;
    }
    if (_pending > 0
        && (_pending >= _cfg.process.max_batch
            || mono_nanos() - _first_pending_ns >= _cfg.process.commit_interval_us * 1000 || n == 0)) {
        if (auto r = commit(); !r) {
            return r.error();
        }
    }
    return n;
}

result<void> process_stage::commit() {
    _candles.clear();
    _state.clear();
    _engine.take_updates(_candles);
    _engine.take_state_changes(_state);
    for (const auto& [p, next] : _next) {
        if (_written[p] != next) {
            _state.emplace_back(position_key(p), be64(next));
        }
    }
    if (_candles.empty() && _state.empty() && _ticks.empty()) {
        _pending = 0;
        return ok();
    }
    _latest_vec.clear();
    for (auto& [_, t] : _latest) {
        _latest_vec.push_back(std::move(t));
    }
    _latest.clear();
    // Dead letters go out before the offsets that skip them are committed.
    if (_dead > 0) {
        if (auto r = _dlq.flush(); !r) {
            return r;
        }
    }
    store::write_batch b{_ticks, _candles, _latest_vec, _state};
    int64_t t0 = mono_nanos();
    if (auto r = _store.write(b); !r) {
        return r;
    }
    _metrics.written(t0, _candles.size(), _pending_ingest, now_micros(), _latency_sink);
    if (_on_commit) {
        _on_commit(_candles, _latest_vec);
    }
    for (const auto& [p, next] : _next) {
        _written[p] = next;
    }
    _candles_written += _candles.size();
    _ticks.clear();
    _pending_ingest.clear();
    _pending = 0;
    return ok();
}

result<void> process_stage::finish() {
    if (auto r = commit(); !r) {
        return r;
    }
    _engine.finish();
    return commit();
}

result<bool> process_stage::caught_up() {
    if (_pending > 0) {
        return false;
    }
    for (const auto& [p, next] : _next) {
        if (_written[p] != next) { // a position moved without ticks (a clamp, dead letters): write it
            if (auto r = commit(); !r) {
                return r.error();
            }
            break;
        }
    }
    for (const auto& [p, next] : _written) {
        auto end = _in.end_offset(partition_id(p));
        if (!end) {
            return end.error();
        }
        if ((*end)() > next) {
            return false;
        }
    }
    return true;
}

} // namespace mdsp::app
