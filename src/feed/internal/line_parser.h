#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "model/tick.h"

// Parsers for one line of each replay format. Pure functions of the bytes (no
// I/O, no logging, no allocation on the success path beyond the tick's own
// strings), so they are fuzzed and unit-tested directly. On malformed input
// they return line_outcome::malformed and set `error` to what was wrong,
// without a "file:line:" prefix (the caller adds it).
namespace mdsp::feed::internal {

enum class line_outcome {
    tick,      // the tick's fields were set
    skip,      // a well-formed line that carries no tick (e.g. a heartbeat)
    malformed, // `error` says why
};

constexpr size_t max_csv_fields = 16;

struct csv_fields {
    std::array<std::string_view, max_csv_fields> f;
    size_t n = 0;
};

// Splits one CSV line on commas. A field may be double-quoted (then it may
// hold commas); doubled quotes inside a quoted field are not supported. Spaces
// around fields are trimmed. Returns false with `error` set on bad quoting or
// more than max_csv_fields fields.
bool split_csv(std::string_view line, csv_fields& out, std::string& error);

// Binance aggregate trades, with or without the header row:
// agg_trade_id,price,qty,first_trade_id,last_trade_id,time_ms,is_buyer_maker
// and optionally is_best_match (Binance's bulk downloads have it).
bool is_binance_header(std::string_view line);
// A headerless Binance row: 7 or 8 fields, the first an integer, the 7th
// true/false.
bool looks_like_binance_row(std::string_view line);
// Sets event_time (time_ms * 1000; values of 1e14 and more are taken as
// microseconds, which Binance's newer downloads use), price, size, trade_id
// and seq (= agg_trade_id). Leaves symbol/source/ingest_time alone.
line_outcome parse_binance_line(std::string_view line, model::tick& t, std::string& error);

// Generic CSV: a header naming time, symbol (optional when the caller gives a
// symbol), price and optionally size, in any order; other columns ignored.
struct generic_columns {
    int time = -1;
    int symbol = -1;
    int price = -1;
    int size = -1;
    size_t count = 0; // fields per row
};
std::optional<generic_columns> parse_generic_header(std::string_view line);
// Sets event_time (ISO 8601 or Unix s/ms/us), symbol (when the column
// exists), price and size (empty = none). Leaves seq and the rest alone.
line_outcome parse_generic_line(std::string_view line, const generic_columns& cols, model::tick& t,
                                std::string& error);

// TwelveData WebSocket events, one JSON object per line. "price" events become
// ticks (symbol, timestamp in Unix seconds, price, bid, ask, day_volume,
// currency, exchange, mic_code, type -> asset_type); other events are skipped.
// Holds a simdjson parser and a padded scratch buffer, so reuse one instance.
class twelvedata_parser {
public:
    twelvedata_parser();
    ~twelvedata_parser();
    twelvedata_parser(const twelvedata_parser&) = delete;
    twelvedata_parser& operator=(const twelvedata_parser&) = delete;

    line_outcome parse(std::string_view line, model::tick& t, std::string& error);

private:
    struct impl;
    std::unique_ptr<impl> _impl;
};

// Quotes a field for an error message, cut to a readable length.
std::string quote_field(std::string_view field);

} // namespace mdsp::feed::internal
