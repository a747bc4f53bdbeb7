#include "pipeline/pipeline.h"

#include <cstdio>
#include <filesystem>
#include <map>

#include <spdlog/spdlog.h>

#include "bus/kafka_topics.h"
#include "bus/local.h"
#include "feed/source.h"
#include "http/server.h"
#include "log/log.h"
#include "pipeline/data_folder.h"
#include "pipeline/errc.h"
#include "pipeline/gap_repair.h"
#include "pipeline/health.h"
#include "pipeline/http_surface.h"
#include "pipeline/ingest_stage.h"
#include "pipeline/process_stage.h"
#include "pipeline/sources.h"
#include "pipeline/topics_local.h"
#include "registry/model_ids.h"
#include "store/rocks_store.h"

namespace mdsp::pipeline {

// Declared in the order they must be built; destroyed in reverse: the
// server first (it routes to the others), the stages before the bus and
// store they use.
struct parts {
    std::unique_ptr<log::log> log;
    std::unique_ptr<store::store> store;
    std::unique_ptr<bus::producer> ingest_producer;
    std::unique_ptr<gap_repair> repair; // outlives the source that reports gaps to it
    std::unique_ptr<feed::source> source;
    std::unique_ptr<ingest_stage> ingest;
    std::unique_ptr<bus::consumer> consumer;
    std::unique_ptr<bus::producer> process_producer;
    std::unique_ptr<process_stage> process;
    http_surface http;
};

bus::kafka_config kafka_settings(const config& cfg) {
    bus::kafka_config k;
    k.brokers = cfg.kafka.brokers;
    k.properties = cfg.kafka.properties;
    return k;
}

bus::topic_names topic_names(const config& cfg) {
    return cfg.kafka.brokers.empty() ? bus::topic_names{}
                                     : bus::topic_names::with_prefix(cfg.kafka.topic_prefix);
}

result<void> ensure_kafka_topics(const config& cfg) {
    auto rf = static_cast<int16_t>(cfg.kafka.replication_factor);
    auto names = topic_names(cfg);
    // Records carry event times (a replay's can be years old); the topics
    // mdsp creates keep the broker's append time instead, so that retention
    // counts from arrival and does not delete a replay as it is written.
    std::map<std::string, std::string> conf{{"message.timestamp.type", "LogAppendTime"}};
    std::vector<bus::topic_spec> topics{
        {names.ticks, cfg.kafka.partitions, rf, conf},
        {names.candles, cfg.kafka.partitions, rf, conf},
        {names.deadletter, 1, rf, conf},
    };
    auto r =
        bus::ensure_topics(kafka_settings(cfg), topics, cfg.kafka.create_topics, std::chrono::seconds(30));
    if (!r) {
        return r.error();
    }
    return ok();
}

pipeline::pipeline(const config& cfg, options opts)
  : _cfg(cfg)
  , _opts(opts)
  , _parts(std::make_unique<parts>()) {}

pipeline::~pipeline() {
    if (!_joined) {
        _runner.request_stop();
        (void)join();
    }
}

result<std::unique_ptr<pipeline>> pipeline::open(const config& cfg, options opts, std::stop_token stop) {
    std::unique_ptr<pipeline> p(new pipeline(cfg, opts));
    if (stop.stop_possible()) {
        p->_runner.stop_with(std::move(stop));
    }
    const bool kafka = !cfg.kafka.brokers.empty();
    if (!opts.ingest && !opts.process && cfg.store.uri.empty()
        && !std::filesystem::is_directory(cfg.data_dir)) {
        // Serving alone makes nothing: a missing folder is a typo, not a new pipeline.
        return make_error(errc::io_error,
                          "the data folder {} does not exist; give the folder of a pipeline with --data-dir "
                          "(mdsp up or mdsp replay make one)",
                          cfg.data_dir);
    }
    // Kafka's ingest alone keeps no store: only its source checkpoint.
    if (!kafka || opts.process || opts.http) {
        auto st = open_store(cfg);
        if (!st) {
            return st.error();
        }
        p->_parts->store = std::move(*st);
    }
    if (kafka && (opts.ingest || opts.process)) {
        if (auto r = ensure_kafka_topics(cfg); !r) {
            return r.error();
        }
    } else if (!kafka && (opts.ingest || opts.process)) {
        if (auto r = p->open_embedded_bus(); !r) {
            return r.error();
        }
    }
    if (opts.ingest) {
        if (auto r = p->open_ingest(); !r) {
            return r.error();
        }
    }
    if (opts.process) {
        if (auto r = p->open_process(); !r) {
            return r.error();
        }
    }
    if (opts.http) {
        if (auto r = p->open_http(); !r) {
            return r.error();
        }
    }
    return p;
}

result<void> pipeline::open_embedded_bus() {
    auto lg = open_log(_cfg);
    if (!lg) {
        return lg.error();
    }
    _parts->log = std::move(*lg);
    return ok();
}

result<void> pipeline::open_ingest() {
    auto& ps = *_parts;
    ingest_stage::options io;
    io.max_future_us = _cfg.engine.max_future_us;
    io.topics = topic_names(_cfg);
    if (ps.log) {
        if (auto r = registry::check_pinned_ids(_cfg.schema_registry.url); !r) {
            return r.error();
        }
        ps.ingest_producer = std::make_unique<bus::local_producer>(*ps.log);
        io.maintenance = [lg = ps.log.get()] {
            if (auto r = lg->enforce_retention(); !r) {
                spdlog::warn("log retention: {}", r.error().what());
            }
        };
    } else {
        bus::kafka_producer_config pc;
        pc.kafka = kafka_settings(_cfg);
        auto prod = bus::kafka_producer::open(pc);
        if (!prod) {
            return prod.error();
        }
        ps.ingest_producer = std::move(*prod);
        io.flush_every_ns = 100'000'000; // one broker round trip must not pace the feed
    }
    std::function<void(int64_t, int64_t)> on_gap;
    if (_cfg.source.spec == "twelvedata" && _cfg.twelvedata.gap_repair && ps.store) {
        auto g = gap_repair::start(_cfg, *ps.store);
        if (!g) {
            return g.error();
        }
        ps.repair = std::move(*g);
        on_gap = [r = ps.repair.get()](int64_t from, int64_t to) { r->on_gap(from, to); };
    }
    auto src = make_source(
        _cfg,
        [&ps](model::dead_letter d) {
            if (ps.ingest) {
                ps.ingest->dead_letter(d);
            }
        },
        std::move(on_gap), _runner.stop_token());
    if (!src) {
        return src.error();
    }
    ps.source = std::move(*src);
    io.checkpoint_path = checkpoint_path_for(_cfg.data_dir, ps.source->id());
    ps.ingest = std::make_unique<ingest_stage>(*ps.source, *ps.ingest_producer, std::move(io));
    _runner.add(*ps.ingest);
    return ok();
}

result<void> pipeline::open_process() {
    auto& ps = *_parts;
    process_stage::options po;
    po.finish_at_end = _opts.finish_at_end || _opts.finish_when_caught_up;
    po.no_upstream = !_opts.ingest;
    po.latency_sink = _opts.latency_sink;
    po.topics = topic_names(_cfg);
    if (ps.log) {
        ps.consumer = std::make_unique<bus::local_consumer>(
            *ps.log, bus::local_consumer_config{.group = "mdsp-process"});
        ps.process_producer = std::make_unique<bus::local_producer>(*ps.log);
        // A log without ticks yet (serve of a fresh folder) still has the topic: open_log made it.
    } else {
        bus::kafka_consumer_config cc;
        cc.kafka = kafka_settings(_cfg);
        cc.group = _cfg.kafka.group;
        auto cons = bus::kafka_consumer::open(cc);
        if (!cons) {
            return cons.error();
        }
        ps.consumer = std::move(*cons);
        bus::kafka_producer_config pc;
        pc.kafka = kafka_settings(_cfg);
        auto prod = bus::kafka_producer::open(pc);
        if (!prod) {
            return prod.error();
        }
        ps.process_producer = std::move(*prod);
        po.group = true;
        po.publish_candles = true;
        // Without a source in this process, finish only when asked (exit-when-done).
        po.finish_at_end = _opts.ingest ? _opts.finish_at_end : _opts.finish_when_caught_up;
    }
    if (!ps.log && !_opts.ingest) {
        po.no_upstream = _opts.finish_when_caught_up;
    }
    ps.process =
        std::make_unique<process_stage>(_cfg, *ps.consumer, *ps.process_producer, *ps.store, std::move(po));
    _runner.add(*ps.process);
    return ok();
}

result<void> pipeline::open_http() {
    auto& ps = *_parts;
    const bool kafka = !_cfg.kafka.brokers.empty();
    auto ready = [this, kafka]() {
        http::readiness r;
        r.ready = _started.load() && !_runner.failed();
        if (!_started.load()) {
            r.reasons.emplace_back("starting");
        }
        if (_runner.failed()) {
            r.reasons.emplace_back("a pipeline stage failed; see the log");
        }
        if (kafka && _parts->process && !_parts->process->consuming()) {
            r.ready = false;
            r.reasons.emplace_back("not consuming (no partitions assigned yet, or stopped)");
        }
        if (_parts->source) {
            if (auto why = _parts->source->not_ready_reason()) {
                r.ready = false;
                r.reasons.push_back(_parts->source->id() + ": " + *why);
            }
        }
        return r;
    };
    health_sources hs{ps.ingest ? &ps.ingest->probe() : nullptr, ps.process ? &ps.process->probe() : nullptr,
                      ps.source.get(), ps.process ? &ps.process->quality() : nullptr};
    std::unique_ptr<http::topics::source> topics;
    if (ps.log) {
        topics = std::make_unique<local_topics>(*ps.log, ps.store.get(), ps.process != nullptr);
    } else if (kafka) {
        auto kt = bus::kafka_topics::open(kafka_settings(_cfg), std::chrono::seconds(5));
        if (!kt) {
            return kt.error();
        }
        topics = std::move(*kt);
    }
    auto surface = make_http_surface(_cfg, *ps.store, std::move(ready), hs, std::move(topics));
    if (!surface) {
        return surface.error();
    }
    ps.http = std::move(*surface);
    if (ps.process) {
        ps.process->set_on_commit([hub = ps.http.live.get()](auto candles, auto fillers, auto latest) {
            hub->publish(candles, fillers, latest);
        });
    }
    return ok();
}

int pipeline::http_port() const {
    return _parts->http.server ? _parts->http.server->port() : 0;
}

result<void> pipeline::start() {
    if (_parts->http.server) {
        if (auto r = _parts->http.server->start(); !r) {
            return r;
        }
        // Printed whatever the log level: users and scripts look for it.
        std::fprintf(stderr, "mdsp: API listening on http://%s:%u\n", _cfg.http.address.c_str(),
                     static_cast<unsigned>(_parts->http.server->port()));
    }
    if (auto r = _runner.start(); !r) {
        return r;
    }
    _started = true;
    return ok();
}

result<runner::ended> pipeline::run(signal_stop& signals, const runner::run_options& opts) {
    auto how = _runner.run(signals, opts);
    auto j = join();
    if (!how) {
        return how.error();
    }
    if (!j) {
        return j.error();
    }
    return *how;
}

result<void> pipeline::join() {
    _runner.request_stop();
    auto r = _runner.join();
    if (_joined) {
        return r;
    }
    _joined = true;
    if (_parts->http.server) {
        _parts->http.server->stop();
    }
    if (_parts->store) {
        if (auto s = _parts->store->sync(); !s && r) {
            r = s;
        }
    }
    if (_parts->log) {
        if (auto f = _parts->log->flush(); !f && r) {
            r = f;
        }
    }
    return r;
}

double pipeline::progress() const noexcept {
    return _parts->ingest ? _parts->ingest->progress() : -1;
}
uint64_t pipeline::ticks_ingested() const noexcept {
    return _parts->ingest ? _parts->ingest->ticks_sent() : 0;
}
uint64_t pipeline::ticks_processed() const noexcept {
    return _parts->process ? _parts->process->ticks_processed() : 0;
}
uint64_t pipeline::dead_letters() const noexcept {
    return (_parts->ingest ? _parts->ingest->dead_letters() : 0)
           + (_parts->process ? _parts->process->dead_letters() : 0);
}
uint64_t pipeline::candles_written() const noexcept {
    return _parts->process ? _parts->process->candles_written() : 0;
}

} // namespace mdsp::pipeline
