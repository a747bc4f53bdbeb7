// STARTUP, OPTIONS and SUPPORTED (sections 4.1.1, 4.1.3, 4.2.4).
#include "cql/internal/wire.h"
#include "cql/messages.h"

namespace mdsp::cql {

std::string encode_startup(bool lz4) {
    internal::writer w;
    std::vector<std::pair<std::string, std::string>> opts{{"CQL_VERSION", "3.0.0"}};
    if (lz4) {
        opts.emplace_back("COMPRESSION", "lz4");
    }
    // Optional since Cassandra 4.0 (v4 and v5 alike): the node lists its
    // clients by driver in system_views.clients; older nodes ignore them.
    opts.emplace_back("DRIVER_NAME", "mdsp");
    opts.emplace_back("DRIVER_VERSION", MDSP_VERSION);
    w.string_map(opts);
    return w.take();
}

result<supported_options> decode_supported(std::string_view body) {
    internal::reader r(body);
    auto m = r.string_multimap("SUPPORTED options");
    if (!r.ok()) {
        return r.error("SUPPORTED");
    }
    return m;
}

} // namespace mdsp::cql
