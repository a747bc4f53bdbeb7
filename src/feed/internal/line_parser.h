#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "feed/internal/forms.h"
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

// Generic CSV: a header naming a time and a price column, optionally a
// symbol (needed unless the caller gives one) and a size column, in any
// order, by any of the names classify_field (forms.h) knows; other columns
// are ignored.
struct generic_columns {
    int time = -1;
    int symbol = -1;
    int price = -1;
    int size = -1;
    time_unit unit = time_unit::automatic; // of bare-number times, from the time column's name
    size_t count = 0;                      // fields per row
};
// nullopt, with *why set when why is given, when the line is not such a
// header: no time or no price column, or two columns for one field
// ("qty" and "volume").
std::optional<generic_columns> parse_generic_header(std::string_view line, std::string* why = nullptr);
// Whether the line names a time and a price column, even if it names one
// twice: it is meant as a generic CSV header (parse_generic_header then says
// what is wrong with it).
bool names_time_and_price(std::string_view line);
// Sets event_time (parse_time_field's forms), symbol (when the column
// exists), price and size (plain or exponent notation; empty = none). Leaves
// seq and the rest alone.
line_outcome parse_generic_line(std::string_view line, const generic_columns& cols, model::tick& t,
                                std::string& error);

// JSON lines, one object per line. With an "event" key it is a TwelveData
// WebSocket event: "price" events become ticks (symbol, timestamp, price,
// bid, ask, day_volume, currency, exchange, mic_code, type -> asset_type),
// other events are skipped. Without one (json_objects::any only) it is a
// plain trade: keys named as classify_field's columns (time/timestamp/ts with
// unit hints, price/p, size/qty/quantity/amount/volume, symbol/pair/instrument;
// ASCII case-insensitive) give event_time, price, size and symbol; other keys
// are ignored; a missing symbol leaves t.symbol empty for the caller to fill.
// Times are strings (parse_time_field) or numbers (parse_time_number), prices
// and sizes numbers or strings holding one.
// Holds a simdjson parser and a padded scratch buffer, so reuse one instance.
enum class json_objects {
    twelvedata, // every line must be a TwelveData event (the live connector)
    any,        // TwelveData events or plain trades (the replay)
};
class json_line_parser {
public:
    explicit json_line_parser(json_objects accept);
    ~json_line_parser();
    json_line_parser(const json_line_parser&) = delete;
    json_line_parser& operator=(const json_line_parser&) = delete;

    line_outcome parse(std::string_view line, model::tick& t, std::string& error);

private:
    struct impl;
    std::unique_ptr<impl> _impl;
    json_objects _accept;
};

} // namespace mdsp::feed::internal
