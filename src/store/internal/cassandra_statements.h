#pragma once

#include <memory>

#include "cql/session.h"
#include "store/cassandra.h"

namespace mdsp::store {

// The prepared statements of a cassandra_store (texts in cassandra.cc).
struct cassandra_store::statements {
    using stmt = std::shared_ptr<const cql::prepared>;
    stmt insert_tick, insert_candle, insert_candle_at, insert_latest, insert_candle_bucket, insert_tick_day;
    stmt put_state, put_state_at, put_state_if_absent, delete_state, delete_state_at, load_state;
    stmt one_candle, candles_asc, candles_desc, candle_buckets;
    stmt ticks_asc, ticks_desc, tick_days;
    stmt latest_all, latest_one, symbols;
};

} // namespace mdsp::store
