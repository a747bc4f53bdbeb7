#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/named_type.h"

namespace mdsp::model {

// One market event: a trade (size set) or a price/quote update. Mirrors
// schemas/tick.avsc field for field.
struct tick {
    std::string symbol;                    // as the source spells it: "AAPL", "EUR/USD", "XRPETH"
    std::string source;                    // "twelvedata", "binance", "sim", "replay:<file>"
    std::optional<std::string> exchange;   // "NASDAQ"
    std::optional<std::string> mic_code;   // "XNGS"
    std::optional<std::string> asset_type; // "Common Stock", "Physical Currency"
    std::optional<std::string> currency;   // "USD"
    mdsp::event_time event_time;           // us since epoch, when it happened
    mdsp::ingest_time ingest_time;         // us since epoch, when mdsp got it
    double price = 0;
    std::optional<double> size;       // trade quantity, when the source has one
    std::optional<double> day_volume; // cumulative volume of the day (TwelveData)
    std::optional<double> bid;
    std::optional<double> ask;
    std::optional<int64_t> trade_id;
    mdsp::sequence seq; // per-source arrival order: dedupe and deterministic ties

    bool operator==(const tick&) const = default;
};

} // namespace mdsp::model
