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

} // namespace mdsp::pipeline
