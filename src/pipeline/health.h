#pragma once

#include "feed/source.h"
#include "http/pipeline_health.h"
#include "http/quality_route.h"
#include "pipeline/probes.h"
#include "stream/quality.h"

namespace mdsp::pipeline {

// The stages of this process whose figures /api/v1/pipeline shows; null
// for a stage this process does not run (`mdsp serve` runs none).
struct health_sources {
    const ingest_probe* ingest = nullptr;
    const process_probe* process = nullptr;
    const feed::source* source = nullptr;             // its connections (live feeds)
    const stream::quality_monitor* quality = nullptr; // the processing stage's data-quality checks
};

// The figures of the dashboard's health panel, read from the probes that own
// them (no metric looked up by name). The probes must outlive the function.
http::figures_fn health_figures(health_sources s);
// The answer of /api/v1/quality from the monitor (null: not available).
http::quality_fn quality_figures(const stream::quality_monitor* q);

} // namespace mdsp::pipeline
