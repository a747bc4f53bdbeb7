#include "pipeline/runner.h"

#include <csignal>
#include <ctime>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace mdsp::pipeline {

namespace {
sigset_t stop_signals() {
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGINT);
    sigaddset(&s, SIGTERM);
    return s;
}
} // namespace

signal_stop::signal_stop() {
    sigset_t s = stop_signals();
    pthread_sigmask(SIG_BLOCK, &s, nullptr);
    _watcher = std::thread([this] {
        sigset_t sigs = stop_signals();
        while (!_quit.load()) {
            timespec ts{0, 100'000'000L};
            if (sigtimedwait(&sigs, nullptr, &ts) > 0) {
                {
                    std::lock_guard g(_mu);
                    _source.request_stop();
                }
                _cv.notify_all();
            }
        }
    });
}

signal_stop::~signal_stop() {
    _quit = true;
    _watcher.join();
}

bool signal_stop::wait(std::chrono::milliseconds timeout) {
    std::unique_lock lk(_mu);
    return _cv.wait_for(lk, timeout, [this] { return _source.stop_requested(); });
}

runner::~runner() {
    request_stop();
    (void)join();
}

void runner::add(stage& s) {
    // slot holds an atomic and a thread: grow by rebuilding before any start.
    std::vector<slot> next(_stages.size() + 1);
    for (size_t i = 0; i < _stages.size(); ++i) {
        next[i].s = _stages[i].s;
    }
    next.back().s = &s;
    _stages.swap(next);
}

result<void> runner::start() {
    for (auto& sl : _stages) {
        if (auto r = sl.s->start(); !r) {
            return error{r.error().code, fmt::format("{}: {}", sl.s->name(), r.error().what())};
        }
    }
    for (size_t i = 0; i < _stages.size(); ++i) {
        _stages[i].thread = std::thread([this, i] { loop(i); });
    }
    return ok();
}

void runner::fail(const error& e, const stage& s) {
    spdlog::error("{}: {}", s.name(), e.what());
    {
        std::lock_guard g(_err_mu);
        if (!_first_error) {
            _first_error = error{e.code, fmt::format("{}: {}", s.name(), e.what())};
        }
    }
    _failed = true;
    request_stop();
}

void runner::loop(size_t i) {
    auto& sl = _stages[i];
    auto& st = *sl.s;
    while (!_stop.load(std::memory_order_relaxed)) {
        auto r = st.step(std::chrono::milliseconds(20));
        if (!r) {
            fail(r.error(), st);
            break;
        }
        if (*r == step_status::done && !sl.done.load()) {
            sl.done = true;
            ++_done_count;
            for (size_t j = i + 1; j < _stages.size(); ++j) {
                _stages[j].s->upstream_done();
            }
        }
    }
    if (auto r = st.stop(); !r) {
        fail(r.error(), st);
    }
}

result<void> runner::join() {
    for (auto& sl : _stages) {
        if (sl.thread.joinable()) {
            sl.thread.join();
        }
    }
    std::lock_guard g(_err_mu);
    if (_first_error) {
        return *_first_error;
    }
    return ok();
}

result<runner::ended> runner::run(signal_stop& signals, const run_options& opts) {
    ended how = ended::done;
    while (true) {
        if (signals.wait(std::chrono::milliseconds(100))) {
            spdlog::info("stopping (Ctrl-C or SIGTERM); writing what was read");
            how = ended::interrupted;
            break;
        }
        if (failed()) {
            how = ended::failed;
            break;
        }
        if (opts.exit_when_done && done()) {
            break;
        }
        if (opts.on_idle) {
            opts.on_idle();
        }
    }
    request_stop();
    if (auto r = join(); !r) {
        return r.error();
    }
    return how;
}

} // namespace mdsp::pipeline
