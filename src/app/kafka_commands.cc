#include "app/kafka_commands.h"

#include <cstdio>
#include <thread>

#include <spdlog/spdlog.h>

#include "bus/kafka.h"
#include "pipeline/pipeline.h"
#include "pipeline/runner.h"

namespace mdsp::app {

int cmd_ingest_kafka(const config& cfg, const run_options&) {
    pipeline::pipeline::options po;
    po.process = false;
    po.http = false;
    return run_pipeline(cfg, po, true, false, "mdsp ingest", [&cfg](const pipeline::pipeline& pl) {
        std::fprintf(stderr, "mdsp ingest: %llu ticks sent to %s\n",
                     static_cast<unsigned long long>(pl.ticks_ingested()), cfg.kafka.brokers.c_str());
    });
}

int cmd_process_kafka(const config& cfg, const kafka_options& ko) {
    pipeline::pipeline::options po;
    po.ingest = false;
    po.http = ko.serve_http;
    po.finish_when_caught_up = ko.exit_when_done;
    return run_pipeline(cfg, po, ko.exit_when_done, false, "mdsp process");
}

int cmd_up_kafka(const config& cfg, const run_options& opts) {
    // A bounded source once fully in the store is finalized, as embedded;
    // with --exit-when-done the run then ends, otherwise at Ctrl-C.
    return run_pipeline(cfg, {}, opts.exit_when_done, false, "mdsp up");
}

int cmd_kafka_mock(const config& cfg, const kafka_options& ko) {
    pipeline::signal_stop signals;
    auto mc = bus::kafka_mock_cluster::start(ko.mock_brokers);
    if (!mc) {
        spdlog::error("mdsp kafka-mock: {}", mc.error().what());
        return 1;
    }
    int rf = std::min(ko.mock_brokers, 3);
    for (auto [t, n] :
         {std::pair{bus::ticks_topic, cfg.kafka.partitions},
          std::pair{bus::candles_topic, cfg.kafka.partitions}, std::pair{bus::deadletter_topic, 1}}) {
        if (auto r = (*mc)->create_topic(std::string(t), n, rf); !r) {
            spdlog::error("mdsp kafka-mock: {}", r.error().what());
            return 1;
        }
    }
    // The address alone on stdout, for scripts; the explanation on stderr.
    std::printf("%s\n", (*mc)->bootstrap().c_str());
    std::fflush(stdout);
    std::fprintf(stderr,
                 "mdsp kafka-mock: %d brokers at %s with market.ticks (%d partitions), market.candles and "
                 "market.deadletter; Ctrl-C stops it (its data lives in memory only)\n",
                 ko.mock_brokers, (*mc)->bootstrap().c_str(), cfg.kafka.partitions);
    while (!signals.wait(std::chrono::milliseconds(100))) {
    }
    return 0;
}

} // namespace mdsp::app
