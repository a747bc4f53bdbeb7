#include "app/kafka_commands.h"

#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "app/http_surface.h"
#include "app/ingest.h"
#include "app/kafka_process.h"
#include "app/pipeline.h"
#include "app/sources.h"
#include "base/metrics.h"
#include "base/time.h"
#include "bus/kafka.h"
#include "http/api.h"
#include "http/server.h"
#include "store/rocks_store.h"

namespace mdsp::app {

namespace {

std::atomic<bool> g_stop{false};

void on_signal(int) {
    g_stop.store(true);
}

void install_signals() {
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
}

bus::kafka_config kafka_cfg(const config& cfg) {
    bus::kafka_config k;
    k.brokers = cfg.kafka.brokers;
    k.properties = cfg.kafka.properties;
    return k;
}

result<void> ensure_topics(const config& cfg) {
    auto rf = static_cast<int16_t>(cfg.kafka.replication_factor);
    std::vector<bus::topic_spec> topics{
        {std::string(bus::ticks_topic), cfg.kafka.partitions, rf},
        {std::string(bus::candles_topic), cfg.kafka.partitions, rf},
        {std::string(bus::deadletter_topic), 1, rf},
    };
    auto r = bus::ensure_topics(kafka_cfg(cfg), topics, cfg.kafka.create_topics, std::chrono::seconds(30));
    if (!r) {
        return r.error();
    }
    return ok();
}

result<http_surface> start_http(const config& cfg, store::store& st, std::atomic<bool>& ready) {
    auto s = make_http_surface(cfg, st, [&ready]() {
        http::readiness r;
        r.ready = ready.load();
        if (!r.ready) {
            r.reasons.emplace_back("not consuming (no partitions assigned yet, or stopped)");
        }
        return r;
    });
    if (!s) {
        return s.error();
    }
    if (auto r = s->server->start(); !r) {
        return r.error();
    }
    std::fprintf(stderr, "mdsp: API listening on http://%s:%u\n", cfg.http.address.c_str(),
                 static_cast<unsigned>(s->server->port()));
    return s;
}

// The ingest side: source -> kafka producer until the source ends or stop.
// Flushes (waits for the brokers' acks) about every 100 ms and at the end,
// and writes the source's checkpoint only after a flush.
result<uint64_t> run_ingest(const config& cfg, std::atomic<bool>& stop) {
    bus::kafka_producer_config pc;
    pc.kafka = kafka_cfg(cfg);
    auto prod = bus::kafka_producer::open(pc);
    if (!prod) {
        return prod.error();
    }
    std::unique_ptr<ingest_stage> ing;
    auto src = make_source(cfg, [&ing](model::dead_letter d) {
        if (ing) {
            ing->dead_letter(d);
        }
    });
    if (!src) {
        return src.error();
    }
    ing = std::make_unique<ingest_stage>(**src, **prod, checkpoint_path_for(cfg.data_dir, (*src)->id()));
    ing->set_flush_every(100'000'000);
    if (auto r = ing->resume(); !r) {
        return r.error();
    }
    while (!stop.load()) {
        auto st = ing->step();
        if (!st) {
            return st.error();
        }
        if (*st == feed::poll_status::end) {
            spdlog::info("ingest: {} is exhausted after {} ticks", (*src)->id(), ing->ticks_sent());
            break;
        }
    }
    if (auto r = ing->flush(); !r) {
        return r.error();
    }
    return ing->ticks_sent();
}

} // namespace

int cmd_ingest_kafka(const config& cfg, const run_options&) {
    install_signals();
    if (auto r = ensure_topics(cfg); !r) {
        spdlog::error("mdsp ingest: {}", r.error().what());
        return 1;
    }
    auto n = run_ingest(cfg, g_stop);
    if (!n) {
        spdlog::error("mdsp ingest: {}", n.error().what());
        return 1;
    }
    std::fprintf(stderr, "mdsp ingest: %llu ticks sent to %s\n", static_cast<unsigned long long>(*n),
                 cfg.kafka.brokers.c_str());
    return 0;
}

namespace {

// Finalizes every window once caught up (after the source is done, when
// source_done is given) if finish_when_done, and then exits if exit_after.
int run_process(const config& cfg, bool serve_http, bool finish_when_done, bool exit_after,
                const std::atomic<bool>* source_done, const char* what) {
    auto st = open_store(cfg);
    if (!st) {
        spdlog::error("{}: {}", what, st.error().what());
        return 1;
    }
    bus::kafka_consumer_config cc;
    cc.kafka = kafka_cfg(cfg);
    cc.group = cfg.kafka.group;
    auto cons = bus::kafka_consumer::open(cc);
    if (!cons) {
        spdlog::error("{}: {}", what, cons.error().what());
        return 1;
    }
    bus::kafka_producer_config pc;
    pc.kafka = kafka_cfg(cfg);
    auto prod = bus::kafka_producer::open(pc);
    if (!prod) {
        spdlog::error("{}: {}", what, prod.error().what());
        return 1;
    }
    kafka_process_stage proc(cfg, **cons, **prod, **st);
    std::atomic<bool> ready{false};
    std::optional<http_surface> srv;
    if (serve_http) {
        auto s = start_http(cfg, **st, ready);
        if (!s) {
            spdlog::error("{}: {}", what, s.error().what());
            return 1;
        }
        srv = std::move(*s);
        // The dashboard's live push, fed after each store write as `mdsp up` does.
        proc.on_commit([hub = srv->live.get()](auto candles, auto latest) { hub->publish(candles, latest); });
    }
    if (auto r = proc.start(); !r) {
        spdlog::error("{}: {}", what, r.error().what());
        return 1;
    }
    auto& done_gauge = metrics::global().get_gauge(
        "mdsp_pipeline_done", "1 once a bounded source is exhausted and everything from it is in the store");
    int rc = 0;
    int64_t last_check = 0;
    bool finished = false;
    while (!g_stop.load()) {
        auto n = proc.step(50);
        if (!n) {
            spdlog::error("{}: {}", what, n.error().what());
            rc = 1;
            break;
        }
        ready = !proc.owned().empty();
        bool may_finish = finish_when_done && (source_done == nullptr || source_done->load());
        if (*n == 0 && may_finish && !finished && mono_nanos() - last_check > 200'000'000) {
            last_check = mono_nanos();
            auto up = proc.caught_up();
            if (!up) {
                spdlog::error("{}: {}", what, up.error().what());
                rc = 1;
                break;
            }
            if (*up) {
                if (auto r = proc.finish(); !r) {
                    spdlog::error("{}: {}", what, r.error().what());
                    rc = 1;
                    break;
                }
                finished = true;
                done_gauge.set(1);
                spdlog::info("{}: caught up on partitions [{}] after {} ticks; every window is final", what,
                             fmt::join(proc.owned(), ","), proc.ticks_processed());
                if (exit_after) {
                    break;
                }
            }
        }
    }
    if (auto r = proc.stop(); !r) {
        spdlog::error("{}: {}", what, r.error().what());
        rc = 1;
    }
    if (srv) {
        srv->server->stop();
    }
    if (auto r = (*st)->sync(); !r) {
        spdlog::error("{}: {}", what, r.error().what());
        rc = 1;
    }
    return rc;
}

} // namespace

int cmd_process_kafka(const config& cfg, const kafka_options& ko) {
    install_signals();
    if (auto r = ensure_topics(cfg); !r) {
        spdlog::error("mdsp process: {}", r.error().what());
        return 1;
    }
    return run_process(cfg, ko.serve_http, ko.exit_when_done, ko.exit_when_done, nullptr, "mdsp process");
}

int cmd_up_kafka(const config& cfg, const run_options& opts) {
    install_signals();
    if (auto r = ensure_topics(cfg); !r) {
        spdlog::error("mdsp up: {}", r.error().what());
        return 1;
    }
    std::atomic<bool> source_done{false};
    std::atomic<bool> ingest_failed{false};
    std::thread ingest([&] {
        auto n = run_ingest(cfg, g_stop);
        if (!n) {
            spdlog::error("ingest: {}", n.error().what());
            ingest_failed = true;
            g_stop = true;
        }
        source_done = true;
    });
    // A bounded source once fully in the store is finalized, as embedded;
    // with --exit-when-done the run then ends, otherwise at Ctrl-C.
    int rc = run_process(cfg, true, true, opts.exit_when_done, &source_done, "mdsp up");
    g_stop = true;
    ingest.join();
    return ingest_failed ? 1 : rc;
}

int cmd_kafka_mock(const config& cfg, const kafka_options& ko) {
    install_signals();
    auto mc = bus::kafka_mock_cluster::start(ko.mock_brokers);
    if (!mc) {
        spdlog::error("mdsp kafka-mock: {}", mc.error().what());
        return 1;
    }
    int rf = std::min(ko.mock_brokers, 3);
    for (auto [t, n] :
         {std::pair{bus::ticks_topic, cfg.kafka.partitions},
          std::pair{bus::candles_topic, cfg.kafka.partitions}, std::pair{bus::deadletter_topic, 1}}) {
        if (auto r = (*mc)->create_topic(std::string(t), n, rf); !r) {
            spdlog::error("mdsp kafka-mock: {}", r.error().what());
            return 1;
        }
    }
    // The address alone on stdout, for scripts; the explanation on stderr.
    std::printf("%s\n", (*mc)->bootstrap().c_str());
    std::fflush(stdout);
    std::fprintf(stderr,
                 "mdsp kafka-mock: %d brokers at %s with market.ticks (%d partitions), market.candles and "
                 "market.deadletter; Ctrl-C stops it (its data lives in memory only)\n",
                 ko.mock_brokers, (*mc)->bootstrap().c_str(), cfg.kafka.partitions);
    while (!g_stop.load()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return 0;
}

} // namespace mdsp::app
