// EXECUTE (section 4.1.6): a prepared id and the same parameters as QUERY.
#include "cql/internal/params.h"

namespace mdsp::cql {

result<std::string> encode_execute(std::string_view prepared_id, const query_params& p) {
    if (prepared_id.empty()) {
        return make_error(errc::invalid_argument, "cannot execute a statement with an empty prepared id");
    }
    internal::writer w;
    w.short_bytes(prepared_id);
    internal::write_query_params(w, p);
    return internal::finish(w, "EXECUTE");
}

} // namespace mdsp::cql
