#pragma once

#include <cstdint>
#include <string_view>

// The Avro schemas of the model records: the texts of schemas/*.avsc,
// compiled into the library at build time (so a running binary serves exactly
// the schemas its codecs implement). Views of static storage.
namespace mdsp::model {

std::string_view tick_schema();        // schemas/tick.avsc, io.mdsp.market.Tick
std::string_view candle_schema();      // schemas/candle.avsc, io.mdsp.market.Candle
std::string_view dead_letter_schema(); // schemas/deadletter.avsc, io.mdsp.market.DeadLetter

// The schema of one of the pinned ids in model/framing.h (tick_schema_id, ...);
// empty for any other id.
std::string_view schema_by_id(uint32_t id);

} // namespace mdsp::model
