// JSON lines (line_parser.h): TwelveData events and plain trade objects.
#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
#include <vector>

#include <fmt/format.h>
#include <simdjson.h>

#include "feed/internal/line_parser.h"

namespace mdsp::feed::internal {

struct json_line_parser::impl {
    simdjson::dom::parser parser;
    std::vector<char> buf; // the line, then SIMDJSON_PADDING bytes
};

json_line_parser::json_line_parser(json_objects accept)
  : _impl(std::make_unique<impl>())
  , _accept(accept) {}
json_line_parser::~json_line_parser() = default;

namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

enum class field_state { absent, ok, bad };

// A number, or a string holding one (some feeds quote numbers); null = absent.
field_state json_number(const element& v, std::string_view name, sign_rule rule, double& out,
                        std::string& error) {
    switch (v.type()) {
    case element_type::NULL_VALUE:
        return field_state::absent;
    case element_type::INT64:
    case element_type::UINT64:
    case element_type::DOUBLE: {
        out = v.get_double().value_unsafe();
        // Errors only format the number: this is the per-message hot path.
        if (!std::isfinite(out)) {
            error = fmt::format("{} {} is not a finite number", name, out);
            return field_state::bad;
        }
        if ((rule == sign_rule::positive && !(out > 0)) || (rule == sign_rule::non_negative && out < 0)) {
            error = fmt::format("{} {} is {}", name, out,
                                rule == sign_rule::positive ? "not positive" : "negative");
            return field_state::bad;
        }
        return field_state::ok;
    }
    case element_type::STRING:
        return parse_number(v.get_string().value_unsafe(), name, rule, out, error) ? field_state::ok
                                                                                   : field_state::bad;
    default:
        error = fmt::format("{} is not a number", name);
        return field_state::bad;
    }
}

field_state json_string(const element& v, std::string_view name, std::string_view& out, std::string& error) {
    if (v.type() == element_type::NULL_VALUE) {
        return field_state::absent;
    }
    if (v.type() != element_type::STRING) {
        error = fmt::format("{} is not a string", name);
        return field_state::bad;
    }
    out = v.get_string().value_unsafe();
    return field_state::ok;
}

// A time: a string in any form parse_time_field reads, an integer read
// exactly (as its decimal text), or a fractional number.
field_state json_time(const element& v, time_unit unit, std::string_view name, int64_t& micros,
                      std::string& error) {
    std::array<char, 24> digits{};
    auto integer = [&](auto n) {
        auto [end, ec] = std::to_chars(digits.data(), digits.data() + digits.size(), n);
        (void)ec; // 24 chars hold any 64-bit integer
        return std::string_view(digits.data(), static_cast<size_t>(end - digits.data()));
    };
    bool fine = false;
    switch (v.type()) {
    case element_type::NULL_VALUE:
        return field_state::absent;
    case element_type::INT64:
        fine = parse_time_field(integer(v.get_int64().value_unsafe()), unit, name, micros, error);
        break;
    case element_type::UINT64:
        fine = parse_time_field(integer(v.get_uint64().value_unsafe()), unit, name, micros, error);
        break;
    case element_type::DOUBLE:
        fine = parse_time_number(v.get_double().value_unsafe(), unit, name, micros, error);
        break;
    case element_type::STRING:
        fine = parse_time_field(v.get_string().value_unsafe(), unit, name, micros, error);
        break;
    default:
        error = fmt::format("{} is not a number or a string", name);
        return field_state::bad;
    }
    return fine ? field_state::ok : field_state::bad;
}

// One field of a line: where it was, and whether it was well-formed.
template<typename T>
struct found {
    T value{};
    std::string_view key; // empty = not seen
    bool ok = false;
};

// What a line's keys said, before deciding what kind of line it is.
struct json_fields {
    found<std::string_view> event, symbol, currency, exchange, mic, type;
    found<int64_t> time;
    found<double> price, size, bid, ask, volume;
    // The first bad value of "event", of the keys every line may have (time,
    // symbol, price, size), and of TwelveData's extras, which a plain trade
    // ignores.
    std::string event_error, core_error, extra_error;
};

// Reads one key into `f`, keeping the first error in `first`. A second key
// for the same field (both "qty" and "volume") is an error, not a guess;
// `what` names the field in that error.
template<typename T, typename Read>
void take(found<T>& f, std::string_view key, std::string_view what, std::string& first, std::string& error,
          Read read) {
    if (!f.key.empty()) {
        if (first.empty()) {
            first = fmt::format("keys \"{}\" and \"{}\" both give the {}; keep one", f.key, key, what);
        }
        return;
    }
    f.key = key;
    const field_state st = read(f.value);
    f.ok = st == field_state::ok;
    if (st == field_state::absent) {
        f.key = {};
    } else if (st == field_state::bad && first.empty()) {
        first = std::move(error);
    }
}

void read_fields(simdjson::dom::object obj, json_fields& j, std::string& error) {
    for (auto field : obj) {
        const std::string_view key = field.key;
        const element value = field.value;
        auto string_into = [&](found<std::string_view>& f, std::string_view what, std::string& first) {
            take(f, key, what, first, error,
                 [&](std::string_view& out) { return json_string(value, key, out, error); });
        };
        auto number_into = [&](found<double>& f, std::string_view what, sign_rule rule, std::string& first) {
            take(f, key, what, first, error,
                 [&](double& out) { return json_number(value, key, rule, out, error); });
        };
        if (key == "event") {
            string_into(j.event, "event", j.event_error);
            continue;
        }
        if (key == "currency" || key == "exchange" || key == "mic_code" || key == "type") {
            auto& f = key == "currency"   ? j.currency
                      : key == "exchange" ? j.exchange
                      : key == "mic_code" ? j.mic
                                          : j.type;
            string_into(f, key, j.extra_error);
            continue;
        }
        if (key == "bid" || key == "ask" || key == "day_volume") {
            auto& f = key == "bid" ? j.bid : key == "ask" ? j.ask : j.volume;
            number_into(f, key, sign_rule::non_negative, j.extra_error);
            continue;
        }
        const field_name name = classify_field(key);
        const std::string_view what = to_string(name.role);
        switch (name.role) {
        case field_role::time:
            take(j.time, key, what, j.core_error, error,
                 [&](int64_t& out) { return json_time(value, name.unit, key, out, error); });
            break;
        case field_role::symbol:
            string_into(j.symbol, what, j.core_error);
            break;
        case field_role::price:
            number_into(j.price, what, sign_rule::positive, j.core_error);
            break;
        case field_role::size:
            number_into(j.size, what, sign_rule::non_negative, j.core_error);
            break;
        case field_role::other:
            break;
        }
    }
}

} // namespace

line_outcome json_line_parser::parse(std::string_view line, model::tick& t, std::string& error) {
    auto& buf = _impl->buf;
    if (buf.size() < line.size() + simdjson::SIMDJSON_PADDING) {
        buf.resize(line.size() + simdjson::SIMDJSON_PADDING);
    }
    std::memcpy(buf.data(), line.data(), line.size());
    std::memset(buf.data() + line.size(), 0, simdjson::SIMDJSON_PADDING);

    element doc;
    if (auto err = _impl->parser.parse(buf.data(), line.size(), false).get(doc)) {
        error = fmt::format("not valid JSON ({})", simdjson::error_message(err));
        return line_outcome::malformed;
    }
    simdjson::dom::object obj;
    if (doc.get_object().get(obj)) {
        error = "not a JSON object";
        return line_outcome::malformed;
    }
    json_fields j;
    read_fields(obj, j, error);
    const bool twelvedata = !j.event.key.empty() || _accept == json_objects::twelvedata;
    if (twelvedata) {
        if (!j.event_error.empty()) {
            error = std::move(j.event_error);
            return line_outcome::malformed;
        }
        if (j.event.key.empty()) {
            error = "no \"event\" field (expected a TwelveData event such as {\"event\":\"price\",...})";
            return line_outcome::malformed;
        }
        // Only a price event's fields matter: a heartbeat with odd fields is
        // still a heartbeat.
        if (j.event.value != "price") {
            return line_outcome::skip;
        }
        if (!j.core_error.empty() || !j.extra_error.empty()) {
            error = std::move(j.core_error.empty() ? j.extra_error : j.core_error);
            return line_outcome::malformed;
        }
        if (j.symbol.key.empty() || j.symbol.value.empty()) {
            error = "price event without a symbol";
            return line_outcome::malformed;
        }
        if (j.time.key.empty()) {
            error = "price event without a timestamp";
            return line_outcome::malformed;
        }
        if (j.price.key.empty()) {
            error = "price event without a price";
            return line_outcome::malformed;
        }
    } else {
        if (!j.core_error.empty()) {
            error = std::move(j.core_error);
            return line_outcome::malformed;
        }
        if (j.time.key.empty()) {
            error = "no time (a key named time, timestamp or ts)";
            return line_outcome::malformed;
        }
        if (j.price.key.empty()) {
            error = "no price (a key named price or p)";
            return line_outcome::malformed;
        }
        if (!j.symbol.key.empty() && j.symbol.value.empty()) {
            error = "symbol is empty";
            return line_outcome::malformed;
        }
    }
    // assign() reuses the capacity of the caller's tick (names like "PHYSICAL
    // CURRENCY" are past the small-string buffer); emplace() would allocate.
    t.symbol.assign(j.symbol.value);
    t.event_time = event_time(j.time.value);
    t.price = j.price.value;
    auto opt_num = [](const found<double>& f) {
        return f.key.empty() ? std::nullopt : std::optional(f.value);
    };
    t.size = opt_num(j.size);
    auto opt_str = [twelvedata](std::optional<std::string>& dst, const found<std::string_view>& f) {
        if (!twelvedata || f.key.empty()) {
            dst.reset();
        } else if (dst) {
            dst->assign(f.value);
        } else {
            dst.emplace(f.value);
        }
    };
    opt_str(t.currency, j.currency);
    opt_str(t.exchange, j.exchange);
    opt_str(t.mic_code, j.mic);
    opt_str(t.asset_type, j.type);
    t.bid = twelvedata ? opt_num(j.bid) : std::nullopt;
    t.ask = twelvedata ? opt_num(j.ask) : std::nullopt;
    t.day_volume = twelvedata ? opt_num(j.volume) : std::nullopt;
    return line_outcome::tick;
}

} // namespace mdsp::feed::internal
