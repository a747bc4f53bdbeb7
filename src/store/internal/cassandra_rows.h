#pragma once

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

// Bound values in the column order of the statements in cassandra.cc.
std::vector<cql::value> tick_values(const model::tick& t, bool with_day);
std::vector<cql::value> candle_values(const model::candle& c);

// Rows in the column order of the SELECTs in cassandra_read.cc.
result<model::tick> tick_from_row(const cql::row_view& row, bool with_symbol, std::string_view symbol);
result<model::candle> candle_from_row(const cql::row_view& row, std::string_view symbol, model::interval iv);

} // namespace mdsp::store::internal
