#include "feed/progress.h"

#include <algorithm>
#include <cerrno>
#include <cmath>

#include <fmt/format.h>
#include <unistd.h>

#include "base/logging.h"

namespace mdsp::feed {

namespace {
constexpr int64_t redraw_nanos = 100'000'000;
} // namespace

std::string format_count(int64_t n) {
    std::string digits = std::to_string(n < 0 ? -n : n);
    std::string out;
    out.reserve(digits.size() + digits.size() / 3 + 1);
    if (n < 0) {
        out += '-';
    }
    for (size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) {
            out += ',';
        }
        out += digits[i];
    }
    return out;
}

std::string format_rate(double r) {
    if (!std::isfinite(r) || r < 0) {
        r = 0;
    }
    if (r >= 999'950) {
        return fmt::format("{:.1f}M", r / 1e6);
    }
    if (r >= 1000) {
        return fmt::format("{:.1f}k", r / 1e3);
    }
    return fmt::format("{:.0f}", r);
}

std::string format_eta(double s) {
    if (!std::isfinite(s) || s < 0) {
        return "?";
    }
    auto secs = static_cast<int64_t>(std::ceil(s));
    if (secs < 60) {
        return fmt::format("{}s", secs);
    }
    if (secs < 3600) {
        return fmt::format("{}m{:02}s", secs / 60, secs % 60);
    }
    return fmt::format("{}h{:02}m", secs / 3600, (secs % 3600) / 60);
}

std::string format_progress(const progress_info& p, int bar_width) {
    const double f = std::isfinite(p.fraction) ? std::clamp(p.fraction, 0.0, 1.0) : 0.0;
    bar_width = std::max(bar_width, 1);
    const int filled = static_cast<int>(f * bar_width + 1e-9);
    std::string out;
    out.reserve(static_cast<size_t>(bar_width) + 64);
    out += '[';
    out.append(static_cast<size_t>(filled), '#');
    out.append(static_cast<size_t>(bar_width - filled), '.');
    out += ']';
    out += fmt::format("{:>3}%  ", static_cast<int>(f * 100 + 1e-9));
    out += format_count(p.lines);
    if (p.total_lines) {
        out += '/';
        out += format_count(*p.total_lines);
    }
    out += fmt::format(" {}  ", p.done_unit);
    out += format_rate(p.ticks_per_second);
    out += fmt::format(" {}/s", p.rate_unit);
    if (p.eta_seconds) {
        out += "  ETA ";
        out += format_eta(*p.eta_seconds);
    }
    return out;
}

progress_bar::progress_bar(int fd, feed::clock* clk, bool force)
  : _fd(fd)
  , _clock(clk ? clk : &system_clock())
  , _enabled(force || ::isatty(fd) == 1)
  , _start_nanos(_clock->mono_nanos()) {}

progress_bar::~progress_bar() {
    finish();
}

void progress_bar::update(double fraction, int64_t lines, std::optional<int64_t> total_lines, int64_t ticks) {
    if (!_enabled) {
        return;
    }
    const int64_t now = _clock->mono_nanos();
    if (_drawn && now - _last_draw_nanos < redraw_nanos) {
        return;
    }
    _last_draw_nanos = now;
    const double elapsed = static_cast<double>(now - _start_nanos) / 1e9;
    progress_info p;
    p.fraction = fraction;
    p.lines = lines;
    p.total_lines = total_lines;
    p.done_unit = _done_unit;
    p.rate_unit = _rate_unit;
    p.ticks_per_second = elapsed > 0 ? static_cast<double>(ticks) / elapsed : 0;
    if (fraction > 0 && elapsed > 0) {
        p.eta_seconds = elapsed * (1 - std::min(fraction, 1.0)) / fraction;
    }
    // \r and "erase to end of line": the new text overwrites the old in place.
    write_all("\r" + format_progress(p) + "\x1b[K");
    _drawn = true;
    set_status_line_shown(true);
}

void progress_bar::finish() {
    if (_enabled && _drawn) {
        write_all("\r\x1b[K");
        _drawn = false;
        set_status_line_shown(false);
    }
}

void progress_bar::write_all(const std::string& s) {
    size_t done = 0;
    while (done < s.size()) {
        ssize_t n = ::write(_fd, s.data() + done, s.size() - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            _enabled = false; // a closed terminal: stop drawing rather than fail the replay
            return;
        }
        done += static_cast<size_t>(n);
    }
}

} // namespace mdsp::feed
