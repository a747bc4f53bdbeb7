#include "app/kafka_process.h"

#include <algorithm>
#include <charconv>
#include <random>
#include <ranges>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "app/process.h"
#include "app/stage_state.h"
#include "base/time.h"
#include "model/codec.h"
#include "model/framing.h"

namespace mdsp::app {

namespace {
constexpr std::string_view replica_key = "replica/id";

int64_t floor_div(int64_t a, int64_t b) {
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

// Anchors as text: "window:offset,window:offset".
std::string encode_anchors(const std::deque<std::pair<int64_t, int64_t>>& a) {
    std::string s;
    for (const auto& [w, o] : a) {
        s += fmt::format("{}{}:{}", s.empty() ? "" : ",", w, o);
    }
    return s;
}
// nullopt for a malformed value (a corrupt store).
std::optional<std::deque<std::pair<int64_t, int64_t>>> decode_anchors(std::string_view s) {
    std::deque<std::pair<int64_t, int64_t>> out;
    auto num = [](std::string_view t, int64_t& v) {
        auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
        return ec == std::errc() && p == t.data() + t.size();
    };
    while (!s.empty()) {
        auto comma = s.find(',');
        auto item = s.substr(0, comma);
        auto colon = item.find(':');
        int64_t w = 0;
        int64_t o = 0;
        if (colon == std::string_view::npos || !num(item.substr(0, colon), w)
            || !num(item.substr(colon + 1), o)) {
            return std::nullopt;
        }
        out.emplace_back(w, o);
        s = comma == std::string_view::npos ? std::string_view() : s.substr(comma + 1);
    }
    return out;
}
} // namespace

std::string kafka_process_stage::partition_prefix(int32_t p) {
    return fmt::format("kp/{:05}/", p);
}

kafka_process_stage::kafka_process_stage(const config& cfg, bus::kafka_consumer& in, bus::producer& out,
                                         store::store& st)
  : _cfg(cfg)
  , _in(in)
  , _out(out)
  , _store(st) {
    for (const auto& iv : cfg.engine.intervals) {
        _largest_us = std::max(_largest_us, iv.micros());
    }
    for (const auto& iv : cfg.engine.intervals) {
        if (_largest_us % iv.micros() != 0) {
            spdlog::warn(
                "process: interval {} does not divide the largest one; a partition rebuilt on another "
                "replica may start inside one of its windows",
                iv.name());
        }
    }
}

result<void> kafka_process_stage::start() {
    auto kv = _store.load_state(replica_key);
    if (!kv) {
        return kv.error();
    }
    if (!kv->empty()) {
        _replica = kv->front().second;
    } else {
        std::random_device rd;
        _replica = fmt::format("{:08x}{:08x}", rd(), rd());
        std::vector<store::state_change> st{{std::string(replica_key), _replica}};
        if (auto r = _store.write(store::write_batch{{}, {}, {}, st}); !r) {
            return r;
        }
    }
    _in.set_commit_metadata("mdsp-replica:" + _replica);
    spdlog::info("process: replica {} joins group {} on {}", _replica, _cfg.kafka.group, _cfg.kafka.brokers);
    return _in.subscribe(bus::ticks_topic, bus::rebalance_listener{
                                               [this](const auto& ps) { on_assigned(ps); },
                                               [this](const auto& ps) { on_revoked(ps); },
                                           });
}

std::vector<int32_t> kafka_process_stage::owned() const {
    std::vector<int32_t> out;
    for (const auto& [p, _] : _parts) {
        out.push_back(p);
    }
    return out;
}

void kafka_process_stage::on_assigned(const std::vector<partition_id>& ps) {
    std::string mine = "mdsp-replica:" + _replica;
    for (auto pid : ps) {
        int32_t p = pid();
        auto c = _in.committed_with_metadata(pid);
        if (!c) {
            _callback_error = c.error();
            return;
        }
        std::string prefix = partition_prefix(p);
        auto pos = _store.load_state(process_stage::position_key(p));
        auto state = _store.load_state(prefix);
        if (!pos || !state) {
            _callback_error = !pos ? pos.error() : state.error();
            return;
        }
        auto pp = std::make_unique<part>(engine_cfg(_cfg));
        pp->id = p;
        bool resume = *c && (*c)->second == mine && !pos->empty();
        if (resume) {
            std::vector<std::pair<std::string, std::string>> engine_state;
            for (auto& [k, v] : *state) {
                std::string_view rest = std::string_view(k).substr(prefix.size());
                if (rest.starts_with(stream::candle_engine::state_prefix)) {
                    engine_state.emplace_back(std::string(rest), std::move(v));
                } else if (rest.starts_with("a/")) {
                    auto a = decode_anchors(v);
                    if (!a) {
                        _callback_error = make_error(errc::bad_config,
                                                     "the store in {} has a corrupt key {}; delete the store "
                                                     "folder to rebuild this replica from Kafka",
                                                     _cfg.data_dir, k);
                        return;
                    }
                    pp->symbols[std::string(rest.substr(2))].a = std::move(*a);
                } else if (rest == "m") {
                    pp->max_event = from_be64(v);
                }
            }
            if (auto r = pp->engine.restore(engine_state); !r) {
                _callback_error = r.error();
                return;
            }
            pp->next = pp->written = from_be64(pos->front().second);
            pp->committed = (*c)->first();
            spdlog::info("process: market.ticks-{} resumes at {} from this replica's state (committed {})", p,
                         pp->next, pp->committed);
        } else {
            // Another replica (or nobody) owned it last: rebuild from the
            // committed offset; what this store had of it is stale.
            for (const auto& [k, _] : *state) {
                pp->delete_keys.push_back(k);
            }
            pp->next = *c ? (*c)->first() : 0;
            pp->committed = *c ? (*c)->first() : -1;
            pp->written = -1; // the position is written at the next store write
            spdlog::info("process: market.ticks-{} is rebuilt from offset {} ({})", p, pp->next,
                         *c ? fmt::format("committed by {}", (*c)->second)
                            : std::string("nothing committed"));
        }
        if (auto r = _in.seek(pid, offset(pp->next)); !r) {
            _callback_error = r.error();
            return;
        }
        _parts[p] = std::move(pp);
    }
}

void kafka_process_stage::on_revoked(const std::vector<partition_id>& ps) {
    if (auto r = commit(); !r) {
        _callback_error = r.error();
    } else if (auto r2 = commit_offsets(); !r2) {
        _callback_error = r2.error();
    }
    for (auto p : ps) {
        _parts.erase(p());
    }
}

void kafka_process_stage::dead_letter(const bus::record_view& r, const char* kind, const std::string& why) {
    model::dead_letter d;
    d.source_topic = std::string(bus::ticks_topic);
    d.source_partition = r.partition();
    d.source_offset = r.offset();
    d.error_kind = kind;
    d.message = why;
    d.raw = std::string(r.value.substr(0, model::max_dead_letter_raw_bytes));
    d.time = now_micros();
    _buf.clear();
    model::write_frame_header(model::dead_letter_schema_id, _buf);
    model::encode(d, _buf);
    if (auto res = _out.send(bus::deadletter_topic, r.key, _buf, d.time / 1000); !res) {
        spdlog::error("process: cannot write a dead letter: {}", res.error().what());
        return;
    }
    ++_dead;
    _metrics.dead_letter();
}

void kafka_process_stage::note_anchor(part& p, const std::string& symbol, int64_t event_us, int64_t offset) {
    int64_t w = floor_div(event_us, _largest_us);
    auto& s = p.symbols[symbol];
    auto& a = s.a;
    auto it = std::lower_bound(a.begin(), a.end(), w, [](const auto& e, int64_t x) { return e.first < x; });
    if (it != a.end() && it->first == w) {
        if (offset < it->second) {
            it->second = offset;
            s.dirty = true;
        }
    } else {
        a.insert(it, {w, offset});
        s.dirty = true;
    }
}

int64_t kafka_process_stage::safe_offset(const part& p) const {
    int64_t o = p.written;
    for (const auto& [_, s] : p.symbols) {
        if (!s.a.empty()) {
            o = std::min(o, s.a.front().second);
        }
    }
    return o;
}

result<size_t> kafka_process_stage::step(int timeout_ms) {
    if (_callback_error) {
        auto e = std::move(*_callback_error);
        _callback_error.reset();
        return e;
    }
    _polled.clear();
    if (_pending > 0) {
        int64_t left_ms =
            (_cfg.process.commit_interval_us * 1000 - (mono_nanos() - _first_pending_ns)) / 1'000'000;
        timeout_ms = static_cast<int>(std::clamp<int64_t>(left_ms, 0, timeout_ms));
    }
    size_t room = static_cast<size_t>(std::max<int64_t>(1, _cfg.process.max_batch - _pending));
    if (auto r = _in.poll(_polled, std::min<size_t>(room, 8192), std::chrono::milliseconds(timeout_ms)); !r) {
        return r.error();
    }
    if (_callback_error) {
        auto e = std::move(*_callback_error);
        _callback_error.reset();
        return e;
    }
    size_t n = 0;
    for (const auto& rec : _polled.records) {
        auto it = _parts.find(rec.partition());
        if (it == _parts.end()) {
            continue; // fetched just before a revocation
        }
        auto& p = *it->second;
        if (rec.offset() < p.next) {
            continue; // read again after a seek
        }
        ++n;
        p.next = rec.offset() + 1;
        auto t = model::decode_framed_tick(rec.value);
        if (!t) {
            dead_letter(rec, "decode", t.error().what());
            continue;
        }
        auto outcome = p.engine.add(*t, rec.partition);
        _metrics.count(outcome);
        switch (outcome) {
        case stream::tick_outcome::accepted: {
            p.max_event = std::max(p.max_event, t->event_time());
            note_anchor(p, t->symbol, t->event_time(), rec.offset());
            buffer_accepted(std::move(*t), _cfg.process.store_ticks, _latest, _pending_ingest, _ticks);
            break;
        }
        case stream::tick_outcome::duplicate:
            break;
        case stream::tick_outcome::late:
            dead_letter(rec, "late", late_reason(*t, _cfg));
            break;
        }
    }
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
    if (_offsets_due && mono_nanos() - _last_offsets_ns >= _cfg.kafka.commit_interval_us * 1000) {
        if (auto r = commit_offsets(); !r) {
            return r.error();
        }
    }
    return n;
}

result<void> kafka_process_stage::take(part& p) {
    std::string prefix = partition_prefix(p.id);
    for (auto& k : p.delete_keys) {
        _state.emplace_back(std::move(k), std::nullopt);
    }
    p.delete_keys.clear();
    p.engine.take_updates(_candles);
    _part_state.clear();
    p.engine.take_state_changes(_part_state);
    for (auto& [k, v] : _part_state) {
        _state.emplace_back(prefix + k, std::move(v));
    }
    // Anchors: keep per symbol the newest closed window of the largest
    // interval and every later one.
    int64_t wm = p.max_event == INT64_MIN ? INT64_MIN : p.max_event - _cfg.engine.out_of_orderness_us;
    auto closed = [&](int64_t w) {
        return wm != INT64_MIN && wm >= (w + 1) * _largest_us + _cfg.engine.allowed_lateness_us;
    };
    for (auto& [sym, s] : p.symbols) {
        while (s.a.size() >= 2 && closed(s.a[1].first)) {
            s.a.pop_front();
            s.dirty = true;
        }
        if (s.dirty) {
            s.dirty = false;
            _state.emplace_back(prefix + "a/" + sym, encode_anchors(s.a));
        }
    }
    if (p.written != p.next) {
        _state.emplace_back(prefix + "m", be64(p.max_event));
        _state.emplace_back(process_stage::position_key(p.id), be64(p.next));
    }
    return ok();
}

result<void> kafka_process_stage::commit() {
    _candles.clear();
    _state.clear();
    for (auto& [_, p] : _parts) {
        if (auto r = take(*p); !r) {
            return r;
        }
    }
    if (_candles.empty() && _state.empty() && _ticks.empty()) {
        _pending = 0;
        return ok();
    }
    for (const auto& c : _candles) {
        _buf.clear();
        model::encode_framed(c, _buf);
        if (auto r = _out.send(bus::candles_topic, c.symbol, _buf, c.window_start() / 1000); !r) {
            return r;
        }
    }
    _latest_vec.clear();
    for (auto& [_, t] : _latest) {
        _latest_vec.push_back(std::move(t));
    }
    _latest.clear();
    int64_t t0 = mono_nanos();
    if (auto r = _store.write(store::write_batch{_ticks, _candles, _latest_vec, _state}); !r) {
        return r;
    }
    _metrics.written(t0, _candles.size(), _pending_ingest, now_micros(), _latency_sink);
    if (_on_commit) {
        _on_commit(_candles, _latest_vec);
    }
    _pending_ingest.clear();
    for (auto& [_, p] : _parts) {
        p->written = p->next;
    }
    _candles_written += _candles.size();
    _ticks.clear();
    _pending = 0;
    _offsets_due = true;
    return ok();
}

result<void> kafka_process_stage::commit_offsets() {
    _last_offsets_ns = mono_nanos();
    _offsets_due = false;
    bus::offsets next;
    for (const auto& [id, p] : _parts) {
        int64_t o = safe_offset(*p);
        if (o >= 0 && o != p->committed) {
            next.emplace_back(partition_id(id), offset(o));
        }
    }
    if (next.empty()) {
        return ok();
    }
    // Candles and dead letters of what the offsets skip go out first.
    if (auto r = _out.flush(); !r) {
        return r;
    }
    if (auto r = _in.commit(next); !r) {
        if (r.error().code == make_error_code(bus::errc::rebalance)) {
            // The group is moving partitions: whoever owns them next starts
            // from the previous commit, which is safe. Try again later.
            spdlog::info("process: offsets not committed now: {}", r.error().what());
            _offsets_due = true;
            return ok();
        }
        return r;
    }
    for (const auto& [p, o] : next) {
        _parts[p()]->committed = o();
    }
    return ok();
}

result<void> kafka_process_stage::finish() {
    if (auto r = commit(); !r) {
        return r;
    }
    for (auto& [_, p] : _parts) {
        p->engine.finish();
    }
    if (auto r = commit(); !r) {
        return r;
    }
    return commit_offsets();
}

result<bool> kafka_process_stage::caught_up() {
    if (_parts.empty() || _pending > 0) {
        return false;
    }
    if (auto r = commit(); !r) {
        return r.error();
    }
    for (const auto& [id, p] : _parts) {
        auto end = _in.end_offset(partition_id(id));
        if (!end) {
            return end.error();
        }
        if ((*end)() > p->written) {
            return false;
        }
    }
    return true;
}

result<void> kafka_process_stage::stop() {
    if (auto r = commit(); !r) {
        return r;
    }
    if (auto r = commit_offsets(); !r) {
        return r;
    }
    _in.close();
    if (_callback_error) {
        return *_callback_error;
    }
    return ok();
}

} // namespace mdsp::app
