#include "registry/request.h"

#include <limits>

#include <boost/json/error.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace mdsp::registry {

namespace json = boost::json;

namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

std::optional<std::string> percent_decode(std::string_view raw) {
    std::string out;
    out.reserve(raw.size());
    for (size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] != '%') {
            out.push_back(raw[i]);
            continue;
        }
        if (i + 2 >= raw.size()) {
            return std::nullopt;
        }
        int hi = hex_value(raw[i + 1]);
        int lo = hex_value(raw[i + 2]);
        if (hi < 0 || lo < 0) {
            return std::nullopt;
        }
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
    }
    return out;
}

std::variant<json::object, registry_error> parse_object(std::string_view body) {
    if (body.size() > max_body_bytes) {
        return registry_error{413, 413,
                              fmt::format("the request body is {} bytes; at most {} are accepted",
                                          body.size(), max_body_bytes)};
    }
    json::parse_options po;
    po.max_depth = avro::max_depth;
    std::error_code ec;
    auto v = json::parse(body, ec, {}, po);
    if (ec == json::error::too_deep) {
        return registry_error{400, 400,
                              fmt::format("the request body nests JSON arrays and objects deeper than {} "
                                          "levels, the limit",
                                          avro::max_depth)};
    }
    if (ec || !v.is_object()) {
        return registry_error{400, 400,
                              ec ? fmt::format("the request body is not valid JSON: {}", ec.message())
                                 : std::string("the request body must be a JSON object")};
    }
    return std::move(v.get_object());
}

} // namespace

std::optional<std::vector<std::string>> split_path(std::string_view target) {
    auto q = target.find('?');
    std::string_view path = target.substr(0, q);
    if (path.empty() || path[0] != '/') {
        return std::nullopt;
    }
    std::vector<std::string> out;
    size_t pos = 1;
    while (pos <= path.size()) {
        auto slash = path.find('/', pos);
        std::string_view raw =
            path.substr(pos, slash == std::string_view::npos ? std::string_view::npos : slash - pos);
        if (!raw.empty()) {
            if (out.size() >= max_path_segments) {
                return std::nullopt;
            }
            auto seg = percent_decode(raw);
            if (!seg) {
                return std::nullopt;
            }
            out.push_back(std::move(*seg));
        }
        if (slash == std::string_view::npos) {
            break;
        }
        pos = slash + 1;
    }
    return out;
}

std::optional<std::string> query_param(std::string_view target, std::string_view name) {
    auto q = target.find('?');
    if (q == std::string_view::npos) {
        return std::nullopt;
    }
    std::string_view rest = target.substr(q + 1);
    while (!rest.empty()) {
        auto amp = rest.find('&');
        std::string_view pair = rest.substr(0, amp);
        rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
        auto eq = pair.find('=');
        auto key = percent_decode(pair.substr(0, eq));
        if (key && *key == name) {
            return eq == std::string_view::npos ? std::string() : percent_decode(pair.substr(eq + 1));
        }
    }
    return std::nullopt;
}

std::variant<schema_body, registry_error> parse_schema_body(std::string_view body) {
    auto o = parse_object(body);
    if (auto* e = std::get_if<registry_error>(&o)) {
        return *e;
    }
    const auto& obj = std::get<json::object>(o);
    auto* s = obj.if_contains("schema");
    if (!s || !s->is_string()) {
        return registry_error{422, 42201,
                              "Invalid schema: the body needs \"schema\", the schema as a JSON string"};
    }
    if (auto* t = obj.if_contains("schemaType"); t && !t->is_null()) {
        if (!t->is_string() || t->get_string() != "AVRO") {
            return registry_error{422, 42201,
                                  fmt::format("Invalid schema type {}: this registry holds AVRO schemas only",
                                              json::serialize(*t).substr(0, 40))};
        }
    }
    if (auto* r = obj.if_contains("references"); r && !r->is_null()) {
        if (!r->is_array() || !r->get_array().empty()) {
            return registry_error{
                422, 42201,
                "Invalid schema: schema references are not supported; inline the referenced "
                "types"};
        }
    }
    return schema_body{std::string(s->get_string())};
}

std::variant<std::string, registry_error> parse_config_body(std::string_view body) {
    auto o = parse_object(body);
    if (auto* e = std::get_if<registry_error>(&o)) {
        return *e;
    }
    auto* c = std::get<json::object>(o).if_contains("compatibility");
    if (!c || !c->is_string()) {
        return registry_error{422, 42203,
                              "Invalid compatibility level: the body needs \"compatibility\", e.g. "
                              "{\"compatibility\":\"BACKWARD\"}"};
    }
    return std::string(c->get_string());
}

} // namespace mdsp::registry
