#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "base/metrics.h"
#include "base/result.h"
#include "feed/rest_client.h"
#include "feed/ws_client.h"
#include "model/candle.h"
#include "model/interval.h"

namespace mdsp::feed {
namespace internal {
struct time_series_page;
}

struct twelvedata_rest_config {
    std::string api_key; // from TWELVEDATA_API_KEY; sent as "Authorization: apikey KEY", never logged
    std::string base_url = "https://api.twelvedata.com";
    tls_options tls;
    // Requests sent in one wall-clock minute at most (one request costs one
    // credit; the free plan has 8 a minute); 0 = no limit of our own.
    int credits_per_minute = 8;
    int64_t timeout_ms = 30'000;
    int max_attempts = 5; // per request, for transport errors and HTTP 5xx
    // Waits (credits, 429, retries) end early when this returns true.
    std::function<bool()> stopping;
    // The length of the credit window: a minute; tests shorten it.
    int64_t minute_us = 60'000'000;
};

// What one bars() call did.
struct bars_summary {
    size_t bars = 0;       // handed to on_page
    size_t unaligned = 0;  // skipped: not aligned to the interval's windows (see bars())
    int requests = 0;      // sent, retries included
    int rate_limited = 0;  // answers of 429 (each followed by a wait for the next minute)
    int64_t waited_us = 0; // spent waiting for credits
};

// TwelveData's REST /time_series as a source of candles. One thread at a time.
class twelvedata_rest {
public:
    static result<std::unique_ptr<twelvedata_rest>> create(twelvedata_rest_config cfg);

    // Every bar of symbol at interval iv whose window starts in [from_us,
    // to_us), as final candles marked backfilled, oldest first, handed to
    // on_page one page (at most 5000 bars) at a time together with how far the
    // range is covered. Bars TwelveData aligns differently from mdsp's
    // UTC-epoch windows (hourly stock bars start at the session's :30) are
    // skipped and counted. Paces itself by credits_per_minute and, on a 429
    // answer, waits for the next minute and goes on. Errors (unknown symbol,
    // plan limits, a bad key) name the symbol and TwelveData's message.
    result<bars_summary>
    bars(std::string_view symbol, model::interval iv, int64_t from_us, int64_t to_us,
         const std::function<void(std::span<const model::candle>, int64_t covered_to_us)>& on_page);

private:
    explicit twelvedata_rest(twelvedata_rest_config cfg);
    bool wait_until_us(int64_t wall_us, bars_summary& s);
    result<void> fetch_page(const rest_request& req, std::string_view symbol, model::interval iv,
                            internal::time_series_page& page, bars_summary& s);
    std::string scrub(std::string s) const;

    twelvedata_rest_config _cfg;
    ws_url _base;
    std::shared_ptr<boost::asio::ssl::context> _tls;
    int64_t _minute_start = 0; // the credit window the counter below is for
    int _sent_this_minute = 0;
    bool _out_of_credits = false; // the last answer said no credits are left
};

} // namespace mdsp::feed
