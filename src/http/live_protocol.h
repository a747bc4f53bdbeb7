#pragma once

#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "model/interval.h"

namespace mdsp::http {

// What a client of /api/v1/stream sends, as JSON text frames:
//   {"action":"subscribe","symbol":"BTC/USD","interval":"1m"}    candles of one series
//   {"action":"unsubscribe","symbol":"BTC/USD","interval":"1m"}
//   {"action":"subscribe","channel":"latest"}                    the newest tick of every symbol
//   {"action":"unsubscribe","channel":"latest"}
// "channel" is "candles" (the default) or "latest". Other members are
// ignored, so clients may add an "id" of their own.
struct client_message {
    enum class action { subscribe, unsubscribe };
    enum class channel { candles, latest };
    action act = action::subscribe;
    channel chan = channel::candles;
    std::string symbol;       // candles only; passes model::valid_symbol (model/text.h)
    model::interval interval; // candles only; one of the configured intervals
};

// The message, or what is wrong with it in words for the client. Total: any
// bytes give one or the other (fuzzed by live_protocol_fuzz).
std::variant<client_message, std::string> parse_client_message(std::string_view text,
                                                               const std::vector<model::interval>& intervals);

} // namespace mdsp::http
