// `mdsp bench --only universe`: the same ticks spread over 10, 1,000, 10,000
// and 100,000 symbols, end to end (CSV replay -> log -> engine -> store, fill
// gaps on), each in a child process of its own so that its peak RSS is its
// own: the cost of a tick must not grow with the number of symbols.
#include <cstdio>
#include <filesystem>
#include <random>

#include <fmt/format.h>
#include <spawn.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "base/time.h"
#include "bench/bench.h"

extern char** environ;

namespace mdsp::bench {

namespace {

// Generic CSV, one tick per millisecond from 2024-01-01, a uniformly random
// symbol each, random prices: as in the issue that asked for this phase.
bool write_universe(const std::filesystem::path& file, size_t symbols, size_t ticks) {
    std::FILE* f = std::fopen(file.c_str(), "w");
    if (f == nullptr) {
        return false;
    }
    std::mt19937_64 rng(42);
    std::uniform_int_distribution<size_t> sym(0, symbols - 1);
    std::uniform_real_distribution<double> price(100, 110);
    std::uniform_int_distribution<int> size(1, 99);
    const int64_t t0 = 1'704'067'200'000'000;
    std::fputs("time,symbol,price,size\n", f);
    for (size_t i = 0; i < ticks; ++i) {
        std::fprintf(f, "%lld,S%06zu,%.4f,%d\n", static_cast<long long>(t0 + static_cast<int64_t>(i) * 1000),
                     sym(rng), price(rng), size(rng));
    }
    return std::fclose(f) == 0;
}

struct child_run {
    double seconds = 0;
    long max_rss_kb = 0;
    int status = -1;
};

// Runs this binary with args and waits: wall time and the child's peak RSS.
child_run run_self(const std::vector<std::string>& args) {
    std::vector<char*> argv;
    std::string self = "/proc/self/exe";
    argv.push_back(self.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) {
        argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    child_run out;
    int64_t t0 = mono_nanos();
    pid_t pid = 0;
    if (posix_spawn(&pid, "/proc/self/exe", nullptr, nullptr, argv.data(), environ) != 0) {
        return out;
    }
    struct rusage ru {};
    int status = 0;
    if (wait4(pid, &status, 0, &ru) != pid) {
        return out;
    }
    out.seconds = static_cast<double>(mono_nanos() - t0) / 1e9;
    out.max_rss_kb = ru.ru_maxrss;
    out.status = status;
    return out;
}

} // namespace

int bench_universe(const config& cfg, size_t ticks) {
    namespace fs = std::filesystem;
    const fs::path dir = fs::path(cfg.data_dir) / fmt::format("bench-universe-{}", getpid());
    fs::remove_all(dir);
    fs::create_directories(dir);
    std::printf("universe  %zu ticks, 1 ms apart, over N symbols: mdsp replay (log, engine, store), %zu "
                "intervals, fill gaps %s; each a process of its own\n",
                ticks, cfg.engine.intervals.size(), cfg.engine.fill_gaps ? "on" : "off");
    int rc = 0;
    double base_rate = 0;
    for (size_t n : {size_t{10}, size_t{1'000}, size_t{10'000}, size_t{100'000}}) {
        const fs::path file = dir / fmt::format("u{}.csv", n);
        if (!write_universe(file, n, ticks)) {
            spdlog::error("bench: cannot write {}", file.string());
            rc = 1;
            break;
        }
        std::vector<std::string> args{
            "replay",      file.string(), "-d",       (dir / fmt::format("d{}", n)).string(),
            "--log-level", "warn",        "--format", "csv"};
        // The engine settings that decide the cost; the rest are defaults
        // (and MDSP_* variables, which the child inherits).
        std::string ivs;
        for (const auto& iv : cfg.engine.intervals) {
            ivs += (ivs.empty() ? "" : ",") + iv.name();
        }
        args.insert(args.end(),
                    {"--set", "engine.intervals=" + ivs, "--set",
                     std::string("engine.fill_gaps=") + (cfg.engine.fill_gaps ? "true" : "false")});
        auto r = run_self(args);
        fs::remove_all(dir / fmt::format("d{}", n));
        fs::remove(file);
        if (r.status != 0) {
            spdlog::error("bench: mdsp replay over {} symbols failed (status {})", n, r.status);
            rc = 1;
            break;
        }
        double rate = static_cast<double>(ticks) / r.seconds;
        if (base_rate == 0) {
            base_rate = rate;
        }
        std::printf("          %7zu symbols  %6.2f s  %10.0f ticks/s  %5.2fx of 10  peak RSS %6.0f MB\n", n,
                    r.seconds, rate, rate / base_rate, static_cast<double>(r.max_rss_kb) / 1024.0);
    }
    fs::remove_all(dir);
    std::printf("          goal: 100,000 symbols at >= 0.5x of 10, peak RSS < 500 MB\n");
    return rc;
}

} // namespace mdsp::bench
