#include "model/validate.h"

#include <cmath>
#include <utility>

#include <fmt/format.h>

#include "base/time.h"
#include "model/text.h"

namespace mdsp::model {

namespace {
bool finite_opt(const std::optional<double>& v) {
    return !v || std::isfinite(*v);
}

std::optional<std::string> find_fault(const tick& t, int64_t now_us, int64_t max_future_us,
                                      tick_fault& fault) {
    fault = tick_fault::text;
    if (auto why = valid_symbol(t.symbol)) {
        return fmt::format("the symbol is not valid: {}", *why);
    }
    const std::pair<const char*, const std::optional<std::string>*> labels[] = {{"exchange", &t.exchange},
                                                                                {"mic_code", &t.mic_code},
                                                                                {"asset_type", &t.asset_type},
                                                                                {"currency", &t.currency}};
    for (const auto& [name, value] : labels) {
        if (*value) {
            if (auto why = valid_label(**value)) {
                return fmt::format("the {} of {} is not valid: {}", name, t.symbol, *why);
            }
        }
    }
    fault = tick_fault::bad_number;
    if (!std::isfinite(t.price) || t.price <= 0) {
        return fmt::format("price {} of {} is not a finite positive number", t.price, t.symbol);
    }
    if (!finite_opt(t.size) || (t.size && *t.size < 0)) {
        return fmt::format("size {} of {} is not a finite number of at least 0", *t.size, t.symbol);
    }
    if (!finite_opt(t.day_volume) || (t.day_volume && *t.day_volume < 0)) {
        return fmt::format("day volume {} of {} is not a finite number of at least 0", *t.day_volume,
                           t.symbol);
    }
    if (!finite_opt(t.bid) || !finite_opt(t.ask)) {
        return fmt::format("bid or ask of {} is not a finite number", t.symbol);
    }
    if ((t.bid && *t.bid < 0) || (t.ask && *t.ask < 0)) {
        return fmt::format("bid {} or ask {} of {} is negative", t.bid.value_or(0), t.ask.value_or(0),
                           t.symbol);
    }
    fault = tick_fault::crossed;
    // 0 is how a feed says a side has no quote (TwelveData sends "bid":0):
    // only two quoted sides can cross.
    if (t.bid && t.ask && *t.bid > 0 && *t.ask > 0 && *t.bid >= *t.ask) {
        return fmt::format("{} quote of {}: bid {} {} ask {} (a bid must be below the ask)",
                           *t.bid == *t.ask ? "locked" : "crossed", t.symbol, *t.bid,
                           *t.bid == *t.ask ? "equals" : "above", *t.ask);
    }
    fault = tick_fault::future;
    if (max_future_us > 0 && t.event_time() > now_us && t.event_time() - now_us > max_future_us) {
        return fmt::format("event time {} of {} is more than {} ahead of the clock (engine.max_future)",
                           format_iso8601(t.event_time()), t.symbol, format_duration(max_future_us));
    }
    fault = tick_fault::none;
    return std::nullopt;
}
} // namespace

std::optional<std::string> check_tick(const tick& t, int64_t now_us, int64_t max_future_us,
                                      tick_fault* fault) {
    tick_fault f = tick_fault::none;
    auto why = find_fault(t, now_us, max_future_us, f);
    if (fault) {
        *fault = f;
    }
    return why;
}

} // namespace mdsp::model
