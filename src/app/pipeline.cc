#include "app/pipeline.h"

#include <cstdio>
#include <filesystem>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "app/gap_repair.h"
#include "app/http_surface.h"
#include "app/ingest.h"
#include "app/process.h"
#include "app/schema_registry.h"
#include "app/sources.h"
#include "base/metrics.h"
#include "base/time.h"
#include "bus/local.h"
#include "feed/live.h"
#include "http/api.h"
#include "http/live_hub.h"
#include "http/pipeline_health.h"
#include "http/server.h"
#include "http/static_files.h"
#include "log/log.h"
#include "registry/store.h"
#include "store/rocks_store.h"
#include "web/dashboard.h"

namespace mdsp::app {

struct pipeline_parts {
    std::unique_ptr<log::log> log;
    std::unique_ptr<store::rocks_store> store;
    std::unique_ptr<bus::local_producer> ingest_producer;
    std::unique_ptr<gap_repair> repair; // outlives the source that reports gaps to it
    std::unique_ptr<feed::source> source;
    std::unique_ptr<ingest_stage> ingest;
    std::unique_ptr<bus::local_consumer> consumer;
    std::unique_ptr<bus::local_producer> process_producer;
    std::unique_ptr<process_stage> process;
    std::unique_ptr<mdsp::registry::schema_registry> registry; // outlives the server that routes to it
    std::unique_ptr<http::live_hub> live; // declared before http: outlives the server's sessions
    std::unique_ptr<http::server> http;
};

namespace {
metrics::gauge& done_gauge() {
    static auto& g = metrics::global().get_gauge(
        "mdsp_pipeline_done", "1 once a bounded source is exhausted and everything from it is in the store");
    return g;
}
metrics::gauge& source_up_gauge() {
    static auto& g = metrics::global().get_gauge("mdsp_source_up", "1 while the source is producing");
    return g;
}

metrics::gauge& lag_gauge() {
    static auto& g = metrics::global().get_gauge(
        "mdsp_consumer_lag_records",
        "Records of market.ticks not yet read by the processing stage, all partitions");
    return g;
}

log::fsync_policy fsync_of(const config& c) {
    if (c.log.fsync == "always") {
        return log::fsync_policy::always();
    }
    if (c.log.fsync == "never") {
        return log::fsync_policy::never();
    }
    return log::fsync_policy::interval(
        std::chrono::milliseconds(std::max<int64_t>(1, c.log.fsync_interval_us / 1000)));
}
} // namespace

pipeline::pipeline(const config& cfg, options opts)
  : _cfg(cfg)
  , _opts(opts)
  , _parts(std::make_unique<pipeline_parts>()) {}

pipeline::~pipeline() {
    request_stop();
    if (_ingest_thread.joinable() || _process_thread.joinable()) {
        (void)join();
    }
}

result<std::unique_ptr<store::rocks_store>> open_store(const config& cfg) {
    std::error_code ec;
    std::filesystem::create_directories(cfg.data_dir, ec);
    if (ec) {
        return make_error(errc::io_error,
                          "cannot create the data folder {}: {}; choose another with --data-dir",
                          cfg.data_dir, ec.message());
    }
    store::rocks_options so;
    so.ticks_retention = cfg.store.ticks_retention_us > 0 ? cfg.store.ticks_retention_us : 0;
    return store::rocks_store::open(std::filesystem::path(cfg.data_dir) / "store", so);
}

result<std::unique_ptr<pipeline>> pipeline::open(const config& cfg, options opts) {
    std::unique_ptr<pipeline> p(new pipeline(cfg, opts));
    auto& parts = *p->_parts;
    auto st = open_store(cfg);
    if (!st) {
        return st.error();
    }
    parts.store = std::move(*st);

    if (opts.ingest || opts.process) {
        log::config lc;
        lc.fsync = fsync_of(cfg);
        lc.segment_max_bytes = static_cast<uint64_t>(cfg.log.segment_bytes);
        lc.retention_ms = cfg.log.retention_us < 0 ? -1 : cfg.log.retention_us / 1000;
        lc.retention_bytes = cfg.log.retention_bytes;
        auto lg = log::log::open(std::filesystem::path(cfg.data_dir) / "log", lc);
        if (!lg) {
            return lg.error();
        }
        parts.log = std::move(*lg);
        for (auto topic : {bus::ticks_topic, bus::deadletter_topic}) {
            int32_t n = topic == bus::ticks_topic ? cfg.log.partitions : 1;
            auto t = parts.log->ensure_topic(topic, n);
            if (!t) {
                return t.error();
            }
            if (*t != n && topic == bus::ticks_topic) {
                spdlog::warn(
                    "market.ticks has {} partitions in {}; log.partitions = {} applies to new logs only", *t,
                    cfg.data_dir, n);
            }
        }
    }

    if (opts.ingest) {
        if (auto r = check_registry_for_embedded_log(cfg); !r) {
            return r.error();
        }
        parts.ingest_producer = std::make_unique<bus::local_producer>(*parts.log);
        auto* self = p.get();
        std::function<void(int64_t, int64_t)> on_gap;
        if (cfg.source.spec == "twelvedata" && cfg.twelvedata.gap_repair) {
            auto g = gap_repair::start(cfg, *parts.store);
            if (!g) {
                return g.error();
            }
            parts.repair = std::move(*g);
            on_gap = [r = parts.repair.get()](int64_t from, int64_t to) { r->on_gap(from, to); };
        }
        auto src = make_source(
            cfg,
            [self](model::dead_letter d) {
                if (self->_parts->ingest) {
                    self->_parts->ingest->dead_letter(d);
                }
            },
            std::move(on_gap));
        if (!src) {
            return src.error();
        }
        parts.source = std::move(*src);
        parts.ingest = std::make_unique<ingest_stage>(*parts.source, *parts.ingest_producer,
                                                      checkpoint_path_for(cfg.data_dir, parts.source->id()));
        if (auto r = parts.ingest->resume(); !r) {
            return r.error();
        }
    }

    if (opts.process) {
        parts.consumer = std::make_unique<bus::local_consumer>(
            *parts.log, bus::local_consumer_config{.group = "mdsp-process"});
        parts.process_producer = std::make_unique<bus::local_producer>(*parts.log);
        parts.process =
            std::make_unique<process_stage>(p->_cfg, *parts.consumer, *parts.process_producer, *parts.store);
        auto n = parts.log->partition_count(bus::ticks_topic);
        if (!n) {
            return make_error(errc::io_error, "the log in {} has no market.ticks topic", cfg.data_dir);
        }
        if (auto r = parts.process->restore(*n); !r) {
            return r.error();
        }
        if (opts.latency_sink) {
            parts.process->record_latencies(opts.latency_sink);
        }
    }

    if (opts.http) {
        auto* self = p.get();
        auto surface = make_http_surface(cfg, *parts.store, [self]() {
            http::readiness r;
            r.ready = self->_ready.load() && !self->_failed.load();
            if (!self->_ready.load()) {
                r.reasons.emplace_back("starting");
            }
            if (self->_failed.load()) {
                r.reasons.emplace_back("a pipeline stage failed; see the log");
            }
            for (auto& why : feed::feed_not_ready_reasons()) {
                r.ready = false;
                r.reasons.push_back(std::move(why));
            }
            return r;
        });
        if (!surface) {
            return surface.error();
        }
        parts.registry = std::move(surface->registry);
        parts.live = std::move(surface->live);
        parts.http = std::move(surface->server);
        if (parts.process) {
            parts.process->on_commit(
                [hub = parts.live.get()](auto candles, auto latest) { hub->publish(candles, latest); });
        }
    }
    return p;
}

int pipeline::http_port() const {
    return _parts->http ? _parts->http->port() : 0;
}

void pipeline::fail(const error& e, const char* stage) {
    spdlog::error("{}: {}", stage, e.what());
    {
        std::lock_guard g(_err_mu);
        if (!_first_error) {
            _first_error = e;
        }
    }
    _failed = true;
    _stop = true;
}

result<void> pipeline::start() {
    if (_parts->http) {
        if (auto r = _parts->http->start(); !r) {
            return r;
        }
        // Printed whatever the log level: users and scripts look for it.
        std::fprintf(stderr, "mdsp: API listening on http://%s:%u\n", _cfg.http.address.c_str(),
                     static_cast<unsigned>(_parts->http->port()));
    }
    if (_parts->ingest) {
        _ingest_thread = std::thread([this] { ingest_loop(); });
    } else {
        _source_done = true;
    }
    if (_parts->process) {
        _process_thread = std::thread([this] { process_loop(); });
    }
    _ready = true;
    return ok();
}

void pipeline::ingest_loop() {
    auto& ing = *_parts->ingest;
    source_up_gauge().set(1);
    int64_t last_retention = mono_nanos();
    while (!_stop.load(std::memory_order_relaxed)) {
        auto st = ing.step();
        if (!st) {
            fail(st.error(), "ingest");
            break;
        }
        _ingested.store(ing.ticks_sent(), std::memory_order_relaxed);
        _dead.store(ing.dead_letters() + (_parts->process ? _parts->process->dead_letters() : 0));
        if (auto pr = _parts->source->progress()) {
            _progress.store(*pr, std::memory_order_relaxed);
        }
        if (*st == feed::poll_status::end) {
            spdlog::info("ingest: {} is exhausted after {} ticks", _parts->source->id(), ing.ticks_sent());
            _source_done = true;
            break;
        }
        if (mono_nanos() - last_retention > 60'000'000'000LL) {
            last_retention = mono_nanos();
            if (auto r = _parts->log->enforce_retention(); !r) {
                spdlog::warn("log retention: {}", r.error().what());
            }
        }
    }
    if (auto r = ing.flush(); !r) {
        fail(r.error(), "ingest");
    }
    source_up_gauge().set(0);
}

void pipeline::process_loop() {
    auto& proc = *_parts->process;
    int64_t last_retention = mono_nanos();
    int64_t last_lag = 0;
    bool finished = false;
    while (!_stop.load(std::memory_order_relaxed)) {
        auto n = proc.step(20);
        if (!n) {
            fail(n.error(), "process");
            break;
        }
        _processed.store(proc.ticks_processed(), std::memory_order_relaxed);
        _candles.store(proc.candles_written(), std::memory_order_relaxed);
        if (*n == 0 && _source_done.load() && !finished) {
            auto up = proc.caught_up();
            if (!up) {
                fail(up.error(), "process");
                break;
            }
            if (*up) {
                if (_opts.finish_at_end) {
                    if (auto r = proc.finish(); !r) {
                        fail(r.error(), "process");
                        break;
                    }
                }
                if (auto r = _parts->store->sync(); !r) {
                    fail(r.error(), "process");
                    break;
                }
                finished = true;
                _candles.store(proc.candles_written());
                _done = true;
                done_gauge().set(1);
                spdlog::info("process: all {} ticks of the source are in the store", proc.ticks_processed());
            }
        }
        if (mono_nanos() - last_lag > 1'000'000'000LL) {
            last_lag = mono_nanos();
            if (auto lag = proc.lag()) {
                lag_gauge().set(static_cast<double>(*lag));
            }
        }
        if (mono_nanos() - last_retention > 60'000'000'000LL) {
            last_retention = mono_nanos();
            // Ticks age by event time against the newest tick stored, not the
            // wall clock: a replay of 2019's trades keeps its last 30 days.
            if (auto latest = _parts->store->latest(); latest && !latest->empty()) {
                event_time newest = latest->front().event_time;
                for (const auto& t : *latest) {
                    newest = std::max(newest, t.event_time);
                }
                if (auto r = _parts->store->enforce_retention(newest); !r) {
                    spdlog::warn("store retention: {}", r.error().what());
                }
            }
        }
    }
    if (auto r = proc.commit(); !r) {
        fail(r.error(), "process");
    }
}

void pipeline::request_stop() {
    _stop = true;
}

result<void> pipeline::join() {
    if (_ingest_thread.joinable()) {
        _ingest_thread.join();
    }
    if (_process_thread.joinable()) {
        _process_thread.join();
    }
    if (_parts->http) {
        _parts->http->stop();
    }
    if (_parts->store) {
        if (auto r = _parts->store->sync(); !r) {
            fail(r.error(), "store");
        }
    }
    if (_parts->log) {
        if (auto r = _parts->log->flush(); !r) {
            fail(r.error(), "log");
        }
    }
    std::lock_guard g(_err_mu);
    if (_first_error) {
        return *_first_error;
    }
    return ok();
}

} // namespace mdsp::app
