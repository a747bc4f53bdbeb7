#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/named_type.h"

namespace mdsp {

// Microseconds since the Unix epoch, from the system (wall) clock.
int64_t now_micros() noexcept;
// Nanoseconds from a monotonic clock, for latencies and timeouts.
int64_t mono_nanos() noexcept;

inline event_time event_time_now() noexcept {
    return event_time(now_micros());
}
inline ingest_time ingest_time_now() noexcept {
    return ingest_time(now_micros());
}

constexpr int64_t micros_per_second = 1'000'000;
constexpr int64_t micros_per_minute = 60 * micros_per_second;
constexpr int64_t micros_per_hour = 60 * micros_per_minute;
constexpr int64_t micros_per_day = 24 * micros_per_hour;

// The times with a four-digit year, 0000-01-01T00:00:00Z to
// 9999-12-31T23:59:59.999999Z: what format_iso8601 writes back as it was read,
// and far enough from the int64_t limits for any sum of a time and a duration
// of parse_duration_micros. Outside times are refused where they enter.
constexpr int64_t min_time_micros = -62'167'219'200LL * micros_per_second;
constexpr int64_t max_time_micros = 253'402'300'800LL * micros_per_second - 1;

// "2019-10-11T00:00:00.000000Z" (UTC, microsecond precision).
std::string format_iso8601(int64_t micros);
// Accepts RFC 3339 / ISO 8601 times ("2019-10-11T00:00:00Z",
// "2019-10-11 00:00:00", fractional seconds of any number of digits, cut to
// microseconds; no zone = UTC, or Z, or an offset +hh:mm, +hhmm or +hh), plain
// dates ("2019-10-11") and integer Unix times in s, ms or us (told apart by
// size: below 1e11 seconds, below 1e14 milliseconds).
// Dates must exist (no 2019-02-30); integer times are not bounded here (see
// min_time_micros).
std::optional<int64_t> parse_time_micros(std::string_view text);

// Parses "1s", "500ms", "2m", "1h", "1d", "250us" into microseconds; at most
// 100 years, so that no caller can overflow with it.
std::optional<int64_t> parse_duration_micros(std::string_view text);
// The shortest of the forms parse_duration_micros accepts: 60000000 -> "1m".
std::string format_duration(int64_t micros);

} // namespace mdsp
