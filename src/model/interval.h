#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mdsp::model {

// A candle width. Windows are aligned to the Unix epoch in UTC: a 1d window
// starts at 00:00 UTC, a 1h window on the hour.
class interval {
public:
    constexpr interval() = default;
    constexpr explicit interval(int64_t micros)
      : _micros(micros) {}

    constexpr int64_t micros() const noexcept { return _micros; }
    // "1s", "1m", "5m", "1h", "1d"; other widths in the shortest form.
    std::string name() const;
    // Accepts the names above (any "<n><us|ms|s|m|h|d>" form) and "1min"
    // (any "<n>min", as TwelveData spells it); nullopt for zero, negative or
    // overflowing widths.
    static std::optional<interval> parse(std::string_view text);

    // Start of the window holding t (floor, also for negative t).
    constexpr int64_t window_start(int64_t t) const noexcept {
        int64_t q = t / _micros;
        if (t % _micros < 0) {
            --q;
        }
        return q * _micros;
    }

    constexpr auto operator<=>(const interval&) const = default;

private:
    int64_t _micros = 60'000'000;
};

// 1s, 1m, 5m, 1h, 1d.
std::vector<interval> default_intervals();

} // namespace mdsp::model
