#pragma once

#include "cql/internal/wire.h"
#include "cql/messages.h"

namespace mdsp::cql::internal {

// <change_type><target><options> of Schema_change results and events.
schema_change read_schema_change(reader& r);

} // namespace mdsp::cql::internal
