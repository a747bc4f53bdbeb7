#include "feed/internal/line_parser.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <vector>

#include <fmt/format.h>
#include <simdjson.h>

#include "base/time.h"
#include "model/text.h"

namespace mdsp::feed::internal {

namespace {

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r';
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_space(s.front())) {
        s.remove_prefix(1);
    }
    while (!s.empty() && is_space(s.back())) {
        s.remove_suffix(1);
    }
    return s;
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') {
            x = static_cast<char>(x - 'A' + 'a');
        }
        if (y >= 'A' && y <= 'Z') {
            y = static_cast<char>(y - 'A' + 'a');
        }
        if (x != y) {
            return false;
        }
    }
    return true;
}

bool parse_int(std::string_view s, int64_t& v) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return !s.empty() && ec == std::errc() && p == s.data() + s.size();
}

bool parse_bool(std::string_view s, bool& v) {
    if (iequals(s, "true")) {
        v = true;
        return true;
    }
    if (iequals(s, "false")) {
        v = false;
        return true;
    }
    return false;
}

enum class sign_rule { positive, non_negative };

// A finite decimal number; the error names the field and quotes its text.
bool parse_number(std::string_view s, std::string_view name, sign_rule rule, double& v, std::string& error) {
    if (s.empty()) {
        error = fmt::format("{} is empty", name);
        return false;
    }
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc::result_out_of_range) {
        error = fmt::format("{} {} is out of range", name, quote_field(s));
        return false;
    }
    if (ec != std::errc() || p != s.data() + s.size()) {
        error = fmt::format("{} {} is not a number", name, quote_field(s));
        return false;
    }
    if (!std::isfinite(v)) {
        error = fmt::format("{} {} is not a finite number", name, quote_field(s));
        return false;
    }
    if (rule == sign_rule::positive && !(v > 0)) {
        error = fmt::format("{} {} is not positive", name, quote_field(s));
        return false;
    }
    if (rule == sign_rule::non_negative && v < 0) {
        error = fmt::format("{} {} is negative", name, quote_field(s));
        return false;
    }
    return true;
}

constexpr std::string_view binance_names[] = {"agg_trade_id",   "price",         "qty",
                                              "first_trade_id", "last_trade_id", "time_ms",
                                              "is_buyer_maker", "is_best_match"};

// Unix time in ms, or in us when it is that large (>= 1e14 cannot be a ms
// time before the year 5138).
bool binance_time(std::string_view s, int64_t& micros, std::string& error) {
    int64_t v = 0;
    if (!parse_int(s, v)) {
        error = fmt::format("time_ms {} is not an integer", quote_field(s));
        return false;
    }
    if (v < 0) {
        error = fmt::format("time_ms {} is negative", quote_field(s));
        return false;
    }
    micros = v < 100'000'000'000'000LL ? v * 1000 : v;
    return true;
}

} // namespace

std::string quote_field(std::string_view field) {
    // Escaped: a malformed line's bytes end up in logs and dead-letter messages.
    constexpr size_t max_shown = 40;
    bool cut = false;
    std::string shown = model::echo_text(field, max_shown, &cut);
    if (!cut) {
        return fmt::format("'{}'", shown);
    }
    shown.resize(shown.size() - 3); // the "..." goes inside the quotes
    return fmt::format("'{}...' ({} bytes)", shown, field.size());
}

bool split_csv(std::string_view line, csv_fields& out, std::string& error) {
    out.n = 0;
    const size_t len = line.size();
    size_t i = 0;
    while (true) {
        while (i < len && is_space(line[i])) {
            ++i;
        }
        std::string_view field;
        if (i < len && line[i] == '"') {
            size_t close = line.find('"', i + 1);
            if (close == std::string_view::npos) {
                error = "a quoted field has no closing quote";
                return false;
            }
            if (close + 1 < len && line[close + 1] == '"') {
                error = "doubled quotes inside a quoted field are not supported";
                return false;
            }
            field = line.substr(i + 1, close - i - 1);
            i = close + 1;
            while (i < len && is_space(line[i])) {
                ++i;
            }
            if (i < len && line[i] != ',') {
                error = "text after a quoted field";
                return false;
            }
        } else {
            size_t comma = line.find(',', i);
            if (comma == std::string_view::npos) {
                comma = len;
            }
            field = trim(line.substr(i, comma - i));
            i = comma;
        }
        if (out.n == max_csv_fields) {
            error = fmt::format("more than {} fields", max_csv_fields);
            return false;
        }
        out.f[out.n++] = field;
        if (i >= len) {
            return true;
        }
        ++i; // the comma
    }
}

bool is_binance_header(std::string_view line) {
    csv_fields c;
    std::string error;
    if (!split_csv(line, c, error) || (c.n != 7 && c.n != 8)) {
        return false;
    }
    for (size_t i = 0; i < c.n; ++i) {
        if (!iequals(c.f[i], binance_names[i])) {
            return false;
        }
    }
    return true;
}

bool looks_like_binance_row(std::string_view line) {
    csv_fields c;
    std::string error;
    int64_t id = 0;
    bool b = false;
    return split_csv(line, c, error) && (c.n == 7 || c.n == 8) && parse_int(c.f[0], id)
           && parse_bool(c.f[6], b);
}

line_outcome parse_binance_line(std::string_view line, model::tick& t, std::string& error) {
    csv_fields c;
    if (!split_csv(line, c, error)) {
        return line_outcome::malformed;
    }
    if (c.n != 7 && c.n != 8) {
        error = fmt::format("expected 7 fields (agg_trade_id,price,qty,first_trade_id,last_trade_id,time_ms,"
                            "is_buyer_maker), got {}",
                            c.n);
        return line_outcome::malformed;
    }
    int64_t id = 0, first = 0, last = 0, micros = 0;
    double price = 0, qty = 0;
    bool flag = false;
    if (!parse_int(c.f[0], id) || id < 0) {
        error = fmt::format("agg_trade_id {} is not a non-negative integer", quote_field(c.f[0]));
        return line_outcome::malformed;
    }
    if (!parse_number(c.f[1], "price", sign_rule::positive, price, error)
        || !parse_number(c.f[2], "qty", sign_rule::non_negative, qty, error)) {
        return line_outcome::malformed;
    }
    for (size_t i : {3, 4}) {
        if (!parse_int(c.f[i], i == 3 ? first : last)) {
            error = fmt::format("{} {} is not an integer", binance_names[i], quote_field(c.f[i]));
            return line_outcome::malformed;
        }
    }
    if (!binance_time(c.f[5], micros, error)) {
        return line_outcome::malformed;
    }
    for (size_t i = 6; i < c.n; ++i) {
        if (!parse_bool(c.f[i], flag)) {
            error = fmt::format("{} {} is not true or false", binance_names[i], quote_field(c.f[i]));
            return line_outcome::malformed;
        }
    }
    t.event_time = event_time(micros);
    t.price = price;
    t.size = qty;
    t.trade_id = id;
    t.seq = sequence(id);
    return line_outcome::tick;
}

std::optional<generic_columns> parse_generic_header(std::string_view line) {
    csv_fields c;
    std::string error;
    if (!split_csv(line, c, error)) {
        return std::nullopt;
    }
    generic_columns cols;
    cols.count = c.n;
    auto set = [](int& col, int i) {
        if (col >= 0) {
            return false;
        }
        col = i;
        return true;
    };
    for (size_t i = 0; i < c.n; ++i) {
        const auto name = c.f[i];
        const int idx = static_cast<int>(i);
        bool fine = true;
        if (iequals(name, "time") || iequals(name, "timestamp")) {
            fine = set(cols.time, idx);
        } else if (iequals(name, "symbol")) {
            fine = set(cols.symbol, idx);
        } else if (iequals(name, "price")) {
            fine = set(cols.price, idx);
        } else if (iequals(name, "size") || iequals(name, "qty")) {
            fine = set(cols.size, idx);
        }
        if (!fine) {
            return std::nullopt; // a column named twice
        }
    }
    if (cols.time < 0 || cols.price < 0) {
        return std::nullopt;
    }
    return cols;
}

line_outcome parse_generic_line(std::string_view line, const generic_columns& cols, model::tick& t,
                                std::string& error) {
    csv_fields c;
    if (!split_csv(line, c, error)) {
        return line_outcome::malformed;
    }
    // A missing trailing size column counts as an empty size.
    const bool size_omitted =
        cols.size >= 0 && static_cast<size_t>(cols.size) == cols.count - 1 && c.n == cols.count - 1;
    if (c.n != cols.count && !size_omitted) {
        error = fmt::format("expected {} fields as in the header, got {}", cols.count, c.n);
        return line_outcome::malformed;
    }
    const auto time_text = c.f[static_cast<size_t>(cols.time)];
    auto micros = parse_time_micros(time_text);
    if (!micros) {
        error =
            fmt::format("time {} is not a time (ISO 8601, or Unix seconds/ms/us)", quote_field(time_text));
        return line_outcome::malformed;
    }
    double price = 0;
    if (!parse_number(c.f[static_cast<size_t>(cols.price)], "price", sign_rule::positive, price, error)) {
        return line_outcome::malformed;
    }
    std::optional<double> size;
    if (cols.size >= 0 && !size_omitted && !c.f[static_cast<size_t>(cols.size)].empty()) {
        double v = 0;
        if (!parse_number(c.f[static_cast<size_t>(cols.size)], "size", sign_rule::non_negative, v, error)) {
            return line_outcome::malformed;
        }
        size = v;
    }
    if (cols.symbol >= 0) {
        const auto sym = c.f[static_cast<size_t>(cols.symbol)];
        if (sym.empty()) {
            error = "symbol is empty";
            return line_outcome::malformed;
        }
        t.symbol.assign(sym);
    }
    t.event_time = event_time(*micros);
    t.price = price;
    t.size = size;
    return line_outcome::tick;
}

// ---- TwelveData JSON lines ----

struct twelvedata_parser::impl {
    simdjson::dom::parser parser;
    std::vector<char> buf; // the line, then SIMDJSON_PADDING bytes
};

twelvedata_parser::twelvedata_parser()
  : _impl(std::make_unique<impl>()) {}
twelvedata_parser::~twelvedata_parser() = default;

namespace {

enum class field_state { absent, ok, bad };

// A number, or a string holding one (some feeds quote numbers); null = absent.
field_state json_number(const simdjson::dom::element& v, std::string_view name, sign_rule rule, double& out,
                        std::string& error) {
    using simdjson::dom::element_type;
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

field_state json_string(const simdjson::dom::element& v, std::string_view name, std::string_view& out,
                        std::string& error) {
    using simdjson::dom::element_type;
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

// Unix seconds (integer or fractional), or a string parse_time_micros reads.
field_state json_timestamp(const simdjson::dom::element& v, int64_t& micros, std::string& error) {
    using simdjson::dom::element_type;
    constexpr double max_seconds = 100'000'000'000.0; // year 5138
    switch (v.type()) {
    case element_type::NULL_VALUE:
        return field_state::absent;
    case element_type::INT64:
    case element_type::UINT64:
    case element_type::DOUBLE: {
        double s = v.get_double().value_unsafe();
        if (!(s >= 0 && s < max_seconds)) {
            error = fmt::format("timestamp {} is not a Unix time in seconds", s);
            return field_state::bad;
        }
        micros = v.type() == element_type::DOUBLE ? std::llround(s * 1e6)
                                                  : static_cast<int64_t>(s) * micros_per_second;
        return field_state::ok;
    }
    case element_type::STRING: {
        auto text = v.get_string().value_unsafe();
        auto t = parse_time_micros(text);
        if (!t) {
            error = fmt::format("timestamp {} is not a time", quote_field(text));
            return field_state::bad;
        }
        micros = *t;
        return field_state::ok;
    }
    default:
        error = "timestamp is not a number";
        return field_state::bad;
    }
}

} // namespace

line_outcome twelvedata_parser::parse(std::string_view line, model::tick& t, std::string& error) {
    auto& buf = _impl->buf;
    if (buf.size() < line.size() + simdjson::SIMDJSON_PADDING) {
        buf.resize(line.size() + simdjson::SIMDJSON_PADDING);
    }
    std::memcpy(buf.data(), line.data(), line.size());
    std::memset(buf.data() + line.size(), 0, simdjson::SIMDJSON_PADDING);

    simdjson::dom::element doc;
    if (auto err = _impl->parser.parse(buf.data(), line.size(), false).get(doc)) {
        error = fmt::format("not valid JSON ({})", simdjson::error_message(err));
        return line_outcome::malformed;
    }
    simdjson::dom::object obj;
    if (doc.get_object().get(obj)) {
        error = "not a JSON object";
        return line_outcome::malformed;
    }
    std::string_view event, symbol, currency, exchange, mic, type;
    bool has_event = false, has_symbol = false, has_currency = false, has_exchange = false, has_mic = false,
         has_type = false, has_time = false, has_price = false;
    bool has_bid = false, has_ask = false, has_volume = false;
    double price = 0, bid = 0, ask = 0, volume = 0;
    int64_t micros = 0;
    bool bad = false, bad_key_is_event = false;
    std::string first_error;
    for (auto [key, value] : obj) {
        field_state st = field_state::absent;
        if (key == "event") {
            st = json_string(value, "event", event, error);
            has_event = st == field_state::ok;
        } else if (key == "symbol") {
            st = json_string(value, "symbol", symbol, error);
            has_symbol = st == field_state::ok;
        } else if (key == "currency") {
            st = json_string(value, "currency", currency, error);
            has_currency = st == field_state::ok;
        } else if (key == "exchange") {
            st = json_string(value, "exchange", exchange, error);
            has_exchange = st == field_state::ok;
        } else if (key == "mic_code") {
            st = json_string(value, "mic_code", mic, error);
            has_mic = st == field_state::ok;
        } else if (key == "type") {
            st = json_string(value, "type", type, error);
            has_type = st == field_state::ok;
        } else if (key == "timestamp") {
            st = json_timestamp(value, micros, error);
            has_time = st == field_state::ok;
        } else if (key == "price") {
            st = json_number(value, "price", sign_rule::positive, price, error);
            has_price = st == field_state::ok;
        } else if (key == "bid") {
            st = json_number(value, "bid", sign_rule::non_negative, bid, error);
            has_bid = st == field_state::ok;
        } else if (key == "ask") {
            st = json_number(value, "ask", sign_rule::non_negative, ask, error);
            has_ask = st == field_state::ok;
        } else if (key == "day_volume") {
            st = json_number(value, "day_volume", sign_rule::non_negative, volume, error);
            has_volume = st == field_state::ok;
        }
        if (st == field_state::bad && !bad) {
            // Only a price event's fields matter (a heartbeat with odd fields
            // is still a heartbeat), and the event may come last: decide after.
            bad = true;
            bad_key_is_event = key == "event";
            first_error = std::move(error);
        }
    }
    if (!has_event) {
        error = bad_key_is_event
                    ? std::move(first_error)
                    : "no \"event\" field (expected a TwelveData event such as {\"event\":\"price\",...})";
        return line_outcome::malformed;
    }
    if (event != "price") {
        return line_outcome::skip;
    }
    if (bad) {
        error = std::move(first_error);
        return line_outcome::malformed;
    }
    if (!has_symbol || symbol.empty()) {
        error = "price event without a symbol";
        return line_outcome::malformed;
    }
    if (!has_time) {
        error = "price event without a timestamp";
        return line_outcome::malformed;
    }
    if (!has_price) {
        error = "price event without a price";
        return line_outcome::malformed;
    }
    t.symbol.assign(symbol);
    t.event_time = event_time(micros);
    t.price = price;
    // assign() reuses the capacity of the caller's tick (names like "PHYSICAL
    // CURRENCY" are past the small-string buffer); emplace() would allocate.
    auto opt_str = [](std::optional<std::string>& dst, bool has, std::string_view v) {
        if (has && dst) {
            dst->assign(v);
        } else if (has) {
            dst.emplace(v);
        } else {
            dst.reset();
        }
    };
    opt_str(t.currency, has_currency, currency);
    opt_str(t.exchange, has_exchange, exchange);
    opt_str(t.mic_code, has_mic, mic);
    opt_str(t.asset_type, has_type, type);
    t.bid = has_bid ? std::optional<double>(bid) : std::nullopt;
    t.ask = has_ask ? std::optional<double>(ask) : std::nullopt;
    t.day_volume = has_volume ? std::optional<double>(volume) : std::nullopt;
    return line_outcome::tick;
}

} // namespace mdsp::feed::internal
