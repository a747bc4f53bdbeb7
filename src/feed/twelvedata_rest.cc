#include "feed/twelvedata_rest.h"

#include <algorithm>
#include <thread>
#include <vector>

#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "base/time.h"
#include "feed/internal/time_series.h"
#include "feed/rest_client.h"

namespace mdsp::feed {

namespace {

// "2024-01-02 15:30:00", UTC.
std::string td_datetime(int64_t us) {
    std::string iso = format_iso8601(us); // 2024-01-02T15:30:00.000000Z
    return iso.substr(0, 10) + " " + iso.substr(11, 8);
}

std::string encode_param(std::string_view v) {
    return boost::urls::encode(v, boost::urls::unreserved_chars);
}

} // namespace

result<std::unique_ptr<twelvedata_rest>> twelvedata_rest::create(twelvedata_rest_config cfg) {
    if (cfg.api_key.empty()) {
        return make_error(errc::bad_config,
                          "TwelveData's REST API needs an API key: set the environment variable "
                          "TWELVEDATA_API_KEY (get a key at https://twelvedata.com/account/api-keys)");
    }
    if (cfg.credits_per_minute < 0) {
        return make_error(errc::bad_config, "credits per minute must be 0 (no limit) or more");
    }
    std::unique_ptr<twelvedata_rest> r(new twelvedata_rest(std::move(cfg)));
    auto url = parse_ws_url(r->_cfg.base_url);
    if (!url) {
        return url.error();
    }
    r->_base = std::move(*url);
    while (!r->_base.target.empty() && r->_base.target.back() == '/') {
        r->_base.target.pop_back();
    }
    if (r->_base.tls) {
        auto ctx = make_tls_context(r->_cfg.tls);
        if (!ctx) {
            return ctx.error();
        }
        r->_tls = *ctx;
    }
    return r;
}

twelvedata_rest::twelvedata_rest(twelvedata_rest_config cfg)
  : _cfg(std::move(cfg)) {}

std::string twelvedata_rest::scrub(std::string s) const {
    size_t pos = 0;
    while (!_cfg.api_key.empty() && (pos = s.find(_cfg.api_key, pos)) != std::string::npos) {
        s.replace(pos, _cfg.api_key.size(), "***");
        pos += 3;
    }
    return s;
}

bool twelvedata_rest::wait_until_us(int64_t wall_us, bars_summary& s) {
    int64_t start = now_micros();
    while (now_micros() < wall_us) {
        if (_cfg.stopping && _cfg.stopping()) {
            s.waited_us += now_micros() - start;
            return false;
        }
        int64_t left_ms = (wall_us - now_micros()) / 1000;
        std::this_thread::sleep_for(std::chrono::milliseconds(std::clamp<int64_t>(left_ms, 1, 100)));
    }
    s.waited_us += now_micros() - start;
    return true;
}

// One page of /time_series: paced by the credits of the minute, retried
// with backoff on transport errors and 5xx, waiting out a 429.
result<void> twelvedata_rest::fetch_page(const rest_request& req, std::string_view symbol, model::interval iv,
                                         internal::time_series_page& page, bars_summary& s) {
    auto& requests = metrics::global().get_counter(
        "mdsp_twelvedata_rest_requests_total", "Requests sent to TwelveData's REST API, retries included");
    auto& limited =
        metrics::global().get_counter("mdsp_twelvedata_rest_rate_limited_total",
                                      "Answers of 429 (credits of the minute spent) from TwelveData");
    int attempts = 0;
    for (;;) {
        // Our own pacing: credits_per_minute per wall-clock minute.
        int64_t now = now_micros();
        int64_t minute = now - now % _cfg.minute_us;
        if (minute != _minute_start) {
            _minute_start = minute;
            _sent_this_minute = 0;
            _out_of_credits = false;
        }
        if (_out_of_credits
            || (_cfg.credits_per_minute > 0 && _sent_this_minute >= _cfg.credits_per_minute)) {
            int64_t until = minute + _cfg.minute_us + 500'000 * (_cfg.minute_us >= 60'000'000);
            if (!_out_of_credits) {
                spdlog::info(
                    "twelvedata: the {} API credits of this minute are used; waiting {} s for the next",
                    _cfg.credits_per_minute, (until - now + 999'999) / 1'000'000);
            }
            if (!wait_until_us(until, s)) {
                return make_error(errc::io_error, "stopped");
            }
            continue;
        }
        ++_sent_this_minute;
        ++s.requests;
        requests.inc();
        auto res = http_get(_tls, req);
        std::string error;
        bool parsed = false;
        if (res) {
            if (res->header("api-credits-left") == "0") {
                _out_of_credits = true;
            }
            if (res->status == 429) {
                page.k = internal::time_series_page::kind::rate_limited;
                parsed = true;
            } else if (res->status >= 500) {
                error = fmt::format("TwelveData answered HTTP {}", res->status);
            } else {
                parsed = internal::parse_time_series(res->body, symbol, iv, page, error);
                if (!parsed && res->status != 200) {
                    error = fmt::format("TwelveData answered HTTP {}: {}", res->status, error);
                }
            }
        } else {
            error = res.error().what();
        }
        if (parsed && page.k == internal::time_series_page::kind::rate_limited) {
            ++s.rate_limited;
            limited.inc();
            spdlog::info("twelvedata: the API credits of this minute are spent; waiting for the next minute");
            _out_of_credits = true;
            continue; // waits above, then asks again
        }
        if (parsed) {
            return ok();
        }
        if (++attempts >= _cfg.max_attempts) {
            return make_error(errc::io_error,
                              "TwelveData /time_series for {}: {} (gave up after {} attempts)", symbol,
                              scrub(error), attempts);
        }
        int64_t wait_us = std::min<int64_t>(int64_t{500'000} << attempts, 30'000'000);
        spdlog::warn("twelvedata: /time_series for {} failed ({}); retrying in {} ms", symbol, scrub(error),
                     wait_us / 1000);
        if (!wait_until_us(now_micros() + wait_us, s)) {
            return make_error(errc::io_error, "stopped");
        }
    }
}

result<bars_summary>
twelvedata_rest::bars(std::string_view symbol, model::interval iv, int64_t from_us, int64_t to_us,
                      const std::function<void(std::span<const model::candle>, int64_t)>& on_page) {
    bars_summary s;
    auto name = internal::twelvedata_interval_name(iv);
    if (!name) {
        return make_error(errc::bad_config, "TwelveData has no {} bars; use one of {}", iv.name(),
                          internal::twelvedata_interval_list());
    }
    if (from_us >= to_us) {
        return s;
    }
    const int64_t width = iv.micros();
    // One page covers one window fewer than outputsize allows: should the
    // end date count as inclusive, outputsize (which keeps the newest bars)
    // would otherwise drop the page's first bar.
    const int64_t page_span = width * static_cast<int64_t>(internal::max_time_series_values - 1);
    int64_t page_from = from_us;
    while (page_from < to_us) {
        int64_t page_to = (to_us - page_from > page_span) ? page_from + page_span : to_us;
        rest_request req;
        req.url = _base;
        req.url.target =
            fmt::format("{}/"
                        "time_series?symbol={}&interval={}&start_date={}&end_date={}&timezone=UTC&order=asc&"
                        "outputsize={}",
                        _base.target, encode_param(symbol), *name, encode_param(td_datetime(page_from)),
                        encode_param(td_datetime(page_to)), internal::max_time_series_values);
        req.headers.emplace_back("Authorization", "apikey " + _cfg.api_key);
        req.timeout_ms = _cfg.timeout_ms;

        internal::time_series_page page;
        if (auto r = fetch_page(req, symbol, iv, page, s); !r) {
            return r.error();
        }
        using kind = internal::time_series_page::kind;
        if (page.k == kind::error) {
            return make_error(errc::bad_config, "TwelveData refused /time_series for {} {}: {} (code {})",
                              symbol, *name, scrub(page.message), page.code);
        }
        std::vector<model::candle> bars;
        bars.reserve(page.bars.size());
        for (auto& c : page.bars) {
            if (c.window_start() >= page_from && c.window_start() < page_to) {
                bars.push_back(std::move(c));
            }
        }
        std::sort(bars.begin(), bars.end(), [](const model::candle& a, const model::candle& b) {
            return a.window_start() < b.window_start();
        });
        bars.erase(std::unique(bars.begin(), bars.end(),
                               [](const model::candle& a, const model::candle& b) {
                                   return a.window_start() == b.window_start();
                               }),
                   bars.end());
        s.unaligned += page.unaligned;
        s.bars += bars.size();
        on_page(bars, page_to);
        page_from = page_to;
    }
    return s;
}

} // namespace mdsp::feed
