#include "http/query.h"

#include <charconv>

#include <boost/url/parse.hpp>
#include <fmt/format.h>

#include "base/time.h"
#include "http/json.h"
#include "model/text.h"

namespace mdsp::http {

namespace {

constexpr std::string_view time_forms =
    "use RFC 3339 (2019-10-11T00:00:00Z), a date (2019-10-11) or Unix time in seconds, milliseconds or "
    "microseconds";

// User input echoed in messages is cut short, and made valid text.
std::string echo(std::string_view v) {
    return echo_input(v, 80);
}

parsed<std::string> parse_symbol(const query_params& q, bool required) {
    auto v = find_param(q, "symbol");
    if (!v || v->empty()) {
        if (!required && !v) {
            return std::string();
        }
        return bad_parameter{"symbol", "symbol is required, e.g. symbol=XRPETH"};
    }
    if (auto why = model::valid_symbol(*v)) {
        return bad_parameter{"symbol",
                             fmt::format("symbol '{}' is not a symbol: {}; a symbol is 1 to {} bytes "
                                         "of UTF-8 without spaces or control characters, e.g. "
                                         "symbol=XRPETH",
                                         echo(*v), *why, max_symbol_bytes)};
    }
    return std::string(*v);
}

// from, to and limit, shared by candles and ticks.
parsed<store::range> parse_range(const query_params& q) {
    store::range r;
    r.limit = default_limit;
    auto from = find_param(q, "from");
    auto to = find_param(q, "to");
    // A time the store and format_iso8601 can take: from year 0000 to 9999.
    auto time_param = [](std::string_view name, std::string_view v) -> parsed<int64_t> {
        auto t = parse_time_micros(v);
        if (!t) {
            return bad_parameter{std::string(name),
                                 fmt::format("{} '{}' is not a time: {}", name, echo(v), time_forms)};
        }
        if (*t < min_time_micros || *t > max_time_micros) {
            return bad_parameter{std::string(name),
                                 fmt::format("{} '{}' is outside the years 0000 to 9999", name, echo(v))};
        }
        return *t;
    };
    if (from) {
        auto t = time_param("from", *from);
        if (auto* e = std::get_if<bad_parameter>(&t)) {
            return std::move(*e);
        }
        r.from = mdsp::event_time(std::get<int64_t>(t));
    }
    if (to) {
        auto t = time_param("to", *to);
        if (auto* e = std::get_if<bad_parameter>(&t)) {
            return std::move(*e);
        }
        r.to = mdsp::event_time(std::get<int64_t>(t));
    }
    if (from && to && r.from >= r.to) {
        return bad_parameter{"from", fmt::format("from ({}) must be before to ({}); the range is [from, to)",
                                                 format_iso8601(r.from()), format_iso8601(r.to()))};
    }
    if (auto l = find_param(q, "limit")) {
        size_t n = 0;
        auto [p, ec] = std::from_chars(l->data(), l->data() + l->size(), n);
        if (l->empty() || ec != std::errc() || p != l->data() + l->size() || n < 1 || n > max_limit) {
            return bad_parameter{
                "limit", fmt::format("limit '{}' is not a whole number from 1 to {}", echo(*l), max_limit)};
        }
        r.limit = n;
    }
    // Without a start the newest rows are what a chart wants.
    r.tail = !from;
    return r;
}

} // namespace

std::optional<parsed_target> parse_target(std::string_view target) {
    auto url = boost::urls::parse_origin_form(target);
    if (!url) {
        return std::nullopt;
    }
    parsed_target out;
    out.path = url->path();
    for (auto p : url->params(boost::urls::encoding_opts(true, false, false))) {
        out.query.emplace_back(std::move(p.key), p.has_value ? std::move(p.value) : std::string());
    }
    return out;
}

std::optional<std::string_view> find_param(const query_params& q, std::string_view name) {
    for (const auto& [k, v] : q) {
        if (k == name) {
            return std::string_view(v);
        }
    }
    return std::nullopt;
}

std::string interval_names(std::span<const model::interval> intervals) {
    std::string out;
    for (const auto& iv : intervals) {
        if (!out.empty()) {
            out += ", ";
        }
        out += iv.name();
    }
    return out;
}

parsed<candles_query> parse_candles_query(const query_params& q, std::span<const model::interval> accepted) {
    candles_query out;
    auto sym = parse_symbol(q, true);
    if (auto* e = std::get_if<bad_parameter>(&sym)) {
        return std::move(*e);
    }
    out.symbol = std::move(std::get<std::string>(sym));
    auto iv_text = find_param(q, "interval");
    if (!iv_text || iv_text->empty()) {
        return bad_parameter{"interval",
                             fmt::format("interval is required: one of {}", interval_names(accepted))};
    }
    auto iv = model::interval::parse(*iv_text);
    bool known = false;
    for (const auto& a : accepted) {
        known = known || (iv && *iv == a);
    }
    if (!known) {
        return bad_parameter{"interval", fmt::format("interval '{}' is not one of {}", echo(*iv_text),
                                                     interval_names(accepted))};
    }
    out.interval = *iv;
    auto r = parse_range(q);
    if (auto* e = std::get_if<bad_parameter>(&r)) {
        return std::move(*e);
    }
    out.range = std::get<store::range>(r);
    return out;
}

parsed<ticks_query> parse_ticks_query(const query_params& q) {
    ticks_query out;
    auto sym = parse_symbol(q, true);
    if (auto* e = std::get_if<bad_parameter>(&sym)) {
        return std::move(*e);
    }
    out.symbol = std::move(std::get<std::string>(sym));
    auto r = parse_range(q);
    if (auto* e = std::get_if<bad_parameter>(&r)) {
        return std::move(*e);
    }
    out.range = std::get<store::range>(r);
    return out;
}

parsed<std::optional<std::string>> parse_latest_query(const query_params& q) {
    if (!find_param(q, "symbol")) {
        return std::optional<std::string>();
    }
    auto sym = parse_symbol(q, true);
    if (auto* e = std::get_if<bad_parameter>(&sym)) {
        return std::move(*e);
    }
    return std::optional<std::string>(std::move(std::get<std::string>(sym)));
}

} // namespace mdsp::http
