// Replays of inputs that are not regular files: FIFOs nobody writes to, or
// whose writer stalls, and devices with endless lines. Nothing may block a
// caller that wants to stop.

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <stop_token>
#include <thread>

#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "feed/replay.h"

namespace mdsp::feed {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view binance_header =
    "agg_trade_id,price,qty,first_trade_id,last_trade_id,time_ms,is_buyer_maker\n";

// Runs f on a thread and gives its result. A hang is a failure, not a test
// that never ends: after `patience` (far beyond what a working call takes;
// this is a hang detector, not a timing assertion) the test fails, `release`
// is run to unblock f if it can, and if f still does not return the process
// exits with a failure.
template<typename T>
T within(std::function<T()> f, const std::function<void()>& release = {},
         std::chrono::seconds patience = std::chrono::seconds(30)) {
    auto task = std::make_shared<std::packaged_task<T()>>(std::move(f));
    auto fut = task->get_future();
    std::thread([task] { (*task)(); }).detach();
    if (fut.wait_for(patience) != std::future_status::ready) {
        ADD_FAILURE() << "the call blocked for " << patience.count() << " s";
        if (release) {
            release();
        }
        if (fut.wait_for(patience) != std::future_status::ready) {
            std::fprintf(stderr, "replay_input_test: the call is still blocked; giving up\n");
            std::fflush(stderr);
            std::_Exit(1);
        }
    }
    return fut.get();
}

class replay_input_test : public ::testing::Test {
protected:
    void SetUp() override {
        auto info = ::testing::UnitTest::GetInstance()->current_test_info();
        dir = fs::temp_directory_path() / fmt::format("mdsp_feed_input_{}_{}", info->name(), ::getpid());
        fs::remove_all(dir);
        fs::create_directories(dir);
    }
    void TearDown() override { fs::remove_all(dir); }

    std::string fifo(const std::string& name) {
        auto p = (dir / name).string();
        EXPECT_EQ(::mkfifo(p.c_str(), 0600), 0);
        return p;
    }

    result<std::unique_ptr<replay>> open(replay_config cfg) {
        return replay::open(std::move(cfg), [this](model::dead_letter d) { dead.push_back(std::move(d)); });
    }

    fs::path dir;
    std::vector<model::dead_letter> dead;
};

using open_result = result<std::unique_ptr<replay>>;

TEST_F(replay_input_test, a_fifo_nobody_writes_to_is_left_by_a_stop) {
    const auto path = fifo("nobody.csv");
    std::stop_source stop;
    replay_config cfg;
    cfg.path = path;
    cfg.stop = stop.get_token();
    std::thread stopper([&stop] {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        stop.request_stop();
    });
    auto r = within<open_result>([&] { return open(cfg); },
                                 [&] { ::close(::open(path.c_str(), O_WRONLY | O_NONBLOCK)); });
    stopper.join();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::stopped) << r.error().what();
}

TEST_F(replay_input_test, a_stalled_fifo_writer_does_not_block_poll_and_its_lines_still_come) {
    const auto path = fifo("slow.csv");
    std::stop_source stop;
    replay_config cfg;
    cfg.path = path;
    cfg.symbol = "XRPETH";
    cfg.stop = stop.get_token();
    auto opening = std::async(std::launch::async, [&] { return open(cfg); });
    const int w = ::open(path.c_str(), O_WRONLY); // waits for the reader above
    ASSERT_GE(w, 0);
    auto send = [w](std::string_view s) { ASSERT_EQ(::write(w, s.data(), s.size()), ssize_t(s.size())); };
    send(binance_header);
    send("1,0.5,1,1,1,1570752011620,true\n2,0.6");
    auto r = opening.get();
    ASSERT_TRUE(r) << r.error().what();
    std::vector<model::tick> out;
    // The first line comes; then the writer is silent in the middle of a
    // line, and poll() returns without it instead of blocking.
    for (int i = 0; i < 3; ++i) {
        auto st = within<result<poll_status>>([&] { return (*r)->poll(out, 100); }, [&] { send("\n"); });
        ASSERT_TRUE(st);
        EXPECT_EQ(*st, poll_status::ticks);
    }
    ASSERT_EQ(out.size(), 1u);
    stop.request_stop(); // no waiting any more, but what comes is still read
    auto st = within<result<poll_status>>([&] { return (*r)->poll(out, 100); });
    ASSERT_TRUE(st);
    EXPECT_EQ(out.size(), 1u);
    send(",1,2,2,1570752011621,false\n");
    ::close(w);
    for (int i = 0; i < 100 && st && *st != poll_status::end; ++i) {
        st = within<result<poll_status>>([&] { return (*r)->poll(out, 100); });
    }
    ASSERT_TRUE(st);
    EXPECT_EQ(*st, poll_status::end);
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[1].seq(), 2);
    EXPECT_TRUE(dead.empty());
}

TEST_F(replay_input_test, an_endless_first_line_is_no_header) {
    // `mdsp replay /dev/zero --format csv` read its "header" forever.
    replay_config cfg;
    cfg.path = "/dev/zero";
    cfg.format = replay_format::generic_csv;
    auto r = within<open_result>([&] { return open(cfg); });
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::bad_format);
    EXPECT_NE(r.error().what().find("longer than"), std::string::npos) << r.error().what();
    cfg.format = replay_format::automatic;
    r = within<open_result>([&] { return open(cfg); });
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::bad_format);
}

TEST_F(replay_input_test, an_endless_line_does_not_keep_poll_from_returning) {
    replay_config cfg;
    cfg.path = "/dev/zero";
    cfg.format = replay_format::binance_csv; // no header: the data is one endless line
    cfg.symbol = "XRPETH";
    auto r = within<open_result>([&] { return open(cfg); });
    ASSERT_TRUE(r) << r.error().what();
    std::vector<model::tick> out;
    for (int i = 0; i < 5; ++i) {
        auto st = within<result<poll_status>>([&] { return (*r)->poll(out, 100); });
        ASSERT_TRUE(st);
        EXPECT_EQ(*st, poll_status::ticks);
    }
    EXPECT_TRUE(out.empty());
    EXPECT_TRUE(dead.empty()); // dead-lettered once it ends, which it never does
    EXPECT_EQ((*r)->position(), "0:1");
}

TEST_F(replay_input_test, a_line_skipped_over_several_polls_is_dead_lettered_once) {
    const auto path = (dir / "long.csv").string();
    const size_t long_bytes = 40u << 20; // over two skip budgets of 16 MiB
    {
        std::ofstream f(path, std::ios::binary);
        f << binance_header << "1,0.5,1,1,1,1570752011620,true\n";
        f << std::string(long_bytes, 'x') << "\n";
        f << "3,0.5,1,1,1,1570752011622,true\n";
    }
    replay_config cfg;
    cfg.path = path;
    cfg.symbol = "XRPETH";
    cfg.max_line_bytes = 1024;
    auto r = open(cfg);
    ASSERT_TRUE(r) << r.error().what();
    std::vector<model::tick> out;
    int polls = 0;
    for (auto st = (*r)->poll(out, 100); st && *st != poll_status::end; st = (*r)->poll(out, 100)) {
        ASSERT_LT(++polls, 1000);
    }
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[1].seq(), 3);
    ASSERT_EQ(dead.size(), 1u);
    EXPECT_EQ(dead[0].source_offset, 3);
    EXPECT_NE(dead[0].message.find(fmt::format("{} bytes", long_bytes)), std::string::npos)
        << dead[0].message;
    EXPECT_EQ(dead[0].raw, std::string(64 * 1024, 'x')); // the start is kept
}

} // namespace
} // namespace mdsp::feed
