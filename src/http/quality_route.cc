#include "http/quality_route.h"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <fmt/format.h>

#include "base/time.h"
#include "http/json.h"

namespace mdsp::http {

void add_quality_route(server& srv, quality_fn figures) {
    srv.route(verb::get, "/api/v1/quality", [figures = std::move(figures)](const request& req) {
        quality_figures f = figures ? figures() : quality_figures{};
        auto only = req.param("check");
        if (only && f.available) {
            bool known = false;
            std::string names;
            for (const auto& c : f.checks) {
                known |= c.name == *only;
                names += (names.empty() ? "" : ", ") + c.name;
            }
            if (!known) {
                return json_response(400, {{"error", "bad_parameter"},
                                           {"parameter", "check"},
                                           {"message", fmt::format("'{}' is not a check; the checks are {}",
                                                                   echo_input(*only), names)}});
            }
        }
        boost::json::array checks;
        for (const auto& c : f.checks) {
            if (only && c.name != *only) {
                continue;
            }
            boost::json::array top;
            for (const auto& e : c.top) {
                top.push_back(boost::json::object{{"symbol", e.symbol},
                                                  {"count", e.count},
                                                  {"error", e.error},
                                                  {"last_event_time", format_iso8601(e.last_event_us)}});
            }
            checks.push_back(
                boost::json::object{{"check", c.name}, {"total", c.total}, {"top", std::move(top)}});
        }
        return json_response(
            200, {{"available", f.available}, {"stalled_now", f.stalled_now}, {"checks", std::move(checks)}});
    });
}

} // namespace mdsp::http
