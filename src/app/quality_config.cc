#include "app/quality_config.h"

#include <charconv>
#include <cmath>

#include <fmt/format.h>

#include "base/time.h"

namespace mdsp::app::internal {

namespace {
std::optional<double> to_double(const std::string& s) {
    double v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || !std::isfinite(v) || v < 0) {
        return std::nullopt;
    }
    return v;
}

std::optional<std::string> set_duration(int64_t& field, const std::string& text) {
    if (text == "0" || text == "off") {
        field = 0;
        return std::nullopt;
    }
    auto d = parse_duration_micros(text);
    if (!d || *d < 0) {
        return fmt::format("'{}' is not a duration: write a number and a unit, like 30s, 10m (or off)", text);
    }
    field = *d;
    return std::nullopt;
}
} // namespace

std::optional<std::string> set_quality_threshold(stream::quality_thresholds& t, std::string_view key,
                                                 const std::string& text) {
    if (key == "stall_min") {
        return set_duration(t.stall_min_us, text);
    }
    if (key == "max_skew") {
        return set_duration(t.max_skew_us, text);
    }
    auto v = to_double(text);
    if (!v) {
        return fmt::format("'{}' is not a number of at least 0", text);
    }
    if (key == "spike_k") {
        t.spike_k = *v;
    } else if (key == "min_jump") {
        t.min_jump = *v;
    } else if (key == "max_jump") {
        t.max_jump = *v;
    } else if (key == "stall_factor") {
        t.stall_factor = *v;
    } else if (key == "warmup") {
        if (*v < 1 || *v > 1'000'000 || *v != std::floor(*v)) {
            return fmt::format("'{}' is not a whole number of returns from 1 to 1000000", text);
        }
        t.warmup = static_cast<int>(*v);
    } else {
        return fmt::format("unknown quality setting '{}': the settings are spike_k, min_jump, max_jump, "
                           "warmup, stall_factor, stall_min, max_skew",
                           key);
    }
    return std::nullopt;
}

std::string quality_threshold_text(const stream::quality_thresholds& t, std::string_view key) {
    if (key == "stall_min") {
        return t.stall_min_us == 0 ? "off" : format_duration(t.stall_min_us);
    }
    if (key == "max_skew") {
        return t.max_skew_us == 0 ? "off" : format_duration(t.max_skew_us);
    }
    if (key == "spike_k") {
        return fmt::format("{}", t.spike_k);
    }
    if (key == "min_jump") {
        return fmt::format("{}", t.min_jump);
    }
    if (key == "max_jump") {
        return fmt::format("{}", t.max_jump);
    }
    if (key == "stall_factor") {
        return fmt::format("{}", t.stall_factor);
    }
    if (key == "warmup") {
        return std::to_string(t.warmup);
    }
    return "";
}

} // namespace mdsp::app::internal
