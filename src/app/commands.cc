#include "app/commands.h"

#include <cstdio>
#include <filesystem>

#include <boost/json.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "base/time.h"
#include "bench/bench.h"
#include "bus/local.h"
#include "feed/progress.h"
#include "http/json.h"
#include "http/server.h"
#include "log/log.h"
#include "log/partition.h"
#include "model/framing.h"
#include "pipeline/pipeline.h"
#include "store/rocks_store.h"

namespace mdsp::app {

// Runs a pipeline until Ctrl-C, a failure or (when asked) the end of a
// bounded source; shows a progress bar on a terminal when asked.
int run_pipeline(const config& cfg, pipeline::pipeline::options po, bool exit_when_done, bool show_progress,
                 const char* what, const std::function<void(const pipeline::pipeline&)>& on_end) {
    pipeline::signal_stop signals; // before any thread starts
    auto p = pipeline::pipeline::open(cfg, po, signals.token());
    if (!p && signals.stopped()) {
        spdlog::info("{}: stopping (Ctrl-C or SIGTERM) while opening: {}", what, p.error().what());
        return 0;
    }
    if (!p) {
        spdlog::error("{}: {}", what, p.error().what());
        return 1;
    }
    auto& pl = **p;
    if (auto r = pl.start(); !r) {
        spdlog::error("{}: {}", what, r.error().what());
        return 1;
    }
    feed::progress_bar bar;
    bool bar_on = show_progress && isatty(STDERR_FILENO);
    int64_t t0 = mono_nanos();
    pipeline::runner::run_options ro;
    ro.exit_when_done = exit_when_done;
    if (bar_on) {
        ro.on_idle = [&] {
            if (pl.progress() >= 0) {
                bar.update(pl.progress(), static_cast<int64_t>(pl.ticks_ingested()), std::nullopt,
                           static_cast<int64_t>(pl.ticks_ingested()));
            }
        };
    }
    auto how = pl.run(signals, ro);
    if (bar_on) {
        bar.finish();
    }
    double secs = static_cast<double>(mono_nanos() - t0) / 1e9;
    if (!how) {
        spdlog::error("{}: {}", what, how.error().what());
        return 1;
    }
    if (exit_when_done || *how == pipeline::runner::ended::interrupted) {
        spdlog::info("{}: {} ticks ingested, {} processed, {} candle writes, {} dead letters in {:.2f} s",
                     what, pl.ticks_ingested(), pl.ticks_processed(), pl.candles_written(), pl.dead_letters(),
                     secs);
    }
    if (on_end) {
        on_end(pl);
    }
    return 0;
}

int cmd_up(const config& cfg, const run_options& opts) {
    return run_pipeline(cfg, {}, opts.exit_when_done, false, "mdsp up");
}

int cmd_replay(const config& base, const run_options& opts) {
    config cfg = base;
    cfg.source.spec = "replay:" + opts.replay_file;
    pipeline::pipeline::options po;
    po.http = false;
    return run_pipeline(cfg, po, true, true, "mdsp replay");
}

int cmd_serve(const config& cfg, const run_options&) {
    pipeline::pipeline::options po;
    po.ingest = false;
    po.process = false;
    return run_pipeline(cfg, po, false, false, "mdsp serve");
}

int cmd_bench(const config& cfg, const run_options& opts) {
    return bench::run(cfg, bench::options{opts.bench_seconds, opts.bench_latency_rate, opts.bench_only,
                                          opts.bench_universe_ticks});
}

int cmd_config(const config& cfg) {
    std::string section;
    for (const auto& s : describe(cfg)) {
        auto dot = s.path.find('.');
        std::string sec = dot == std::string::npos ? "" : s.path.substr(0, dot);
        if (sec != section) {
            section = sec;
        }
        std::printf("%s = %s\n    %s  [env %s]\n", s.path.c_str(), s.value.c_str(), s.help.c_str(),
                    s.env.c_str());
    }
    return 0;
}

int cmd_deadletters(const config& cfg, const run_options& opts) {
    auto dir = std::filesystem::path(cfg.data_dir) / "log";
    if (!std::filesystem::exists(dir)) {
        spdlog::error("no log in {}: give the data folder of a pipeline with --data-dir", cfg.data_dir);
        return 1;
    }
    auto lg = log::log::open(dir);
    if (!lg) {
        spdlog::error("{}", lg.error().what());
        return 1;
    }
    auto n = (*lg)->partition_count(bus::deadletter_topic);
    if (!n) {
        return 0; // no dead letters ever written
    }
    bus::local_consumer c(**lg, bus::local_consumer_config{.group = "mdsp-deadletters"});
    bus::offsets start;
    std::vector<int64_t> ends;
    for (int32_t p = 0; p < *n; ++p) {
        auto part = (*lg)->get_partition(bus::deadletter_topic, partition_id(p));
        if (!part) {
            spdlog::error("{}", part.error().what());
            return 1;
        }
        auto end = (*part)->end_offset();
        int64_t from = std::max<int64_t>(0, end() - opts.limit);
        start.emplace_back(partition_id(p), offset(from));
        ends.push_back(end());
    }
    if (auto r = c.assign(bus::deadletter_topic, start); !r) {
        spdlog::error("{}", r.error().what());
        return 1;
    }
    // The raw bytes are whatever failed to parse, often not text: "raw_base64"
    // keeps them exactly; "raw" shows them as text with each byte that is not
    // well-formed UTF-8 replaced by U+FFFD (to_json), so every line is valid JSON.
    auto base64 = [](std::string_view in) {
        static constexpr char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        std::string out;
        out.reserve((in.size() + 2) / 3 * 4);
        for (size_t i = 0; i < in.size(); i += 3) {
            const size_t n = std::min<size_t>(3, in.size() - i);
            uint32_t v = 0;
            for (size_t k = 0; k < 3; ++k) {
                v = (v << 8) | (k < n ? static_cast<unsigned char>(in[i + k]) : 0U);
            }
            for (size_t k = 0; k < 4; ++k) {
                out += k <= n ? digits[(v >> (18 - 6 * k)) & 0x3f] : '=';
            }
        }
        return out;
    };
    std::vector<std::pair<int64_t, std::string>> lines; // time, json
    bus::poll_result pr;
    std::vector<int64_t> next(start.size());
    for (size_t i = 0; i < start.size(); ++i) {
        next[i] = start[i].second();
    }
    auto all_read = [&] {
        for (size_t i = 0; i < next.size(); ++i) {
            if (next[i] < ends[i]) {
                return false;
            }
        }
        return true;
    };
    while (!all_read()) {
        pr.clear();
        if (auto r = c.poll(pr, 1000, std::chrono::milliseconds(100)); !r) {
            spdlog::error("{}", r.error().what());
            return 1;
        }
        if (pr.records.empty()) {
            break;
        }
        for (const auto& rec : pr.records) {
            next[static_cast<size_t>(rec.partition())] = rec.offset() + 1;
            auto d = model::decode_framed_dead_letter(rec.value);
            boost::json::object o;
            if (!d) {
                o["error_kind"] = "undecodable";
                o["message"] = d.error().what();
                o["offset"] = rec.offset();
            } else {
                o["source_topic"] = d->source_topic;
                o["source_partition"] = d->source_partition;
                o["source_offset"] = d->source_offset;
                o["error_kind"] = d->error_kind;
                o["message"] = d->message;
                o["raw"] = d->raw;
                o["raw_base64"] = base64(d->raw);
                o["time"] = format_iso8601(d->time);
            }
            lines.emplace_back(d ? d->time : 0, http::to_json(o));
        }
    }
    std::stable_sort(lines.begin(), lines.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    size_t from = lines.size() > static_cast<size_t>(opts.limit) ? lines.size() - opts.limit : 0;
    for (size_t i = from; i < lines.size(); ++i) {
        std::printf("%s\n", lines[i].second.c_str());
    }
    return 0;
}

} // namespace mdsp::app
