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
} // namespace

std::optional<std::string> check_tick(const tick& t, int64_t now_us, int64_t max_future_us) {
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
    if (max_future_us > 0 && t.event_time() > now_us && t.event_time() - now_us > max_future_us) {
        return fmt::format("event time {} of {} is more than {} ahead of the clock (engine.max_future)",
                           format_iso8601(t.event_time()), t.symbol, format_duration(max_future_us));
    }
    return std::nullopt;
}

} // namespace mdsp::model
