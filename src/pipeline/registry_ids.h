#pragma once

#include "base/result.h"
#include "http/registry_client.h"
#include "pipeline/config.h"

// Which schema registry the pipeline's records are framed for.
namespace mdsp::pipeline {

// The schema ids to frame records with: the pinned ids of model/framing.h
// (1, 2, 3) when schema_registry.url is empty (mdsp's own registry serves
// them), else the ids the external registry gives the model schemas after
// registering them there (what the Kafka bus frames with). Blocking HTTP;
// call once at start-up.
result<http::model_schema_ids> model_schema_ids_for(const config& cfg);

// For the embedded log, whose frames carry the pinned ids: with an external
// registry, registers the model schemas there and fails, saying what to do,
// when it gives other ids than the pinned ones. A no-op without one.
result<void> check_registry_for_embedded_log(const config& cfg);

} // namespace mdsp::pipeline
