#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include <gtest/gtest.h>

#include "pipeline/errc.h"
#include "pipeline/internal/store_writer.h"

namespace mdsp::pipeline::internal {
namespace {

using namespace std::chrono_literals;

TEST(store_writer, runs_one_job_on_its_thread_and_hands_back_its_result_once) {
    store_writer w;
    EXPECT_TRUE(w.idle());
    EXPECT_FALSE(w.poll().has_value()); // nothing submitted
    EXPECT_TRUE(w.wait());

    std::promise<void> go;
    auto gate = go.get_future();
    std::thread::id ran_on;
    w.submit([&]() -> result<void> {
        ran_on = std::this_thread::get_id();
        gate.wait();
        return ok();
    });
    EXPECT_FALSE(w.idle());
    EXPECT_FALSE(w.poll().has_value()); // still running
    go.set_value();
    EXPECT_TRUE(w.wait());
    EXPECT_TRUE(w.idle());
    EXPECT_NE(ran_on, std::this_thread::get_id());
    EXPECT_LE(w.started_ns(), w.ended_ns());

    // A failure comes back as the job's error, collected by poll().
    w.submit([]() -> result<void> { return make_error(errc::corrupt_state, "no room"); });
    std::optional<result<void>> r;
    for (int i = 0; i < 2000 && !(r = w.poll()); ++i) {
        std::this_thread::sleep_for(1ms);
    }
    ASSERT_TRUE(r.has_value());
    ASSERT_FALSE(*r);
    EXPECT_EQ(r->error().what(), "no room");
    EXPECT_TRUE(w.idle());
}

TEST(store_writer, the_destructor_waits_for_a_job_that_was_submitted) {
    std::atomic<bool> done{false};
    {
        store_writer w;
        w.submit([&]() -> result<void> {
            std::this_thread::sleep_for(20ms);
            done = true;
            return ok();
        });
    }
    EXPECT_TRUE(done.load());
}

} // namespace
} // namespace mdsp::pipeline::internal
