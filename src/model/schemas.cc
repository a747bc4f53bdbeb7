#include "model/schemas.h"

#include "model/framing.h"

namespace mdsp::model {

std::string_view schema_by_id(uint32_t id) {
    switch (id) {
    case tick_schema_id:
        return tick_schema();
    case candle_schema_id:
        return candle_schema();
    case dead_letter_schema_id:
        return dead_letter_schema();
    default:
        return {};
    }
}

} // namespace mdsp::model
