#include "pipeline/internal/store_writer.h"

#include "base/time.h"

namespace mdsp::pipeline::internal {

store_writer::~store_writer() {
    {
        std::lock_guard lk(_mu);
        _quit = true;
    }
    _cv.notify_all();
    if (_thread.joinable()) {
        _thread.join(); // after a running job: its buffers outlive it
    }
}

void store_writer::submit(std::function<result<void>()> job) {
    {
        std::lock_guard lk(_mu);
        _job = std::move(job);
        _result.reset();
    }
    _submitted = true;
    if (!_thread.joinable()) {
        _thread = std::thread([this] { run(); });
    }
    _cv.notify_all();
}

void store_writer::run() {
    std::unique_lock lk(_mu);
    for (;;) {
        _cv.wait(lk, [this] { return _quit || _job; });
        if (!_job) {
            return; // quit with nothing left to run
        }
        auto job = std::move(_job);
        _job = nullptr;
        _job_started_ns = mono_nanos();
        lk.unlock();
        auto r = job();
        lk.lock();
        _job_ended_ns = mono_nanos();
        _result = std::move(r);
        _cv.notify_all();
    }
}

result<void> store_writer::take_locked() {
    auto r = std::move(*_result);
    _result.reset();
    _submitted = false;
    _started_ns = _job_started_ns;
    _ended_ns = _job_ended_ns;
    return r;
}

std::optional<result<void>> store_writer::poll() {
    if (!_submitted) {
        return std::nullopt;
    }
    std::lock_guard lk(_mu);
    if (!_result) {
        return std::nullopt;
    }
    return take_locked();
}

result<void> store_writer::wait() {
    if (!_submitted) {
        return ok();
    }
    std::unique_lock lk(_mu);
    _cv.wait(lk, [this] { return _result.has_value(); });
    return take_locked();
}

} // namespace mdsp::pipeline::internal
