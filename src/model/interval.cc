#include "model/interval.h"

#include <charconv>
#include <limits>

#include "base/time.h"

namespace mdsp::model {

namespace {
// Microseconds in one of the units parse_duration_micros accepts; 0 if none.
int64_t unit_micros(std::string_view unit) {
    if (unit == "us") {
        return 1;
    }
    if (unit == "ms") {
        return 1'000;
    }
    if (unit == "s") {
        return micros_per_second;
    }
    if (unit == "m") {
        return micros_per_minute;
    }
    if (unit == "h") {
        return micros_per_hour;
    }
    if (unit == "d") {
        return micros_per_day;
    }
    return 0;
}
} // namespace

std::string interval::name() const {
    return format_duration(_micros);
}

std::optional<interval> interval::parse(std::string_view text) {
    // "<n>min" is TwelveData's spelling ("1min", "5min"); "m" is ours.
    std::string normalized;
    if (text.size() > 3 && text.substr(text.size() - 3) == "min") {
        normalized.assign(text.substr(0, text.size() - 3));
        normalized += 'm';
        text = normalized;
    }
    // Check what parse_duration_micros leaves to its caller: a positive count
    // (an interval of 0 would divide by zero in window_start) that fits in
    // int64 microseconds.
    size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') {
        ++digits;
    }
    int64_t unit = unit_micros(text.substr(digits));
    if (digits == 0 || unit == 0) {
        return std::nullopt;
    }
    int64_t n = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + digits, n);
    if (ec != std::errc() || n <= 0 || n > std::numeric_limits<int64_t>::max() / unit) {
        return std::nullopt;
    }
    auto micros = parse_duration_micros(text);
    if (!micros || *micros <= 0) {
        return std::nullopt;
    }
    return interval(*micros);
}

std::vector<interval> default_intervals() {
    return {interval(micros_per_second), interval(micros_per_minute), interval(5 * micros_per_minute),
            interval(micros_per_hour), interval(micros_per_day)};
}

} // namespace mdsp::model
