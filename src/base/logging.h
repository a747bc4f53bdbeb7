#pragma once

#include <string_view>

#include <spdlog/spdlog.h>

namespace mdsp {

// Sets up the process-wide logger: stderr, "[time] [level] message", at the
// given level ("trace", "debug", "info", "warn", "error", "off"). Returns
// false, and keeps "info", for an unknown level. Modules log with spdlog's
// free functions (spdlog::info(...)) once this has run.
bool init_logging(std::string_view level);

// Tells the logger that a status line (a progress bar without a newline) is
// on stderr now; the next log line erases it first instead of being glued
// onto it. The owner of the status line redraws it afterwards.
void set_status_line_shown(bool shown) noexcept;

} // namespace mdsp
