#include "store/internal/cassandra_rows.h"

#include <chrono>

#include <fmt/format.h>

#include "store/store.h"

namespace mdsp::store::internal {

namespace {
int64_t floor_div(int64_t a, int64_t b) {
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

template<typename T>
cql::value opt(const std::optional<T>& v, cql::value (*f)(T)) {
    return v ? f(*v) : cql::value::unset(); // unset: no tombstone for a missing field
}
cql::value opt_text(const std::optional<std::string>& v) {
    return v ? cql::value::text(*v) : cql::value::unset();
}

mdsp::error bad_row(std::string_view what, const mdsp::error& e) {
    return make_error(errc::corrupt, "a {} row from Cassandra does not fit the schema: {}", what, e.what());
}
} // namespace

std::string insert_tick_cql(const std::string& keyspace) {
    return fmt::format(
        "INSERT INTO {}.ticks (symbol, day, {}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        keyspace, tick_columns);
}

std::string insert_candle_cql(const std::string& keyspace, bool using_timestamp) {
    return fmt::format(
        "INSERT INTO {}.candles (symbol, interval, bucket, {}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
        "?, ?, ?, ?, ?, ?, ?){}",
        keyspace, candle_columns, using_timestamp ? " USING TIMESTAMP ?" : "");
}

std::string candle_bucket(model::interval iv, int64_t window_start_us) {
    using namespace std::chrono;
    auto days = sys_days(std::chrono::days(floor_div(window_start_us, int64_t(86'400'000'000))));
    year_month_day ymd(days);
    int y = int(ymd.year());
    if (iv.micros() < 60'000'000) {
        return fmt::format("{:04d}-{:02d}-{:02d}", y, unsigned(ymd.month()), unsigned(ymd.day()));
    }
    if (iv.micros() < 3'600'000'000) {
        return fmt::format("{:04d}-{:02d}", y, unsigned(ymd.month()));
    }
    return fmt::format("{:04d}", y);
}

int32_t tick_day(int64_t event_time_us) {
    return int32_t(floor_div(event_time_us, int64_t(86'400'000'000)));
}

int64_t ceil_ms(int64_t us) {
    return -floor_div(-us, 1000);
}

std::vector<cql::value> tick_values(const model::tick& t, bool with_day) {
    using cql::value;
    std::vector<value> v;
    v.reserve(16);
    v.push_back(value::text(t.symbol));
    if (with_day) {
        v.push_back(value::date(tick_day(t.event_time())));
    }
    v.push_back(value::bigint(t.event_time()));
    v.push_back(value::bigint(t.seq()));
    v.push_back(value::text(t.source));
    v.push_back(opt_text(t.exchange));
    v.push_back(opt_text(t.mic_code));
    v.push_back(opt_text(t.asset_type));
    v.push_back(opt_text(t.currency));
    v.push_back(value::bigint(t.ingest_time()));
    v.push_back(value::double_(t.price));
    v.push_back(opt(t.size, &value::double_));
    v.push_back(opt(t.day_volume, &value::double_));
    v.push_back(opt(t.bid, &value::double_));
    v.push_back(opt(t.ask, &value::double_));
    v.push_back(opt(t.trade_id, &value::bigint));
    return v;
}

std::vector<cql::value> candle_values(const model::candle& c) {
    using cql::value;
    return {value::text(c.symbol),
            value::text(c.interval.name()),
            value::text(candle_bucket(c.interval, c.window_start())),
            value::timestamp_ms(floor_div(c.window_start(), 1000)),
            value::double_(c.open),
            value::double_(c.high),
            value::double_(c.low),
            value::double_(c.close),
            value::double_(c.volume),
            value::double_(c.vwap),
            value::bigint(c.trade_count),
            value::bigint(c.first_event_time()),
            value::bigint(c.last_event_time()),
            value::boolean(c.final),
            value::bigint(c.revision),
            value::boolean(c.backfilled),
            value::boolean(c.spike)};
}

namespace {
// Reads typed cells one after the other, keeping the first error.
class cells {
public:
    cells(const cql::row_view& row, size_t first)
      : _row(row)
      , _i(first) {}
    template<typename T>
    std::optional<T> next(result<std::optional<T>> (cql::row_view::*get)(size_t) const) {
        auto r = (_row.*get)(_i++);
        if (!r) {
            if (!_err) {
                _err = r.error();
            }
            return std::nullopt;
        }
        return *r;
    }
    const std::optional<mdsp::error>& error() const { return _err; }

private:
    const cql::row_view& _row;
    size_t _i;
    std::optional<mdsp::error> _err;
};
} // namespace

// symbol?, event_time, seq, source, exchange, mic_code, asset_type, currency,
// ingest_time, price, size, day_volume, bid, ask, trade_id
result<model::tick> tick_from_row(const cql::row_view& row, bool with_symbol, std::string_view symbol) {
    using cql::row_view;
    model::tick t;
    cells c(row, 0);
    t.symbol = with_symbol ? c.next(&row_view::text).value_or("") : std::string(symbol);
    auto et = c.next(&row_view::bigint);
    auto seq = c.next(&row_view::bigint);
    t.source = c.next(&row_view::text).value_or("");
    t.exchange = c.next(&row_view::text);
    t.mic_code = c.next(&row_view::text);
    t.asset_type = c.next(&row_view::text);
    t.currency = c.next(&row_view::text);
    auto ingest = c.next(&row_view::bigint);
    auto price = c.next(&row_view::double_);
    t.size = c.next(&row_view::double_);
    t.day_volume = c.next(&row_view::double_);
    t.bid = c.next(&row_view::double_);
    t.ask = c.next(&row_view::double_);
    t.trade_id = c.next(&row_view::bigint);
    if (c.error()) {
        return bad_row("tick", *c.error());
    }
    if (!et || !seq || !price) {
        return make_error(errc::corrupt, "a tick row of {} from Cassandra lacks its event time, seq or price",
                          t.symbol);
    }
    t.event_time = mdsp::event_time(*et);
    t.seq = mdsp::sequence(*seq);
    t.ingest_time = mdsp::ingest_time(ingest.value_or(0));
    t.price = *price;
    return t;
}

// window_start, open, high, low, close, volume, vwap, trade_count,
// first_event_time, last_event_time, final, revision, backfilled, spike
result<model::candle> candle_from_row(const cql::row_view& row, std::string_view symbol, model::interval iv) {
    using cql::row_view;
    model::candle k;
    k.symbol = std::string(symbol);
    k.interval = iv;
    cells c(row, 0);
    auto ws = c.next(&row_view::timestamp_ms);
    k.open = c.next(&row_view::double_).value_or(0);
    k.high = c.next(&row_view::double_).value_or(0);
    k.low = c.next(&row_view::double_).value_or(0);
    k.close = c.next(&row_view::double_).value_or(0);
    k.volume = c.next(&row_view::double_).value_or(0);
    k.vwap = c.next(&row_view::double_).value_or(0);
    k.trade_count = c.next(&row_view::bigint).value_or(0);
    k.first_event_time = mdsp::event_time(c.next(&row_view::bigint).value_or(0));
    k.last_event_time = mdsp::event_time(c.next(&row_view::bigint).value_or(0));
    k.final = c.next(&row_view::boolean).value_or(false);
    k.revision = c.next(&row_view::bigint).value_or(0);
    k.backfilled = c.next(&row_view::boolean).value_or(false);
    k.spike = c.next(&row_view::boolean).value_or(false); // null in rows from before the column
    if (c.error()) {
        return bad_row("candle", *c.error());
    }
    if (!ws) {
        return make_error(errc::corrupt, "a candle row of {} from Cassandra has no window_start", symbol);
    }
    k.window_start = mdsp::event_time(*ws * 1000);
    return k;
}

} // namespace mdsp::store::internal
