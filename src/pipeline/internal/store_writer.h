#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include "base/result.h"

namespace mdsp::pipeline::internal {

// Runs the process stage's store writes, one at a time, on a thread of its
// own, so that the stage's thread decodes and applies the next records while
// the store takes a batch: with a large batch the write is a quarter of the
// stage's time (RocksDB) or a wait on the network (Cassandra).
//
// One job at most: submit() only when idle(); the result is collected with
// poll() or wait() before the next submit. The job must touch nothing the
// submitting thread changes meanwhile (it gets its own buffers).
//
// Threads: submit(), poll(), wait() and idle() from one owning thread (the
// stage's); the job runs on the writer's thread, started at the first
// submit() and joined by the destructor, which waits for a running job.
class store_writer {
public:
    store_writer() = default;
    store_writer(const store_writer&) = delete;
    store_writer& operator=(const store_writer&) = delete;
    ~store_writer();

    // Nothing submitted, or the last result collected.
    bool idle() const noexcept { return !_submitted; }
    void submit(std::function<result<void>()> job);
    // The job's result once it is done (collected: idle() again), nullopt
    // while it runs or when nothing was submitted.
    std::optional<result<void>> poll();
    // Blocks until the submitted job is done and returns its result;
    // ok() when nothing was submitted.
    result<void> wait();
    // mono_nanos() when the last collected job started and ended.
    int64_t started_ns() const noexcept { return _started_ns; }
    int64_t ended_ns() const noexcept { return _ended_ns; }

private:
    void run();
    result<void> take_locked();

    std::mutex _mu;
    std::condition_variable _cv;
    std::function<result<void>()> _job; // set: waiting for the thread
    std::optional<result<void>> _result;
    bool _quit = false;
    bool _submitted = false; // owner's view: a job whose result is not collected
    int64_t _started_ns = 0;
    int64_t _ended_ns = 0;
    int64_t _job_started_ns = 0; // under _mu
    int64_t _job_ended_ns = 0;
    std::thread _thread;
};

} // namespace mdsp::pipeline::internal
