// PREPARE (section 4.1.5); its answer is decoded in result.cc.
#include "cql/internal/params.h"

namespace mdsp::cql {

result<std::string> encode_prepare(std::string_view cql) {
    if (cql.empty()) {
        return make_error(errc::invalid_argument, "cannot prepare an empty statement");
    }
    internal::writer w;
    w.long_string(cql);
    return internal::finish(w, "PREPARE");
}

} // namespace mdsp::cql
