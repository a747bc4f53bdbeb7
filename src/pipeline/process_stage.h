#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "bus/bus.h"
#include "model/candle.h"
#include "model/tick.h"
#include "pipeline/config.h"
#include "pipeline/dead_letters.h"
#include "pipeline/internal/rebuild_anchors.h"
#include "pipeline/internal/store_writer.h"
#include "pipeline/probes.h"
#include "pipeline/stage.h"
#include "store/store.h"
#include "stream/candle_engine.h"
#include "stream/quality.h"

namespace mdsp::pipeline {

// Called on the processing thread after each successful store write, with
// the candles and latest ticks it wrote and the filler runs the engine
// emitted with them (the dashboard's live push): only what the store has, or
// answers (store/fill.h), is pushed. Must not block.
using commit_observer = std::function<void(std::span<const model::candle>, std::span<const model::filler_run>,
                                           std::span<const model::tick> latest)>;

// The one processing stage: market.ticks -> candle engine -> store, for any
// consumer (the local log or Kafka) and any store. The two paths differ only
// in what is plugged in and in options::group:
//
// Embedded (group = false; the local log owns every partition): one engine
// for all partitions, its state under "engine/"; candles, ticks, latest
// prices, engine state and the consumed positions (pos/market.ticks/<p>) go
// to the store in ONE atomic write, so the store alone says where to resume.
// Dead letters are flushed to the log before the write that skips them.
//
// Group (group = true; replicas of a Kafka consumer group split the
// partitions): an engine per owned partition, its state under kp/<p>/, so
// replicas never touch each other's state. The same atomic store write per
// batch; then, at most every kafka.commit_interval, the offsets go to the
// group, after the candles and dead letters they skip are flushed, and never
// past where a rebuild must start (internal/rebuild_anchors.h). Each commit
// names this replica; on assignment a partition it committed last resumes
// from its own store, any other is rebuilt from the committed offset with a
// fresh engine (its stale state deleted), re-emitting identical candles.
// Group over a shared store (store::shared(), Cassandra: every replica
// writes the same tables): the state of partition p under kp/<p>/ is a
// checkpoint any replica can take over. There is no atomic write, so each
// write puts candles first, then the engine state, then the position; every
// candle and state change carries a version that grows with the partition's
// offset (internal/versions below), so a replica replaying older records,
// or a stalled one waking up, never overwrites newer rows. On assignment the
// engine is restored from the checkpoint and reading resumes at its
// position: a takeover reads again at most the records of one write
// (process.max_batch), counted in the probe from the "o" mark each write
// puts first; the group's offset is the position. Ticks the engine state already holds are dropped by its
// (source, symbol, seq) dedupe.
// Candles also go to market.candles when options::publish_candles: the
// candles with ticks, as in the store; consumers fill the empty windows
// between two candles with the previous close, as store/fill.h does.
//
// Undecodable records, invalid ticks (model::check_tick: crossed quotes,
// bad numbers) and ticks later than the allowed lateness go to
// market.deadletter with the reason; nothing is dropped silently. Every tick
// also goes through the data-quality checks (stream/quality.h): a price
// spike is kept and marks its candles (candle::spike); stalls, clock skew,
// out-of-order, duplicate, late and refused ticks are counted per check and
// per symbol (quality()).
//
// Threads: the stage contract (stage.h): start() on the runner's caller,
// the rest on the stage's thread, which alone uses consumer and producer;
// the bus's rebalance callbacks run inside step()'s poll. A batch of at
// least 1,024 records is written to the store on the writer's thread
// (internal/store_writer.h) while the stage's thread reads and applies the
// next one; the next batch is taken only after that write has ended, and
// the positions (and so the offsets committed to a group) move only then,
// so a crash loses nothing the store has not taken. Rebalances, finish()
// and stop() wait for a write in flight first. The counters below are
// atomics for other threads.
class process_stage final : public stage {
public:
    struct options {
        bool group = false;           // a consumer group (Kafka) instead of the whole local log
        bool publish_candles = false; // also send candles to market.candles
        // Once every stage before this one is done and all is read and
        // written: finalize every window, sync the store, report done.
        bool finish_at_end = true;
        // No stage before this one (`mdsp process --exit-when-done`): finish
        // as soon as everything there is has been read.
        bool no_upstream = false;
        // Ingest-to-readable latencies in us of every written tick (benchmarks).
        std::vector<int64_t>* latency_sink = nullptr;
        commit_observer on_commit;
        bus::topic_names topics; // read ticks, write candles and dead letters
    };

    process_stage(const config& cfg, bus::consumer& in, bus::producer& out, store::store& st, options opts);
    ~process_stage() override;

    std::string_view name() const override { return "process"; }
    // Group: reads (or makes) this replica's id and joins the group.
    // Embedded: takes every partition (the state is restored on the first step).
    result<void> start() override;
    // Polls once, applies what came, writes to the store when the commit
    // interval or the batch size is reached, commits offsets when due.
    result<step_status> step(std::chrono::milliseconds max_wait) override;
    void upstream_done() override { _upstream_done.store(true); }
    // Writes what is pending, commits the offsets and leaves the group.
    result<void> stop() override;

    // Called after each store write from then on (before start()).
    void set_on_commit(commit_observer f) { _opts.on_commit = std::move(f); }

    // Writes everything pending to the store now, on this thread, after a
    // write in flight on the writer's thread (which may fail instead).
    result<void> commit();
    // Finalizes every window (a bounded input fully read), writes, commits.
    result<void> finish();
    // Every owned partition is read to its end and written; false while
    // nothing is assigned yet.
    result<bool> caught_up();

    uint64_t ticks_processed() const noexcept { return _processed.load(std::memory_order_relaxed); }
    uint64_t dead_letters() const noexcept { return _dead.load(std::memory_order_relaxed); }
    uint64_t candles_written() const noexcept { return _candles_written.load(std::memory_order_relaxed); }
    // Owns at least one partition (readiness).
    bool consuming() const noexcept { return _owned.load(std::memory_order_relaxed) > 0; }
    bool finished() const noexcept { return _finished.load(); }
    std::vector<int32_t> owned() const;
    const std::string& replica_id() const noexcept { return _replica; }
    const process_probe& probe() const { return _probe; }
    // The data-quality checks of every tick this stage reads (report() is
    // thread-safe).
    const stream::quality_monitor& quality() const { return _quality; }

    // The store key prefix of partition p's state in a group ("kp/00003/").
    static std::string partition_prefix(int32_t p);

private:
    // One candle engine and where its state lives in the store.
    struct engine_slot {
        stream::candle_engine engine;
        std::string prefix;                   // "" (embedded) or kp/<p>/ (group)
        std::vector<std::string> delete_keys; // stale state, deleted at the next write
        explicit engine_slot(stream::engine_config c)
          : engine(std::move(c)) {}
    };
    struct part {
        int32_t id = 0;
        engine_slot* slot = nullptr;
        int64_t next = 0;       // next offset to read
        int64_t written = 0;    // next offset covered by the store; -1 = position not stored yet
        int64_t committed = -1; // last offset committed to the group
        int64_t max_event = INT64_MIN;
        std::unique_ptr<internal::rebuild_anchors> anchors; // group over a store of its own
        int64_t version_base = 0;                           // shared store: version(o) = base + 2 o
    };

    void on_assigned(const std::vector<partition_id>& ps);
    void on_revoked(const std::vector<partition_id>& ps);
    result<void> assign_embedded(partition_id pid, part& p);
    struct stored_partition {
        std::optional<std::pair<offset, std::string>> committed;
        std::vector<std::pair<std::string, std::string>> position, state;
    };
    result<stored_partition> load_partition(partition_id pid);
    // A fresh engine whose state lives under prefix.
    std::unique_ptr<engine_slot> new_slot(std::string prefix) const;
    result<void> assign_group(partition_id pid, part& p);
    result<void> assign_shared(partition_id pid, part& p);
    // The version of what a write covering p up to p.next carries (shared store).
    int64_t version(const part& p) const { return p.version_base + 2 * p.next + (_finishing ? 1 : 0); }
    result<void> restore_shared_engine();
    void apply(const bus::record_view& rec, part& p);
    void take(engine_slot& s, const part* p);
    result<void> commit_offsets();
    bus::offsets offsets_to_commit() const;
    result<void> commit_offsets_async();
    result<void> commit_failed(error e);
    // Writing (process_write.cc): a batch is taken from the engines into
    // _wb, then written on this thread (commit) or on the writer's
    // (write_async; a large batch); collect() finishes a write that ended.
    bool take_batch();
    result<void> before_write();
    result<void> write_async();
    result<void> write_taken(); // the store calls only: any thread
    result<void> mark_covered();
    result<void> collect(bool block);
    void after_write(int64_t started_ns, int64_t ended_ns);
    result<step_status> backoff(error e);
    result<step_status> retry_write(std::chrono::milliseconds max_wait);
    result<step_status> maybe_finish(size_t n);
    void housekeeping();
    void dead_letter(const bus::record_view& r, const char* kind, std::string why);

    const config& _cfg;
    bus::consumer& _in;
    bus::producer& _out;
    store::store& _store;
    options _opts;
    dead_letter_writer _dlq;
    process_probe _probe;
    stream::quality_monitor _quality;
    // Several writers, no atomic write (store::shared()): state changes go in
    // runs (write_batch::state_groups), each symbol's keys in one.
    const bool _shared_store;
    std::string _replica;
    int64_t _largest_us = 0;

    std::map<int32_t, std::unique_ptr<engine_slot>> _slots; // by partition (group) or 0 (embedded)
    std::map<int32_t, part> _parts;
    bool _shared_restored = false;
    bool _shared = false;    // a group over a shared store
    bool _finishing = false; // finish()'s writes: final windows win over the open ones at the same offset
    std::optional<error> _callback_error;

    bus::poll_result _polled;
    // Since the last batch was taken: the accepted ticks (when ticks are
    // stored), their ingest times, the newest tick per symbol.
    std::vector<model::tick> _ticks;
    std::vector<int64_t> _pending_ingest;
    std::unordered_map<std::string, model::tick> _latest;
    // One store write, taken from the engines. Written from the writer's
    // thread while a write_async() runs; this thread then leaves it alone.
    struct batch {
        std::vector<model::tick> ticks;
        std::vector<int64_t> ingest; // of its ticks
        std::vector<model::tick> latest;
        std::vector<model::candle> candles;
        std::vector<model::filler_run> fillers; // not stored: readers make fillers (store/fill.h)
        std::vector<store::state_change> state;
        std::vector<int64_t> candle_versions; // shared store: one per candle, per state change
        std::vector<int64_t> state_versions;
        std::vector<uint32_t> state_groups;     // shared store: runs of state written all or none
        std::vector<store::state_change> marks; // shared store: how far it covers, written first
        std::vector<int64_t> mark_versions;
        std::vector<std::pair<int32_t, int64_t>> covers; // partition, where its position goes
    };
    batch _wb;
    std::vector<store::state_change> _slot_state;
    std::vector<uint32_t> _group_scratch;
    std::string _buf;
    int64_t _pending = 0;
    int64_t _first_pending_ns = 0;
    int64_t _last_offsets_ns = 0;
    int64_t _last_check_ns = 0;
    int64_t _last_lag_ns = 0;
    int64_t _last_retention_ns = 0;
    int64_t _newest_event = INT64_MIN; // of the ticks accepted since the start: retention counts from it
    // The periodic offset commit waits, without blocking the stage, until
    // the candles and dead letters sent before it are acknowledged.
    struct offsets_wait {
        uint64_t mark = 0; // _out.mark() when the offsets were taken
        bus::offsets next;
    };
    std::optional<offsets_wait> _offsets_wait;
    bool _unwritten = false; // _wb holds a batch the store has not taken yet (in flight, or failed)
    bool _published = false; // and its candles went to market.candles
    int64_t _retry_at_ns = 0;
    int64_t _retry_delay_ns = 0;
    int64_t _failed_writes = 0;
    bool _dlq_unflushed = false;

    std::atomic<bool> _upstream_done{false};
    std::atomic<bool> _finished{false};
    std::atomic<size_t> _owned{0};
    std::atomic<uint64_t> _processed{0};
    std::atomic<uint64_t> _dead{0};
    std::atomic<uint64_t> _candles_written{0};
    // Last: destroyed first, so a running write ends before _wb goes.
    internal::store_writer _writer;
};

} // namespace mdsp::pipeline
