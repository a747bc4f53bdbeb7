#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>
#include <vector>

#include "base/result.h"
#include "pipeline/stage.h"

namespace mdsp::pipeline {

// SIGINT and SIGTERM as a stop request, without a global flag: the
// constructor blocks both signals in the calling thread and so in every
// thread it starts later, and a watcher thread of its own receives them.
// Construct it on the main thread before any other thread starts.
// Threads: wait() and stopped() from any thread; token() stops with a signal.
class signal_stop {
public:
    signal_stop();
    ~signal_stop();
    signal_stop(const signal_stop&) = delete;
    signal_stop& operator=(const signal_stop&) = delete;

    // Waits up to timeout for SIGINT or SIGTERM; true once one came.
    bool wait(std::chrono::milliseconds timeout);
    bool stopped() const noexcept { return _source.stop_requested(); }
    // Stopped by the first signal: for waits before a runner exists (opening
    // a FIFO nobody writes yet).
    std::stop_token token() const noexcept { return _source.get_token(); }

private:
    std::stop_source _source;
    std::atomic<bool> _quit{false};
    std::mutex _mu;
    std::condition_variable _cv;
    std::thread _watcher;
};

// Runs the stages of one process, one thread each, in data-flow order: when
// a stage is done, the stages after it hear upstream_done().
//
// Threads: add(), start(), run() and join() on the owning thread;
// request_stop() and the figures from any thread. Each stage is used by its
// own thread alone once started (stage.h). The stages must outlive join().
class runner {
public:
    runner() = default;
    ~runner();
    runner(const runner&) = delete;
    runner& operator=(const runner&) = delete;

    void add(stage& s);
    // Also stop when `outside` is stopped (a signal while opening).
    void stop_with(std::stop_token outside) {
        _outside.emplace(std::move(outside), [this] { request_stop(); });
    }
    // Calls every stage's start() here, in order, then gives each its thread.
    // On an error nothing is left running.
    result<void> start();
    // Stops every stage after its current step; its thread then calls stop().
    void request_stop() noexcept {
        _stop.store(true);
        _stop_source.request_stop();
    }
    // Stopped with request_stop(), a failure or run()'s signal: what a
    // source that waits for input (a FIFO, a socket) checks between waits.
    std::stop_token stop_token() const noexcept { return _stop_source.get_token(); }
    // Waits for every thread; the first error any stage hit, if one did.
    result<void> join();

    // Every stage reported done.
    bool done() const noexcept { return _done_count.load() == _stages.size() && !_stages.empty(); }
    bool failed() const noexcept { return _failed.load(); }
    // Whether stage i (in add order) reported done.
    bool stage_done(size_t i) const noexcept { return i < _stages.size() && _stages[i].done.load(); }

    struct run_options {
        bool exit_when_done = false; // return once every stage is done
        // Called about every 100 ms on the owning thread (a progress bar).
        std::function<void()> on_idle;
    };
    enum class ended { done, failed, interrupted };
    // The loop `mdsp up`, `ingest` and `process` share: waits for a signal,
    // a failure or (when asked) the end of every stage, then stops and joins.
    // The result of join() is in the returned error, if any.
    result<ended> run(signal_stop& signals, const run_options& opts);

private:
    struct slot {
        stage* s = nullptr;
        std::thread thread;
        std::atomic<bool> done{false};
    };
    void loop(size_t i);
    void fail(const error& e, const stage& s);

    std::vector<slot> _stages;
    std::atomic<bool> _stop{false};
    std::stop_source _stop_source;
    std::optional<std::stop_callback<std::function<void()>>> _outside;
    std::atomic<bool> _failed{false};
    std::atomic<size_t> _done_count{0};
    std::mutex _err_mu;
    std::optional<error> _first_error;
};

} // namespace mdsp::pipeline
