// REGISTER and EVENT (sections 4.1.8, 4.2.6).
#include "cql/internal/params.h"
#include "cql/internal/result.h"

namespace mdsp::cql {

result<std::string> encode_register(const std::vector<std::string>& events) {
    for (const auto& e : events) {
        if (e != "TOPOLOGY_CHANGE" && e != "STATUS_CHANGE" && e != "SCHEMA_CHANGE") {
            return make_error(errc::invalid_argument,
                              "unknown event type '{}' (TOPOLOGY_CHANGE, STATUS_CHANGE or SCHEMA_CHANGE)", e);
        }
    }
    internal::writer w;
    w.string_list(events);
    return internal::finish(w, "REGISTER");
}

result<event> decode_event(std::string_view body) {
    internal::reader r(body);
    event ev;
    ev.type = std::string(r.string("event type"));
    if (ev.type == "TOPOLOGY_CHANGE" || ev.type == "STATUS_CHANGE") {
        ev.change = std::string(r.string("change"));
        auto [addr, port] = r.inet("node address");
        ev.address = std::move(addr);
        ev.port = port;
    } else if (ev.type == "SCHEMA_CHANGE") {
        ev.schema = internal::read_schema_change(r);
        ev.change = ev.schema.change_type;
    } else if (r.ok()) {
        r.fail(fmt::format("unknown event type '{}'", ev.type));
    }
    if (!r.ok()) {
        return r.error("EVENT");
    }
    return ev;
}

} // namespace mdsp::cql
