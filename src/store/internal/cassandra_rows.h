#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "cql/messages.h"
#include "model/candle.h"
#include "model/tick.h"

// The rows of deploy/cassandra/schema.cql as bound values and back, and the
// time buckets of its partition keys. Pure functions, unit-tested without a
// server.
namespace mdsp::store::internal {

// The candles table's bucket of a window: the UTC day ('YYYY-MM-DD') below
// 1m intervals, the month ('YYYY-MM') below 1h, else the year ('YYYY').
std::string candle_bucket(model::interval iv, int64_t window_start_us);
// The ticks table's day (days since 1970-01-01, UTC) of an event time.
int32_t tick_day(int64_t event_time_us);
// The smallest millisecond m with m * 1000 >= us (timestamps are ms).
int64_t ceil_ms(int64_t us);

// The columns of the ticks and candles tables after their partition keys,
// in the order of the statements in cassandra.cc and of the values below.
inline constexpr const char* tick_columns =
    "event_time, seq, source, exchange, mic_code, asset_type, "
    "currency, ingest_time, price, size, day_volume, bid, ask, trade_id";
inline constexpr const char* candle_columns =
    "window_start, open, high, low, close, volume, vwap, trade_count, "
    "first_event_time, last_event_time, final, revision, backfilled, spike";
// How many candle_columns there are: a column selected after them is at this index.
inline constexpr size_t candle_column_count = 14;

// The INSERTs cassandra_store prepares for ticks (16 values: tick_values
// with the day) and candles (16: candle_values; one more, the write time,
// with using_timestamp). `mdsp bench --only cassandra` runs the DataStax
// Python driver on these very texts.
std::string insert_tick_cql(const std::string& keyspace);
std::string insert_candle_cql(const std::string& keyspace, bool using_timestamp);

// Bound values in the column order of the statements in cassandra.cc.
std::vector<cql::value> tick_values(const model::tick& t, bool with_day);
std::vector<cql::value> candle_values(const model::candle& c);

// Rows in the column order of the SELECTs in cassandra_read.cc.
result<model::tick> tick_from_row(const cql::row_view& row, bool with_symbol, std::string_view symbol);
result<model::candle> candle_from_row(const cql::row_view& row, std::string_view symbol, model::interval iv);

} // namespace mdsp::store::internal
