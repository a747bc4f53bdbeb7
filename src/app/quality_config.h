#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "stream/quality.h"

namespace mdsp::app::internal {

// The keys of a [quality] table and of each override table
// ([quality.symbols."BTC/USD"], [quality.asset_types."Common Stock"]):
// spike_k, min_jump, max_jump, warmup, stall_factor, stall_min, max_skew.
inline constexpr std::string_view quality_threshold_keys[] = {
    "spike_k", "min_jump", "max_jump", "warmup", "stall_factor", "stall_min", "max_skew"};

// Sets one threshold from text as a flag or TOML value gives it; the error
// in words, or nullopt.
std::optional<std::string> set_quality_threshold(stream::quality_thresholds& t, std::string_view key,
                                                 const std::string& text);
// The value of one threshold as text (mdsp config).
std::string quality_threshold_text(const stream::quality_thresholds& t, std::string_view key);

} // namespace mdsp::app::internal
