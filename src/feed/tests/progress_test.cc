#include <gtest/gtest.h>
#include <unistd.h>

#include "feed/progress.h"
#include "feed/tests/fake_clock.h"

namespace mdsp::feed {
namespace {

TEST(progress, formats_one_line) {
    progress_info p;
    p.fraction = 0.45;
    p.lines = 5612;
    p.total_lines = 12477;
    p.ticks_per_second = 1.2e6;
    p.eta_seconds = 2.4;
    EXPECT_EQ(format_progress(p), "[#########...........] 45%  5,612/12,477 lines  1.2M ticks/s  ETA 3s");
    p.fraction = 1;
    p.total_lines.reset();
    p.eta_seconds.reset();
    p.ticks_per_second = 950;
    EXPECT_EQ(format_progress(p, 4), "[####]100%  5,612 lines  950 ticks/s");
    p.fraction = -3;
    EXPECT_EQ(format_progress(p, 4).substr(0, 11), "[....]  0% ");
}

TEST(progress, units) {
    EXPECT_EQ(format_count(0), "0");
    EXPECT_EQ(format_count(999), "999");
    EXPECT_EQ(format_count(1000), "1,000");
    EXPECT_EQ(format_count(1234567), "1,234,567");
    EXPECT_EQ(format_count(-12477), "-12,477");
    EXPECT_EQ(format_rate(12345), "12.3k");
    EXPECT_EQ(format_rate(999'999), "1.0M");
    EXPECT_EQ(format_rate(-1), "0");
    EXPECT_EQ(format_eta(0), "0s");
    EXPECT_EQ(format_eta(125), "2m05s");
    EXPECT_EQ(format_eta(3720), "1h02m");
    EXPECT_EQ(format_eta(-1), "?");
}

std::string drain(int fd) {
    std::string s;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) {
        s.append(buf, static_cast<size_t>(n));
    }
    return s;
}

TEST(progress, bar_redraws_at_most_ten_times_a_second_and_clears) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    test::fake_clock clk;
    {
        progress_bar bar(fds[1], &clk, /*force=*/true);
        ASSERT_TRUE(bar.enabled());
        clk.advance(1'000'000'000);
        bar.update(0.5, 10, 20, 1000);
        clk.advance(50'000'000);
        bar.update(0.6, 12, 20, 1200); // too soon: not drawn
        clk.advance(50'000'000);
        bar.update(0.75, 15, 20, 1500);
        bar.finish();
        bar.finish();
    }
    ::close(fds[1]);
    const std::string out = drain(fds[0]);
    ::close(fds[0]);
    EXPECT_EQ(out, "\r[##########..........] 50%  10/20 lines  1.0k ticks/s  ETA 1s\x1b[K"
                   "\r[###############.....] 75%  15/20 lines  1.4k ticks/s  ETA 1s\x1b[K"
                   "\r\x1b[K");
}

TEST(progress, silent_when_not_a_terminal) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    {
        progress_bar bar(fds[1]);
        EXPECT_FALSE(bar.enabled());
        bar.update(0.5, 1, std::nullopt, 1);
    }
    ::close(fds[1]);
    EXPECT_EQ(drain(fds[0]), "");
    ::close(fds[0]);
}

} // namespace
} // namespace mdsp::feed
