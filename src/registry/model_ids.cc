#include "registry/model_ids.h"

#include <spdlog/spdlog.h>

#include "model/framing.h"

namespace mdsp::registry {

result<model_schema_ids> model_schema_ids_for(std::string_view url) {
    if (url.empty()) {
        return model_schema_ids{static_cast<int32_t>(model::tick_schema_id),
                                static_cast<int32_t>(model::candle_schema_id),
                                static_cast<int32_t>(model::dead_letter_schema_id)};
    }
    auto c = client::create(url);
    if (!c) {
        return c.error();
    }
    auto ids = register_model_schemas(*c);
    if (!ids) {
        return ids.error();
    }
    spdlog::info("schema registry {}: market.ticks-value id {}, market.candles-value id {}, "
                 "market.deadletter-value id {}",
                 url, ids->tick, ids->candle, ids->dead_letter);
    return ids;
}

result<void> check_pinned_ids(std::string_view url) {
    if (url.empty()) {
        return ok();
    }
    auto ids = model_schema_ids_for(url);
    if (!ids) {
        return ids.error();
    }
    if (ids->tick != static_cast<int32_t>(model::tick_schema_id)
        || ids->candle != static_cast<int32_t>(model::candle_schema_id)
        || ids->dead_letter != static_cast<int32_t>(model::dead_letter_schema_id)) {
        return make_error(
            errc::unexpected_ids,
            "the schema registry {} gave the tick, candle and dead-letter schemas the ids {}, {}, {}, "
            "but the embedded log frames them with {}, {}, {}; use an empty registry (it assigns "
            "these ids in order) or another mdsp's registry, or leave schema_registry.url empty to "
            "serve mdsp's own",
            url, ids->tick, ids->candle, ids->dead_letter, model::tick_schema_id, model::candle_schema_id,
            model::dead_letter_schema_id);
    }
    return ok();
}

} // namespace mdsp::registry
