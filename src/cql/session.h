#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "base/metrics.h"
#include "cql/connection.h"
#include "cql/token.h"

namespace mdsp::cql {

// Retries of idempotent statements only: a non-idempotent one is never sent
// twice (a write timeout does not say whether it was applied). Backoff is
// exponential with full jitter: a random wait in [0, min(max, base * 2^n)).
struct retry_policy {
    int max_retries = 3;
    std::chrono::milliseconds base_backoff{50};
    std::chrono::milliseconds max_backoff{2000};
};

struct session_options {
    // "host" or "host:port"; the first that answers is asked for the others.
    std::vector<std::string> contact_points{"127.0.0.1"};
    uint16_t port = 9042;
    // Data centre whose hosts are tried first; empty: the first contact
    // point's. Remote hosts are tried only when no local one is up.
    std::string local_dc;
    connection_options conn; // for every connection; host and port are set per host
    size_t connections_per_host = 2;
    consistency read_cl = consistency::local_one;
    consistency write_cl = consistency::local_quorum;
    retry_policy retry;
    // How often down hosts are tried again, and missing connections reopened.
    std::chrono::milliseconds reconnect_every{2000};
    // Where the per-host probes register; null: metrics::global().
    metrics::registry* metrics = nullptr;
};

// Per-request choices. Consistency defaults to the session's read_cl for
// statements that start with SELECT and write_cl for the rest (and batches).
struct statement_options {
    std::optional<consistency> cl;
    bool idempotent = false; // may be sent again after a timeout or an error
    std::optional<int32_t> page_size;
    std::optional<std::string> paging_state;
    std::optional<int64_t> timestamp_us;
};

struct host_info {
    std::string address;
    uint16_t port = 0;
    std::string dc;
    std::string rack;
    bool up = false;
    size_t tokens = 0;
    int protocol_version = 0; // of its connections (5 or 4); 0 before the first
};

// A Cassandra cluster: its hosts (from system.local and system.peers_v2,
// or system.peers on servers before 4.0), a small pool of connections to
// each, the token ring, and a control connection registered for topology
// and status events. Each host's protocol version is negotiated by its
// first connection (v5, or v4 when it refuses v5) and remembered: its later
// connections ask for that one at once. Requests go to a replica of their partition when the
// prepared statement names the partition key (token-aware), local data
// centre first, the least busy connection of a host; failures are retried
// per retry_policy for idempotent statements only.
//
// Threads: the session owns an io_context run by exactly one thread of its
// own, started by start() and joined by stop() (or the destructor); all of
// its state and its connections' handlers run there, one at a time. Public
// methods are safe from any thread; callbacks run on the session's thread
// and must not block. The *_sync wrappers block, so never call them from a
// callback.
class session {
public:
    template<typename T>
    using callback = std::function<void(result<T>)>;

    explicit session(session_options opts);
    ~session();
    session(const session&) = delete;
    session& operator=(const session&) = delete;

    // Connects to a contact point, discovers the cluster, opens the pools.
    result<void> start();
    void stop();

    void prepare(std::string cql, callback<std::shared_ptr<const prepared>> cb);
    void execute(std::shared_ptr<const prepared> stmt, std::vector<value> values, statement_options o,
                 callback<result_message> cb);
    void query(std::string cql, std::vector<value> values, statement_options o, callback<result_message> cb);
    // An unlogged batch, routed by the first statement's partition key: meant
    // for statements of one partition.
    void batch(std::vector<std::shared_ptr<const prepared>> stmts, std::vector<std::vector<value>> values,
               statement_options o, callback<result_message> cb);

    result<std::shared_ptr<const prepared>> prepare_sync(std::string cql);
    result<result_message> execute_sync(std::shared_ptr<const prepared> stmt, std::vector<value> values,
                                        statement_options o = {});
    result<result_message> query_sync(std::string cql, std::vector<value> values = {},
                                      statement_options o = {});
    result<result_message> batch_sync(std::vector<std::shared_ptr<const prepared>> stmts,
                                      std::vector<std::vector<value>> values, statement_options o = {});

    // After a schema change: waits until every host that is up reports the
    // same schema_version (system.local and the peers tables), polling on the
    // control connection; errc::timeout when they do not agree in time.
    result<void> wait_for_schema_agreement(std::chrono::milliseconds timeout = std::chrono::seconds(10));

    // A snapshot of the hosts, for tests and status pages.
    std::vector<host_info> hosts();
    // The probe of a host ("address:port"); null when unknown.
    const host_probe* probe(const std::string& endpoint);
    std::string local_dc();

private:
    struct host;
    struct request;

    // cluster.cc: discovery, pools, events.
    void connect_control(size_t contact, callback<void> done);
    void refresh(callback<void> done);
    void on_local(const result_message& local, const std::string& address, uint16_t port);
    void on_peers(const result_message& peers, bool v2);
    void rebuild_ring();
    void maintain();
    void open_connection(size_t h);
    connection_options options_for(const std::string& address, uint16_t port);
    void learned_version(const std::string& address, uint16_t port, const connection& c, bool ok);
    void on_event(const event& e);
    size_t host_index(const std::string& address, uint16_t port);

    // session.cc: routing and retries.
    std::vector<size_t> plan(const request& r);
    void run(std::shared_ptr<request> r);
    void attempt(std::shared_ptr<request> r);
    std::shared_ptr<connection> pick(size_t h);
    bool reachable();
    void when_connected(std::chrono::steady_clock::time_point until, std::function<void(bool)> then);
    void prepare_on(std::string cql, callback<std::shared_ptr<const prepared>> cb, bool waited);
    bool should_retry(const request& r, const mdsp::error& e, bool& next_host) const;
    std::chrono::milliseconds backoff(int retry);
    consistency default_cl(std::string_view cql) const;

    session_options _opts;
    metrics::registry& _metrics;
    boost::asio::io_context _io;
    std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> _guard;
    std::thread _thread;
    boost::asio::steady_timer _maintenance;
    std::vector<std::unique_ptr<host>> _hosts;
    token_ring _ring;
    std::shared_ptr<connection> _control;
    bool _refreshing = false;
    bool _stopped = false;
    size_t _round_robin = 0;
    std::minstd_rand _rng{std::random_device{}()};
};

} // namespace mdsp::cql
