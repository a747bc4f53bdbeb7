// The schema registry's routes on the HTTP server: requests adapted to
// registry::request, answers sent as they are.
#include "http/registry_routes.h"

#include "registry/routes.h"

namespace mdsp::http {

namespace {

registry::method method_of(verb v) {
    switch (v) {
    case verb::get:
        return registry::method::get;
    case verb::head:
        return registry::method::head;
    case verb::post:
        return registry::method::post;
    case verb::put:
        return registry::method::put;
    default:
        return registry::method::other;
    }
}

verb verb_of(registry::method m) {
    switch (m) {
    case registry::method::get:
        return verb::get;
    case registry::method::head:
        return verb::head;
    case registry::method::post:
        return verb::post;
    case registry::method::put:
        return verb::put;
    case registry::method::other:
        break;
    }
    return verb::unknown;
}

} // namespace

void add_registry_routes(server& srv, registry::schema_registry& reg) {
    auto h = [&reg](const request& req) {
        registry::request r;
        r.verb = method_of(req.method);
        r.target = req.target;
        r.content_type = req.header("Content-Type").value_or(std::string_view{});
        r.body = req.body;
        auto a = registry::handle(reg, r);
        response out;
        out.status = a.status;
        out.content_type = std::move(a.content_type);
        out.body = std::move(a.body);
        return out;
    };
    for (const auto& rt : registry::routes()) {
        srv.route(verb_of(rt.verb), std::string(rt.path), h);
    }
    // Confluent's clients read error_code from every error (issue 10 item
    // 8), also from a 413 or 405 that the server answers before any route
    // runs. Confluent's own server answers those as {"error_code": <HTTP
    // status>, "message"}.
    for (const auto& rt : registry::routes()) {
        srv.error_shape(std::string(rt.path), [](unsigned status, std::string_view message) {
            auto a = registry::error_answer(
                registry::registry_error{status, static_cast<int>(status), std::string(message)});
            response out;
            out.status = a.status;
            out.content_type = std::move(a.content_type);
            out.body = std::move(a.body);
            return out;
        });
    }
}

} // namespace mdsp::http
