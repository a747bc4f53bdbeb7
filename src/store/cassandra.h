#pragma once

#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "cql/session.h"
#include "cql/uri.h"
#include "store/store.h"

namespace mdsp::store {

struct cassandra_options {
    cql::session_options session;
    std::string keyspace = "market";
    // Create the keyspace and tables when missing (CREATE ... IF NOT EXISTS),
    // then wait for the hosts to agree on the schema.
    bool apply_schema = false;
    // The keyspace's replication, when apply_schema creates it.
    std::string replication = "{'class': 'NetworkTopologyStrategy', 'replication_factor': 3}";
    // Rows per page of a read; a read of `limit` rows asks for at most that many.
    int32_t page_size = 5000;
    // Requests of one write() in flight at once: the store's own back-pressure
    // on the session's windows.
    size_t max_parallel = 256;
    // Rows in one unlogged batch, all of one partition (ticks of a symbol's
    // day, candles of a symbol's interval bucket); 1 writes a request a row.
    // A node's cost follows the partitions written more than the requests:
    // batches of several partitions of one owner (a fifth of the requests)
    // were measured no faster on the cluster path, nor were 500 rows a batch.
    size_t batch_rows = 50;
};

// The store over Apache Cassandra (or ScyllaDB): the tables of
// deploy/cassandra/schema.cql, written with prepared statements through a
// cql::session (token-aware, so each write goes to a replica).
//
// Differences from rocks_store, because Cassandra has no multi-table
// atomicity: write() is not atomic. It writes ticks, candles and latest
// first and the state changes (the consumed positions, the engine
// checkpoint) only after all of them succeeded, and of the state the
// positions (pos/ keys) last, so a checkpoint never covers data that is not
// stored; a failed write may have stored part of its data, and writing it
// again is harmless (every statement is an idempotent upsert). Several
// replicas share it (shared()): candles and state changes given versions
// are written USING TIMESTAMP their version, so the newest version wins in
// any order of arrival; a vendor's bar is written just above the row it
// replaces (or at 1), so any candle built from ticks replaces it later.
// Bucket indexes (candle_buckets, tick_days) let range reads visit only the
// partitions that hold rows. `latest` moves forward only: each row is
// written with USING TIMESTAMP its event time, and a per-store cache skips
// rows older than what this store wrote.
//
// Threads: any number of callers at once; write() and write_backfill() are
// serialized by a mutex (one writer, as the interface says). Lifecycle:
// open() starts the session; the destructor stops it.
class cassandra_store final : public store {
public:
    static result<std::unique_ptr<cassandra_store>> open(cassandra_options o);
    ~cassandra_store() override;

    result<void> write(const write_batch& b) override;
    result<backfill_outcome> write_backfill(std::span<const model::candle> candles,
                                            std::span<const state_change> state) override;
    result<std::vector<model::candle>> candles(std::string_view symbol, model::interval iv,
                                               const range& r) override;
    result<std::vector<model::tick>> ticks(std::string_view symbol, const range& r) override;
    result<std::vector<model::tick>> latest() override;
    result<std::optional<model::tick>> latest(std::string_view symbol) override;
    result<std::vector<std::string>> symbols() override;
    result<std::vector<std::pair<std::string, std::string>>> load_state(std::string_view prefix) override;
    // Every acknowledged write is durable by the cluster's own rules (commit
    // log, replication at LOCAL_QUORUM): nothing to do.
    result<void> sync() override { return ok(); }
    bool shared() const override { return true; }
    result<std::string> put_state_if_absent(const std::string& key, const std::string& value) override;

    // The CQL statements that create the keyspace and tables (what
    // apply_schema runs), for `mdsp cassandra init` and the docs.
    static std::vector<std::string> schema(const std::string& keyspace, const std::string& replication);

private:
    struct statements;
    explicit cassandra_store(cassandra_options o);
    result<void> prepare_all();
    // Runs the requests, at most max_parallel at once; the first error.
    using job = std::function<void(cql::session::callback<cql::result_message>)>;
    result<void> run_all(std::vector<job> jobs);
    // Every row of a paged read, at most max_rows.
    result<std::vector<cql::rows>> read_pages(const std::shared_ptr<const cql::prepared>& stmt,
                                              const std::vector<cql::value>& values, size_t max_rows);
    struct stored_row {
        model::candle candle;
        int64_t written_at = 0; // writetime(open): the row's version
    };
    result<std::optional<stored_row>> stored_candle(const model::candle& c);
    using versioned_candle = std::pair<const model::candle*, int64_t>; // version 0: the server's time
    // Add the write jobs; index entries not yet written go into fresh, and
    // into _indexed once the jobs succeeded.
    result<void> put_candles(std::vector<job>& jobs, const std::vector<versioned_candle>& rows,
                             bool backfilled, std::set<std::string>& fresh);
    // A statement and its values, of one partition.
    using partition_row = std::pair<std::shared_ptr<const cql::prepared>, std::vector<cql::value>>;
    // Jobs writing rows of one partition in unlogged batches of batch_rows.
    void put_partition(std::vector<job>& jobs, std::vector<partition_row> rows);
    // A job writing the index row v under key unless written before.
    void put_index(std::vector<job>& jobs, std::string key, const std::shared_ptr<const cql::prepared>& st,
                   std::vector<cql::value> v, std::set<std::string>& fresh);
    result<void> put_ticks(std::vector<job>& jobs, std::span<const model::tick> ticks,
                           std::set<std::string>& fresh);
    result<void> put_latest(std::vector<job>& jobs, std::span<const model::tick> rows,
                            std::vector<std::pair<std::string, std::pair<int64_t, int64_t>>>& updates);
    result<void> put_state(std::span<const state_change> state, std::span<const int64_t> versions,
                           std::span<const uint32_t> groups);
    // One request writing the changes idx (a batch when more than one, all
    // of one scope).
    job state_job(std::span<const state_change> state, std::span<const int64_t> versions,
                  std::vector<size_t> idx);
    // The state table's partition of a key: "kp/<p>" for a Kafka partition's
    // checkpoint (kp/<p>/...) and for its position (pos/<topic>/<p>, p in
    // five digits), "state" for everything else.
    static std::string state_scope(std::string_view key);
    // The keys of the prefix in the state table's partition scope.
    result<std::vector<std::pair<std::string, std::string>>> load_state_in(const std::string& scope,
                                                                           std::string_view prefix);
    result<std::vector<std::string>> buckets(const std::shared_ptr<const cql::prepared>& stmt,
                                             std::vector<cql::value> key);
    mdsp::error failed(std::string_view what, const mdsp::error& e) const;

    cassandra_options _opts;
    cql::session _session;
    std::unique_ptr<statements> _st;
    std::mutex _write_mu;
    // Under _write_mu: buckets known to be in the indexes, newest latest per symbol.
    std::set<std::string> _indexed;
    std::unordered_map<std::string, std::pair<int64_t, int64_t>> _latest_cache;
};

} // namespace mdsp::store
