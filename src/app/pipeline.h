#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "app/config.h"
#include "base/result.h"
#include "store/rocks_store.h"

namespace mdsp::app {

struct pipeline_parts; // the opened modules, in pipeline.cc

// The store of cfg.data_dir (the folder is created when missing), with the
// store settings of cfg. Every command that owns a data folder opens it so.
result<std::unique_ptr<store::rocks_store>> open_store(const config& cfg);

// The embedded pipeline of `mdsp up` and `mdsp replay`: source -> log
// (market.ticks) -> candle engine -> store, and the HTTP API over the store.
//
// Threads: open() and start() run on the caller's thread; start() spawns an
// ingest thread (source, producer, checkpoint), a processing thread (consumer,
// engine, store writes) and the HTTP server's thread. request_stop() may be
// called from any thread; join() on the caller's thread flushes what was
// read, syncs log and store and returns the first error any stage hit.
class pipeline {
public:
    struct options {
        bool ingest = true;        // run a source (the config's source.spec)
        bool process = true;       // run the candle engine into the store
        bool http = true;          // serve the API
        bool finish_at_end = true; // once a bounded source is fully processed, finalize every window
        std::vector<int64_t>* latency_sink = nullptr; // ingest-to-store latencies in us (bench)
    };

    static result<std::unique_ptr<pipeline>> open(const config& cfg, options opts);
    ~pipeline();

    result<void> start();
    void request_stop();
    result<void> join();

    // The source is exhausted and everything from it is in the store.
    bool done() const noexcept { return _done.load(); }
    // A stage hit an error (join() returns it).
    bool failed() const noexcept { return _failed.load(); }
    bool ready() const noexcept { return _ready.load(); }
    // The port the HTTP server bound (for port 0).
    int http_port() const;
    // 0..1 of a bounded source; negative when unknown.
    double progress() const noexcept { return _progress.load(); }

    uint64_t ticks_ingested() const noexcept { return _ingested.load(); }
    uint64_t ticks_processed() const noexcept { return _processed.load(); }
    uint64_t dead_letters() const noexcept { return _dead.load(); }
    uint64_t candles_written() const noexcept { return _candles.load(); }

private:
    pipeline(const config& cfg, options opts);
    void ingest_loop();
    void process_loop();
    void fail(const error& e, const char* stage);

    config _cfg;
    options _opts;
    std::unique_ptr<pipeline_parts> _parts;
    std::thread _ingest_thread;
    std::thread _process_thread;

    std::atomic<bool> _stop{false};
    std::atomic<bool> _source_done{false};
    std::atomic<bool> _done{false};
    std::atomic<bool> _failed{false};
    std::atomic<bool> _ready{false};
    std::atomic<double> _progress{-1};
    std::atomic<uint64_t> _ingested{0};
    std::atomic<uint64_t> _processed{0};
    std::atomic<uint64_t> _dead{0};
    std::atomic<uint64_t> _candles{0};

    std::mutex _err_mu;
    std::optional<error> _first_error;
};

} // namespace mdsp::app
