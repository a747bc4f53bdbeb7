#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "bus/kafka.h"
#include "pipeline/config.h"
#include "pipeline/runner.h"

namespace mdsp::pipeline {

struct parts; // the opened modules, in pipeline.cc

// The Kafka client settings of cfg (brokers and properties).
bus::kafka_config kafka_settings(const config& cfg);
// The topics of cfg's bus: kafka.topic_prefix before each name on Kafka,
// the plain names on the local log.
bus::topic_names topic_names(const config& cfg);
// Makes (or checks) market.ticks, market.candles and market.deadletter on the
// Kafka cluster of cfg, with its partitions and replication.
result<void> ensure_kafka_topics(const config& cfg);

// One process's share of the pipeline, wired from the settings: the ingest
// stage (source -> bus), the process stage (bus -> engine -> store) and the
// HTTP surface over the store, each when asked. The bus is the data folder's
// log, or Kafka when kafka.brokers is set; the store is the data folder's.
//
//   mdsp up       ingest + process + http     (embedded or --kafka)
//   mdsp replay   ingest + process
//   mdsp serve    http
//   mdsp ingest   ingest                      (--kafka)
//   mdsp process  process [+ http]            (--kafka)
//
// Threads: open(), start() and run() on the caller's thread (the runner
// gives each stage a thread of its own, the HTTP server has its own);
// request_stop() and the figures from any thread.
class pipeline {
public:
    struct options {
        bool ingest = true;
        bool process = true;
        bool http = true;
        // Once a bounded source is fully processed, finalize every window.
        bool finish_at_end = true;
        // With process and no ingest: finish once everything there is has
        // been read (`mdsp process --exit-when-done`).
        bool finish_when_caught_up = false;
        std::vector<int64_t>* latency_sink = nullptr; // ingest-to-store latencies in us (bench)
    };

    // stop, when given, ends waits while opening and stops the stages later.
    static result<std::unique_ptr<pipeline>> open(const config& cfg, options opts, std::stop_token stop = {});
    ~pipeline();
    pipeline(const pipeline&) = delete;
    pipeline& operator=(const pipeline&) = delete;

    // Starts the HTTP server, then the stages.
    result<void> start();
    // Until a signal, a failure or, with exit_when_done, the end of every
    // stage; then stops, syncs the log and the store, and returns how it ended.
    result<runner::ended> run(signal_stop& signals, const runner::run_options& opts);
    void request_stop() { _runner.request_stop(); }
    // Stops the stages and the server, syncs log and store; the first error.
    result<void> join();

    // Every stage is done (a bounded source fully in the store).
    bool done() const noexcept { return _runner.done(); }
    bool failed() const noexcept { return _runner.failed(); }
    int http_port() const;
    // 0..1 of a bounded source; negative when unknown.
    double progress() const noexcept;

    uint64_t ticks_ingested() const noexcept;
    uint64_t ticks_processed() const noexcept;
    uint64_t dead_letters() const noexcept;
    uint64_t candles_written() const noexcept;

private:
    pipeline(const config& cfg, options opts);
    result<void> open_embedded_bus();
    result<void> open_ingest();
    result<void> open_process();
    result<void> open_http();

    config _cfg;
    options _opts;
    std::unique_ptr<parts> _parts;
    runner _runner;
    std::atomic<bool> _started{false};
    bool _joined = false;
};

} // namespace mdsp::pipeline
