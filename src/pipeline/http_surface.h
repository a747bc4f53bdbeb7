#pragma once

#include <memory>

#include "base/result.h"
#include "http/live_hub.h"
#include "http/server.h"
#include "http/topics.h"
#include "pipeline/config.h"
#include "pipeline/health.h"
#include "registry/store.h"
#include "store/store.h"

namespace mdsp::pipeline {

// What every serving command (up, serve, process, up --kafka) puts on its
// HTTP port: the API over the store, the schema registry (unless an
// external one is configured), the dashboard, its live stream and the
// pipeline-health route. Members are declared so that the server, which
// routes to the others, is destroyed first.
struct http_surface {
    std::unique_ptr<mdsp::registry::schema_registry> registry;
    std::unique_ptr<http::topics::source> topics;
    std::unique_ptr<http::live_hub> live;
    std::unique_ptr<http::server> server;
};

// Builds the surface (not started): call server->start() when the stages are
// ready to be asked.
// health gives the /api/v1/pipeline figures of the stages this process runs.
// topics is what the Topics view (/api/v1/topics, groups, deadletters)
// reads; null leaves those routes out.
result<http_surface> make_http_surface(const config& cfg, store::store& st, http::readiness_check ready,
                                       health_sources health, std::unique_ptr<http::topics::source> topics);

} // namespace mdsp::pipeline
