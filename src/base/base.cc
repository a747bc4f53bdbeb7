#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

#include <spdlog/sinks/base_sink.h>

#include "base/assert.h"
#include "base/logging.h"
#include "base/time.h"

namespace mdsp {

namespace detail {
void assert_failed(const char* cond, const char* file, int line, const std::string& msg) {
    std::fprintf(stderr, "mdsp: assertion failed: %s at %s:%d: %s\n", cond, file, line, msg.c_str());
    std::fflush(stderr);
    std::abort();
}
} // namespace detail

namespace {
std::atomic<bool> status_line_shown{false};

// stderr, erasing a status line (progress bar) before each message.
class stderr_sink final : public spdlog::sinks::base_sink<std::mutex> {
protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        spdlog::memory_buf_t buf;
        formatter_->format(msg, buf);
        if (status_line_shown.exchange(false)) {
            std::fputs("\r\x1b[K", stderr);
        }
        std::fwrite(buf.data(), 1, buf.size(), stderr);
    }
    void flush_() override { std::fflush(stderr); }
};
} // namespace

void set_status_line_shown(bool shown) noexcept {
    status_line_shown.store(shown);
}

bool init_logging(std::string_view level) {
    auto logger = std::make_shared<spdlog::logger>("mdsp", std::make_shared<stderr_sink>());
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %l %v");
    spdlog::drop("mdsp");
    spdlog::register_logger(logger);
    spdlog::set_default_logger(logger);
    auto lvl = spdlog::level::from_str(std::string(level));
    bool known = level == "off" || lvl != spdlog::level::off;
    spdlog::set_level(known ? lvl : spdlog::level::info);
    return known;
}

int64_t now_micros() noexcept {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

int64_t mono_nanos() noexcept {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

namespace {
// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's
// days_from_civil algorithm).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

unsigned days_in_month(int64_t y, unsigned m) {
    static constexpr unsigned days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

// Exactly len ASCII digits at pos: from_chars alone would also take a sign,
// and "2019-10-11T-1:00" would be an hour.
bool parse_uint(std::string_view s, size_t pos, size_t len, int& out) {
    if (pos + len > s.size()) {
        return false;
    }
    out = 0;
    for (size_t i = pos; i < pos + len; ++i) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
        out = out * 10 + (s[i] - '0');
    }
    return true;
}
} // namespace

std::string format_iso8601(int64_t micros) {
    // Floored without overflow, down to INT64_MIN.
    int64_t secs = micros / 1'000'000;
    int64_t frac = micros % 1'000'000;
    if (frac < 0) {
        secs -= 1;
        frac += 1'000'000;
    }
    std::time_t t = static_cast<std::time_t>(secs);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>(frac));
    return buf;
}

std::optional<int64_t> parse_time_micros(std::string_view s) {
    if (s.empty()) {
        return std::nullopt;
    }
    bool all_digits = true;
    for (size_t i = 0; i < s.size(); ++i) {
        if (!(s[i] >= '0' && s[i] <= '9') && !(i == 0 && s[i] == '-')) {
            all_digits = false;
            break;
        }
    }
    if (all_digits) {
        int64_t v = 0;
        auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (ec != std::errc() || p != s.data() + s.size()) {
            return std::nullopt;
        }
        // Magnitude in unsigned arithmetic: -INT64_MIN does not fit in int64_t.
        uint64_t a = v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
        if (a < 100'000'000'000ULL) {
            return v * 1'000'000; // seconds
        }
        if (a < 100'000'000'000'000ULL) {
            return v * 1'000; // milliseconds
        }
        return v; // microseconds
    }
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
    if (!parse_uint(s, 0, 4, y) || s.size() < 10 || s[4] != '-' || !parse_uint(s, 5, 2, mo) || s[7] != '-'
        || !parse_uint(s, 8, 2, d)) {
        return std::nullopt;
    }
    // A day the month has: 2019-02-30 is refused, not rolled over to March.
    if (mo < 1 || mo > 12 || d < 1
        || static_cast<unsigned>(d) > days_in_month(y, static_cast<unsigned>(mo))) {
        return std::nullopt;
    }
    int64_t us = 0;
    size_t pos = 10;
    if (pos < s.size()) {
        if ((s[pos] != 'T' && s[pos] != ' ' && s[pos] != 't') || !parse_uint(s, pos + 1, 2, h)
            || s.size() < pos + 6 || s[pos + 3] != ':' || !parse_uint(s, pos + 4, 2, mi)) {
            return std::nullopt;
        }
        pos += 6;
        if (pos < s.size() && s[pos] == ':') {
            if (!parse_uint(s, pos + 1, 2, se)) {
                return std::nullopt;
            }
            pos += 3;
            if (pos < s.size() && s[pos] == '.') {
                ++pos;
                int64_t scale = 100'000;
                while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
                    us += (s[pos] - '0') * scale;
                    scale /= 10;
                    ++pos;
                }
            }
        }
        if (h > 23 || mi > 59 || se > 60) {
            return std::nullopt;
        }
    }
    int64_t offset_s = 0;
    if (pos < s.size()) {
        if ((s[pos] == 'Z' || s[pos] == 'z') && pos + 1 == s.size()) {
            pos += 1;
        } else if (s[pos] == '+' || s[pos] == '-') {
            // +hh:mm, +hhmm or +hh (RFC 3339, ISO 8601 basic, PostgreSQL's text).
            const size_t rest = s.size() - pos - 1;
            const bool colon = rest == 5 && s[pos + 3] == ':';
            int oh = 0, om = 0;
            if ((rest != 2 && rest != 4 && !colon) || !parse_uint(s, pos + 1, 2, oh)
                || (rest > 2 && !parse_uint(s, pos + (colon ? 4 : 3), 2, om)) || oh > 23 || om > 59) {
                return std::nullopt;
            }
            offset_s = (oh * 3600 + om * 60) * (s[pos] == '+' ? 1 : -1);
            pos = s.size();
        } else {
            return std::nullopt;
        }
    }
    int64_t days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
    int64_t secs = days * 86400 + h * 3600 + mi * 60 + se - offset_s;
    return secs * 1'000'000 + us;
}

std::optional<int64_t> parse_duration_micros(std::string_view s) {
    size_t i = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        ++i;
    }
    if (i == 0) {
        return std::nullopt;
    }
    int64_t n = 0;
    if (auto [p, ec] = std::from_chars(s.data(), s.data() + i, n); ec != std::errc()) {
        return std::nullopt;
    }
    std::string_view unit = s.substr(i);
    // Bounded so that n * (micros per unit) cannot overflow: 100 years.
    constexpr int64_t max_us = 100 * 366 * micros_per_day;
    auto scaled = [&](int64_t per) -> std::optional<int64_t> {
        if (n > max_us / per) {
            return std::nullopt;
        }
        return n * per;
    };
    if (unit == "us") {
        return scaled(1);
    }
    if (unit == "ms") {
        return scaled(1'000);
    }
    if (unit == "s") {
        return scaled(micros_per_second);
    }
    if (unit == "m") {
        return scaled(micros_per_minute);
    }
    if (unit == "h") {
        return scaled(micros_per_hour);
    }
    if (unit == "d") {
        return scaled(micros_per_day);
    }
    return std::nullopt;
}

std::string format_duration(int64_t us) {
    struct unit {
        int64_t size;
        const char* name;
    };
    static constexpr unit units[] = {{micros_per_day, "d"},
                                     {micros_per_hour, "h"},
                                     {micros_per_minute, "m"},
                                     {micros_per_second, "s"},
                                     {1000, "ms"}};
    for (const auto& u : units) {
        if (us != 0 && us % u.size == 0) {
            return fmt::format("{}{}", us / u.size, u.name);
        }
    }
    return fmt::format("{}us", us);
}

} // namespace mdsp
