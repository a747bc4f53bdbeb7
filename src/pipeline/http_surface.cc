#include "pipeline/http_surface.h"

#include <algorithm>
#include <filesystem>

#include <spdlog/spdlog.h>

#include "bus/bus.h"
#include "http/api.h"
#include "http/pipeline_health.h"
#include "http/registry_routes.h"
#include "http/static_files.h"
#include "http/topics_routes.h"
#include "model/schemas.h"
#include "registry/client.h"
#include "registry/request.h"
#include "web/dashboard.h"

namespace mdsp::pipeline {

namespace {

// The schema of a registry id for the message browser: the registry this
// process serves, or the external one (cached by the routes), else the
// model's pinned schemas.
http::topics::schema_lookup schema_lookup(const config& cfg, const registry::schema_registry* own) {
    if (own != nullptr) {
        return [own](int32_t id) -> std::optional<std::string> {
            auto s = own->schema_by_id(id);
            if (auto* text = std::get_if<std::string>(&s)) {
                return *text;
            }
            auto pinned = model::schema_by_id(static_cast<uint32_t>(id));
            return pinned.empty() ? std::nullopt : std::optional(std::string(pinned));
        };
    }
    return [url = cfg.schema_registry.url](int32_t id) -> std::optional<std::string> {
        auto c = registry::client::create(url, std::chrono::seconds(2));
        if (!c) {
            return std::nullopt;
        }
        auto s = c->schema_by_id(id);
        if (!s) {
            spdlog::warn("topics: schema {} from {}: {}", id, url, s.error().what());
            return std::nullopt;
        }
        return *s;
    };
}

} // namespace

result<http_surface> make_http_surface(const config& cfg, store::store& st, http::readiness_check ready,
                                       health_sources health, std::unique_ptr<http::topics::source> topics) {
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
    if (topics) {
        s.topics = std::move(topics);
        auto names = cfg.kafka.brokers.empty() ? bus::topic_names{}
                                               : bus::topic_names::with_prefix(cfg.kafka.topic_prefix);
        http::add_topics_routes(*s.server, *s.topics, schema_lookup(cfg, s.registry.get()), names.deadletter);
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
