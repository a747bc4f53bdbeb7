// /compatibility: a candidate schema against a version of a subject.
#include "registry/internal/routes.h"
#include "registry/request.h"

namespace mdsp::registry::internal {

namespace json = boost::json;

response compatibility(const call& c) {
    const auto& s = c.segs;
    if (!(s.size() == 5 && s[1] == "subjects" && s[3] == "versions" && c.post())) {
        return not_found(c);
    }
    auto b = parse_schema_body(c.req.body);
    if (auto* e = std::get_if<registry_error>(&b)) {
        return error_answer(*e);
    }
    const bool verbose = query_param(c.req.target, "verbose").value_or("") == "true";
    return answer(c.reg.test_compatibility(s[2], s[4], std::get<schema_body>(b).schema),
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

} // namespace mdsp::registry::internal
