#include "feed/internal/ws_messages.h"

#include <charconv>
#include <cmath>
#include <cstring>

#include <fmt/format.h>
#include <simdjson.h>

#include "base/time.h"

namespace mdsp::feed::internal {

namespace {

using simdjson::dom::element_type;

std::string_view str_or_empty(const simdjson::dom::element& e) {
    return e.type() == element_type::STRING ? e.get_string().value_unsafe() : std::string_view{};
}

// Reads the symbols of a subscribe-status list: strings, or objects with a
// "symbol" string; null means an empty list.
bool read_symbols(const simdjson::dom::element& e, std::string_view name, std::vector<std::string>& out,
                  std::string& error) {
    if (e.type() == element_type::NULL_VALUE) {
        return true;
    }
    simdjson::dom::array arr;
    if (e.get_array().get(arr)) {
        error = fmt::format("\"{}\" is not a list", name);
        return false;
    }
    for (auto item : arr) {
        if (out.size() >= max_status_symbols) {
            error = fmt::format("\"{}\" lists more than {} symbols", name, max_status_symbols);
            return false;
        }
        if (item.type() == element_type::STRING) {
            out.emplace_back(item.get_string().value_unsafe());
            continue;
        }
        simdjson::dom::object o;
        std::string_view sym;
        if (item.get_object().get(o) || o["symbol"].get_string().get(sym) || sym.empty()) {
            error = fmt::format("an entry of \"{}\" has no symbol", name);
            return false;
        }
        out.emplace_back(sym);
    }
    return true;
}

struct padded {
    std::vector<char> buf;
    const char* fill(std::string_view s) {
        if (buf.size() < s.size() + simdjson::SIMDJSON_PADDING) {
            buf.resize(s.size() + simdjson::SIMDJSON_PADDING);
        }
        std::memcpy(buf.data(), s.data(), s.size());
        std::memset(buf.data() + s.size(), 0, simdjson::SIMDJSON_PADDING);
        return buf.data();
    }
};

} // namespace

line_outcome parse_twelvedata_event(std::string_view msg, twelvedata_event& ev, std::string& error) {
    thread_local simdjson::dom::parser parser;
    thread_local padded pad;
    ev = twelvedata_event{};
    simdjson::dom::element doc;
    if (auto err = parser.parse(pad.fill(msg), msg.size(), false).get(doc)) {
        error = fmt::format("not valid JSON ({})", simdjson::error_message(err));
        return line_outcome::malformed;
    }
    simdjson::dom::object obj;
    if (doc.get_object().get(obj)) {
        error = "not a JSON object";
        return line_outcome::malformed;
    }
    for (auto [key, value] : obj) {
        if (key == "event") {
            ev.event = std::string(str_or_empty(value));
        } else if (key == "status") {
            ev.status = std::string(str_or_empty(value));
        } else if (key == "message") {
            ev.message = std::string(str_or_empty(value).substr(0, 500));
        } else if (key == "success") {
            if (!read_symbols(value, "success", ev.success, error)) {
                return line_outcome::malformed;
            }
        } else if (key == "fails") {
            if (!read_symbols(value, "fails", ev.fails, error)) {
                return line_outcome::malformed;
            }
        }
    }
    if (ev.event == "heartbeat") {
        ev.k = twelvedata_event::kind::heartbeat;
    } else if (ev.event == "subscribe-status") {
        ev.k = twelvedata_event::kind::subscribe_status;
    } else if (ev.status == "error" || ev.event == "error") {
        ev.k = twelvedata_event::kind::error;
    } else if (ev.event.empty()) {
        error = "no \"event\" field (expected a TwelveData event such as {\"event\":\"price\",...})";
        return line_outcome::malformed;
    }
    return line_outcome::skip;
}

struct binance_parser::impl {
    simdjson::dom::parser parser;
    padded pad;
};

binance_parser::binance_parser()
  : _impl(std::make_unique<impl>()) {}
binance_parser::~binance_parser() = default;

namespace {

bool decimal(const simdjson::dom::element& v, std::string_view name, bool positive, double& out,
             std::string& error) {
    if (v.type() != element_type::STRING) {
        error = fmt::format("\"{}\" is not a decimal string", name);
        return false;
    }
    auto s = v.get_string().value_unsafe();
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (ec != std::errc() || p != s.data() + s.size() || !std::isfinite(out)) {
        error = fmt::format("\"{}\" {} is not a number", name, quote_field(s));
        return false;
    }
    if (positive ? !(out > 0) : out < 0) {
        error = fmt::format("\"{}\" {} is {}", name, quote_field(s), positive ? "not positive" : "negative");
        return false;
    }
    return true;
}

bool integer(const simdjson::dom::element& v, std::string_view name, int64_t lo, int64_t hi, int64_t& out,
             std::string& error) {
    if (v.type() == element_type::INT64) {
        out = v.get_int64().value_unsafe();
    } else if (v.type() == element_type::UINT64 && v.get_uint64().value_unsafe() <= uint64_t(INT64_MAX)) {
        out = static_cast<int64_t>(v.get_uint64().value_unsafe());
    } else {
        error = fmt::format("\"{}\" is not an integer", name);
        return false;
    }
    if (out < lo || out > hi) {
        error = fmt::format("\"{}\" {} is out of range", name, out);
        return false;
    }
    return true;
}

} // namespace

line_outcome binance_parser::parse(std::string_view msg, model::tick& t, bool& buyer_maker,
                                   std::string& error) {
    simdjson::dom::element doc;
    if (auto err = _impl->parser.parse(_impl->pad.fill(msg), msg.size(), false).get(doc)) {
        error = fmt::format("not valid JSON ({})", simdjson::error_message(err));
        return line_outcome::malformed;
    }
    simdjson::dom::object obj;
    if (doc.get_object().get(obj)) {
        error = "not a JSON object";
        return line_outcome::malformed;
    }
    simdjson::dom::element data;
    if (obj["data"].get(data) == simdjson::SUCCESS) {
        if (data.get_object().get(obj)) {
            error = "\"data\" is not an object";
            return line_outcome::malformed;
        }
    } else if (obj["stream"].get(data) == simdjson::SUCCESS) {
        error = "a stream message without \"data\"";
        return line_outcome::malformed;
    }
    std::string_view e;
    if (obj["e"].get_string().get(e)) {
        // Answers to our own requests ({"result":null,"id":1}) carry no event.
        if (obj["result"].error() == simdjson::SUCCESS || obj["id"].error() == simdjson::SUCCESS) {
            return line_outcome::skip;
        }
        error = "no \"e\" (event type) field";
        return line_outcome::malformed;
    }
    if (e != "trade") {
        return line_outcome::skip;
    }
    constexpr int64_t max_ms = 100'000'000'000'000LL; // year 5138
    std::string_view sym;
    int64_t id = 0, ms = 0;
    double price = 0, qty = 0;
    bool m = false;
    simdjson::dom::element v;
    if (obj["s"].get_string().get(sym) || sym.empty() || sym.size() > 64) {
        error = "trade without a symbol (\"s\")";
        return line_outcome::malformed;
    }
    if (obj["t"].get(v)) {
        error = "trade without a trade id (\"t\")";
        return line_outcome::malformed;
    }
    if (!integer(v, "t", 0, INT64_MAX, id, error)) {
        return line_outcome::malformed;
    }
    if (obj["T"].get(v) && obj["E"].get(v)) {
        error = "trade without a time (\"T\")";
        return line_outcome::malformed;
    }
    if (!integer(v, "T", 0, max_ms, ms, error)) {
        return line_outcome::malformed;
    }
    if (obj["p"].get(v)) {
        error = "trade without a price (\"p\")";
        return line_outcome::malformed;
    }
    if (!decimal(v, "p", true, price, error)) {
        return line_outcome::malformed;
    }
    if (obj["q"].get(v)) {
        error = "trade without a quantity (\"q\")";
        return line_outcome::malformed;
    }
    if (!decimal(v, "q", false, qty, error)) {
        return line_outcome::malformed;
    }
    if (obj["m"].get_bool().get(m)) {
        error = "trade without a maker flag (\"m\")";
        return line_outcome::malformed;
    }
    t.symbol.assign(sym);
    t.event_time = event_time(ms * 1000);
    t.price = price;
    t.size = qty;
    t.trade_id = id;
    t.seq = sequence(id);
    buyer_maker = m;
    return line_outcome::tick;
}

} // namespace mdsp::feed::internal
