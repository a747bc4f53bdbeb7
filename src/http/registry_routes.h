#pragma once

#include "http/server.h"
#include "registry/store.h"

namespace mdsp::http {

// Serves the schema registry's Confluent API (registry/routes.h) on srv,
// before its start(). The registry must outlive the server. A server that
// accepts schemas up to the registry's bound needs
// server_config::max_body_bytes >= registry::max_body_bytes (registry/request.h).
void add_registry_routes(server& srv, registry::schema_registry& reg);

} // namespace mdsp::http
