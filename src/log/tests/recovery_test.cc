// Crash recovery: torn and corrupt tails are cut off on open, everything
// before them is kept, and appends continue at the right offset.
#include <csignal>
#include <fstream>

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/metrics.h"
#include "log/internal/segment.h"
#include "log/log.h"
#include "log/tests/log_test_util.h"

namespace mdsp::log {
namespace {

using namespace testing;

config test_config() {
    config c;
    c.fsync = fsync_policy::never();
    c.segment_max_bytes = 4096;
    c.index_interval_bytes = 512;
    return c;
}

std::filesystem::path last_segment(const std::filesystem::path& dir) {
    std::filesystem::path last;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
        if (e.path().extension() == ".log" && (last.empty() || e.path() > last)) {
            last = e.path();
        }
    }
    return last;
}

// Writes `batches` batches of 3 records, closes, and returns the size of the
// last batch in the last segment.
size_t fill(const std::filesystem::path& dir, int64_t batches) {
    auto l = log::open(dir, test_config());
    EXPECT_TRUE(l.has_value());
    EXPECT_TRUE((*l)->ensure_topic("t", 1).has_value());
    auto* p = *(*l)->get_partition("t", partition_id(0));
    append_numbered(*p, 0, batches - 1, 3);
    auto before = std::filesystem::file_size(last_segment(dir / "t-0"));
    append_numbered(*p, (batches - 1) * 3, 1, 3);
    auto after = std::filesystem::file_size(last_segment(dir / "t-0"));
    return after > before ? after - before : after;
}

void cut(const std::filesystem::path& file, uint64_t bytes) {
    std::filesystem::resize_file(file, std::filesystem::file_size(file) - bytes);
}

class torn_tail : public ::testing::TestWithParam<int> {};

TEST_P(torn_tail, keeps_every_complete_batch_and_appends_continue) {
    temp_dir dir;
    const int64_t batches = 40;
    size_t last_batch = fill(dir.path(), batches);
    auto seg = last_segment(dir.path() / "t-0");
    uint64_t cut_bytes = GetParam() > 0 ? uint64_t(GetParam()) : last_batch / 2;
    ASSERT_LT(cut_bytes, last_batch);
    cut(seg, cut_bytes);
    auto& truncations = metrics::global().get_counter("mdsp_log_recovery_truncations_total", "");
    uint64_t truncations_before = truncations.value();

    auto l = log::open(dir.path(), test_config());
    ASSERT_TRUE(l.has_value()) << l.error().what();
    auto* p = *(*l)->get_partition("t", partition_id(0));
    EXPECT_EQ(p->end_offset(), mdsp::offset((batches - 1) * 3)) << "the torn last batch is gone";
    EXPECT_EQ(truncations.value(), truncations_before + 1);
    expect_numbered(read_all(*p), 0, (batches - 1) * 3);
    append_numbered(*p, (batches - 1) * 3, 5, 3);
    expect_numbered(read_all(*p), 0, (batches + 4) * 3);
    // And the repaired log reopens cleanly.
    l->reset();
    auto l2 = log::open(dir.path(), test_config());
    ASSERT_TRUE(l2.has_value());
    EXPECT_EQ(truncations.value(), truncations_before + 1);
    expect_numbered(read_all(**(*l2)->get_partition("t", partition_id(0))), 0, (batches + 4) * 3);
}

INSTANTIATE_TEST_SUITE_P(cuts, torn_tail, ::testing::Values(1, 5, 17, 0 /* half a batch */));

TEST(recovery, crc_corruption_in_the_last_batch_truncates_it) {
    temp_dir dir;
    const int64_t batches = 25;
    size_t last_batch = fill(dir.path(), batches);
    auto seg = last_segment(dir.path() / "t-0");
    {
        std::fstream f(seg, std::ios::binary | std::ios::in | std::ios::out);
        f.seekp(std::streamoff(std::filesystem::file_size(seg) - last_batch / 3));
        f.put('\x5a');
    }
    auto l = log::open(dir.path(), test_config());
    ASSERT_TRUE(l.has_value()) << l.error().what();
    auto* p = *(*l)->get_partition("t", partition_id(0));
    EXPECT_EQ(p->end_offset(), mdsp::offset((batches - 1) * 3));
    expect_numbered(read_all(*p), 0, (batches - 1) * 3);
    append_numbered(*p, (batches - 1) * 3, 1, 3);
    expect_numbered(read_all(*p), 0, batches * 3);
}

TEST(recovery, garbage_after_the_last_batch_is_cut) {
    temp_dir dir;
    fill(dir.path(), 10);
    auto seg = last_segment(dir.path() / "t-0");
    {
        std::ofstream f(seg, std::ios::binary | std::ios::app);
        // A header claiming a 2 GiB batch: the length is checked, never allocated.
        std::string junk(100, '\0');
        junk[8] = '\x7f';
        junk[9] = '\xff';
        junk[16] = 2;
        f.write(junk.data(), std::streamsize(junk.size()));
    }
    auto l = log::open(dir.path(), test_config());
    ASSERT_TRUE(l.has_value()) << l.error().what();
    auto* p = *(*l)->get_partition("t", partition_id(0));
    EXPECT_EQ(p->end_offset(), mdsp::offset(30));
    expect_numbered(read_all(*p), 0, 30);
}

TEST(recovery, a_whole_torn_segment_leaves_an_empty_one) {
    temp_dir dir;
    fill(dir.path(), 60);
    auto seg = last_segment(dir.path() / "t-0");
    int64_t base = std::stoll(seg.stem().string());
    std::filesystem::resize_file(seg, 30);
    auto l = log::open(dir.path(), test_config());
    ASSERT_TRUE(l.has_value()) << l.error().what();
    auto* p = *(*l)->get_partition("t", partition_id(0));
    EXPECT_EQ(p->end_offset(), mdsp::offset(base));
    expect_numbered(read_all(*p), 0, base);
    append_numbered(*p, base, 2, 3);
    expect_numbered(read_all(*p), 0, base + 6);
}

TEST(recovery, crc_corruption_just_before_a_roll_is_found) {
    // A crash right after a roll: the new last segment is empty and the
    // torn batch ends the segment before it.
    temp_dir dir;
    fill(dir.path(), 60);
    std::vector<std::filesystem::path> segs;
    for (const auto& e : std::filesystem::directory_iterator(dir.path() / "t-0")) {
        if (e.path().extension() == ".log") {
            segs.push_back(e.path());
        }
    }
    std::sort(segs.begin(), segs.end());
    ASSERT_GE(segs.size(), 3u);
    auto last = segs.back();
    auto prev = segs[segs.size() - 2];
    int64_t last_base = std::stoll(last.stem().string());
    std::filesystem::resize_file(last, 0);
    {
        std::fstream f(prev, std::ios::binary | std::ios::in | std::ios::out);
        f.seekp(std::streamoff(std::filesystem::file_size(prev) - 3));
        f.put('\x11');
    }
    auto l = log::open(dir.path(), test_config());
    ASSERT_TRUE(l.has_value()) << l.error().what();
    auto* p = *(*l)->get_partition("t", partition_id(0));
    EXPECT_EQ(p->end_offset(), mdsp::offset(last_base));
    // The corrupt batch (3 records) is gone; everything before it reads back
    // and the gap is skipped.
    auto recs = read_all(*p);
    expect_numbered(recs, 0, last_base - 3);
    append_numbered(*p, last_base, 1, 3);
    recs = read_all(*p, last_base - 3);
    ASSERT_EQ(recs.size(), 3u);
    EXPECT_EQ(recs.front().offset, last_base);
}

// A child process appends and reports each offset append() returned, then
// is killed with SIGKILL mid-stream. Whatever was acknowledged must be there,
// under every fsync policy.
void kill_nine_loses_nothing_acknowledged(fsync_policy policy) {
    temp_dir dir;
    {
        auto l = log::open(dir.path(), test_config());
        ASSERT_TRUE(l.has_value());
        ASSERT_TRUE((*l)->ensure_topic("t", 1).has_value());
    }
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        ::close(fds[0]);
        config c = test_config();
        c.fsync = policy;
        auto l = log::open(dir.path(), c);
        if (!l) {
            ::_exit(2);
        }
        auto* p = *(*l)->get_partition("t", partition_id(0));
        for (int64_t i = 0;; ++i) {
            std::string k = "key-" + std::to_string(i % 10), v = value_for(i);
            record r{std::string_view(k), std::string_view(v), 1000 + i};
            auto o = p->append(std::span<const record>(&r, 1));
            if (!o || (*o)() != i) {
                ::_exit(3);
            }
            if (::write(fds[1], &i, sizeof i) != sizeof i) {
                ::_exit(4);
            }
        }
    }
    ::close(fds[1]);
    int64_t acked = -1, got = 0;
    while (acked < 300 && ::read(fds[0], &got, sizeof got) == sizeof got) {
        acked = got;
    }
    ::kill(child, SIGKILL);
    // Drain what the child acknowledged before it died.
    while (::read(fds[0], &got, sizeof got) == sizeof got) {
        acked = got;
    }
    ::close(fds[0]);
    int status = 0;
    ::waitpid(child, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status);
    auto l = log::open(dir.path(), test_config());
    ASSERT_TRUE(l.has_value()) << l.error().what();
    auto* p = *(*l)->get_partition("t", partition_id(0));
    ASSERT_GE(p->end_offset(), mdsp::offset(acked + 1));
    auto recs = read_all(*p);
    expect_numbered(recs, 0, int64_t(recs.size()));
}

TEST(recovery, kill_nine_fsync_never) {
    kill_nine_loses_nothing_acknowledged(fsync_policy::never());
}
TEST(recovery, kill_nine_fsync_interval) {
    kill_nine_loses_nothing_acknowledged(fsync_policy::interval(std::chrono::milliseconds(5)));
}
TEST(recovery, kill_nine_fsync_always) {
    kill_nine_loses_nothing_acknowledged(fsync_policy::always());
}

} // namespace
} // namespace mdsp::log
