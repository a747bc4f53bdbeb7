#pragma once

#include <functional>
#include <string>
#include <vector>

#include "app/config.h"
#include "pipeline/pipeline.h"

namespace mdsp::app {

// What every subcommand was asked on its command line, beyond the config.
struct run_options {
    std::string replay_file;     // mdsp replay FILE
    bool exit_when_done = false; // stop once a bounded source is fully processed
    // mdsp bench
    double bench_seconds = 5;
    double bench_latency_rate = 50'000;
    std::string bench_only; // comma-separated subset of
                            // pipeline,latency,engine,log,twelvedata,universe,kafka,cassandra
    size_t bench_universe_ticks = 1'000'000;
    std::string bench_kafka;     // the kafka phase's brokers; "mock"; "" = a cluster of its own
    std::string bench_cassandra; // the cassandra phase's cassandra://...; "" = a node of its own
    // mdsp deadletters
    int limit = 100;
};

// mdsp backfill: the symbols are config.twelvedata.symbols.
struct backfill_options {
    std::string from;            // a time parse_time_micros accepts
    std::string to;              // empty: now
    std::string interval = "1m"; // one of the widths TwelveData has bars of
};

// The loop every pipeline command shares: opens the parts po asks for,
// runs them until Ctrl-C, a failure or (exit_when_done) the end of a bounded
// source, with a progress bar on a terminal when asked; on_end, when given,
// sees the finished pipeline (a summary line). 0 done, 1 failed.
int run_pipeline(const config& cfg, pipeline::pipeline::options po, bool exit_when_done, bool show_progress,
                 const char* what, const std::function<void(const pipeline::pipeline&)>& on_end = {});

// Each returns the process exit code: 0 done, 1 failed at run time.
int cmd_up(const config& cfg, const run_options& opts);
int cmd_replay(const config& cfg, const run_options& opts);
int cmd_serve(const config& cfg, const run_options& opts);
int cmd_bench(const config& cfg, const run_options& opts);
int cmd_config(const config& cfg);
int cmd_deadletters(const config& cfg, const run_options& opts);
// 0 done, 1 a symbol failed (the others are done), 2 bad flags, 130 stopped.
int cmd_backfill(const config& cfg, const backfill_options& opts);

} // namespace mdsp::app
