#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/result.h"
#include "cql/session.h"

// What `mdsp bench --only cassandra` runs beside mdsp: the project's local
// Cassandra tool (tests/cluster/cassandra_cluster.py, with the jars
// scripts/setup fetches into tests/cluster/cassandra/lib) and the DataStax
// Python driver (src/bench/cassandra_python.py, which runs itself with the
// source tree's .venv).
namespace mdsp::bench {

// Where they are: $MDSP_CASSANDRA_CLUSTER_TOOL, else the tool of the source
// tree this binary was built from; the jars: $MDSP_CASSANDRA_LIB, else
// cassandra/lib beside the tool; the script: $MDSP_CASSANDRA_BENCH_SCRIPT,
// else the source tree's.
struct cassandra_paths {
    std::string tool;
    std::string lib;
    std::string script;
    static cassandra_paths find();
    // An error naming scripts/setup when the jars are not there.
    result<void> check_jars() const;
};

// A 1-node Cassandra of the project's tool on 127.0.0.1, started in dir and
// stopped (its data removed) by stop() or the destructor. Owned by one thread.
class local_cassandra {
public:
    static result<local_cassandra> start(const cassandra_paths& paths, const std::string& dir);
    local_cassandra(local_cassandra&& o) noexcept;
    local_cassandra& operator=(local_cassandra&&) = delete;
    local_cassandra(const local_cassandra&) = delete;
    local_cassandra& operator=(const local_cassandra&) = delete;
    ~local_cassandra();

    // "127.0.0.1:PORT"
    const std::string& contact_point() const { return _contact; }
    void stop();

private:
    local_cassandra(cassandra_paths p, std::string dir, std::string contact)
      : _paths(std::move(p))
      , _dir(std::move(dir))
      , _contact(std::move(contact)) {}
    cassandra_paths _paths;
    std::string _dir;
    std::string _contact;
};

// One statement the Python driver runs over a file of rows (JSON lines; see
// the script's docstring).
struct python_job {
    std::string name;
    std::string cql;
    std::string rows_file;
};

struct python_spec {
    cql::session_options session; // hosts, data centre, user, TLS; the password stays in the environment
    std::string keyspace;
    size_t concurrency = 256;
    double seconds = 5;
    size_t max_rows = 200'000;
    std::vector<python_job> jobs;
};

struct python_figures {
    std::string driver;     // cassandra-driver's version
    std::string connection; // the driver's event loop (LibevConnection, AsyncoreConnection, ...)
    int protocol_version = 0;
    struct job {
        int64_t rows = 0;
        double seconds = 0;
        double rows_per_s() const { return seconds > 0 ? static_cast<double>(rows) / seconds : 0; }
    };
    std::map<std::string, job> jobs;
};

// Writes the spec into dir and runs the script on it.
result<python_figures> run_python_driver(const cassandra_paths& paths, const python_spec& spec,
                                         const std::string& dir);

} // namespace mdsp::bench
