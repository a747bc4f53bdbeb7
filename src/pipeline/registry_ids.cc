#include "pipeline/registry_ids.h"

#include <spdlog/spdlog.h>

#include "model/framing.h"
#include "pipeline/errc.h"

namespace mdsp::pipeline {

result<http::model_schema_ids> model_schema_ids_for(const config& cfg) {
    if (cfg.schema_registry.url.empty()) {
        return http::model_schema_ids{static_cast<int32_t>(model::tick_schema_id),
                                      static_cast<int32_t>(model::candle_schema_id),
                                      static_cast<int32_t>(model::dead_letter_schema_id)};
    }
    auto client = http::registry_client::create(cfg.schema_registry.url);
    if (!client) {
        return client.error();
    }
    auto ids = http::register_model_schemas(*client);
    if (!ids) {
        return ids.error();
    }
    spdlog::info("schema registry {}: market.ticks-value id {}, market.candles-value id {}, "
                 "market.deadletter-value id {}",
                 cfg.schema_registry.url, ids->tick, ids->candle, ids->dead_letter);
    return ids;
}

result<void> check_registry_for_embedded_log(const config& cfg) {
    if (cfg.schema_registry.url.empty()) {
        return ok();
    }
    auto ids = model_schema_ids_for(cfg);
    if (!ids) {
        return ids.error();
    }
    if (ids->tick != static_cast<int32_t>(model::tick_schema_id)
        || ids->candle != static_cast<int32_t>(model::candle_schema_id)
        || ids->dead_letter != static_cast<int32_t>(model::dead_letter_schema_id)) {
        return make_error(
            errc::bad_setting,
            "the schema registry {} gave the tick, candle and dead-letter schemas the ids {}, {}, {}, "
            "but the embedded log frames them with {}, {}, {}; use an empty registry (it assigns "
            "these ids in order) or another mdsp's registry, or leave schema_registry.url empty to "
            "serve mdsp's own",
            cfg.schema_registry.url, ids->tick, ids->candle, ids->dead_letter, model::tick_schema_id,
            model::candle_schema_id, model::dead_letter_schema_id);
    }
    return ok();
}

} // namespace mdsp::pipeline
