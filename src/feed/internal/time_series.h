#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/candle.h"
#include "model/interval.h"

// The answer of TwelveData's REST /time_series, as a pure function of the
// bytes (no I/O), fuzzed in tests/time_series_fuzz.cc.
namespace mdsp::feed::internal {

// TwelveData's name of an interval ("1min", "5min", "1h", "1day", ...), or
// nullopt when TwelveData has no bars of that width (1s, 3m, ...).
std::optional<std::string> twelvedata_interval_name(model::interval iv);
// The widths that have one, for error messages: "1m, 5m, 15m, ...".
std::string twelvedata_interval_list();

struct time_series_page {
    enum class kind {
        bars,         // status ok: bars holds the values (maybe none)
        no_data,      // TwelveData's "No data is available on the specified dates" (an empty range)
        rate_limited, // code 429: the credits of this minute are spent
        error,        // any other error report; code and message say which
    };
    kind k = kind::error;
    int code = 0;
    std::string message;
    std::vector<model::candle> bars; // in the order sent (TwelveData: newest first)
    size_t unaligned = 0;            // bars whose datetime does not start a window of the interval
};

// At most this many values are read from one answer (TwelveData's outputsize
// maximum is 5000).
constexpr size_t max_time_series_values = 5000;

// Parses one answer for symbol at interval iv. Datetimes are read as UTC
// (the request asks for timezone=UTC). Each value becomes a final candle
// marked backfilled: OHLC as given, volume 0 when absent (forex), vwap the
// typical price (high + low + close) / 3, trade_count 0, first/last event time
// the window's first and last microsecond. Returns false with error set when
// the bytes are not such an answer (bad JSON, missing or non-numeric fields).
bool parse_time_series(std::string_view body, std::string_view symbol, model::interval iv,
                       time_series_page& out, std::string& error);

} // namespace mdsp::feed::internal
