// The process stage's ways back: a partition taken over from its
// checkpoint in a shared store, the mark each write leaves there first, and
// a store write that failed and is tried again (process_stage.h).
#include <algorithm>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "base/time.h"
#include "pipeline/data_folder.h"
#include "pipeline/errc.h"
#include "pipeline/process_stage.h"

namespace mdsp::pipeline {

// The checkpoint of the partition in the shared store: the engine state
// and the position written after it ("pos/..."), the version base ("t") and
// how far the last write was to cover ("o", written before it; past the
// position when a writer stopped during a write).
result<void> process_stage::assign_shared(partition_id pid, part& p) {
    const int32_t id = pid();
    auto loaded = load_partition(pid);
    if (!loaded) {
        return loaded.error();
    }
    auto& [c, pos, state] = *loaded;
    const std::string prefix = partition_prefix(id);
    auto slot = new_slot(prefix);
    std::vector<std::pair<std::string, std::string>> engine_state;
    int64_t covered = -1;
    for (auto& [k, v] : state) {
        std::string_view rest = std::string_view(k).substr(prefix.size());
        if (rest.starts_with(stream::candle_engine::state_prefix)) {
            engine_state.emplace_back(std::string(rest), std::move(v));
        } else if (rest == "t") {
            p.version_base = from_be64(v);
        } else if (rest == "o") {
            covered = from_be64(v);
        }
    }
    if (!pos.empty()) {
        if (auto r = slot->engine.restore(engine_state); !r) {
            return r;
        }
        p.next = p.written = from_be64(pos.front().second);
        p.committed = c ? c->first() : -1;
        int64_t reread = std::max<int64_t>(covered - p.next, 0);
        _probe.takeover(reread);
        spdlog::info("process: {}-{} resumes at {} from its checkpoint in the store ({} records past it may "
                     "have been written before and are read again; committed {})",
                     _opts.topics.ticks, id, p.next, reread, p.committed);
    } else {
        // Nothing checkpointed: from the group's offset with a fresh engine.
        // Rows a writer left without a position are rewritten on the way
        // with versions at least theirs.
        p.next = c ? c->first() : 0;
        p.committed = -1;
        p.written = -1;
        spdlog::info("process: {}-{} has no checkpoint in the store; it starts at offset {} ({})",
                     _opts.topics.ticks, id, p.next,
                     c ? fmt::format("committed by {}", c->second) : std::string("nothing committed"));
    }
    if (p.version_base <= 0) {
        // Versions start at the wall clock (microseconds, as Cassandra's own
        // write times), above whatever an earlier, unversioned life wrote.
        // Claimed in the store: two replicas taking a brand-new partition at
        // the same moment (one revoked, not knowing it yet) must not version
        // it from two bases, or the later base's older records would win.
        auto base = _store.put_state_if_absent(prefix + "t", be64(now_micros() - 2 * p.next));
        if (!base) {
            return base.error();
        }
        if (base->size() != 8) {
            return make_error(errc::corrupt_state, "the store's version base {}t is not 8 bytes", prefix);
        }
        p.version_base = from_be64(*base);
        p.written = -1; // the base goes with the next position
    }
    p.slot = slot.get();
    _slots[id] = std::move(slot);
    return ok();
}

// Shared store: before a write, how far it is to cover ("o", one per
// partition the batch moves, taken with it), so that a replica taking a
// partition over knows how many of the records past the checkpoint a
// previous owner may already have written candles for. On the writer's
// thread with the rest of the write: it reads only the batch.
result<void> process_stage::mark_covered() {
    if (_wb.marks.empty()) {
        return ok();
    }
    return _store.write(store::write_batch{{}, {}, {}, _wb.marks, {}, _wb.mark_versions});
}

// A store that is down or overloaded (an I/O error: Cassandra unreachable,
// timeouts; a full disk) is waited for: reading stops (the lag grows, memory
// stays bounded by the batch), the same batch is written again with a
// growing pause, and nothing is committed to the group meanwhile. Any other
// error ends the stage.
result<step_status> process_stage::backoff(error e) {
    if (e.code != make_error_code(store::errc::io_error)) {
        return e;
    }
    _probe.store_retry();
    _retry_delay_ns = std::clamp<int64_t>(_retry_delay_ns * 2, 100'000'000, 5'000'000'000);
    _retry_at_ns = mono_nanos() + _retry_delay_ns;
    spdlog::warn(
        "process: the store write failed (attempt {}); reading waits and the write is tried again in "
        "{} ms: {}",
        ++_failed_writes, _retry_delay_ns / 1'000'000, e.what());
    return step_status::idle;
}

result<step_status> process_stage::retry_write(std::chrono::milliseconds max_wait) {
    const int64_t left = _retry_at_ns - mono_nanos();
    if (left > 0) {
        std::this_thread::sleep_for(
            std::min<std::chrono::nanoseconds>(max_wait, std::chrono::nanoseconds(left)));
        return step_status::idle;
    }
    if (auto r = commit(); !r) {
        return backoff(r.error());
    }
    spdlog::info("process: the store took the batch after {} failed attempts; reading goes on",
                 _failed_writes);
    _failed_writes = 0;
    _retry_delay_ns = 0;
    return step_status::busy;
}

} // namespace mdsp::pipeline
