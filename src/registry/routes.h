#pragma once

#include <span>
#include <string>
#include <string_view>

#include "registry/store.h"

// Confluent's Schema Registry API over a schema_registry, independent of any
// HTTP server: a server adapts its requests to `request`, calls handle() and
// sends the `response` back (http/registry_routes.h does it for mdsp's).
//
//   GET  /subjects                                    ["s", ...]
//   POST /subjects/{s}/versions                       {"id":N}
//   POST /subjects/{s}                                {"subject","version","id","schema"}
//   GET  /subjects/{s}/versions                       [1, 2, ...]
//   GET  /subjects/{s}/versions/{v|latest}            {"subject","version","id","schema"}
//   GET  /subjects/{s}/versions/{v|latest}/schema     the schema itself
//   GET  /schemas/ids/{id}                            {"schema":"..."}
//   GET  /schemas/ids/{id}/versions                   [{"subject","version"}]
//   GET  /schemas/types                               ["AVRO"]
//   POST /compatibility/subjects/{s}/versions/{v}     {"is_compatible":bool[,"messages"]} (?verbose=true)
//   GET|PUT /config, /config/{s}                      {"compatibilityLevel"} / {"compatibility"}
//
// Errors are {"error_code":N,"message":"..."}: 40401 subject not found, 40402
// version not found, 40403 schema not found, 409 incompatible, 42201 invalid
// schema, 42202 invalid version, 42203 invalid compatibility level, 400
// malformed request body, 415 unsupported content type. Answers are
// application/vnd.schemaregistry.v1+json.
namespace mdsp::registry {

inline constexpr std::string_view content_type = "application/vnd.schemaregistry.v1+json";

enum class method { get, head, post, put, other };

// A request as the routes see it; the views are valid during handle().
struct request {
    method verb = method::get;
    std::string_view target;       // as sent: percent-encoded path, optional query
    std::string_view content_type; // the Content-Type header; empty when there is none
    std::string_view body;         // at most max_body_bytes (request.h) are read
};

struct response {
    unsigned status = 200;
    std::string content_type{registry::content_type};
    std::string body;
};

// Answers one request. Thread-safe as schema_registry is.
response handle(schema_registry& reg, const request& req);

// An error in Confluent's format, for errors a server answers without
// calling handle() (a body over its limit, a method no route has).
response error_answer(const registry_error& e);

// What handle() answers: a method and a path, exact ("/subjects") or a
// prefix ending in "/*" ("/subjects/*" matches "/subjects/x/versions").
struct route {
    method verb;
    std::string_view path;
};
std::span<const route> routes();

} // namespace mdsp::registry
