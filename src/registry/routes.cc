// The HTTP face of the schema registry: Confluent's paths, bodies and errors.
// This file splits the path and hands it to the group of its first segment
// (routes_subjects.cc, routes_schemas.cc, routes_compat.cc, routes_config.cc).
#include "registry/routes.h"

#include <algorithm>
#include <array>
#include <optional>

#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include "registry/internal/routes.h"
#include "registry/request.h"
#include "registry/text.h"

namespace mdsp::registry {

namespace json = boost::json;

namespace internal {

response answer(unsigned status, const json::value& v) {
    response r;
    r.status = status;
    r.body = json::serialize(v);
    return r;
}

response not_found(const call& c) {
    auto path = c.req.target.substr(0, c.req.target.find('?'));
    return error_answer(registry_error{
        404, 404, fmt::format("HTTP 404 Not Found: no schema registry route for '{}'", path.substr(0, 200))});
}

} // namespace internal

namespace {

// Confluent accepts its own media types, JSON and octet-stream (and none).
std::optional<registry_error> check_content_type(std::string_view ct) {
    if (ct.empty()) {
        return std::nullopt;
    }
    std::string_view t = ct.substr(0, ct.find(';'));
    while (!t.empty() && t.back() == ' ') {
        t.remove_suffix(1);
    }
    for (std::string_view ok :
         {"application/vnd.schemaregistry.v1+json", "application/vnd.schemaregistry+json", "application/json",
          "application/octet-stream"}) {
        if (t.size() == ok.size() && std::equal(t.begin(), t.end(), ok.begin(), [](char a, char b) {
                return (a >= 'A' && a <= 'Z' ? static_cast<char>(a - 'A' + 'a') : a) == b;
            })) {
            return std::nullopt;
        }
    }
    return registry_error{
        415, 415,
        fmt::format("Unsupported Content-Type '{}'; send application/vnd.schemaregistry.v1+json",
                    t.substr(0, 100))};
}

constexpr std::array<route, 9> all_routes{{
    {method::get, "/subjects"},
    {method::get, "/subjects/*"},
    {method::post, "/subjects/*"},
    {method::get, "/schemas/*"},
    {method::post, "/compatibility/*"},
    {method::get, "/config"},
    {method::put, "/config"},
    {method::get, "/config/*"},
    {method::put, "/config/*"},
}};

} // namespace

response error_answer(const registry_error& e) {
    // Messages echo paths and subjects as sent; what is not UTF-8 in them
    // must not make the answer invalid JSON.
    return internal::answer(e.status, json::object{{"error_code", e.code},
                                                   {"message", printable_utf8(e.message, e.message.size())}});
}

std::span<const route> routes() {
    return all_routes;
}

response handle(schema_registry& reg, const request& req) {
    auto segs = split_path(req.target);
    if (!segs) {
        return error_answer(registry_error{400, 400, "the request path is not valid percent-encoded text"});
    }
    if (req.verb == method::post || req.verb == method::put) {
        if (auto e = check_content_type(req.content_type)) {
            return error_answer(*e);
        }
    }
    const internal::call c{reg, req, *segs};
    if (segs->empty()) {
        return internal::not_found(c);
    }
    const auto& group = segs->front();
    if (group == "subjects") {
        return internal::subjects(c);
    }
    if (group == "schemas") {
        return internal::schemas(c);
    }
    if (group == "compatibility") {
        return internal::compatibility(c);
    }
    if (group == "config") {
        return internal::config(c);
    }
    return internal::not_found(c);
}

} // namespace mdsp::registry
