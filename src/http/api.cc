#include "http/api.h"

#include <cmath>

#include <boost/json/array.hpp>
#include <fmt/format.h>

#include "base/time.h"
#include "http/json.h"
#include "store/fill.h"

namespace mdsp::http {

namespace {

boost::json::value number(double d) {
    if (!std::isfinite(d)) {
        return nullptr;
    }
    return d;
}

template<typename T>
boost::json::value optional_number(const std::optional<T>& v) {
    if (!v) {
        return nullptr;
    }
    if constexpr (std::is_floating_point_v<T>) {
        return number(*v);
    } else {
        return *v;
    }
}

boost::json::value optional_string(const std::optional<std::string>& v) {
    if (!v) {
        return nullptr;
    }
    return boost::json::string(*v);
}

int64_t floor_seconds(int64_t micros) {
    int64_t s = micros / micros_per_second;
    return (micros % micros_per_second < 0) ? s - 1 : s;
}

response bad(const bad_parameter& e) {
    return json_response(400,
                         {{"error", "bad_parameter"}, {"parameter", e.parameter}, {"message", e.message}});
}

response store_failure(const mdsp::error& e) {
    if (e.code == store::errc::closed) {
        return error_response(503, "store_unavailable", e.what());
    }
    if (e.code == store::errc::bad_query) {
        return error_response(400, "bad_request", e.what());
    }
    return error_response(500, "store_error", e.what());
}

} // namespace

boost::json::object candle_json(const model::candle& c) {
    return {
        {"window_start", format_iso8601(c.window_start())},
        {"time", floor_seconds(c.window_start())},
        {"open", number(c.open)},
        {"high", number(c.high)},
        {"low", number(c.low)},
        {"close", number(c.close)},
        {"volume", number(c.volume)},
        {"vwap", number(c.vwap)},
        {"trade_count", c.trade_count},
        {"first_event_time", format_iso8601(c.first_event_time())},
        {"last_event_time", format_iso8601(c.last_event_time())},
        {"final", c.final},
        {"revision", c.revision},
        {"backfilled", c.backfilled},
        {"spike", c.spike},
    };
}

boost::json::object fillers_json(const model::filler_run& f) {
    return {
        {"type", "fillers"},
        {"symbol", f.symbol},
        {"interval", f.interval.name()},
        {"from", format_iso8601(f.first())},
        {"time", floor_seconds(f.first())},
        {"count", f.count},
        {"close", number(f.close)},
        {"final", f.final},
        {"revision", f.revision},
    };
}

boost::json::object tick_json(const model::tick& t) {
    return {
        {"symbol", t.symbol},
        {"source", t.source},
        {"exchange", optional_string(t.exchange)},
        {"mic_code", optional_string(t.mic_code)},
        {"asset_type", optional_string(t.asset_type)},
        {"currency", optional_string(t.currency)},
        {"event_time", format_iso8601(t.event_time())},
        {"time", floor_seconds(t.event_time())},
        {"ingest_time", format_iso8601(t.ingest_time())},
        {"price", number(t.price)},
        {"size", optional_number(t.size)},
        {"day_volume", optional_number(t.day_volume)},
        {"bid", optional_number(t.bid)},
        {"ask", optional_number(t.ask)},
        {"trade_id", optional_number(t.trade_id)},
        {"seq", t.seq()},
    };
}

void add_api_routes(server& srv, store::store& st, api_options options) {
    srv.route(verb::get, "/api/v1/symbols", [&st](const request&) {
        auto syms = st.symbols();
        if (!syms) {
            return store_failure(syms.error());
        }
        boost::json::array arr;
        for (auto& s : *syms) {
            arr.emplace_back(s);
        }
        return json_response(200, {{"symbols", std::move(arr)}});
    });

    srv.route(
        verb::get, "/api/v1/candles",
        [&st, intervals = std::move(options.intervals), fill = options.fill_gaps](const request& req) {
            auto q = parse_candles_query(req.query, intervals);
            if (auto* e = std::get_if<bad_parameter>(&q)) {
                return bad(*e);
            }
            const auto& cq = std::get<candles_query>(q);
            auto rows = fill ? store::candles_filled(st, cq.symbol, cq.interval, cq.range)
                             : st.candles(cq.symbol, cq.interval, cq.range);
            if (!rows) {
                return store_failure(rows.error());
            }
            boost::json::array arr;
            arr.reserve(rows->size());
            for (const auto& c : *rows) {
                arr.emplace_back(candle_json(c));
            }
            return json_response(
                200, {{"symbol", cq.symbol}, {"interval", cq.interval.name()}, {"candles", std::move(arr)}});
        },
        lane::bulk);

    srv.route(
        verb::get, "/api/v1/ticks",
        [&st](const request& req) {
            auto q = parse_ticks_query(req.query);
            if (auto* e = std::get_if<bad_parameter>(&q)) {
                return bad(*e);
            }
            const auto& tq = std::get<ticks_query>(q);
            auto rows = st.ticks(tq.symbol, tq.range);
            if (!rows) {
                return store_failure(rows.error());
            }
            boost::json::array arr;
            arr.reserve(rows->size());
            for (const auto& t : *rows) {
                arr.emplace_back(tick_json(t));
            }
            return json_response(200, {{"symbol", tq.symbol}, {"ticks", std::move(arr)}});
        },
        lane::bulk);

    srv.route(verb::get, "/api/v1/latest", [&st](const request& req) {
        auto q = parse_latest_query(req.query);
        if (auto* e = std::get_if<bad_parameter>(&q)) {
            return bad(*e);
        }
        const auto& symbol = std::get<std::optional<std::string>>(q);
        boost::json::array arr;
        if (symbol) {
            auto one = st.latest(*symbol);
            if (!one) {
                return store_failure(one.error());
            }
            if (!*one) {
                return error_response(
                    404, "not_found",
                    fmt::format("no ticks stored for symbol '{}'; /api/v1/symbols lists the "
                                "symbols there are",
                                echo_input(*symbol)));
            }
            arr.emplace_back(tick_json(**one));
        } else {
            auto all = st.latest();
            if (!all) {
                return store_failure(all.error());
            }
            for (const auto& t : *all) {
                arr.emplace_back(tick_json(t));
            }
        }
        return json_response(200, {{"latest", std::move(arr)}});
    });
}

} // namespace mdsp::http
