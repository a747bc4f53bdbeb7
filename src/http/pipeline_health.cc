#include "http/pipeline_health.h"

#include <cmath>
#include <mutex>
#include <optional>

#include <boost/json/object.hpp>

#include "base/metrics.h"
#include "base/time.h"
#include "http/live_hub.h"

namespace mdsp::http {

namespace {

boost::json::value opt(std::optional<double> v) {
    if (!v || !std::isfinite(*v)) {
        return nullptr;
    }
    return *v;
}

// Samples the counters at most once a second; rates are the differences.
struct sampler {
    std::mutex mu;
    int64_t last_ns = 0;
    std::optional<double> last_ingest;
    std::optional<double> last_process;
    std::vector<uint64_t> last_buckets;

    std::optional<double> ingest_rate;
    std::optional<double> process_rate;
    std::optional<double> p50;
    std::optional<double> p99;
    uint64_t observations = 0;
    double window_s = 0;

    void sample(const pipeline_figures& f) {
        const int64_t now = mono_nanos();
        if (last_ns != 0 && now - last_ns < 1'000'000'000) {
            return;
        }
        auto ingest = f.ingest_ticks;
        auto process = f.process_ticks;
        const auto* h = f.latency;
        std::vector<uint64_t> buckets = h ? h->buckets() : std::vector<uint64_t>{};
        if (last_ns != 0) {
            const double dt = static_cast<double>(now - last_ns) / 1e9;
            window_s = dt;
            ingest_rate = (ingest && last_ingest) ? std::optional(std::max(0.0, *ingest - *last_ingest) / dt)
                                                  : std::nullopt;
            process_rate = (process && last_process)
                               ? std::optional(std::max(0.0, *process - *last_process) / dt)
                               : std::nullopt;
            if (h && buckets.size() == last_buckets.size()) {
                std::vector<uint64_t> delta(buckets.size());
                uint64_t n = 0;
                for (size_t i = 0; i < buckets.size(); ++i) {
                    delta[i] = buckets[i] - last_buckets[i];
                    n += delta[i];
                }
                observations = n;
                // With nothing committed in the window, the last quantiles stay.
                if (n > 0) {
                    p50 = metrics::histogram::quantile_of(h->bounds(), delta, 0.5);
                    p99 = metrics::histogram::quantile_of(h->bounds(), delta, 0.99);
                }
            }
        }
        last_ns = now;
        last_ingest = ingest;
        last_process = process;
        last_buckets = std::move(buckets);
    }
};

} // namespace

void add_pipeline_route(server& srv, figures_fn figures, const live_hub* hub) {
    auto s = std::make_shared<sampler>();
    srv.route(verb::get, "/api/v1/pipeline", [s, hub, figures = std::move(figures)](const request&) {
        const pipeline_figures f = figures ? figures() : pipeline_figures{};
        std::lock_guard g(s->mu);
        s->sample(f);
        boost::json::object live;
        if (hub) {
            auto ls = hub->stats();
            live = {{"clients", ls.clients}, {"closed_slow", ls.closed_slow}};
        }
        const auto& up = f.source_up;
        return json_response(
            200, {{"ingest", {{"ticks_total", opt(f.ingest_ticks)}, {"per_second", opt(s->ingest_rate)}}},
                  {"process",
                   {{"ticks_total", opt(f.process_ticks)},
                    {"per_second", opt(s->process_rate)},
                    {"candles_written_total", opt(f.candles_written)},
                    {"store_writes_total", opt(f.store_writes)}}},
                  {"latency",
                   {{"p50_seconds", opt(s->p50)},
                    {"p99_seconds", opt(s->p99)},
                    {"observations", s->observations},
                    {"window_seconds", s->window_s}}},
                  {"consumer_lag_records", opt(f.consumer_lag)},
                  {"feed",
                   {{"up", up ? boost::json::value(*up > 0) : boost::json::value(nullptr)},
                    {"connections_open", opt(f.feed_connections)}}},
                  {"dead_letters_total", opt(f.dead_letters)},
                  {"live", std::move(live)}});
    });
}

} // namespace mdsp::http
