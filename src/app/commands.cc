#include "app/commands.h"

#include <cstdio>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "base/time.h"
#include "bench/bench.h"
#include "feed/progress.h"
#include "http/server.h"
#include "pipeline/pipeline.h"
#include "store/rocks_store.h"

namespace mdsp::app {

// Runs a pipeline until Ctrl-C, a failure or (when asked) the end of a
// bounded source; shows a progress bar on a terminal when asked.
int run_pipeline(const config& cfg, pipeline::pipeline::options po, bool exit_when_done, bool show_progress,
                 const char* what, const std::function<void(const pipeline::pipeline&)>& on_end) {
    pipeline::signal_stop signals; // before any thread starts
    auto p = pipeline::pipeline::open(cfg, po, signals.token());
    if (!p && signals.stopped()) {
        spdlog::info("{}: stopping (Ctrl-C or SIGTERM) while opening: {}", what, p.error().what());
        return 0;
    }
    if (!p) {
        spdlog::error("{}: {}", what, p.error().what());
        return 1;
    }
    auto& pl = **p;
    if (auto r = pl.start(); !r) {
        spdlog::error("{}: {}", what, r.error().what());
        return 1;
    }
    feed::progress_bar bar;
    bool bar_on = show_progress && isatty(STDERR_FILENO);
    int64_t t0 = mono_nanos();
    pipeline::runner::run_options ro;
    ro.exit_when_done = exit_when_done;
    if (bar_on) {
        ro.on_idle = [&] {
            if (pl.progress() >= 0) {
                bar.update(pl.progress(), static_cast<int64_t>(pl.ticks_ingested()), std::nullopt,
                           static_cast<int64_t>(pl.ticks_ingested()));
            }
        };
    }
    auto how = pl.run(signals, ro);
    if (bar_on) {
        bar.finish();
    }
    double secs = static_cast<double>(mono_nanos() - t0) / 1e9;
    if (!how) {
        spdlog::error("{}: {}", what, how.error().what());
        return 1;
    }
    if (exit_when_done || *how == pipeline::runner::ended::interrupted) {
        spdlog::info("{}: {} ticks ingested, {} processed, {} candle writes, {} dead letters in {:.2f} s",
                     what, pl.ticks_ingested(), pl.ticks_processed(), pl.candles_written(), pl.dead_letters(),
                     secs);
    }
    if (on_end) {
        on_end(pl);
    }
    return 0;
}

int cmd_up(const config& cfg, const run_options& opts) {
    return run_pipeline(cfg, {}, opts.exit_when_done, false, "mdsp up");
}

int cmd_replay(const config& base, const run_options& opts) {
    config cfg = base;
    cfg.source.spec = "replay:" + opts.replay_file;
    pipeline::pipeline::options po;
    po.http = false;
    return run_pipeline(cfg, po, true, true, "mdsp replay");
}

int cmd_serve(const config& cfg, const run_options&) {
    pipeline::pipeline::options po;
    po.ingest = false;
    po.process = false;
    return run_pipeline(cfg, po, false, false, "mdsp serve");
}

int cmd_bench(const config& cfg, const run_options& opts) {
    return bench::run(cfg, bench::options{opts.bench_seconds, opts.bench_latency_rate, opts.bench_only,
                                          opts.bench_universe_ticks, opts.bench_kafka, opts.bench_cassandra});
}

int cmd_config(const config& cfg) {
    std::string section;
    for (const auto& s : describe(cfg)) {
        auto dot = s.path.find('.');
        std::string sec = dot == std::string::npos ? "" : s.path.substr(0, dot);
        if (sec != section) {
            section = sec;
        }
        std::printf("%s = %s\n    %s  [env %s]\n", s.path.c_str(), s.value.c_str(), s.help.c_str(),
                    s.env.c_str());
    }
    return 0;
}

} // namespace mdsp::app
