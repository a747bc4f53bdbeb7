#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "feed/clock.h"

namespace mdsp::feed {

// What a progress line shows.
struct progress_info {
    double fraction = 0;                // 0..1
    int64_t lines = 0;                  // done so far
    std::optional<int64_t> total_lines; // when known
    double ticks_per_second = 0;
    std::optional<double> eta_seconds;
    const char* done_unit = "lines"; // what lines counts
    const char* rate_unit = "ticks"; // what the rate counts
};

// "[#########.........] 45%  5,612/12,477 lines  1.2M ticks/s  ETA 3s": a
// pure function, so tests check the text; `bar_width` cells between brackets.
std::string format_progress(const progress_info& p, int bar_width = 20);

// 12477 -> "12,477".
std::string format_count(int64_t n);
// 1234567 -> "1.2M", 12345 -> "12.3k", 950 -> "950".
std::string format_rate(double per_second);
// 3 -> "3s", 125 -> "2m05s", 3720 -> "1h02m".
std::string format_eta(double seconds);

// A one-line progress display on a terminal, redrawn in place at most every
// 100 ms and cleared by finish(). It draws only when the fd is a terminal
// (isatty) or when forced (tests); otherwise every call is a no-op, so
// callers need not check. Rate and ETA are averages since construction.
// Owned and used by one thread.
class progress_bar {
public:
    explicit progress_bar(int fd = 2, feed::clock* clk = nullptr, bool force = false);
    ~progress_bar();
    progress_bar(const progress_bar&) = delete;
    progress_bar& operator=(const progress_bar&) = delete;

    bool enabled() const noexcept { return _enabled; }
    // What the counts are of: "lines" and "ticks" unless set ("bars", "bars").
    void set_units(const char* done_unit, const char* rate_unit) {
        _done_unit = done_unit;
        _rate_unit = rate_unit;
    }
    // Redraws when 100 ms have passed since the last redraw.
    void update(double fraction, int64_t lines, std::optional<int64_t> total_lines, int64_t ticks);
    // Erases the line (idempotent; also done by the destructor).
    void finish();

private:
    void write_all(const std::string& s);

    int _fd;
    feed::clock* _clock;
    const char* _done_unit = "lines";
    const char* _rate_unit = "ticks";
    bool _enabled;
    bool _drawn = false;
    int64_t _start_nanos;
    int64_t _last_draw_nanos = 0;
};

} // namespace mdsp::feed
