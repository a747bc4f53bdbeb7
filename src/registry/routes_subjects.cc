// /subjects: list, register, look up, versions.
#include <boost/json/value.hpp>

#include "registry/internal/routes.h"
#include "registry/request.h"

namespace mdsp::registry::internal {

namespace json = boost::json;

namespace {

json::value version_json(const subject_version& v) {
    return json::object{{"subject", v.subject}, {"version", v.version}, {"id", v.id}, {"schema", v.schema}};
}

// POST /subjects/{s}/versions and POST /subjects/{s}.
response with_schema_body(const call& c, bool do_register) {
    auto b = parse_schema_body(c.req.body);
    if (auto* e = std::get_if<registry_error>(&b)) {
        return error_answer(*e);
    }
    const auto& schema = std::get<schema_body>(b).schema;
    if (do_register) {
        return answer(c.reg.register_schema(c.segs[1], schema), [](int32_t id) {
            return json::object{{"id", id}};
        });
    }
    return answer(c.reg.lookup(c.segs[1], schema), version_json);
}

// GET /subjects/{s}/versions/{v}/schema: the schema text itself.
response raw_schema(const call& c) {
    auto v = c.reg.version(c.segs[1], c.segs[3]);
    if (auto* e = std::get_if<registry_error>(&v)) {
        return error_answer(*e);
    }
    response r;
    r.body = std::get<subject_version>(v).schema;
    return r;
}

} // namespace

response subjects(const call& c) {
    const auto& s = c.segs;
    if (s.size() == 1 && c.get()) {
        json::array a;
        for (auto& name : c.reg.subjects()) {
            a.emplace_back(name);
        }
        return answer(200, a);
    }
    if (s.size() == 2 && c.post()) {
        return with_schema_body(c, false);
    }
    if (s.size() == 3 && s[2] == "versions" && c.post()) {
        return with_schema_body(c, true);
    }
    if (s.size() == 3 && s[2] == "versions" && c.get()) {
        return answer(c.reg.versions(s[1]), [](const std::vector<int32_t>& v) {
            json::array a;
            for (auto n : v) {
                a.emplace_back(n);
            }
            return a;
        });
    }
    if (s.size() == 4 && s[2] == "versions" && c.get()) {
        return answer(c.reg.version(s[1], s[3]), version_json);
    }
    if (s.size() == 5 && s[2] == "versions" && s[4] == "schema" && c.get()) {
        return raw_schema(c);
    }
    return not_found(c);
}

} // namespace mdsp::registry::internal
