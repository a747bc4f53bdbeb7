// PREPARE (section 4.1.5); its answer is decoded in result.cc.
#include "cql/internal/params.h"

namespace mdsp::cql {

result<std::string> encode_prepare(std::string_view cql, protocol v) {
    if (cql.empty()) {
        return make_error(errc::invalid_argument, "cannot prepare an empty statement");
    }
    internal::writer w;
    w.long_string(cql);
    if (v != protocol::v4) {
        w.i32(0); // flags: no keyspace of its own
    }
    return internal::finish(w, "PREPARE");
}

} // namespace mdsp::cql
