#include "app/ingest.h"

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "app/config.h"
#include "base/metrics.h"
#include "base/time.h"
#include "model/codec.h"
#include "model/framing.h"

namespace mdsp::app {

namespace {
constexpr size_t poll_max = 4096;
constexpr int64_t checkpoint_every_ns = 100'000'000; // 100 ms

metrics::counter& ticks_counter() {
    static auto& c =
        metrics::global().get_counter("mdsp_ingest_ticks_total", "Ticks appended to market.ticks");
    return c;
}
metrics::counter& dead_counter() {
    static auto& c = metrics::global().get_counter(
        "mdsp_dead_letters_total", "Messages sent to market.deadletter", {{"stage", "ingest"}});
    return c;
}
} // namespace

std::string checkpoint_path_for(const std::string& data_dir, const std::string& source_id) {
    std::string name;
    for (char c : source_id) {
        name += std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' ? c : '_';
    }
    if (name.size() > 100) {
        name = name.substr(name.size() - 100);
    }
    size_t h = std::hash<std::string>{}(source_id);
    return fmt::format("{}/ingest/{}-{:08x}.pos", data_dir, name, static_cast<uint32_t>(h));
}

ingest_stage::ingest_stage(feed::source& src, bus::producer& out, std::string checkpoint_path)
  : _src(src)
  , _out(out)
  , _checkpoint_path(std::move(checkpoint_path)) {
    _ticks.reserve(poll_max);
}

result<void> ingest_stage::resume() {
    std::ifstream in(_checkpoint_path);
    if (!in) {
        return ok();
    }
    std::string pos((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (pos.empty()) {
        return ok();
    }
    if (auto r = _src.resume(pos); !r) {
        return make_error(errc::io_error, "cannot resume {} from {} ({}): {}; delete that file to start over",
                          _src.id(), _checkpoint_path, pos, r.error().what());
    }
    _last_position = pos;
    spdlog::info("ingest: {} resumes after {}", _src.id(), pos);
    return ok();
}

void ingest_stage::dead_letter(const model::dead_letter& d) {
    std::string buf;
    model::write_frame_header(model::dead_letter_schema_id, buf);
    model::encode(d, buf);
    auto r = _out.send(bus::deadletter_topic, d.source_topic, buf, d.time / 1000);
    if (!r) {
        spdlog::error("ingest: cannot write a dead letter: {}", r.error().what());
        return;
    }
    ++_dead;
    dead_counter().inc();
}

result<feed::poll_status> ingest_stage::step() {
    _ticks.clear();
    auto st = _src.poll(_ticks, poll_max);
    if (!st) {
        return st.error();
    }
    for (const auto& t : _ticks) {
        _buf.clear();
        model::encode_framed(t, _buf);
        if (auto r = _out.send(bus::ticks_topic, t.symbol, _buf, t.event_time() / 1000); !r) {
            return r.error();
        }
    }
    _sent += _ticks.size();
    ticks_counter().inc(_ticks.size());
    bool flush_due = _flush_every_ns == 0 || *st == feed::poll_status::end
                     || mono_nanos() - _last_flush_ns >= _flush_every_ns;
    if ((!_ticks.empty() || *st == feed::poll_status::end) && flush_due) {
        _last_flush_ns = mono_nanos();
        if (auto r = _out.flush(); !r) {
            return r.error();
        }
        int64_t now = mono_nanos();
        if (*st == feed::poll_status::end || now - _last_checkpoint_ns >= checkpoint_every_ns) {
            _last_checkpoint_ns = now;
            if (auto r = write_checkpoint(); !r) {
                return r.error();
            }
        }
    }
    return *st;
}

result<void> ingest_stage::flush() {
    if (auto r = _out.flush(); !r) {
        return r;
    }
    return write_checkpoint();
}

result<void> ingest_stage::write_checkpoint() {
    std::string pos = _src.position();
    if (pos == _last_position) {
        return ok();
    }
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(_checkpoint_path).parent_path(), ec);
    std::string tmp = _checkpoint_path + ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << pos;
        out.flush();
        if (!out) {
            return make_error(errc::io_error, "cannot write the ingest checkpoint {}", tmp);
        }
    }
    std::filesystem::rename(tmp, _checkpoint_path, ec);
    if (ec) {
        return make_error(errc::io_error, "cannot write the ingest checkpoint {}: {}", _checkpoint_path,
                          ec.message());
    }
    _last_position = pos;
    return ok();
}

} // namespace mdsp::app
