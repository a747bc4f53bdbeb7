// EXECUTE (section 4.1.6): a prepared id, in v5 the result metadata id,
// and the same parameters as QUERY.
#include "cql/internal/params.h"

namespace mdsp::cql {

result<std::string> encode_execute(std::string_view prepared_id, std::string_view result_metadata_id,
                                   const query_params& p, protocol v) {
    if (prepared_id.empty()) {
        return make_error(errc::invalid_argument, "cannot execute a statement with an empty prepared id");
    }
    internal::writer w;
    w.short_bytes(prepared_id);
    if (v != protocol::v4) {
        // Empty when the statement was prepared over v4: the server then
        // answers with its metadata and Metadata_changed, and the id.
        w.short_bytes(result_metadata_id);
    }
    internal::write_query_params(w, p, v);
    return internal::finish(w, "EXECUTE");
}

} // namespace mdsp::cql
