#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "feed/internal/line_parser.h"
#include "model/tick.h"

// Parsers of the live feeds' WebSocket messages. Pure functions of the bytes
// (no I/O, no logging), fuzzed in tests/*_fuzz.cc. Every list and string they
// return is bounded by the message, whose size the WebSocket client bounds.
namespace mdsp::feed::internal {

// A TwelveData event other than "price" (price events go through
// json_line_parser): subscribe-status, heartbeat, or an error report.
struct twelvedata_event {
    enum class kind { heartbeat, subscribe_status, error, other };
    kind k = kind::other;
    std::string event;  // as sent, "" when absent
    std::string status; // "ok", "error", ...
    std::string message;
    std::vector<std::string> success; // symbols subscribed
    std::vector<std::string> fails;   // symbols refused
};
// At most this many symbols are read from one subscribe-status list.
constexpr size_t max_status_symbols = 10'000;

line_outcome parse_twelvedata_event(std::string_view msg, twelvedata_event& ev, std::string& error);

// Binance combined-stream trade events: {"stream":"btcusdt@trade","data":{
// "e":"trade","E":ms,"s":"BTCUSDT","t":id,"p":"price","q":"qty","T":ms,
// "m":bool}} (or the bare data object). Sets symbol, event_time (T),
// price, size (q), trade_id and seq (t); buyer_maker = m. Other event types
// are skipped.
class binance_parser {
public:
    binance_parser();
    ~binance_parser();
    binance_parser(const binance_parser&) = delete;
    binance_parser& operator=(const binance_parser&) = delete;

    line_outcome parse(std::string_view msg, model::tick& t, bool& buyer_maker, std::string& error);

private:
    struct impl;
    std::unique_ptr<impl> _impl;
};

} // namespace mdsp::feed::internal
