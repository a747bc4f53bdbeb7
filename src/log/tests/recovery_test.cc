// Crash recovery: torn tails are cut off on open, everything before them is
// kept, and appends continue at the right offset; damage with valid batches
// after it is skipped and reported as corruption.
#include <algorithm>
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

// Mid-log corruption (issue 10, item 7): damage with valid batches after it
// is not a torn tail. Every valid batch is kept, the end offset does not go
// back, and the partition reports the corruption.

std::vector<std::filesystem::path> segments_of(const std::filesystem::path& dir) {
    std::vector<std::filesystem::path> segs;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
        if (e.path().extension() == ".log") {
            segs.push_back(e.path());
        }
    }
    std::sort(segs.begin(), segs.end());
    return segs;
}

// Inverts n bytes of the file at pos, as a bad sector or a stray write would.
void flip(const std::filesystem::path& file, uint64_t pos, size_t n) {
    std::fstream f(file, std::ios::binary | std::ios::in | std::ios::out);
    std::string bytes(n, '\0');
    f.seekg(std::streamoff(pos));
    f.read(bytes.data(), std::streamsize(n));
    for (auto& c : bytes) {
        c = char(~c);
    }
    f.seekp(std::streamoff(pos));
    f.write(bytes.data(), std::streamsize(n));
}

// Appends `batches` batches of 3 records under c and returns the end offset.
int64_t fill_with(const std::filesystem::path& dir, const config& c, int64_t batches) {
    auto l = log::open(dir, c);
    EXPECT_TRUE(l.has_value());
    EXPECT_TRUE((*l)->ensure_topic("t", 1).has_value());
    append_numbered(**(*l)->get_partition("t", partition_id(0)), 0, batches, 3);
    return batches * 3;
}

// The records read back are every numbered record but those in
// [first_lost, next), in order.
void expect_all_but(const std::vector<owned_record>& recs, int64_t end, int64_t first_lost, int64_t next) {
    ASSERT_EQ(int64_t(recs.size()), end - (next - first_lost));
    std::vector<owned_record> before(recs.begin(), recs.begin() + first_lost);
    std::vector<owned_record> after(recs.begin() + first_lost, recs.end());
    expect_numbered(before, 0, first_lost);
    expect_numbered(after, next, end - next);
}

uint64_t counter(const char* name) {
    return metrics::global().get_counter(name, "").value();
}

config one_segment_config() {
    config c = test_config();
    c.segment_max_bytes = 8u << 20;
    return c;
}

TEST(recovery, sixteen_flipped_bytes_mid_segment_keep_every_valid_batch_after_them) {
    temp_dir dir;
    const int64_t end = fill_with(dir.path(), one_segment_config(), 300);
    auto segs = segments_of(dir.path() / "t-0");
    ASSERT_EQ(segs.size(), 1u);
    const uint64_t size = std::filesystem::file_size(segs[0]);
    const uint64_t at = size / 2;
    flip(segs[0], at, 16);
    const uint64_t truncations = counter("mdsp_log_recovery_truncations_total");
    const uint64_t regions = counter("mdsp_log_recovery_corrupt_regions_total");

    auto l = log::open(dir.path(), one_segment_config());
    ASSERT_TRUE(l.has_value()) << l.error().what();
    auto* p = *(*l)->get_partition("t", partition_id(0));
    EXPECT_EQ(p->end_offset(), mdsp::offset(end)) << "the end offset must not go back";

    const auto& rep = p->recovery();
    ASSERT_TRUE(rep.corrupt());
    ASSERT_EQ(rep.corruption.size(), 1u);
    const auto& d = rep.corruption[0];
    EXPECT_EQ(d.file, segs[0].filename().string());
    EXPECT_LE(d.position, at);
    EXPECT_GE(d.position + d.bytes, at + 16);
    EXPECT_GT(d.batches_after, 100u);
    EXPECT_EQ(rep.corrupt_bytes, d.bytes);
    EXPECT_EQ(rep.torn_tail_bytes, 0u);
    // 16 bytes spoil one batch of 3 records, or two when they straddle a boundary.
    EXPECT_TRUE(rep.lost_offsets == 3 || rep.lost_offsets == 6) << rep.lost_offsets;
    EXPECT_EQ(d.next_offset() - d.first_lost_offset(), rep.lost_offsets);
    EXPECT_EQ(d.first_lost_offset() % 3, 0);
    EXPECT_EQ(counter("mdsp_log_recovery_truncations_total"), truncations) << "not a torn tail";
    EXPECT_EQ(counter("mdsp_log_recovery_corrupt_regions_total"), regions + 1);

    expect_all_but(read_all(*p), end, d.first_lost_offset(), d.next_offset());
    // A read from inside the lost stretch starts at the first record after it.
    std::string buf;
    auto r = p->read(d.first_lost_offset, 1 << 20, buf);
    ASSERT_TRUE(r.has_value()) << r.error().what();
    EXPECT_GT(r->batches, 0u);
    auto from_gap = read_all(*p, d.first_lost_offset());
    ASSERT_FALSE(from_gap.empty());
    EXPECT_EQ(from_gap.front().offset, d.next_offset());

    append_numbered(*p, end, 2, 3);
    const int64_t first_lost = d.first_lost_offset(), next = d.next_offset();
    l->reset();

    // The repair is on disk: the next open finds a whole segment.
    auto l2 = log::open(dir.path(), one_segment_config());
    ASSERT_TRUE(l2.has_value()) << l2.error().what();
    auto* p2 = *(*l2)->get_partition("t", partition_id(0));
    EXPECT_FALSE(p2->recovery().corrupt());
    EXPECT_EQ(p2->recovery().torn_tail_bytes, 0u);
    EXPECT_EQ(p2->end_offset(), mdsp::offset(end + 6));
    expect_all_but(read_all(*p2), end + 6, first_lost, next);
    for (const auto& e : std::filesystem::directory_iterator(dir.path() / "t-0")) {
        EXPECT_NE(e.path().extension(), ".tmp") << e.path();
    }
}

TEST(recovery, sixteen_flipped_bytes_in_the_last_batch_are_a_torn_tail) {
    temp_dir dir;
    const int64_t end = fill_with(dir.path(), one_segment_config(), 50);
    auto seg = segments_of(dir.path() / "t-0").back();
    flip(seg, std::filesystem::file_size(seg) - 40, 16);

    auto l = log::open(dir.path(), one_segment_config());
    ASSERT_TRUE(l.has_value()) << l.error().what();
    auto* p = *(*l)->get_partition("t", partition_id(0));
    EXPECT_EQ(p->end_offset(), mdsp::offset(end - 3));
    EXPECT_FALSE(p->recovery().corrupt());
    EXPECT_GT(p->recovery().torn_tail_bytes, 0u);
    expect_numbered(read_all(*p), 0, end - 3);
}

TEST(recovery, a_damaged_header_in_an_older_segment_keeps_the_batches_after_it) {
    // Segments before the last two are opened without CRC checks; a damaged
    // header is still found, and the next batch is recognised by its CRC.
    temp_dir dir;
    const int64_t end = fill_with(dir.path(), test_config(), 200);
    auto segs = segments_of(dir.path() / "t-0");
    ASSERT_GE(segs.size(), 5u);
    const int64_t base = std::stoll(segs[1].stem().string());
    flip(segs[1], 0, 16);

    auto l = log::open(dir.path(), test_config());
    ASSERT_TRUE(l.has_value()) << l.error().what();
    auto* p = *(*l)->get_partition("t", partition_id(0));
    EXPECT_EQ(p->end_offset(), mdsp::offset(end));
    const auto& rep = p->recovery();
    ASSERT_EQ(rep.corruption.size(), 1u);
    EXPECT_EQ(rep.corruption[0].file, segs[1].filename().string());
    EXPECT_EQ(rep.corruption[0].position, 0u);
    EXPECT_EQ(rep.corruption[0].first_lost_offset, mdsp::offset(base));
    EXPECT_EQ(rep.lost_offsets, 3);
    expect_all_but(read_all(*p), end, base, base + 3);
}

TEST(recovery, damage_at_the_end_of_a_segment_before_others_is_corruption) {
    // Nothing valid follows the damage in its own file, but the later
    // segments hold batches: not a torn tail, and they are all kept.
    temp_dir dir;
    const int64_t end = fill_with(dir.path(), test_config(), 200);
    auto segs = segments_of(dir.path() / "t-0");
    ASSERT_GE(segs.size(), 3u);
    auto prev = segs[segs.size() - 2];
    const int64_t next_base = std::stoll(segs.back().stem().string());
    flip(prev, std::filesystem::file_size(prev) - 20, 16);

    auto l = log::open(dir.path(), test_config());
    ASSERT_TRUE(l.has_value()) << l.error().what();
    auto* p = *(*l)->get_partition("t", partition_id(0));
    EXPECT_EQ(p->end_offset(), mdsp::offset(end));
    const auto& rep = p->recovery();
    ASSERT_EQ(rep.corruption.size(), 1u);
    EXPECT_EQ(rep.torn_tail_bytes, 0u);
    EXPECT_EQ(rep.corruption[0].file, prev.filename().string());
    EXPECT_EQ(rep.corruption[0].next_offset, mdsp::offset(next_base));
    EXPECT_EQ(rep.lost_offsets, 3);
    expect_all_but(read_all(*p), end, next_base - 3, next_base);
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
