#include "pipeline/http_surface.h"

#include <algorithm>
#include <filesystem>

#include <spdlog/spdlog.h>

#include "http/api.h"
#include "http/pipeline_health.h"
#include "http/registry_routes.h"
#include "http/static_files.h"
#include "registry/request.h"
#include "web/dashboard.h"

namespace mdsp::pipeline {

result<http_surface> make_http_surface(const config& cfg, store::store& st, http::readiness_check ready,
                                       health_sources health) {
    http_surface s;
    http::server_config hc;
    hc.address = cfg.http.address;
    hc.port = static_cast<uint16_t>(cfg.http.port);
    hc.max_body_bytes = std::max(hc.max_body_bytes, registry::max_body_bytes); // schemas up to 1 MiB
    s.server = std::make_unique<http::server>(hc, std::move(ready));
    http::api_options ao;
    ao.intervals = cfg.engine.intervals;
    ao.fill_gaps = cfg.engine.fill_gaps;
    http::add_api_routes(*s.server, st, ao);
    if (cfg.schema_registry.url.empty()) {
        auto reg = registry::schema_registry::open(std::filesystem::path(cfg.data_dir) / "registry"
                                                   / "schemas.jsonl");
        if (!reg) {
            return reg.error();
        }
        s.registry = std::move(*reg);
        http::add_registry_routes(*s.server, *s.registry);
    } else {
        spdlog::info("schema registry: {} (not serving /subjects here)", cfg.schema_registry.url);
    }
    http::live_config lc;
    lc.intervals = cfg.engine.intervals;
    s.live = std::make_unique<http::live_hub>(lc);
    s.live->attach(*s.server);
    http::add_pipeline_route(*s.server, health_figures(health), s.live.get());
    http::add_quality_route(*s.server, quality_figures(health.quality));
    http::add_static_routes(*s.server, web::dashboard_files());
    return s;
}

} // namespace mdsp::pipeline
