#include "feed/internal/forms.h"

#include <array>
#include <charconv>
#include <cmath>
#include <optional>

#include <fmt/format.h>

#include "base/time.h"
#include "model/text.h"

namespace mdsp::feed::internal {

namespace {

char lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

struct unit_suffix {
    std::string_view suffix;
    time_unit unit;
};
constexpr std::array<unit_suffix, 14> unit_suffixes{{
    {"_s", time_unit::seconds},
    {"_sec", time_unit::seconds},
    {"_secs", time_unit::seconds},
    {"_seconds", time_unit::seconds},
    {"_ms", time_unit::millis},
    {"_millis", time_unit::millis},
    {"_milliseconds", time_unit::millis},
    {"_us", time_unit::micros},
    {"_micros", time_unit::micros},
    {"_microseconds", time_unit::micros},
    {"_ns", time_unit::nanos},
    {"_nanos", time_unit::nanos},
    {"_nanoseconds", time_unit::nanos},
    {"", time_unit::automatic},
}};

bool is_time_name(std::string_view s) {
    return iequals(s, "time") || iequals(s, "timestamp") || iequals(s, "ts");
}

// A Unix time as a decimal number, in a unit, as exact microseconds: digits
// are kept as text, so nothing is lost to binary floating point. The grammar
// is [+]digits[.digits][(e|E)[+|-]digits] (at least one mantissa digit).
struct decimal {
    std::string_view digits; // the mantissa as written, '.' included
    size_t point = 0;        // digits before the '.'
    int64_t exponent = 0;    // of ten
    bool negative = false;
};

std::optional<decimal> scan_decimal(std::string_view s) {
    decimal d;
    size_t i = 0;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
        d.negative = s[i] == '-';
        ++i;
    }
    const size_t start = i;
    size_t int_digits = 0, frac_digits = 0;
    while (i < s.size() && is_digit(s[i])) {
        ++i;
        ++int_digits;
    }
    if (i < s.size() && s[i] == '.') {
        ++i;
        while (i < s.size() && is_digit(s[i])) {
            ++i;
            ++frac_digits;
        }
    }
    if (int_digits + frac_digits == 0) {
        return std::nullopt;
    }
    d.digits = s.substr(start, i - start);
    d.point = int_digits;
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        bool neg = false;
        if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
            neg = s[i] == '-';
            ++i;
        }
        const size_t e0 = i;
        int64_t e = 0;
        while (i < s.size() && is_digit(s[i])) {
            e = std::min<int64_t>(e * 10 + (s[i] - '0'), 1'000'000); // saturate: far out of range anyway
            ++i;
        }
        if (i == e0) {
            return std::nullopt;
        }
        d.exponent = neg ? -e : e;
    }
    if (i != s.size()) {
        return std::nullopt;
    }
    return d;
}

// Significant digits of d (no leading zeros, no '.'), and how many of them
// come before the decimal point once the exponent is applied (may be <= 0, or
// more than there are digits).
void normalise(const decimal& d, std::string& sig, int64_t& int_len) {
    // Only the first max_kept significant digits can reach a microsecond:
    // number_time refuses values that need more.
    constexpr size_t max_kept = 24;
    sig.clear();
    int64_t point = static_cast<int64_t>(d.point);
    for (char c : d.digits) {
        if (c == '.') {
            continue;
        }
        if (sig.empty() && c == '0') {
            --point; // the point is counted from the first significant digit
        } else if (sig.size() < max_kept) {
            sig.push_back(c);
        }
    }
    int_len = point + d.exponent;
}

// The unit a bare number's size implies (see forms.h).
time_unit unit_by_magnitude(int64_t int_len) {
    if (int_len <= 11) {
        return time_unit::seconds;
    }
    if (int_len <= 14) {
        return time_unit::millis;
    }
    if (int_len <= 17) {
        return time_unit::micros;
    }
    return time_unit::nanos;
}

int micros_shift(time_unit u) {
    switch (u) {
    case time_unit::seconds:
        return 6;
    case time_unit::millis:
        return 3;
    case time_unit::micros:
    case time_unit::automatic:
        return 0;
    case time_unit::nanos:
        return -3;
    }
    return 0;
}

enum class time_check { ok, not_a_time, before_1970, after_9999 };

time_check number_time(const decimal& d, time_unit unit, int64_t& micros) {
    std::string sig;
    int64_t int_len = 0;
    normalise(d, sig, int_len);
    if (sig.empty()) {
        micros = 0; // zero, in any unit
        return time_check::ok;
    }
    if (d.negative) {
        return time_check::before_1970;
    }
    if (unit == time_unit::automatic) {
        unit = unit_by_magnitude(int_len);
    }
    // The whole microseconds: the first int_len + shift significant digits,
    // then zeros if there are fewer digits than that.
    const int64_t keep = int_len + micros_shift(unit);
    if (keep <= 0) {
        micros = 0; // below a microsecond
        return time_check::ok;
    }
    if (keep > 18) {
        return time_check::after_9999; // 1e18 us and more: far past 9999
    }
    int64_t v = 0;
    for (int64_t i = 0; i < keep; ++i) {
        v = v * 10 + (i < static_cast<int64_t>(sig.size()) ? sig[static_cast<size_t>(i)] - '0' : 0);
    }
    if (v > max_time_micros) {
        return time_check::after_9999;
    }
    micros = v;
    return time_check::ok;
}

} // namespace

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (size_t i = 0; i < a.size(); ++i) {
        if (lower(a[i]) != lower(b[i])) {
            return false;
        }
    }
    return true;
}

field_name classify_field(std::string_view name) {
    for (const auto& [suffix, unit] : unit_suffixes) {
        if (name.size() > suffix.size() && iequals(name.substr(name.size() - suffix.size()), suffix)
            && is_time_name(name.substr(0, name.size() - suffix.size()))) {
            return {field_role::time, unit};
        }
    }
    if (iequals(name, "symbol") || iequals(name, "pair") || iequals(name, "instrument")) {
        return {field_role::symbol, time_unit::automatic};
    }
    if (iequals(name, "price") || iequals(name, "p")) {
        return {field_role::price, time_unit::automatic};
    }
    if (iequals(name, "size") || iequals(name, "qty") || iequals(name, "quantity") || iequals(name, "amount")
        || iequals(name, "volume")) {
        return {field_role::size, time_unit::automatic};
    }
    return {};
}

std::string_view to_string(field_role role) noexcept {
    switch (role) {
    case field_role::time:
        return "time";
    case field_role::symbol:
        return "symbol";
    case field_role::price:
        return "price";
    case field_role::size:
        return "size";
    case field_role::other:
        break;
    }
    return "other";
}

bool parse_time_field(std::string_view text, time_unit unit, std::string_view name, int64_t& micros,
                      std::string& error) {
    time_check c = time_check::not_a_time;
    if (auto d = scan_decimal(text)) {
        c = number_time(*d, unit, micros);
    } else if (auto iso = parse_time_micros(text)) {
        // Not a bare number, so parse_time_micros read it as ISO 8601.
        c = *iso < 0                 ? time_check::before_1970
            : *iso > max_time_micros ? time_check::after_9999
                                     : time_check::ok;
        micros = *iso;
    }
    switch (c) {
    case time_check::ok:
        return true;
    case time_check::not_a_time:
        error = fmt::format("{} {} is not a time (ISO 8601, or a Unix time in s, ms, us or ns)", name,
                            quote_field(text));
        return false;
    case time_check::before_1970:
        error = fmt::format("{} {} is before 1970", name, quote_field(text));
        return false;
    case time_check::after_9999:
        error = fmt::format("{} {} is after the year 9999 (or in a smaller unit than the column says)", name,
                            quote_field(text));
        return false;
    }
    return false;
}

bool parse_time_number(double value, time_unit unit, std::string_view name, int64_t& micros,
                       std::string& error) {
    if (!std::isfinite(value)) {
        error = fmt::format("{} {} is not a finite number", name, value);
        return false;
    }
    std::array<char, 64> buf{};
    auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), value);
    if (ec != std::errc()) {
        error = fmt::format("{} {} is not a time", name, value);
        return false;
    }
    return parse_time_field(std::string_view(buf.data(), static_cast<size_t>(end - buf.data())), unit, name,
                            micros, error);
}

bool parse_number(std::string_view s, std::string_view name, sign_rule rule, double& v, std::string& error) {
    if (s.empty()) {
        error = fmt::format("{} is empty", name);
        return false;
    }
    // from_chars takes what strtod takes but a leading '+'.
    std::string_view body = s;
    if (body.size() > 1 && body[0] == '+' && (is_digit(body[1]) || body[1] == '.')) {
        body.remove_prefix(1);
    }
    auto [p, ec] = std::from_chars(body.data(), body.data() + body.size(), v);
    if (ec == std::errc::result_out_of_range) {
        error = fmt::format("{} {} is out of range", name, quote_field(s));
        return false;
    }
    if (ec != std::errc() || p != body.data() + body.size()) {
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

} // namespace mdsp::feed::internal
