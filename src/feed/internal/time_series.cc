#include "feed/internal/time_series.h"

#include <array>
#include <charconv>
#include <cmath>

#include <fmt/format.h>
#include <simdjson.h>

#include "base/time.h"

namespace mdsp::feed::internal {

namespace {

using simdjson::dom::element_type;

struct named_interval {
    int64_t micros;
    const char* ours;
    const char* theirs;
};

constexpr std::array<named_interval, 11> intervals = {{
    {micros_per_minute, "1m", "1min"},
    {5 * micros_per_minute, "5m", "5min"},
    {15 * micros_per_minute, "15m", "15min"},
    {30 * micros_per_minute, "30m", "30min"},
    {45 * micros_per_minute, "45m", "45min"},
    {micros_per_hour, "1h", "1h"},
    {2 * micros_per_hour, "2h", "2h"},
    {4 * micros_per_hour, "4h", "4h"},
    {8 * micros_per_hour, "8h", "8h"},
    {micros_per_day, "1d", "1day"},
    {7 * micros_per_day, "7d", "1week"},
}};

// A decimal number sent as a string ("189.91") or, leniently, as a number.
bool read_number(const simdjson::dom::object& o, std::string_view key, std::optional<double>& out,
                 bool required, std::string& error) {
    simdjson::dom::element e;
    if (o[key].get(e)) {
        if (required) {
            error = fmt::format("a value has no \"{}\"", key);
            return false;
        }
        out.reset();
        return true;
    }
    double v = 0;
    if (e.type() == element_type::STRING) {
        std::string_view s = e.get_string().value_unsafe();
        auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (ec != std::errc() || p != s.data() + s.size()) {
            error = fmt::format("\"{}\" is \"{}\", not a number", key, s.substr(0, 40));
            return false;
        }
    } else if (e.get_double().get(v)) {
        if (e.type() == element_type::NULL_VALUE && !required) {
            out.reset();
            return true;
        }
        error = fmt::format("\"{}\" is not a number", key);
        return false;
    }
    if (!std::isfinite(v)) {
        error = fmt::format("\"{}\" is not a finite number", key);
        return false;
    }
    out = v;
    return true;
}

} // namespace

std::optional<std::string> twelvedata_interval_name(model::interval iv) {
    for (const auto& n : intervals) {
        if (n.micros == iv.micros()) {
            return std::string(n.theirs);
        }
    }
    return std::nullopt;
}

std::string twelvedata_interval_list() {
    std::string s;
    for (const auto& n : intervals) {
        s += s.empty() ? "" : ", ";
        s += n.ours;
    }
    return s;
}

bool parse_time_series(std::string_view body, std::string_view symbol, model::interval iv,
                       time_series_page& out, std::string& error) {
    out = time_series_page{};
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    if (auto ec = parser.parse(body.data(), body.size()).get(root); ec) {
        error = fmt::format("the answer is not JSON: {}", simdjson::error_message(ec));
        return false;
    }
    simdjson::dom::object o;
    if (root.get_object().get(o)) {
        error = "the answer is not a JSON object";
        return false;
    }
    std::string_view status;
    if (o["status"].get_string().get(status) != simdjson::SUCCESS) {
        status = {};
    }
    if (status == "error") {
        int64_t code = 0;
        if (o["code"].get_int64().get(code) != simdjson::SUCCESS) {
            code = 0;
        }
        std::string_view message;
        if (o["message"].get_string().get(message) != simdjson::SUCCESS) {
            message = {};
        }
        out.code = static_cast<int>(std::clamp<int64_t>(code, -1, 999));
        out.message = std::string(message.substr(0, 500));
        if (code == 429) {
            out.k = time_series_page::kind::rate_limited;
        } else if (message.find("No data is available") != std::string_view::npos) {
            out.k = time_series_page::kind::no_data;
        } else {
            out.k = time_series_page::kind::error;
        }
        return true;
    }
    if (status != "ok") {
        error = "the answer has no \"status\" of \"ok\" or \"error\"";
        return false;
    }
    simdjson::dom::array values;
    if (o["values"].get_array().get(values)) {
        error = "the answer has no \"values\" list";
        return false;
    }
    out.k = time_series_page::kind::bars;
    const int64_t width = iv.micros();
    for (auto item : values) {
        if (out.bars.size() + out.unaligned >= max_time_series_values) {
            error = fmt::format("the answer has more than {} values", max_time_series_values);
            return false;
        }
        simdjson::dom::object v;
        if (item.get_object().get(v)) {
            error = "a value is not an object";
            return false;
        }
        std::string_view dt;
        if (v["datetime"].get_string().get(dt)) {
            error = "a value has no \"datetime\"";
            return false;
        }
        auto start = parse_time_micros(dt);
        if (!start || dt.size() < 10 || dt.size() > 40) {
            error = fmt::format("\"datetime\" is \"{}\", not a date and time", dt.substr(0, 40));
            return false;
        }
        std::optional<double> open, high, low, close, volume;
        if (!read_number(v, "open", open, true, error) || !read_number(v, "high", high, true, error)
            || !read_number(v, "low", low, true, error) || !read_number(v, "close", close, true, error)
            || !read_number(v, "volume", volume, false, error)) {
            return false;
        }
        if (*start % width != 0) {
            ++out.unaligned;
            continue;
        }
        model::candle c;
        c.symbol = std::string(symbol);
        c.interval = iv;
        c.window_start = mdsp::event_time(*start);
        c.open = *open;
        c.high = *high;
        c.low = *low;
        c.close = *close;
        c.volume = volume.value_or(0.0);
        c.vwap = (*high + *low + *close) / 3;
        c.trade_count = 0;
        c.first_event_time = mdsp::event_time(*start);
        c.last_event_time = mdsp::event_time(*start + width - 1);
        c.final = true;
        c.revision = 0;
        c.backfilled = true;
        out.bars.push_back(std::move(c));
    }
    return true;
}

} // namespace mdsp::feed::internal
