#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cql/connection.h"
#include "cql/probe.h"
#include "cql/session.h"

namespace mdsp::cql {

// A host of the cluster and its pool. Lives on the session's thread; never
// removed while the session lives (the probe outlives every connection that
// points at it).
struct session::host {
    std::string address;
    uint16_t port = 0;
    std::string dc;
    std::string rack;
    std::vector<int64_t> tokens;
    bool up = false;
    bool removed = false; // REMOVED_NODE, or gone from the peers tables
    // The protocol version its last connection agreed; its next connections
    // ask for it first (connection_options::protocol_hint). Forgotten when a
    // connection fails, so a node upgraded meanwhile is asked for v5 again.
    std::optional<protocol> version;
    std::vector<std::shared_ptr<connection>> pool;
    size_t connecting = 0;
    int failures = 0;
    std::chrono::steady_clock::time_point next_try{};
    std::unique_ptr<host_probe> probe;

    std::string endpoint() const { return address + ":" + std::to_string(port); }
};

// One request from the caller until its callback: the plan of hosts, the
// retries done.
struct session::request {
    enum class kind { query, execute, batch } k = kind::query;
    std::string cql;
    std::shared_ptr<const prepared> stmt;
    std::vector<value> values;
    std::vector<std::shared_ptr<const prepared>> stmts;
    std::vector<std::vector<value>> batch_values;
    statement_options o;
    consistency cl = consistency::local_one;
    callback<result_message> cb;
    std::vector<size_t> plan;
    size_t next = 0; // index into plan
    int retries = 0;
    bool waited = false; // waited once already for a connection to open
    std::optional<mdsp::error> last;
};

} // namespace mdsp::cql
