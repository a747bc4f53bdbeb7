// libFuzzer target: TwelveData's REST /time_series answers on arbitrary
// bytes. Pages stay within their bound, every bar is an aligned, finite,
// backfilled candle, and a rejected answer always says why.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "feed/internal/time_series.h"

namespace {
void check(bool ok) {
    if (!ok) {
        std::abort();
    }
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace mdsp::feed::internal;
    const std::string_view body(reinterpret_cast<const char*>(data), size);
    const mdsp::model::interval iv(60'000'000);
    time_series_page page;
    std::string error;
    if (!parse_time_series(body, "AAPL", iv, page, error)) {
        check(!error.empty());
        return 0;
    }
    check(page.bars.size() + page.unaligned <= max_time_series_values);
    check(page.message.size() <= 500);
    for (const auto& c : page.bars) {
        check(c.backfilled && c.final && c.window_start() % iv.micros() == 0);
        check(std::isfinite(c.open) && std::isfinite(c.high) && std::isfinite(c.low)
              && std::isfinite(c.close));
    }
    return 0;
}
