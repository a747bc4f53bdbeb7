#pragma once

#include "app/config.h"
#include "base/result.h"
#include "registry/client.h"

// Which schema registry the pipeline's records are framed for: the
// configuration's face of registry/model_ids.h.
namespace mdsp::app {

// registry::model_schema_ids_for(cfg.schema_registry.url).
result<registry::model_schema_ids> model_schema_ids_for(const config& cfg);

// registry::check_pinned_ids(cfg.schema_registry.url): a no-op without an
// external registry, else fails when it gives the model schemas other ids
// than the pinned ones the embedded log frames with.
result<void> check_registry_for_embedded_log(const config& cfg);

} // namespace mdsp::app
