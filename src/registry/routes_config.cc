// /config: the global compatibility level and each subject's.
#include "registry/internal/routes.h"
#include "registry/request.h"

namespace mdsp::registry::internal {

namespace json = boost::json;

response config(const call& c) {
    const auto& s = c.segs;
    if (s.size() > 2) {
        return not_found(c);
    }
    std::string_view subject = s.size() == 2 ? std::string_view(s[1]) : std::string_view{};
    if (c.get()) {
        return answer(200, json::object{{"compatibilityLevel", level_name(c.reg.level(subject))}});
    }
    if (c.put()) {
        auto lvl = parse_config_body(c.req.body);
        if (auto* e = std::get_if<registry_error>(&lvl)) {
            return error_answer(*e);
        }
        return answer(c.reg.set_level(subject, std::get<std::string>(lvl)), [](compat_level l) {
            return json::object{{"compatibility", level_name(l)}};
        });
    }
    return not_found(c);
}

} // namespace mdsp::registry::internal
