#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "app/config.h"
#include "app/stage_state.h"
#include "base/metrics.h"
#include "base/result.h"
#include "bus/kafka.h"
#include "model/candle.h"
#include "model/tick.h"
#include "store/store.h"
#include "stream/candle_engine.h"

namespace mdsp::app {

// `mdsp process --kafka`: one replica of a consumer group reading
// market.ticks. Each assigned partition has its own candle engine, whose
// state keys in the store are prefixed by the partition (kp/<p>/engine/...),
// so replicas owning different partitions never touch each other's state.
// Each replica has its own store (a RocksDB folder has one owner).
//
// Exactly-once effect (DESIGN.md), per partition:
// - candles, ticks, latest prices, the engine state and the consumed position
//   (pos/market.ticks/<p>) go to the store in one atomic write, as embedded;
// - the offset committed to Kafka comes only after the store write that
//   covers it, and is never past the first offset of the oldest window that
//   a rebuild needs: per symbol, the newest closed window of the largest
//   interval that has ticks (its close seeds later fillers) or, when none is
//   closed, the oldest open one. Smaller intervals nest in it;
// - each commit carries this replica's id as metadata. On assignment, a
//   partition last committed by this replica resumes from the engine state
//   in its own store; one committed by another replica (or never) is rebuilt
//   from the committed offset with a fresh engine (our old state for it is
//   deleted). The rebuild re-emits the candles of the windows from there on,
//   identical to the first emission, into this replica's store.
// - on revocation: store write, then a synchronous offset commit.
// Candles also go to market.candles (Avro, Confluent framing, schema id 2),
// undecodable and late ticks to market.deadletter.
//
// Threads: everything runs on the thread that calls step(); the consumer's
// rebalance callbacks run inside step()'s poll.
class kafka_process_stage {
public:
    kafka_process_stage(const config& cfg, bus::kafka_consumer& in, bus::producer& out, store::store& st);

    // Reads (or makes) this replica's id and joins the group.
    result<void> start();
    // Polls once, applies what came, writes to the store when due and
    // commits to Kafka when due. Returns the number of records consumed.
    result<size_t> step(int timeout_ms);
    // Writes everything pending to the store (not to Kafka).
    result<void> commit();
    // Commits the safe offsets of the owned partitions to Kafka (after commit()).
    result<void> commit_offsets();
    // Finalizes every window of the owned partitions (a bounded input fully
    // read), writes and commits.
    result<void> finish();
    // Every owned partition is read up to its end and written; false while
    // nothing is assigned yet.
    result<bool> caught_up();
    // Writes, commits and leaves the group.
    result<void> stop();

    // When set, every written tick's ingest-to-store latency in us is appended (bench).
    void record_latencies(std::vector<int64_t>* sink) { _latency_sink = sink; }
    // Called after each successful store write (stage_state.h), as the
    // embedded stage does: the live push of `mdsp up --kafka` and
    // `mdsp process --kafka --http`. Unset, a write costs nothing more.
    void on_commit(commit_observer f) { _on_commit = std::move(f); }

    uint64_t ticks_processed() const noexcept { return _processed; }
    uint64_t candles_written() const noexcept { return _candles_written; }
    uint64_t dead_letters() const noexcept { return _dead; }
    std::vector<int32_t> owned() const;
    const std::string& replica_id() const noexcept { return _replica; }

    // The store key prefix of partition p's state ("kp/00003/").
    static std::string partition_prefix(int32_t p);

private:
    // Per symbol: D-window index -> first offset of a tick in it, for the
    // D-windows that a rebuild needs (D = the largest interval).
    struct symbol_anchors {
        std::deque<std::pair<int64_t, int64_t>> a;
        bool dirty = false;
    };
    struct part {
        int32_t id = 0;
        stream::candle_engine engine;
        int64_t next = 0;    // next offset to read
        int64_t written = 0; // next offset covered by the store
        int64_t committed = -1;
        int64_t max_event = INT64_MIN;
        std::unordered_map<std::string, symbol_anchors> symbols;
        std::vector<std::string> delete_keys; // a rebuild's stale state, deleted at the next write
        explicit part(stream::engine_config c)
          : engine(std::move(c)) {}
    };

    void on_assigned(const std::vector<partition_id>& ps);
    void on_revoked(const std::vector<partition_id>& ps);
    result<void> take(part& p);
    void note_anchor(part& p, const std::string& symbol, int64_t event_us, int64_t offset);
    int64_t safe_offset(const part& p) const;
    void dead_letter(const bus::record_view& r, const char* kind, const std::string& why);

    const config& _cfg;
    bus::kafka_consumer& _in;
    bus::producer& _out;
    store::store& _store;
    std::string _replica;
    int64_t _largest_us = 0;
    std::map<int32_t, std::unique_ptr<part>> _parts;
    std::optional<error> _callback_error;

    bus::poll_result _polled;
    std::vector<model::tick> _ticks;
    std::unordered_map<std::string, model::tick> _latest;
    std::vector<model::tick> _latest_vec;
    std::vector<model::candle> _candles;
    std::vector<store::state_change> _state;
    std::vector<store::state_change> _part_state;
    int64_t _pending = 0;
    int64_t _first_pending_ns = 0;
    int64_t _last_offsets_ns = 0;
    bool _offsets_due = false;
    std::string _buf;
    std::vector<int64_t> _pending_ingest;
    std::vector<int64_t>* _latency_sink = nullptr;
    commit_observer _on_commit;

    uint64_t _processed = 0;
    uint64_t _dead = 0;
    uint64_t _candles_written = 0;
    stage_metrics _metrics;
};

} // namespace mdsp::app
