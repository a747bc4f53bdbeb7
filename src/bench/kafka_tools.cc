#include "bench/kafka_tools.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pipeline/errc.h"

namespace mdsp::bench {

std::string env_or(const char* name, std::string otherwise) {
    const char* v = std::getenv(name);
    return v != nullptr && *v != '\0' ? std::string(v) : otherwise;
}

std::string system_python() {
    return std::filesystem::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
}

std::string last_line(const std::string& text) {
    auto end = text.find_last_not_of("\r\n");
    if (end == std::string::npos) {
        return {};
    }
    auto begin = text.rfind('\n', end);
    return text.substr(begin == std::string::npos ? 0 : begin + 1,
                       end + 1 - (begin == std::string::npos ? 0 : begin + 1));
}

std::string tail(const std::string& text, size_t n) {
    return text.size() > n ? "..." + text.substr(text.size() - n) : text;
}

namespace {

constexpr const char* setup_hint = "run scripts/setup (it fetches Apache Kafka's jars with Maven into "
                                   "tests/cluster/lib), or set MDSP_KAFKA_LIB to a folder of them";

std::string java() {
    std::string home = env_or("JAVA_HOME", "");
    return home.empty() ? "java" : (std::filesystem::path(home) / "bin" / "java").string();
}

// Runs one of Kafka's tools (a main class) from the jars.
result<command_output> run_java(const kafka_paths& paths, const std::string& main,
                                std::vector<std::string> args) {
    if (auto r = paths.check_jars(); !r) {
        return r.error();
    }
    std::vector<std::string> cmd{java(),
                                 "-Xmx512m",
                                 "-XX:+UseG1GC",
                                 "-Djava.awt.headless=true",
                                 "-cp",
                                 (std::filesystem::path(paths.lib) / "*").string(),
                                 main};
    cmd.insert(cmd.end(), args.begin(), args.end());
    auto out = run_command(cmd);
    if (!out) {
        return out.error();
    }
    if (out->exit_code == 127) {
        return make_error(
            pipeline::errc::io_error,
            "cannot run {}: install a JDK 17 (Debian's openjdk-17-jre-headless) or set JAVA_HOME", cmd[0]);
    }
    if (out->exit_code != 0) {
        return make_error(pipeline::errc::io_error, "{} failed (exit {}): {}", main, out->exit_code,
                          tail(out->text));
    }
    return out;
}

} // namespace

result<command_output> run_command(const std::vector<std::string>& args) {
    int fds[2];
    if (pipe(fds) != 0) {
        return make_error(pipeline::errc::io_error, "cannot make a pipe for {}", args.at(0));
    }
    std::vector<std::string> copy = args;
    std::vector<char*> argv;
    for (auto& a : copy) {
        argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    std::fflush(stdout);
    std::fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        dup2(fds[1], STDOUT_FILENO);
        dup2(fds[1], STDERR_FILENO);
        close(fds[1]);
        execvp(argv[0], argv.data());
        _exit(127);
    }
    close(fds[1]);
    if (pid < 0) {
        close(fds[0]);
        return make_error(pipeline::errc::io_error, "cannot start {}", args.at(0));
    }
    command_output out;
    char buf[4096];
    for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) != 0;) {
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            break;
        }
        out.text.append(buf, static_cast<size_t>(n));
    }
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    out.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return out;
}

kafka_paths kafka_paths::find() {
    kafka_paths p;
    p.tool = env_or("MDSP_KAFKA_CLUSTER_TOOL", MDSP_KAFKA_CLUSTER_TOOL);
    p.lib = env_or("MDSP_KAFKA_LIB", (std::filesystem::path(p.tool).parent_path() / "lib").string());
    return p;
}

result<void> kafka_paths::check_jars() const {
    std::error_code ec;
    if (std::filesystem::is_directory(lib, ec)) {
        for (const auto& e : std::filesystem::directory_iterator(lib, ec)) {
            if (e.path().filename().string().starts_with("kafka-tools-")) {
                return ok();
            }
        }
    }
    return make_error(pipeline::errc::io_error, "Apache Kafka's jars are not in {}: {}", lib, setup_hint);
}

result<local_kafka> local_kafka::start(const kafka_paths& paths, const std::string& dir) {
    if (!std::filesystem::exists(paths.tool)) {
        return make_error(pipeline::errc::io_error,
                          "the Kafka cluster tool {} is missing: set MDSP_KAFKA_CLUSTER_TOOL to "
                          "tests/cluster/kafka_cluster.py of an mdsp source tree, or give --kafka BROKERS",
                          paths.tool);
    }
    if (auto r = paths.check_jars(); !r) {
        return r.error();
    }
    auto out = run_command({system_python(), paths.tool, "start", "--dir", dir, "--nodes", "1", "--lib",
                            paths.lib, "--replace"});
    if (!out) {
        return out.error();
    }
    if (out->exit_code != 0) {
        return make_error(pipeline::errc::io_error, "starting a Kafka cluster with {} failed: {}", paths.tool,
                          tail(out->text));
    }
    return local_kafka(paths, dir, last_line(out->text));
}

local_kafka::local_kafka(local_kafka&& o) noexcept
  : _paths(std::move(o._paths))
  , _dir(std::move(o._dir))
  , _bootstrap(std::move(o._bootstrap)) {
    o._dir.clear();
}

local_kafka::~local_kafka() {
    stop();
}

void local_kafka::stop() {
    if (_dir.empty()) {
        return;
    }
    auto out = run_command({system_python(), _paths.tool, "stop", "--dir", _dir});
    if (!out || out->exit_code != 0) {
        spdlog::warn("bench kafka: stopping the cluster in {}: {}", _dir,
                     out ? tail(out->text) : out.error().what());
    }
    _dir.clear();
}

result<java_produce_figures> producer_performance(const kafka_paths& paths, const std::string& brokers,
                                                  const std::string& topic, int64_t records,
                                                  size_t record_size, const producer_settings& s) {
    auto out = run_java(paths, "org.apache.kafka.tools.ProducerPerformance",
                        {"--topic", topic, "--num-records", std::to_string(records), "--record-size",
                         std::to_string(record_size), "--throughput", "-1", "--producer-props",
                         "bootstrap.servers=" + brokers, "acks=all", "enable.idempotence=true",
                         fmt::format("linger.ms={}", s.linger_ms),
                         fmt::format("batch.size={}", s.batch_bytes), "compression.type=" + s.compression});
    if (!out) {
        return out.error();
    }
    // "1000000 records sent, 280977.8 records/sec (16.35 MB/sec), 31.04 ms avg latency, ..."
    std::istringstream lines(out->text);
    java_produce_figures f;
    for (std::string line; std::getline(lines, line);) {
        long long n = 0;
        double rps = 0;
        double mbps = 0;
        if (std::sscanf(line.c_str(), "%lld records sent, %lf records/sec (%lf MB/sec)", &n, &rps, &mbps)
            == 3) {
            f = {n, rps, mbps, line};
        }
    }
    if (f.records == 0) {
        return make_error(pipeline::errc::io_error, "ProducerPerformance printed no summary: {}",
                          tail(out->text));
    }
    return f;
}

result<java_consume_figures> consumer_performance(const kafka_paths& paths, const std::string& brokers,
                                                  const std::string& topic, const std::string& group,
                                                  int64_t records) {
    auto out = run_java(paths, "org.apache.kafka.tools.ConsumerPerformance",
                        {"--bootstrap-server", brokers, "--topic", topic, "--group", group, "--messages",
                         std::to_string(records), "--timeout", "30000", "--hide-header"});
    if (!out) {
        return out.error();
    }
    // start.time, end.time, MB, MB.sec, nMsg, nMsg.sec, rebalance.time.ms,
    // fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
    std::istringstream lines(out->text);
    java_consume_figures f;
    for (std::string line; std::getline(lines, line);) {
        std::vector<std::string> cols;
        std::istringstream fields(line);
        for (std::string c; std::getline(fields, c, ',');) {
            cols.push_back(c);
        }
        if (cols.size() != 10) {
            continue;
        }
        try {
            f = {std::stoll(cols[4]), std::stod(cols[5]), std::stod(cols[9]), std::stod(cols[8])};
        } catch (const std::exception&) {
            continue;
        }
    }
    if (f.records == 0) {
        return make_error(pipeline::errc::io_error, "ConsumerPerformance read nothing: {}", tail(out->text));
    }
    return f;
}

} // namespace mdsp::bench
