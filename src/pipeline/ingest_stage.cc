#include "pipeline/ingest_stage.h"

#include <filesystem>
#include <fstream>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "base/atomic_file.h"
#include "base/time.h"
#include "model/codec.h"
#include "model/framing.h"
#include "model/validate.h"
#include "pipeline/errc.h"

namespace mdsp::pipeline {

namespace {
constexpr size_t poll_max = 4096;
constexpr int64_t checkpoint_every_ns = 100'000'000;     // 100 ms
constexpr int64_t maintenance_every_ns = 60'000'000'000; // 1 min
} // namespace

ingest_stage::ingest_stage(feed::source& src, bus::producer& out, options opts)
  : _src(src)
  , _out(out)
  , _opts(std::move(opts))
  , _dlq(out, _opts.topics.deadletter) {
    _ticks.reserve(poll_max);
}

result<void> ingest_stage::start() {
    _last_maintenance_ns = mono_nanos();
    std::ifstream in(_opts.checkpoint_path);
    if (in) {
        std::string pos((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        if (!pos.empty()) {
            if (auto r = _src.resume(pos); !r) {
                return make_error(errc::corrupt_state,
                                  "cannot resume {} from {} ({}): {}; delete that file to start over",
                                  _src.id(), _opts.checkpoint_path, pos, r.error().what());
            }
            _last_position = pos;
            spdlog::info("ingest: {} resumes after {}", _src.id(), pos);
        }
    }
    _probe.source_up(true);
    return ok();
}

void ingest_stage::dead_letter(const model::dead_letter& d) {
    if (_dlq.write(d, d.source_topic)) {
        _dead.fetch_add(1, std::memory_order_relaxed);
        _probe.dead_letter();
    }
}

void ingest_stage::reject(const model::tick& t, std::string why) {
    model::dead_letter d;
    d.source_topic = "feed:" + _src.id();
    d.source_offset = t.seq(); // a replay's line number (or Binance trade id): where to find it
    d.error_kind = "invalid";
    d.message = std::move(why);
    d.raw = _buf; // the tick as it would have gone to market.ticks (framed Avro)
    d.time = now_micros();
    spdlog::warn("ingest: {}", d.message);
    dead_letter(d);
}

result<step_status> ingest_stage::step(std::chrono::milliseconds max_wait) {
    if (_ended) {
        std::this_thread::sleep_for(max_wait);
        return step_status::idle;
    }
    _ticks.clear();
    auto st = _src.poll(_ticks, poll_max);
    if (!st) {
        return st.error();
    }
    size_t sent = 0;
    const int64_t now = now_micros();
    for (const auto& t : _ticks) {
        _buf.clear();
        model::encode_framed(t, _buf);
        // What no stage after this one could store goes to the dead letters
        // here, with the reason, and the feed goes on.
        if (auto why = model::check_tick(t, now, _opts.max_future_us)) {
            reject(t, std::move(*why));
            continue;
        }
        if (auto r = _out.send(_opts.topics.ticks, t.symbol, _buf, t.event_time() / 1000); !r) {
            return r.error();
        }
        ++sent;
    }
    _sent.fetch_add(sent, std::memory_order_relaxed);
    _probe.sent(sent);
    if (auto pr = _src.progress()) {
        _progress.store(*pr, std::memory_order_relaxed);
    }
    const bool end = *st == feed::poll_status::end;
    bool flush_due =
        _opts.flush_every_ns == 0 || end || mono_nanos() - _last_flush_ns >= _opts.flush_every_ns;
    if ((!_ticks.empty() || end) && flush_due) {
        _last_flush_ns = mono_nanos();
        if (auto r = _out.flush(); !r) {
            return r.error();
        }
        int64_t now = mono_nanos();
        if (end || now - _last_checkpoint_ns >= checkpoint_every_ns) {
            _last_checkpoint_ns = now;
            if (auto r = write_checkpoint(); !r) {
                return r.error();
            }
        }
    }
    if (_opts.maintenance && mono_nanos() - _last_maintenance_ns > maintenance_every_ns) {
        _last_maintenance_ns = mono_nanos();
        _opts.maintenance();
    }
    if (end) {
        spdlog::info("ingest: {} is exhausted after {} ticks", _src.id(), ticks_sent());
        _ended = true;
        _probe.source_up(false);
        return step_status::done;
    }
    return _ticks.empty() ? step_status::idle : step_status::busy;
}

result<void> ingest_stage::flush() {
    if (auto r = _out.flush(); !r) {
        return r;
    }
    return write_checkpoint();
}

result<void> ingest_stage::stop() {
    _probe.source_up(false);
    return flush();
}

result<void> ingest_stage::write_checkpoint() {
    std::string pos = _src.position();
    if (pos == _last_position) {
        return ok();
    }
    // Durable before it counts: a position lost to a power cut while the
    // log kept its ticks would only re-send them (duplicates), but a torn
    // file would stop the restart.
    const std::filesystem::path path(_opts.checkpoint_path);
    std::error_code ec;
    std::filesystem::create_directories(path.parent_path(), ec);
    if (auto r = write_file_atomically(path, pos); !r) {
        return make_error(errc::io_error, "cannot write the ingest checkpoint: {}", r.error().what());
    }
    _last_position = pos;
    return ok();
}

} // namespace mdsp::pipeline
