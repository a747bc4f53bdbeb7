#include "pipeline/process_stage.h"

#include <algorithm>
#include <random>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "base/time.h"
#include "model/codec.h"
#include "model/framing.h"
#include "model/validate.h"
#include "pipeline/data_folder.h"
#include "pipeline/errc.h"

namespace mdsp::pipeline {

namespace {
constexpr std::string_view replica_key = "replica/id";
constexpr int64_t lag_every_ns = 1'000'000'000;
constexpr int64_t retention_every_ns = 60'000'000'000;
constexpr int64_t group_check_every_ns = 200'000'000; // caught_up() asks the brokers

stream::engine_config engine_cfg(const config& c) {
    stream::engine_config e;
    e.intervals = c.engine.intervals;
    e.out_of_orderness_us = c.engine.out_of_orderness_us;
    e.allowed_lateness_us = c.engine.allowed_lateness_us;
    e.fill_gaps = c.engine.fill_gaps;
    return e;
}

// By (event_time, seq): the order open/close and the latest table use.
bool newer(const model::tick& a, const model::tick& b) {
    return a.event_time != b.event_time ? a.event_time > b.event_time : a.seq > b.seq;
}

std::string late_reason(const model::tick& t, const config& c) {
    return fmt::format("tick of {} at {} is later than the allowed lateness ({})", t.symbol,
                       format_iso8601(t.event_time()), format_duration(c.engine.allowed_lateness_us));
}
} // namespace

std::string process_stage::partition_prefix(int32_t p) {
    return fmt::format("kp/{:05}/", p);
}

process_stage::process_stage(const config& cfg, bus::consumer& in, bus::producer& out, store::store& st,
                             options opts)
  : _cfg(cfg)
  , _in(in)
  , _out(out)
  , _store(st)
  , _opts(std::move(opts))
  , _dlq(out, _opts.topics.deadletter)
  , _quality(cfg.quality)
  , _shared_store(st.shared()) {
    for (const auto& iv : cfg.engine.intervals) {
        _largest_us = std::max(_largest_us, iv.micros());
    }
    if (_opts.group) {
        for (const auto& iv : cfg.engine.intervals) {
            if (_largest_us % iv.micros() != 0) {
                spdlog::warn("process: interval {} does not divide the largest one; a partition rebuilt on "
                             "another replica may start inside one of its windows",
                             iv.name());
            }
        }
    }
}

process_stage::~process_stage() = default;

result<void> process_stage::start() {
    _last_lag_ns = mono_nanos();
    _last_retention_ns = _last_lag_ns - retention_every_ns - 1; // due with the first tick, then every minute
    if (_opts.no_upstream) {
        _upstream_done = true;
    }
    if (_opts.group) {
        // A shared store is every replica's: an id kept there would be everyone's.
        _shared = _store.shared();
        auto kv = _shared ? result<std::vector<std::pair<std::string, std::string>>>(
                      std::vector<std::pair<std::string, std::string>>{})
                          : _store.load_state(replica_key);
        if (!kv) {
            return kv.error();
        }
        if (!kv->empty()) {
            _replica = kv->front().second;
        } else {
            std::random_device rd;
            _replica = fmt::format("{:08x}{:08x}", rd(), rd());
            std::vector<store::state_change> st{{std::string(replica_key), _replica}};
            if (_shared) {
                // nothing to keep: the checkpoints say where to resume
            } else if (auto r = _store.write(store::write_batch{{}, {}, {}, st}); !r) {
                return r;
            }
        }
        _in.set_commit_metadata("mdsp-replica:" + _replica);
        spdlog::info("process: replica {} joins group {} on {}", _replica, _cfg.kafka.group,
                     _cfg.kafka.brokers);
    }
    return _in.subscribe(_opts.topics.ticks, bus::rebalance_listener{
                                                 [this](const auto& ps) { on_assigned(ps); },
                                                 [this](const auto& ps) { on_revoked(ps); },
                                             });
}

std::vector<int32_t> process_stage::owned() const {
    std::vector<int32_t> out;
    for (const auto& [p, _] : _parts) {
        out.push_back(p);
    }
    return out;
}

result<void> process_stage::restore_shared_engine() {
    auto st = _store.load_state(stream::candle_engine::state_prefix);
    if (!st) {
        return st.error();
    }
    auto slot = std::make_unique<engine_slot>(engine_cfg(_cfg));
    if (auto r = slot->engine.restore(*st); !r) {
        return r;
    }
    if (!st->empty()) {
        spdlog::info("process: restored {} open windows", slot->engine.stats().open_windows);
    }
    _slots[0] = std::move(slot);
    _shared_restored = true;
    return ok();
}

result<void> process_stage::assign_embedded(partition_id pid, part& p) {
    if (!_shared_restored) {
        if (auto r = restore_shared_engine(); !r) {
            return r;
        }
    }
    p.slot = _slots[0].get();
    auto kv = _store.load_state(position_key(pid()));
    if (!kv) {
        return kv.error();
    }
    p.next = p.written = kv->empty() ? 0 : from_be64(kv->front().second);
    auto end = _in.end_offset(pid);
    if (!end) {
        return end.error();
    }
    if (p.next > (*end)()) {
        // The log lost a tail that the store had already taken in: new
        // appends reuse those offsets, so reading goes on at the end.
        spdlog::warn("process: market.ticks-{} ends at {} but the store consumed up to {}: the log lost its "
                     "tail (a crash with log.fsync = {}); continuing at {}",
                     pid(), (*end)(), p.next, _cfg.log.fsync, (*end)());
        p.next = (*end)();
        p.written = -1; // the clamped position is written at the next commit
    }
    return ok();
}

// What the group and the store hold of partition pid: its committed offset
// (with the replica that committed it), its stored position, its state.
result<process_stage::stored_partition> process_stage::load_partition(partition_id pid) {
    stored_partition out;
    auto c = _in.committed_with_metadata(pid);
    if (!c) {
        return c.error();
    }
    out.committed = std::move(*c);
    auto pos = _store.load_state(position_key(pid()));
    if (!pos) {
        return pos.error();
    }
    out.position = std::move(*pos);
    auto state = _store.load_state(partition_prefix(pid()));
    if (!state) {
        return state.error();
    }
    out.state = std::move(*state);
    return out;
}

std::unique_ptr<process_stage::engine_slot> process_stage::new_slot(std::string prefix) const {
    auto slot = std::make_unique<engine_slot>(engine_cfg(_cfg));
    slot->prefix = std::move(prefix);
    return slot;
}

result<void> process_stage::assign_group(partition_id pid, part& p) {
    const int32_t id = pid();
    auto loaded = load_partition(pid);
    if (!loaded) {
        return loaded.error();
    }
    auto& [c, pos, state] = *loaded;
    const std::string prefix = partition_prefix(id);
    auto slot = new_slot(prefix);
    p.anchors = std::make_unique<internal::rebuild_anchors>(_largest_us);
    bool resume = c && c->second == "mdsp-replica:" + _replica && !pos.empty();
    if (resume) {
        std::vector<std::pair<std::string, std::string>> engine_state;
        for (auto& [k, v] : state) {
            std::string_view rest = std::string_view(k).substr(prefix.size());
            if (rest.starts_with(stream::candle_engine::state_prefix)) {
                engine_state.emplace_back(std::string(rest), std::move(v));
            } else if (rest.starts_with("a/")) {
                if (!p.anchors->restore(rest.substr(2), v)) {
                    return make_error(errc::corrupt_state,
                                      "the store in {} has a corrupt key {}; delete the store folder to "
                                      "rebuild this replica from Kafka",
                                      _cfg.data_dir, k);
                }
            } else if (rest == "m") {
                p.max_event = from_be64(v);
            }
        }
        if (auto r = slot->engine.restore(engine_state); !r) {
            return r;
        }
        p.next = p.written = from_be64(pos.front().second);
        p.committed = c->first();
        spdlog::info("process: {}-{} resumes at {} from this replica's state (committed {})",
                     _opts.topics.ticks, id, p.next, p.committed);
    } else {
        // Another replica (or nobody) owned it last: rebuild from the
        // committed offset; what this store had of it is stale.
        for (const auto& [k, _] : state) {
            slot->delete_keys.push_back(k);
        }
        p.next = c ? c->first() : 0;
        // The group's commit names the replica it came from: commit again
        // even at the same offset, so that it names this one. Otherwise a
        // partition coming back here is rebuilt over candles this store
        // already has further along, and a stop mid-rebuild leaves them
        // behind what it had (tests/e2e/test_kafka_rebalance.py, loaded).
        p.committed = -1;
        p.written = -1; // the position is written at the next store write
        spdlog::info("process: {}-{} is rebuilt from offset {} ({})", _opts.topics.ticks, id, p.next,
                     c ? fmt::format("committed by {}", c->second) : std::string("nothing committed"));
    }
    p.slot = slot.get();
    _slots[id] = std::move(slot);
    return ok();
}

void process_stage::on_assigned(const std::vector<partition_id>& ps) {
    // The store is read below: no write runs beside it. One that failed is
    // tried again by the next step.
    if (auto r = collect(true); !r) {
        if (auto b = backoff(r.error()); !b) {
            _callback_error = b.error();
            return;
        }
    }
    for (auto pid : ps) {
        part p;
        p.id = pid();
        auto r = !_opts.group ? assign_embedded(pid, p)
                 : _shared    ? assign_shared(pid, p)
                              : assign_group(pid, p);
        if (r) {
            r = _in.seek(pid, offset(p.next));
        }
        if (!r) {
            _callback_error = r.error();
            return;
        }
        _parts[pid()] = std::move(p);
    }
    _owned = _parts.size();
}

void process_stage::on_revoked(const std::vector<partition_id>& ps) {
    if (auto r = commit(); !r) {
        _callback_error = r.error();
    } else if (auto r2 = commit_offsets(); !r2) {
        _callback_error = r2.error();
    }
    for (auto p : ps) {
        _parts.erase(p());
        if (_opts.group) {
            _slots.erase(p());
        }
    }
    _owned = _parts.size();
}

void process_stage::dead_letter(const bus::record_view& r, const char* kind, std::string why) {
    if (_dlq.write(r, _opts.topics.ticks, kind, std::move(why))) {
        _dead.fetch_add(1, std::memory_order_relaxed);
        _probe.dead_letter();
        _dlq_unflushed = true;
    }
}

void process_stage::apply(const bus::record_view& rec, part& p) {
    p.next = rec.offset() + 1;
    auto t = model::decode_framed_tick(rec.value);
    if (!t) {
        dead_letter(rec, "decode", t.error().what());
        return;
    }
    // Checked again here, not only at ingest: a record an older version (or
    // another producer) put in the log must not stop this stage.
    model::tick_fault fault{};
    if (auto why = model::check_tick(*t, now_micros(), _cfg.engine.max_future_us, &fault)) {
        _quality.note(fault == model::tick_fault::crossed      ? stream::quality_check::crossed
                      : fault == model::tick_fault::bad_number ? stream::quality_check::bad_number
                                                               : stream::quality_check::invalid,
                      t->symbol, t->event_time());
        dead_letter(rec, "invalid", std::move(*why));
        return;
    }
    // A spike is kept: the engine marks the candles it lands in.
    auto verdict = _quality.check(*t);
    auto outcome = p.slot->engine.add(*t, rec.partition, verdict.rules, &verdict.spike);
    _probe.count(outcome);
    switch (outcome) {
    case stream::tick_outcome::accepted: {
        _quality.accept(*t, verdict);
        _newest_event = std::max(_newest_event, t->event_time());
        if (p.anchors) {
            p.max_event = std::max(p.max_event, t->event_time());
            p.anchors->note(t->symbol, t->event_time(), rec.offset());
        }
        auto it = _latest.find(t->symbol);
        if (it == _latest.end()) {
            it = _latest.emplace(t->symbol, *t).first;
        } else if (newer(*t, it->second)) {
            it->second = *t;
        }
        _pending_ingest.push_back(t->ingest_time());
        if (_cfg.process.store_ticks) {
            _ticks.push_back(std::move(*t));
        }
        break;
    }
    case stream::tick_outcome::duplicate:
        _quality.note(stream::quality_check::duplicate, t->symbol, t->event_time());
        break;
    case stream::tick_outcome::late:
        _quality.note(stream::quality_check::late, t->symbol, t->event_time());
        dead_letter(rec, "late", late_reason(*t, _cfg));
        break;
    }
}

result<step_status> process_stage::step(std::chrono::milliseconds max_wait) {
    if (_callback_error) {
        auto e = std::move(*_callback_error);
        _callback_error.reset();
        return e;
    }
    // A write on the writer's thread: collected once it ended.
    if (auto r = collect(false); !r) {
        return backoff(r.error());
    }
    if (_unwritten && _writer.idle()) {
        return retry_write(max_wait);
    }
    _polled.clear();
    auto timeout = max_wait;
    // With ticks waiting for their store write, wait no longer than the
    // commit interval has left: at low rates the write must not wait for the
    // next record to arrive.
    if (_pending > 0) {
        int64_t left_ms =
            (_cfg.process.commit_interval_us * 1000 - (mono_nanos() - _first_pending_ns)) / 1'000'000;
        timeout = std::chrono::milliseconds(std::clamp<int64_t>(left_ms, 0, max_wait.count()));
    }
    // While one is written, look for its end every millisecond (no spin).
    if (!_writer.idle()) {
        timeout = std::min(max_wait, std::chrono::milliseconds(1));
    }
    size_t room = static_cast<size_t>(std::max<int64_t>(1, _cfg.process.max_batch - _pending));
    if (auto r = _in.poll(_polled, std::min<size_t>(room, 8192), timeout); !r) {
        return r.error();
    }
    if (_callback_error) {
        auto e = std::move(*_callback_error);
        _callback_error.reset();
        return e;
    }
    size_t n = 0;
    // A batch's age counts from its first record's processing, not from the end of it.
    const int64_t polled_ns = mono_nanos();
    for (const auto& rec : _polled.records) {
        auto it = _parts.find(rec.partition());
        if (it == _parts.end() || rec.offset() < it->second.next) {
            continue; // fetched just before a revocation, or read again after a seek
        }
        ++n;
        apply(rec, it->second);
    }
    if (n > 0) {
        if (_pending == 0) {
            _first_pending_ns = polled_ns;
        }
        _pending += static_cast<int64_t>(n);
        _processed.fetch_add(n, std::memory_order_relaxed);
    }
    // Due: after the last write (waited for, so that a batch is no larger
    // than without the writer's thread: at 100,000 symbols a batch twice as
    // large held 100 MB more), the next one starts.
    if (_pending > 0
        && (_pending >= _cfg.process.max_batch
            || mono_nanos() - _first_pending_ns >= _cfg.process.commit_interval_us * 1000 || n == 0)) {
        if (auto r = collect(true); !r) {
            return backoff(r.error());
        }
        if (auto r = write_async(); !r) {
            return backoff(r.error());
        }
    }
    if (_opts.group
        && (_offsets_wait || mono_nanos() - _last_offsets_ns >= _cfg.kafka.commit_interval_us * 1000)) {
        if (auto r = commit_offsets_async(); !r) {
            return r.error();
        }
    }
    housekeeping();
    return maybe_finish(n);
}

result<step_status> process_stage::maybe_finish(size_t n) {
    if (n > 0) {
        return step_status::busy;
    }
    if (!_opts.finish_at_end || !_upstream_done.load() || _finished.load()) {
        return step_status::idle;
    }
    if (_opts.group && mono_nanos() - _last_check_ns < group_check_every_ns) {
        return step_status::idle;
    }
    _last_check_ns = mono_nanos();
    auto up = caught_up();
    if (!up) {
        return backoff(up.error());
    }
    if (!*up) {
        return step_status::idle;
    }
    if (auto r = finish(); !r) {
        return backoff(r.error());
    }
    if (auto r = _store.sync(); !r) {
        return r.error();
    }
    _finished = true;
    _probe.done(true);
    spdlog::info("process: caught up on partitions [{}] after {} ticks; every window is final",
                 fmt::join(owned(), ","), ticks_processed());
    return step_status::done;
}

void process_stage::housekeeping() {
    const int64_t now = mono_nanos();
    if (now - _last_lag_ns > lag_every_ns) {
        _last_lag_ns = now;
        if (auto lag = _in.lag()) {
            _probe.lag(*lag);
        }
    }
    if (now - _last_retention_ns > retention_every_ns && _newest_event != INT64_MIN && _writer.idle()) {
        _last_retention_ns = now;
        // Ticks age by event time against the newest tick this stage stored,
        // not the wall clock: a replay of 2019's trades keeps its last 30
        // days. (Not the store's latest rows: at 100,000 symbols reading
        // them all each time was 66 MB.) Nothing stored since the start,
        // nothing grew: retention waits for the first tick, then runs.
        if (auto r = _store.enforce_retention(event_time(_newest_event)); !r) {
            spdlog::warn("store retention: {}", r.error().what());
        }
    }
}

bus::offsets process_stage::offsets_to_commit() const {
    bus::offsets next;
    for (const auto& [id, p] : _parts) {
        int64_t o = p.anchors ? p.anchors->safe_offset(p.written) : p.written;
        if (o >= 0 && o != p.committed) {
            next.emplace_back(partition_id(id), offset(o));
        }
    }
    return next;
}

// A commit that did not happen: a rebalance or no coordinator now is
// retried later (the previous commit is safe); anything else stops the stage.
result<void> process_stage::commit_failed(error e) {
    if (e.code != make_error_code(bus::errc::rebalance)) {
        return e;
    }
    // The group is moving partitions: whoever owns them next starts from
    // the previous commit, which is safe. Try again later, all of them.
    spdlog::info("process: offsets not committed now: {}", e.what());
    for (auto& [_, p] : _parts) {
        p.committed = -1;
    }
    return ok();
}

// Rebalances, finish() and stop(): committed before returning.
result<void> process_stage::commit_offsets() {
    if (!_opts.group) {
        return ok(); // embedded: the positions are in the store's atomic write
    }
    _last_offsets_ns = mono_nanos();
    _offsets_wait.reset(); // this commit covers more
    // An earlier periodic commit that was refused: its offsets go again now.
    if (auto r = _in.commit_async({}); !r) {
        if (auto f = commit_failed(r.error()); !f) {
            return f;
        }
    }
    auto next = offsets_to_commit();
    if (next.empty()) {
        return ok();
    }
    // Candles and dead letters of what the offsets skip go out first.
    if (auto r = _out.flush(); !r) {
        return r;
    }
    _dlq_unflushed = false;
    if (auto r = _in.commit(next); !r) {
        return commit_failed(r.error());
    }
    for (const auto& [p, o] : next) {
        _parts[p()].committed = o();
    }
    return ok();
}

// The periodic commit, from step(): the offsets are taken now and committed
// once what was sent before them is acknowledged, without waiting for the
// brokers here. Waiting (a flush and a commit's round trip, 10 to 20 ms once
// a second) held up every tick behind it.
//
// Once a commit interval even with nothing new to commit: the answer to the
// last one comes later, and one refused (the coordinator moved, a broker
// died under it) must be found and sent again, not believed.
result<void> process_stage::commit_offsets_async() {
    if (!_offsets_wait) {
        _last_offsets_ns = mono_nanos();
        auto next = offsets_to_commit();
        if (next.empty()) {
            if (auto r = _in.commit_async({}); !r) {
                return commit_failed(r.error());
            }
            return ok();
        }
        _offsets_wait = offsets_wait{_out.mark(), std::move(next)};
    }
    auto d = _out.delivered(_offsets_wait->mark);
    if (!d) {
        return d.error();
    }
    if (!*d) {
        return ok();
    }
    auto next = std::move(_offsets_wait->next);
    _offsets_wait.reset();
    if (auto r = _in.commit_async(next); !r) {
        return commit_failed(r.error());
    }
    for (const auto& [p, o] : next) {
        if (auto it = _parts.find(p()); it != _parts.end()) {
            it->second.committed = o();
        }
    }
    return ok();
}

result<void> process_stage::finish() {
    if (auto r = commit(); !r) {
        return r;
    }
    // What finish() finalizes is written at the same offsets as the open
    // windows before it: one version up, so the final rows win.
    _finishing = true;
    struct reset {
        bool& b;
        ~reset() { b = false; }
    } reset_finishing{_finishing};
    // A step at a time, each written before the next: a universe of symbols
    // finalized at once would be one batch of millions of candles.
    constexpr size_t symbols_per_step = 10'000;
    for (auto& [_, s] : _slots) {
        while (!s->engine.finish_some(symbols_per_step)) {
            if (auto r = commit(); !r) {
                return r;
            }
        }
    }
    if (auto r = commit(); !r) {
        return r;
    }
    return commit_offsets();
}

result<bool> process_stage::caught_up() {
    if (_parts.empty() || _pending > 0) {
        return false;
    }
    // A position that moved without ticks (a clamp, dead letters) is written first.
    if (auto r = commit(); !r) {
        return r.error();
    }
    for (const auto& [id, p] : _parts) {
        auto end = _in.end_offset(partition_id(id));
        if (!end) {
            return end.error();
        }
        if ((*end)() > p.written) {
            return false;
        }
    }
    return true;
}

result<void> process_stage::stop() {
    auto r = commit();
    if (r) {
        r = commit_offsets();
    }
    _in.close();
    if (!r) {
        return r;
    }
    if (_callback_error) {
        return *_callback_error;
    }
    return ok();
}

} // namespace mdsp::pipeline
