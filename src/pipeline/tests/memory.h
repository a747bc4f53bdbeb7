#pragma once

// An in-memory bus and store for the pipeline's unit tests: what the stages
// do, in which order, without a log folder, RocksDB or a broker. Every call
// that makes something durable is written to a shared journal, so tests can
// assert orderings (store write before group commit, dead letters before the
// positions that skip them).

#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "base/time.h"
#include "bus/bus.h"
#include "model/tick.h"
#include "store/store.h"

namespace mdsp::pipeline::testing {

using journal = std::vector<std::string>;

// Appends to a journal. The process stage writes large batches from its
// writer's thread, beside the producer on its own: appends are serialized;
// tests read the journal when no write is in flight (after a drain or stop).
inline void note(journal& j, std::string what) {
    static std::mutex mu;
    std::lock_guard lk(mu);
    j.push_back(std::move(what));
}

// A trade of size 1 from source "unit", ingested now.
inline model::tick trade_tick(const std::string& sym, int64_t et, double price, int64_t seq) {
    model::tick t;
    t.symbol = sym;
    t.source = "unit";
    t.event_time = event_time(et);
    t.ingest_time = ingest_time(now_micros());
    t.price = price;
    t.size = 1.0;
    t.seq = sequence(seq);
    return t;
}

struct memory_record {
    std::string key;
    std::string value;
};

// Topics of partitions of records; shared by producers and consumers.
struct memory_topics {
    std::map<std::string, std::vector<std::vector<memory_record>>, std::less<>> topics;
    void create(const std::string& t, int32_t partitions) {
        topics[t].resize(static_cast<size_t>(partitions));
    }
};

class memory_producer final : public bus::producer {
public:
    memory_producer(memory_topics& t, journal& j)
      : _t(t)
      , _j(j) {}
    result<void> send(std::string_view topic, std::string_view key, std::string_view value, int64_t,
                      std::optional<partition_id> partition) override {
        auto it = _t.topics.find(topic);
        if (it == _t.topics.end()) {
            _t.create(std::string(topic), 1);
            it = _t.topics.find(topic);
        }
        auto n = static_cast<int32_t>(it->second.size());
        auto p = partition ? (*partition)() : bus::partition_for(key, n)();
        it->second[static_cast<size_t>(p)].push_back({std::string(key), std::string(value)});
        ++unflushed;
        ++sent;
        return ok();
    }
    result<void> flush() override {
        if (unflushed > 0) {
            note(_j, "producer.flush");
        }
        unflushed = 0;
        acked = sent;
        return ok();
    }
    // With hold_deliveries, a record counts as acknowledged only after
    // acknowledge() or flush(), as with brokers that have not answered yet;
    // without, delivered() is a flush().
    uint64_t mark() override { return sent; }
    result<bool> delivered(uint64_t m) override {
        if (!hold_deliveries) {
            return bus::producer::delivered(m);
        }
        return acked >= m;
    }
    void acknowledge() { acked = sent; }
    bool hold_deliveries = false;
    uint64_t sent = 0;
    uint64_t acked = 0;
    result<int32_t> partition_count(std::string_view topic) override {
        auto it = _t.topics.find(topic);
        return it == _t.topics.end() ? 0 : static_cast<int32_t>(it->second.size());
    }
    size_t unflushed = 0;

private:
    memory_topics& _t;
    journal& _j;
};

// One member of a group that owns every partition of its topic (revoke()
// hands some away, as a rebalance would). Commits keep their metadata.
class memory_consumer final : public bus::consumer {
public:
    memory_consumer(memory_topics& t, journal& j, std::map<int32_t, std::pair<int64_t, std::string>>& commits)
      : _t(t)
      , _j(j)
      , _commits(commits) {}

    result<void> assign(std::string_view topic, const bus::offsets& start) override {
        _topic = std::string(topic);
        for (auto [p, o] : start) {
            _pos[p()] = o();
        }
        return ok();
    }
    result<void> subscribe(std::string_view topic, bus::rebalance_listener l) override {
        _topic = std::string(topic);
        _listener = std::move(l);
        _pending_assign = true;
        return ok();
    }
    result<void> seek(partition_id p, mdsp::offset o) override {
        _pos[p()] = o();
        return ok();
    }
    result<void> poll(bus::poll_result& out, size_t max, std::chrono::milliseconds) override {
        if (_pending_assign) {
            _pending_assign = false;
            std::vector<partition_id> ps;
            for (size_t i = 0; i < parts().size(); ++i) {
                _pos.emplace(static_cast<int32_t>(i), committed_or_zero(static_cast<int32_t>(i)));
                ps.emplace_back(static_cast<int32_t>(i));
            }
            _listener.on_assigned(ps);
        }
        for (auto& [p, pos] : _pos) {
            auto& recs = parts()[static_cast<size_t>(p)];
            while (pos < static_cast<int64_t>(recs.size()) && out.records.size() < max) {
                const auto& r = recs[static_cast<size_t>(pos)];
                out.records.push_back({partition_id(p), mdsp::offset(pos), 0, r.key, r.value});
                ++pos;
            }
        }
        return ok();
    }
    result<void> commit(const bus::offsets& next) override {
        if (auto e = take_refused()) {
            return *e;
        }
        for (auto [p, o] : next) {
            _commits[p()] = {o(), _metadata};
            note(_j, "bus.commit " + std::to_string(p()) + ":" + std::to_string(o()));
        }
        return ok();
    }
    // Journals "bus.commit_async P:O"; fail_next_async is returned once
    // instead. refuse_next_async is the answer to the next commit with
    // offsets, as Kafka's comes: that commit seems to go, lands nowhere, and
    // the next call (commit_async({}) too) returns the refusal.
    result<void> commit_async(const bus::offsets& next) override {
        if (fail_next_async) {
            auto e = std::move(*fail_next_async);
            fail_next_async.reset();
            return e;
        }
        if (auto e = take_refused()) {
            return *e;
        }
        if (refuse_next_async && !next.empty()) {
            _refused = std::move(refuse_next_async);
            refuse_next_async.reset();
            note(_j, "bus.commit_async refused");
            return ok();
        }
        for (auto [p, o] : next) {
            _commits[p()] = {o(), _metadata};
            note(_j, "bus.commit_async " + std::to_string(p()) + ":" + std::to_string(o()));
        }
        return ok();
    }
    std::optional<error> fail_next_async;
    std::optional<error> refuse_next_async;
    result<std::optional<mdsp::offset>> committed(partition_id p) override {
        auto it = _commits.find(p());
        if (it == _commits.end()) {
            return std::optional<mdsp::offset>();
        }
        return std::optional(mdsp::offset(it->second.first));
    }
    result<std::optional<std::pair<mdsp::offset, std::string>>>
    committed_with_metadata(partition_id p) override {
        auto it = _commits.find(p());
        if (it == _commits.end()) {
            return std::optional<std::pair<mdsp::offset, std::string>>();
        }
        return std::optional(std::pair{mdsp::offset(it->second.first), it->second.second});
    }
    result<mdsp::offset> end_offset(partition_id p) override {
        return mdsp::offset(static_cast<int64_t>(parts()[static_cast<size_t>(p())].size()));
    }
    void set_commit_metadata(std::string md) override { _metadata = std::move(md); }
    void close() override {
        if (!_closed) {
            _closed = true;
            revoke_all();
        }
    }

    // A rebalance taking every partition away.
    void revoke_all() {
        std::vector<partition_id> ps;
        for (auto& [p, _] : _pos) {
            ps.emplace_back(p);
        }
        _listener.on_revoked(ps);
        _pos.clear();
    }

private:
    std::vector<std::vector<memory_record>>& parts() { return _t.topics[_topic]; }
    int64_t committed_or_zero(int32_t p) {
        auto it = _commits.find(p);
        return it == _commits.end() ? 0 : it->second.first;
    }

    memory_topics& _t;
    journal& _j;
    std::map<int32_t, std::pair<int64_t, std::string>>& _commits;
    std::string _topic;
    bus::rebalance_listener _listener;
    bool _pending_assign = false;
    bool _closed = false;
    std::map<int32_t, int64_t> _pos;
    std::string _metadata;
    std::optional<error> _refused;

    std::optional<error> take_refused() { return std::exchange(_refused, std::nullopt); }
};

// The store interface over maps; write() is atomic by construction. As a
// shared store (shared_store) it keeps, of two writes of a candle or a state
// key, the one with the higher version, as Cassandra's USING TIMESTAMP does.
// fail_writes makes the next writes fail with an I/O error (a store down).
class memory_store final : public store::store {
public:
    explicit memory_store(journal& j)
      : _j(j) {}

    result<void> write(const mdsp::store::write_batch& b) override {
        writer_threads.insert(std::this_thread::get_id());
        if (fail_writes > 0) {
            --fail_writes;
            note(_j, "store.write failed");
            return make_error(mdsp::store::errc::io_error, "the store is down");
        }
        note(_j, "store.write");
        for (const auto& t : b.ticks) {
            stored_ticks.push_back(t);
        }
        for (size_t i = 0; i < b.candles.size(); ++i) {
            const auto& c = b.candles[i];
            if (newer(candle_versions[key(c)], b.candle_versions, i)) {
                stored_candles[key(c)] = c;
            }
        }
        for (const auto& t : b.latest) {
            latest_ticks[t.symbol] = t;
        }
        for (size_t i = 0; i < b.state.size(); ++i) {
            const auto& [k, v] = b.state[i];
            if (!newer(state_versions[k], b.state_versions, i)) {
                continue;
            }
            if (v) {
                state[k] = *v;
            } else {
                state.erase(k);
            }
        }
        return ok();
    }
    bool shared() const override { return shared_store; }
    result<void> enforce_retention(mdsp::event_time now) override {
        retention_runs.push_back(now());
        return ok();
    }
    std::vector<int64_t> retention_runs; // the event times enforce_retention was given
    bool shared_store = false;
    std::atomic<int> fail_writes{0};          // read by a test while a write may be in flight
    std::set<std::thread::id> writer_threads; // the threads write() was called on
    std::map<std::string, int64_t> candle_versions, state_versions; // kept versions (tombstones too)
    result<mdsp::store::backfill_outcome>
    write_backfill(std::span<const model::candle>, std::span<const mdsp::store::state_change>) override {
        return mdsp::store::backfill_outcome{};
    }
    result<std::vector<model::candle>> candles_of(std::string_view symbol, model::interval iv) {
        std::vector<model::candle> out;
        for (const auto& [k, c] : stored_candles) {
            if (c.symbol == symbol && c.interval.micros() == iv.micros()) {
                out.push_back(c);
            }
        }
        return out;
    }
    result<std::vector<model::candle>> candles(std::string_view symbol, model::interval iv,
                                               const mdsp::store::range&) override {
        return candles_of(symbol, iv);
    }
    result<std::vector<model::tick>> ticks(std::string_view, const mdsp::store::range&) override {
        return stored_ticks;
    }
    result<std::vector<model::tick>> latest() override {
        std::vector<model::tick> out;
        for (const auto& [_, t] : latest_ticks) {
            out.push_back(t);
        }
        return out;
    }
    result<std::optional<model::tick>> latest(std::string_view symbol) override {
        auto it = latest_ticks.find(std::string(symbol));
        return it == latest_ticks.end() ? std::optional<model::tick>() : std::optional(it->second);
    }
    result<std::vector<std::string>> symbols() override { return std::vector<std::string>(); }
    result<std::vector<std::pair<std::string, std::string>>> load_state(std::string_view prefix) override {
        std::vector<std::pair<std::string, std::string>> out;
        for (auto it = state.lower_bound(std::string(prefix));
             it != state.end() && it->first.starts_with(prefix); ++it) {
            out.emplace_back(it->first, it->second);
        }
        return out;
    }
    result<void> sync() override { return ok(); }

    // Whether the write of version versions[i] (none: always) replaces kept.
    static bool newer(int64_t& kept, std::span<const int64_t> versions, size_t i) {
        if (versions.empty()) {
            return true;
        }
        if (versions[i] < kept) {
            return false;
        }
        kept = versions[i];
        return true;
    }
    static std::string key(const model::candle& c) {
        return c.symbol + "/" + std::string(c.interval.name()) + "/" + std::to_string(c.window_start());
    }

    std::vector<model::tick> stored_ticks;
    std::map<std::string, model::candle> stored_candles;
    std::map<std::string, model::tick> latest_ticks;
    std::map<std::string, std::string> state;

private:
    journal& _j;
};

} // namespace mdsp::pipeline::testing
