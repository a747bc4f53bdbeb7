#include "http/live_protocol.h"

#include <boost/json/parse.hpp>
#include <boost/json/parse_options.hpp>
#include <boost/json/value.hpp>
#include <fmt/format.h>

#include "http/query.h"
#include "model/text.h"

namespace mdsp::http {

namespace {
const boost::json::string* string_member(const boost::json::object& o, std::string_view name) {
    auto it = o.find(name);
    return it == o.end() ? nullptr : it->value().if_string();
}
} // namespace

std::variant<client_message, std::string>
parse_client_message(std::string_view text, const std::vector<model::interval>& intervals) {
    boost::json::parse_options po;
    po.max_depth = 8;
    boost::system::error_code ec;
    auto v = boost::json::parse(text, ec, {}, po);
    if (ec) {
        return fmt::format("the message is not JSON ({}); send e.g. "
                           R"({{"action":"subscribe","symbol":"BTC/USD","interval":"1m"}})",
                           ec.message());
    }
    const auto* o = v.if_object();
    if (o == nullptr) {
        return std::string("the message must be a JSON object with an \"action\"");
    }
    client_message m;
    const auto* action = string_member(*o, "action");
    if (action == nullptr) {
        return std::string(R"("action" is missing or not a string; use "subscribe" or "unsubscribe")");
    }
    if (*action == "subscribe") {
        m.act = client_message::action::subscribe;
    } else if (*action == "unsubscribe") {
        m.act = client_message::action::unsubscribe;
    } else {
        return std::string(R"("action" must be "subscribe" or "unsubscribe")");
    }
    if (auto it = o->find("channel"); it != o->end()) {
        const auto* ch = it->value().if_string();
        if (ch != nullptr && *ch == "latest") {
            m.chan = client_message::channel::latest;
            return m;
        }
        if (ch == nullptr || *ch != "candles") {
            return std::string(R"("channel" must be "candles" or "latest")");
        }
    }
    const auto* symbol = string_member(*o, "symbol");
    if (symbol == nullptr) {
        return fmt::format(R"("symbol" must be a string of 1 to {} bytes, e.g. "BTC/USD")", max_symbol_bytes);
    }
    // The rule of the HTTP API, so a subscription never names a series the
    // API would refuse (a NUL, a control character, bytes that are not UTF-8).
    if (auto why = model::valid_symbol(*symbol)) {
        return fmt::format(R"("symbol" is not a symbol: {}; use 1 to {} bytes of UTF-8 without spaces or )"
                           R"(control characters, e.g. "BTC/USD")",
                           *why, max_symbol_bytes);
    }
    m.symbol = std::string(*symbol);
    const auto* iv = string_member(*o, "interval");
    std::optional<model::interval> parsed;
    if (iv != nullptr) {
        parsed = model::interval::parse(*iv);
    }
    bool known = false;
    for (const auto& i : intervals) {
        known = known || (parsed && *parsed == i);
    }
    if (!known) {
        std::string names;
        for (const auto& i : intervals) {
            names += names.empty() ? "" : ", ";
            names += i.name();
        }
        return fmt::format(R"("interval" must be one of the computed intervals: {})", names);
    }
    m.interval = *parsed;
    return m;
}

} // namespace mdsp::http
