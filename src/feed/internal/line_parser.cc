#include "feed/internal/line_parser.h"

#include <charconv>

#include <fmt/format.h>

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

std::optional<generic_columns> parse_generic_header(std::string_view line, std::string* why) {
    csv_fields c;
    std::string error;
    auto fail = [why](std::string text) -> std::optional<generic_columns> {
        if (why) {
            *why = std::move(text);
        }
        return std::nullopt;
    };
    if (!split_csv(line, c, error)) {
        return fail(std::move(error));
    }
    generic_columns cols;
    cols.count = c.n;
    for (size_t i = 0; i < c.n; ++i) {
        const field_name f = classify_field(c.f[i]);
        int* col = nullptr;
        switch (f.role) {
        case field_role::time:
            col = &cols.time;
            cols.unit = f.unit;
            break;
        case field_role::symbol:
            col = &cols.symbol;
            break;
        case field_role::price:
            col = &cols.price;
            break;
        case field_role::size:
            col = &cols.size;
            break;
        case field_role::other:
            continue;
        }
        if (*col >= 0) {
            // Guessing which one is meant (a trade's qty or a quote volume?)
            // would be silently wrong half the time.
            return fail(fmt::format("columns {} and {} both name the {}; rename or drop one",
                                    quote_field(c.f[static_cast<size_t>(*col)]), quote_field(c.f[i]),
                                    to_string(f.role)));
        }
        *col = static_cast<int>(i);
    }
    if (cols.time < 0 || cols.price < 0) {
        return fail(fmt::format("no {} column (expected one named time, timestamp or ts, and one named price "
                                "or p)",
                                cols.time < 0 ? "time" : "price"));
    }
    return cols;
}

bool names_time_and_price(std::string_view line) {
    csv_fields c;
    std::string error;
    if (!split_csv(line, c, error)) {
        return false;
    }
    bool time = false, price = false;
    for (size_t i = 0; i < c.n; ++i) {
        const auto role = classify_field(c.f[i]).role;
        time = time || role == field_role::time;
        price = price || role == field_role::price;
    }
    return time && price;
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
    int64_t micros = 0;
    if (!parse_time_field(c.f[static_cast<size_t>(cols.time)], cols.unit, "time", micros, error)) {
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
    t.event_time = event_time(micros);
    t.price = price;
    t.size = size;
    return line_outcome::tick;
}

} // namespace mdsp::feed::internal
