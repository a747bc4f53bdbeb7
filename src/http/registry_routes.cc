// The HTTP face of the schema registry: Confluent's paths, bodies and errors.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/parse.hpp>

#include "http/json.h"
#include "http/registry.h"
#include "http/registry_request.h"

namespace mdsp::http {

namespace json = boost::json;

namespace {

constexpr std::string_view content_type = "application/vnd.schemaregistry.v1+json";

response answer(unsigned status, const json::value& v) {
    response r;
    r.status = status;
    r.content_type = std::string(content_type);
    r.body = to_json(v);
    return r;
}

response answer(const registry_error& e) {
    return answer(e.status, json::object{{"error_code", e.code}, {"message", e.message}});
}

template<typename T, typename F>
response answer(const registry_result<T>& r, F&& to_value) {
    if (const auto* e = std::get_if<registry_error>(&r)) {
        return answer(*e);
    }
    return answer(200, to_value(std::get<T>(r)));
}

json::object version_json(const subject_version& v) {
    return {{"subject", v.subject}, {"version", v.version}, {"id", v.id}, {"schema", v.schema}};
}

// Confluent accepts its own media types, JSON and octet-stream (and none).
std::optional<registry_error> check_content_type(const request& req) {
    auto ct = req.header("Content-Type");
    if (!ct || ct->empty()) {
        return std::nullopt;
    }
    std::string_view t = ct->substr(0, ct->find(';'));
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

response not_found(const request& req) {
    return answer(registry_error{
        404, 404,
        fmt::format("HTTP 404 Not Found: no schema registry route for '{}'", req.path.substr(0, 200))});
}

// Every /subjects, /schemas, /compatibility and /config request.
response dispatch(schema_registry& reg, const request& req) {
    auto segs = split_registry_path(req.target);
    if (!segs) {
        return answer(registry_error{400, 400, "the request path is not valid percent-encoded text"});
    }
    const auto& s = *segs;
    const bool get = req.method == verb::get || req.method == verb::head;
    const bool post = req.method == verb::post;
    const bool put = req.method == verb::put;
    std::optional<schema_body> body;
    if (post || put) {
        if (auto e = check_content_type(req)) {
            return answer(*e);
        }
    }
    auto need_schema = [&]() -> std::optional<registry_error> {
        auto b = parse_schema_body(req.body);
        if (auto* e = std::get_if<registry_error>(&b)) {
            return *e;
        }
        body = std::move(std::get<schema_body>(b));
        return std::nullopt;
    };

    if (s[0] == "subjects") {
        if (s.size() == 1 && get) {
            json::array a;
            for (auto& name : reg.subjects()) {
                a.emplace_back(name);
            }
            return answer(200, a);
        }
        if (s.size() == 2 && post) {
            if (auto e = need_schema()) {
                return answer(*e);
            }
            return answer(reg.lookup(s[1], body->schema), version_json);
        }
        if (s.size() == 3 && s[2] == "versions" && post) {
            if (auto e = need_schema()) {
                return answer(*e);
            }
            return answer(reg.register_schema(s[1], body->schema), [](int32_t id) {
                return json::object{{"id", id}};
            });
        }
        if (s.size() == 3 && s[2] == "versions" && get) {
            return answer(reg.versions(s[1]), [](const std::vector<int32_t>& v) {
                json::array a;
                for (auto n : v) {
                    a.emplace_back(n);
                }
                return a;
            });
        }
        if (s.size() == 4 && s[2] == "versions" && get) {
            return answer(reg.version(s[1], s[3]), version_json);
        }
        if (s.size() == 5 && s[2] == "versions" && s[4] == "schema" && get) {
            auto v = reg.version(s[1], s[3]);
            if (auto* e = std::get_if<registry_error>(&v)) {
                return answer(*e);
            }
            response r;
            r.content_type = std::string(content_type);
            r.body = std::get<subject_version>(v).schema;
            return r;
        }
        return not_found(req);
    }
    if (s[0] == "schemas") {
        if (s.size() == 2 && s[1] == "types" && get) {
            return answer(200, json::array{"AVRO"});
        }
        if ((s.size() == 3 || (s.size() == 4 && s[3] == "versions")) && s[1] == "ids" && get) {
            auto id = parse_schema_id(s[2]);
            if (!id) {
                return answer(
                    registry_error{404, 40403, fmt::format("Schema {} not found", s[2].substr(0, 32))});
            }
            if (s.size() == 3) {
                return answer(reg.schema_by_id(*id), [](const std::string& t) {
                    return json::object{{"schema", t}};
                });
            }
            return answer(reg.subjects_of(*id), [](const std::vector<std::pair<std::string, int32_t>>& v) {
                json::array a;
                for (const auto& [subject, version] : v) {
                    a.push_back(json::object{{"subject", subject}, {"version", version}});
                }
                return a;
            });
        }
        return not_found(req);
    }
    if (s[0] == "compatibility") {
        if (s.size() == 5 && s[1] == "subjects" && s[3] == "versions" && post) {
            if (auto e = need_schema()) {
                return answer(*e);
            }
            const bool verbose = req.param("verbose").value_or("") == "true";
            return answer(reg.test_compatibility(s[2], s[4], body->schema),
                          [verbose](const schema_registry::compat_answer& a) {
                              json::object o{{"is_compatible", a.compatible}};
                              if (verbose) {
                                  json::array m;
                                  for (const auto& x : a.messages) {
                                      m.emplace_back(x);
                                  }
                                  o["messages"] = std::move(m);
                              }
                              return o;
                          });
        }
        return not_found(req);
    }
    if (s[0] == "config" && s.size() <= 2) {
        std::string_view subject = s.size() == 2 ? std::string_view(s[1]) : std::string_view{};
        if (get) {
            return answer(200, json::object{{"compatibilityLevel", level_name(reg.level(subject))}});
        }
        if (put) {
            auto lvl = parse_config_body(req.body);
            if (auto* e = std::get_if<registry_error>(&lvl)) {
                return answer(*e);
            }
            return answer(reg.set_level(subject, std::get<std::string>(lvl)), [](compat_level l) {
                return json::object{{"compatibility", level_name(l)}};
            });
        }
    }
    return not_found(req);
}

} // namespace

void add_registry_routes(server& srv, schema_registry& reg) {
    auto h = [&reg](const request& req) { return dispatch(reg, req); };
    srv.route(verb::get, "/subjects", h);
    srv.route(verb::get, "/subjects/*", h);
    srv.route(verb::post, "/subjects/*", h);
    srv.route(verb::get, "/schemas/*", h);
    srv.route(verb::post, "/compatibility/*", h);
    srv.route(verb::get, "/config", h);
    srv.route(verb::put, "/config", h);
    srv.route(verb::get, "/config/*", h);
    srv.route(verb::put, "/config/*", h);
}

} // namespace mdsp::http
