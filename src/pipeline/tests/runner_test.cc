#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "pipeline/errc.h"
#include "pipeline/runner.h"

namespace mdsp::pipeline {
namespace {

// A stage that counts what the runner asks of it and on which thread.
class counting_stage final : public stage {
public:
    explicit counting_stage(std::string name, int steps_until_done = -1, int fail_at = -1)
      : _name(std::move(name))
      , _until_done(steps_until_done)
      , _fail_at(fail_at) {}

    std::string_view name() const override { return _name; }
    result<void> start() override {
        ++starts;
        return ok();
    }
    result<step_status> step(std::chrono::milliseconds) override {
        step_thread = std::this_thread::get_id();
        int n = ++steps;
        if (n == _fail_at) {
            return make_error(errc::io_error, "disk full");
        }
        if (_until_done >= 0 && !upstream.load() && _needs_upstream) {
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
            return step_status::idle;
        }
        if (_until_done >= 0 && n >= _until_done) {
            return step_status::done;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        return step_status::busy;
    }
    void upstream_done() override { upstream = true; }
    result<void> stop() override {
        stop_thread = std::this_thread::get_id();
        ++stops;
        return ok();
    }
    void needs_upstream() { _needs_upstream = true; }

    std::atomic<int> starts{0}, steps{0}, stops{0};
    std::atomic<bool> upstream{false};
    std::thread::id step_thread, stop_thread;

private:
    std::string _name;
    int _until_done;
    int _fail_at;
    bool _needs_upstream = false;
};

TEST(runner, each_stage_steps_and_stops_on_its_own_thread_and_done_flows_downstream) {
    counting_stage ingest("ingest", 5);
    counting_stage process("process", 3);
    process.needs_upstream(); // done only after ingest is
    runner r;
    r.add(ingest);
    r.add(process);
    ASSERT_TRUE(r.start());
    EXPECT_EQ(ingest.starts, 1);
    EXPECT_EQ(process.starts, 1);
    for (int i = 0; i < 2000 && !r.done(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    ASSERT_TRUE(r.done());
    EXPECT_TRUE(process.upstream);
    EXPECT_FALSE(ingest.upstream); // nothing before the first stage
    r.request_stop();
    ASSERT_TRUE(r.join());
    EXPECT_EQ(ingest.stops, 1);
    EXPECT_EQ(process.stops, 1);
    EXPECT_NE(ingest.step_thread, process.step_thread);
    EXPECT_EQ(ingest.step_thread, ingest.stop_thread);
    EXPECT_EQ(process.step_thread, process.stop_thread);
    EXPECT_NE(ingest.step_thread, std::this_thread::get_id());
}

TEST(runner, a_failing_stage_stops_every_stage_and_join_names_it) {
    counting_stage ok_stage("ingest");
    counting_stage bad("process", -1, 4);
    runner r;
    r.add(ok_stage);
    r.add(bad);
    ASSERT_TRUE(r.start());
    for (int i = 0; i < 2000 && !r.failed(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    ASSERT_TRUE(r.failed());
    auto j = r.join();
    ASSERT_FALSE(j);
    EXPECT_NE(std::string(j.error().what()).find("process: disk full"), std::string::npos)
        << j.error().what();
    EXPECT_EQ(ok_stage.stops, 1); // the others still stop cleanly
    EXPECT_EQ(bad.stops, 1);
}

TEST(runner, run_returns_done_when_every_stage_is_done_and_interrupted_on_a_signal) {
    signal_stop signals; // blocks SIGINT/SIGTERM here and in the stages' threads
    {
        counting_stage s("ingest", 3);
        runner r;
        r.add(s);
        ASSERT_TRUE(r.start());
        auto how = r.run(signals, {.exit_when_done = true, .on_idle = {}});
        ASSERT_TRUE(how);
        EXPECT_EQ(*how, runner::ended::done);
        EXPECT_EQ(s.stops, 1);
    }
    {
        counting_stage s("ingest"); // endless
        runner r;
        r.add(s);
        ASSERT_TRUE(r.start());
        std::thread killer([] {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
            kill(getpid(), SIGTERM);
        });
        auto how = r.run(signals, {});
        killer.join();
        ASSERT_TRUE(how);
        EXPECT_EQ(*how, runner::ended::interrupted);
        EXPECT_EQ(s.stops, 1);
    }
}

} // namespace
} // namespace mdsp::pipeline
