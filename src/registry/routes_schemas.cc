// /schemas: by id, the subjects using an id, the supported types.
#include <fmt/format.h>

#include "registry/internal/routes.h"

namespace mdsp::registry::internal {

namespace json = boost::json;

response schemas(const call& c) {
    const auto& s = c.segs;
    if (s.size() == 2 && s[1] == "types" && c.get()) {
        return answer(200, json::array{"AVRO"});
    }
    if ((s.size() == 3 || (s.size() == 4 && s[3] == "versions")) && s[1] == "ids" && c.get()) {
        auto id = parse_schema_id(s[2]);
        if (!id) {
            return error_answer(
                registry_error{404, 40403, fmt::format("Schema {} not found", s[2].substr(0, 32))});
        }
        if (s.size() == 3) {
            return answer(c.reg.schema_by_id(*id), [](const std::string& t) {
                return json::object{{"schema", t}};
            });
        }
        return answer(c.reg.subjects_of(*id), [](const std::vector<std::pair<std::string, int32_t>>& v) {
            json::array a;
            for (const auto& [subject, version] : v) {
                a.push_back(json::object{{"subject", subject}, {"version", version}});
            }
            return a;
        });
    }
    return not_found(c);
}

} // namespace mdsp::registry::internal
