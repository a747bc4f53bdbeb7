#pragma once

#include <optional>
#include <string>

#include "model/tick.h"

namespace mdsp::model {

// Why t cannot enter the pipeline, in words for a dead letter; nullopt when
// it can: a valid symbol (model::valid_symbol), valid exchange, MIC, asset
// type and currency when present (model::valid_label), a finite positive price,
// finite non-negative size and day volume, finite bid and ask, and an event
// time no further ahead of now_us than max_future_us (0 = no bound).
// Applied where ticks enter (ingest) and again where they leave the log
// (process), so a record written by an older version cannot stop the stage.
// Crossed (bid > ask) and locked (bid == ask) quotes and a negative bid or
// ask are refused as well. A bid or ask of 0 is not (a side without a quote,
// as TwelveData sends it), nor a size of 0 (TwelveData's sizes are
// day-volume differences, 0 for a price change without a trade).
// fault, when given, is set to what kind of problem it was.
enum class tick_fault : uint8_t {
    none,
    text,       // symbol or label
    bad_number, // price, size, day volume, bid or ask not finite or out of sign
    crossed,    // bid >= ask
    future,     // beyond max_future_us
};
std::optional<std::string> check_tick(const tick& t, int64_t now_us, int64_t max_future_us,
                                      tick_fault* fault = nullptr);

} // namespace mdsp::model
