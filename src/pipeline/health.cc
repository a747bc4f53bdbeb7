#include "pipeline/health.h"

namespace mdsp::pipeline {

http::figures_fn health_figures(health_sources s) {
    return [s]() {
        http::pipeline_figures f;
        if (s.ingest) {
            f.ingest_ticks = static_cast<double>(s.ingest->ticks().value());
            f.source_up = s.ingest->up().value();
            f.dead_letters = static_cast<double>(s.ingest->dead_letters().value());
        }
        if (s.process) {
            const auto& p = *s.process;
            f.process_ticks = static_cast<double>(p.ticks());
            f.candles_written = static_cast<double>(p.candles().value());
            f.store_writes = static_cast<double>(p.store_writes().value());
            f.consumer_lag = p.lag_records().value();
            f.latency = &p.latency();
            f.dead_letters = f.dead_letters.value_or(0) + static_cast<double>(p.dead_letters().value());
        }
        if (s.source) {
            if (auto n = s.source->connections_open()) {
                f.feed_connections = *n;
            }
        }
        return f;
    };
}

http::quality_fn quality_figures(const stream::quality_monitor* q) {
    return [q]() {
        http::quality_figures f;
        if (!q) {
            return f;
        }
        f.available = true;
        auto r = q->report();
        f.stalled_now = q->stalled_now();
        for (auto& c : r.checks) {
            auto& out = f.checks.emplace_back();
            out.name = std::string(stream::quality_check_name(c.kind));
            out.total = c.total;
            for (auto& e : c.top) {
                out.top.push_back({std::move(e.symbol), e.count, e.error, e.last_event_us});
            }
        }
        return f;
    };
}

} // namespace mdsp::pipeline
