#pragma once

#include <string_view>

#include "base/result.h"
#include "registry/client.h"
#include "registry/errc.h"

// Which schema registry the pipeline's records are framed for.
namespace mdsp::registry {

// The schema ids to frame records with: the pinned ids of model/framing.h
// (1, 2, 3) when url is empty (mdsp's own registry serves them), else the ids
// the external registry at url gives the model schemas after registering them
// there (what the Kafka bus frames with). Blocking HTTP; call once at start-up.
result<model_schema_ids> model_schema_ids_for(std::string_view url);

// For the embedded log, whose frames carry the pinned ids: with an external
// registry at url, registers the model schemas there and fails with
// errc::unexpected_ids, saying what to do, when it gives other ids than the
// pinned ones. A no-op when url is empty.
result<void> check_pinned_ids(std::string_view url);

} // namespace mdsp::registry
