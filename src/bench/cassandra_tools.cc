#include "bench/cassandra_tools.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <boost/json.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "bench/kafka_tools.h"
#include "pipeline/errc.h"

namespace mdsp::bench {

namespace {

constexpr const char* setup_hint =
    "run scripts/setup (it fetches Apache Cassandra's jars with Maven into "
    "tests/cluster/cassandra/lib), or set MDSP_CASSANDRA_LIB to a folder of them";

mdsp::error io_error(std::string what) {
    return make_error(pipeline::errc::io_error, "{}", what);
}

} // namespace

cassandra_paths cassandra_paths::find() {
    cassandra_paths p;
    p.tool = env_or("MDSP_CASSANDRA_CLUSTER_TOOL", MDSP_CASSANDRA_CLUSTER_TOOL);
    p.lib = env_or("MDSP_CASSANDRA_LIB",
                   (std::filesystem::path(p.tool).parent_path() / "cassandra" / "lib").string());
    p.script = env_or("MDSP_CASSANDRA_BENCH_SCRIPT", MDSP_CASSANDRA_BENCH_SCRIPT);
    return p;
}

result<void> cassandra_paths::check_jars() const {
    std::error_code ec;
    if (std::filesystem::is_directory(lib, ec)) {
        for (const auto& e : std::filesystem::directory_iterator(lib, ec)) {
            if (e.path().filename().string().starts_with("cassandra-all-")) {
                return ok();
            }
        }
    }
    return io_error(fmt::format("Apache Cassandra's jars are not in {}: {}", lib, setup_hint));
}

result<local_cassandra> local_cassandra::start(const cassandra_paths& paths, const std::string& dir) {
    if (!std::filesystem::exists(paths.tool)) {
        return io_error(
            fmt::format("the Cassandra cluster tool {} is missing: set MDSP_CASSANDRA_CLUSTER_TOOL to "
                        "tests/cluster/cassandra_cluster.py of an mdsp source tree, or give --cassandra "
                        "cassandra://HOST/KS",
                        paths.tool));
    }
    if (auto r = paths.check_jars(); !r) {
        return r.error();
    }
    // 2 GB of heap, not the test suite's 512 MB: the cluster-path phase
    // writes millions of rows faster than a small node flushes them (a
    // 512 MB node ran out of memory there), and with 1 GB young collections
    // came often enough to show in the latency phase's p99 (2 GB: 66-73 ms
    // against 78-89 ms at 50,000 ticks/s, same binary). A production node
    // has 8 GB or more; 2 GB fits this machine beside Kafka.
    auto out = run_command({system_python(), paths.tool, "start", "--dir", dir, "--nodes", "1", "--lib",
                            paths.lib, "--heap", "2g", "--replace"});
    if (!out) {
        return out.error();
    }
    if (out->exit_code != 0) {
        return io_error(
            fmt::format("starting a Cassandra node with {} failed: {}", paths.tool, tail(out->text)));
    }
    return local_cassandra(paths, dir, last_line(out->text));
}

local_cassandra::local_cassandra(local_cassandra&& o) noexcept
  : _paths(std::move(o._paths))
  , _dir(std::move(o._dir))
  , _contact(std::move(o._contact)) {
    o._dir.clear();
}

local_cassandra::~local_cassandra() {
    stop();
}

void local_cassandra::stop() {
    if (_dir.empty()) {
        return;
    }
    auto out = run_command({system_python(), _paths.tool, "stop", "--dir", _dir});
    if (!out || out->exit_code != 0) {
        spdlog::warn("bench cassandra: stopping the node in {}: {}", _dir,
                     out ? tail(out->text) : out.error().what());
    }
    _dir.clear();
}

namespace {

std::string spec_json(const python_spec& s) {
    namespace json = boost::json;
    json::array hosts;
    for (const auto& h : s.session.contact_points) {
        hosts.emplace_back(h.find(':') == std::string::npos ? fmt::format("{}:{}", h, s.session.port) : h);
    }
    json::array jobs;
    for (const auto& j : s.jobs) {
        jobs.emplace_back(json::object{{"name", j.name}, {"cql", j.cql}, {"rows", j.rows_file}});
    }
    const auto& conn = s.session.conn;
    return json::serialize(json::object{{"hosts", std::move(hosts)},
                                        {"dc", s.session.local_dc},
                                        {"user", conn.auth ? conn.auth->user : ""},
                                        {"tls", conn.tls.enabled},
                                        {"ca_file", conn.tls.ca_file},
                                        {"keyspace", s.keyspace},
                                        {"concurrency", s.concurrency},
                                        {"seconds", s.seconds},
                                        {"max_rows", s.max_rows},
                                        {"jobs", std::move(jobs)}});
}

// The script's JSON: its last line that is an object.
result<python_figures> parse_figures(const std::string& text) {
    std::istringstream lines(text);
    std::string found;
    for (std::string line; std::getline(lines, line);) {
        if (line.starts_with("{")) {
            found = line;
        }
    }
    boost::system::error_code ec;
    auto v = boost::json::parse(found, ec);
    if (ec || !v.is_object()) {
        return io_error(fmt::format("the Python driver's script printed no figures: {}", tail(text)));
    }
    try {
        const auto& o = v.as_object();
        python_figures f;
        f.driver = boost::json::value_to<std::string>(o.at("driver"));
        f.connection = boost::json::value_to<std::string>(o.at("connection"));
        f.protocol_version = boost::json::value_to<int>(o.at("protocol_version"));
        for (const auto& [name, job] : o.at("jobs").as_object()) {
            f.jobs[std::string(name)] = {boost::json::value_to<int64_t>(job.at("rows")),
                                         boost::json::value_to<double>(job.at("seconds"))};
        }
        return f;
    } catch (const std::exception& e) {
        return io_error(
            fmt::format("the Python driver's figures are not as expected ({}): {}", e.what(), found));
    }
}

} // namespace

result<python_figures> run_python_driver(const cassandra_paths& paths, const python_spec& spec,
                                         const std::string& dir) {
    if (!std::filesystem::exists(paths.script)) {
        return io_error(fmt::format("the Python driver's bench script {} is missing: set "
                                    "MDSP_CASSANDRA_BENCH_SCRIPT to src/bench/cassandra_python.py of an mdsp "
                                    "source tree",
                                    paths.script));
    }
    auto file = (std::filesystem::path(dir) / "python-spec.json").string();
    {
        std::ofstream out(file);
        out << spec_json(spec);
        if (!out.flush()) {
            return io_error(fmt::format("cannot write {}", file));
        }
    }
    auto out = run_command({system_python(), paths.script, file});
    if (!out) {
        return out.error();
    }
    if (out->exit_code != 0) {
        return io_error(fmt::format("the Python driver's bench script failed (exit {}): {}", out->exit_code,
                                    tail(out->text)));
    }
    return parse_figures(out->text);
}

} // namespace mdsp::bench
