#pragma once

#include <string>
#include <variant>
#include <vector>

#include <boost/json/value.hpp>

#include "registry/routes.h"

// What the route groups (routes_*.cc, one per top-level path as Redpanda's
// kafka/server/handlers/ has one per API) share.
namespace mdsp::registry::internal {

// One request on its way through a route group: its path already split and
// percent-decoded (segs[0] names the group), its content type checked.
struct call {
    schema_registry& reg;
    const request& req;
    const std::vector<std::string>& segs;

    bool get() const { return req.verb == method::get || req.verb == method::head; }
    bool post() const { return req.verb == method::post; }
    bool put() const { return req.verb == method::put; }
};

response answer(unsigned status, const boost::json::value& v);

template<typename T, typename F>
response answer(const registry_result<T>& r, F&& to_value) {
    if (const auto* e = std::get_if<registry_error>(&r)) {
        return error_answer(*e);
    }
    return answer(200, to_value(std::get<T>(r)));
}

// 404 in Confluent's shape for a path no route of the group has.
response not_found(const call& c);

// The route groups.
response subjects(const call& c);      // /subjects...
response schemas(const call& c);       // /schemas...
response compatibility(const call& c); // /compatibility...
response config(const call& c);        // /config...

} // namespace mdsp::registry::internal
