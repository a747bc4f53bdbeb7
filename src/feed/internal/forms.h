#pragma once

#include <cstdint>
#include <string>
#include <string_view>

// The forms a replayed value may take, shared by the CSV and JSON-lines
// parsers (line_parser.h): times, numbers, and the names of columns and keys.
// Pure functions of the bytes, unit-tested as a table (tests/forms_test.cc)
// and fuzzed through the line parsers.
namespace mdsp::feed::internal {

// ASCII case-insensitive equality.
bool iequals(std::string_view a, std::string_view b);

// The unit of a time written as a bare number.
enum class time_unit {
    automatic, // by magnitude; see parse_time_field
    seconds,
    millis,
    micros,
    nanos,
};

// What a CSV column or a JSON key holds, from its name (ASCII case-insensitive):
//   time   time, timestamp, ts; with a unit suffix _s/_sec/_seconds, _ms/_millis,
//          _us/_micros or _ns/_nanos (time_ms, ts_ns, timestamp_us) the unit
//          of a bare number is that one instead of guessed
//   symbol symbol, pair, instrument
//   price  price, p
//   size   size, qty, quantity, amount, volume
enum class field_role { other, time, symbol, price, size };
struct field_name {
    field_role role = field_role::other;
    time_unit unit = time_unit::automatic; // of a time column only
};
field_name classify_field(std::string_view name);
// "time", "symbol", "price", "size" (what error messages call the field).
std::string_view to_string(field_role role) noexcept;

// A time as microseconds since the Unix epoch, into micros; false with `error`
// set (naming the field `name` and quoting the text) when it is not one.
// Accepted:
// - ISO 8601 / RFC 3339 as base's parse_time_micros reads it: a date, or a
//   date and time with 'T' or ' ', any number of fraction digits (cut to
//   microseconds), and Z, +hh:mm, +hhmm, +hh or nothing (UTC);
// - a bare number, integer or with a fraction, optionally in exponent
//   notation ("1570752011.62", "1.57075201162e12"), in the unit `unit`, or
//   with time_unit::automatic in the unit its integer part's size says (the
//   digit-count rule of timestamp converters, with base's and the Binance
//   parser's bounds): below 1e11 seconds (up to 11 digits), below 1e14
//   milliseconds (12-14), below 1e17 microseconds (15-17), else nanoseconds.
//   1e11 s is the year 5138, 1e11 ms is 1973-03-03: a millisecond time
//   before March 1973 needs a unit hint. Digits below a microsecond are
//   cut, not rounded.
// The result must lie from 1970-01-01T00:00:00Z to 9999-12-31T23:59:59.999999Z.
bool parse_time_field(std::string_view text, time_unit unit, std::string_view name, int64_t& micros,
                      std::string& error);
// A JSON number as a time: formatted back as its shortest round-trip decimal
// text, then read as parse_time_field reads text.
bool parse_time_number(double value, time_unit unit, std::string_view name, int64_t& micros,
                       std::string& error);

enum class sign_rule { positive, non_negative };
// A finite decimal number, plain or in exponent notation ("0.00141342",
// "1e-5", "2.5E+3", "+3", ".5"); the error names the field and quotes its text.
bool parse_number(std::string_view s, std::string_view name, sign_rule rule, double& v, std::string& error);

// Quotes a field for an error message, cut to a readable length.
std::string quote_field(std::string_view field);

} // namespace mdsp::feed::internal
