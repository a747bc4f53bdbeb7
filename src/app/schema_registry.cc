#include "app/schema_registry.h"

#include "registry/model_ids.h"

namespace mdsp::app {

result<registry::model_schema_ids> model_schema_ids_for(const config& cfg) {
    return registry::model_schema_ids_for(cfg.schema_registry.url);
}

result<void> check_registry_for_embedded_log(const config& cfg) {
    return registry::check_pinned_ids(cfg.schema_registry.url);
}

} // namespace mdsp::app
