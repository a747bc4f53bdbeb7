#pragma once

// Validation of the /api/v1 query parameters: pure functions from the decoded
// query string to a query or an error that names the parameter, so they can
// be tested and fuzzed without a server.

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "model/interval.h"
#include "model/text.h"
#include "store/store.h"

namespace mdsp::http {

// Decoded query parameters in the order they came; a key without "=" has an
// empty value. When a key repeats, the first one counts.
using query_params = std::vector<std::pair<std::string, std::string>>;

// A request target split and percent-decoded ("+" in the query is a space).
struct parsed_target {
    std::string path;
    query_params query;
};
// nullopt when target is not origin-form ("/path?query").
std::optional<parsed_target> parse_target(std::string_view target);

// The first value of name, if present.
std::optional<std::string_view> find_param(const query_params& q, std::string_view name);

// A parameter that is missing or not acceptable; becomes HTTP 400
// {"error":"bad_parameter","parameter":..,"message":..}.
struct bad_parameter {
    std::string parameter;
    std::string message; // what was wrong and what is accepted
};

template<typename T>
using parsed = std::variant<T, bad_parameter>;

constexpr size_t default_limit = 1000;
constexpr size_t max_limit = 10000;
constexpr size_t max_symbol_bytes = model::max_symbol_bytes; // symbols are checked by model::valid_symbol

struct candles_query {
    std::string symbol;
    model::interval interval;
    store::range range;
};

struct ticks_query {
    std::string symbol;
    store::range range;
};

// symbol (required), interval (required, one of `accepted`), from, to, limit.
// Without from the newest `limit` rows of the range are asked for (tail).
parsed<candles_query> parse_candles_query(const query_params& q, std::span<const model::interval> accepted);
// symbol (required), from, to, limit, as for candles.
parsed<ticks_query> parse_ticks_query(const query_params& q);
// symbol (optional): nullopt asks for every symbol.
parsed<std::optional<std::string>> parse_latest_query(const query_params& q);

// "1s, 1m, 5m, 1h, 1d"
std::string interval_names(std::span<const model::interval> intervals);

} // namespace mdsp::http
