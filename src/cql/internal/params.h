#pragma once

#include <vector>

#include "cql/internal/wire.h"
#include "cql/messages.h"

namespace mdsp::cql::internal {

// [value]: bytes, -1 for null, -2 for unset.
void write_value(writer& w, const value& v);
// A [short] count and the values.
void write_values(writer& w, const std::vector<value>& values);
// <query_parameters> of QUERY and EXECUTE (section 4.1.4).
void write_query_params(writer& w, const query_params& p, protocol v);
// The <flags> of QUERY, EXECUTE and BATCH: a [byte] in v4, an [int] in v5.
void write_flags(writer& w, uint32_t flags, protocol v);
// A finished body, or the writer's failure as errc::invalid_argument.
result<std::string> finish(writer& w, std::string_view what);

} // namespace mdsp::cql::internal
