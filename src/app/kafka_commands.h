#pragma once

#include "app/commands.h"
#include "app/config.h"

namespace mdsp::app {

// What the Kafka subcommands were asked beyond the config.
struct kafka_options {
    int mock_brokers = 3;        // mdsp kafka-mock --brokers
    bool serve_http = false;     // mdsp process --http: the API and /metrics over its store
    bool exit_when_done = false; // mdsp process: finalize and exit once caught up
};

// `mdsp ingest --kafka BROKERS`: the source into market.ticks.
int cmd_ingest_kafka(const config& cfg, const run_options& opts);
// `mdsp process --kafka BROKERS`: one replica of the consumer group into its store.
int cmd_process_kafka(const config& cfg, const kafka_options& ko);
// `mdsp up --kafka BROKERS`: ingest and process over Kafka, and the HTTP API.
int cmd_up_kafka(const config& cfg, const run_options& opts);
// `mdsp kafka-mock`: librdkafka's mock cluster until Ctrl-C.
int cmd_kafka_mock(const config& cfg, const kafka_options& ko);

} // namespace mdsp::app
