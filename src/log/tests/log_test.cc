#include <fstream>

#include <gtest/gtest.h>

#include "log/internal/segment.h"
#include "log/log.h"
#include "log/tests/log_test_util.h"

namespace mdsp::log {
namespace {

using namespace testing;

config small_segments() {
    config c;
    c.fsync = fsync_policy::never();
    c.segment_max_bytes = 1024;
    c.index_interval_bytes = 256;
    return c;
}

TEST(log, create_append_read_and_offsets) {
    temp_dir dir;
    auto l = log::open(dir.path(), small_segments());
    ASSERT_TRUE(l.has_value()) << l.error().what();
    ASSERT_EQ(*(*l)->ensure_topic("market.ticks", 3), 3);
    auto p = (*l)->get_partition("market.ticks", partition_id(1));
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ((*p)->start_offset(), mdsp::offset(0));
    EXPECT_EQ((*p)->end_offset(), mdsp::offset(0));
    append_numbered(**p, 0, 10, 3);
    EXPECT_EQ((*p)->end_offset(), mdsp::offset(30));
    expect_numbered(read_all(**p), 0, 30);
    // Reading from the middle of a batch returns it whole; the caller skips.
    expect_numbered(read_all(**p, 7), 7, 23);
    std::string buf;
    auto at_end = (*p)->read(mdsp::offset(30), 1000, buf);
    ASSERT_TRUE(at_end.has_value());
    EXPECT_EQ(at_end->bytes, 0u);
    EXPECT_EQ((*p)->read(mdsp::offset(31), 1000, buf).error().code, errc::offset_out_of_range);
    EXPECT_EQ((*l)->get_partition("market.ticks", partition_id(3)).error().code, errc::unknown_partition);
    EXPECT_EQ((*l)->get_partition("nope", partition_id(0)).error().code, errc::unknown_topic);
    EXPECT_EQ((*l)->ensure_topic("bad/name", 1).error().code, errc::invalid_argument);
    EXPECT_EQ(*(*l)->ensure_topic("market.ticks", 8), 3) << "an existing topic keeps its partition count";
}

TEST(log, segments_roll_and_reads_cross_them) {
    temp_dir dir;
    auto l = log::open(dir.path(), small_segments());
    ASSERT_TRUE(l.has_value());
    ASSERT_TRUE((*l)->ensure_topic("t", 1).has_value());
    auto* p = *(*l)->get_partition("t", partition_id(0));
    append_numbered(*p, 0, 200);
    EXPECT_GT(p->segment_count(), 10u);
    expect_numbered(read_all(*p), 0, 200);
    // One big read spans every segment.
    std::string buf;
    auto r = p->read(mdsp::offset(0), 1 << 20, buf);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->next_offset, mdsp::offset(200));
    EXPECT_EQ(r->batches, 200u);
    // Every segment is below the limit unless it holds a single batch.
    size_t files = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir.path() / "t-0")) {
        if (e.path().extension() == ".log") {
            ++files;
            EXPECT_LE(std::filesystem::file_size(e.path()), 1024u);
            EXPECT_EQ(e.path().stem().string().size(), 20u);
        }
    }
    EXPECT_EQ(files, p->segment_count());
    // Start reads at every offset: each finds its record first.
    for (int64_t o = 0; o < 200; o += 13) {
        auto recs = read_all(*p, o);
        ASSERT_FALSE(recs.empty());
        EXPECT_EQ(recs.front().offset, o);
    }
}

TEST(log, index_points_at_batches) {
    temp_dir dir;
    config c = small_segments();
    c.segment_max_bytes = 1 << 20;
    c.index_interval_bytes = 200;
    auto l = log::open(dir.path(), c);
    ASSERT_TRUE(l.has_value());
    ASSERT_TRUE((*l)->ensure_topic("t", 1).has_value());
    auto* p = *(*l)->get_partition("t", partition_id(0));
    append_numbered(*p, 0, 100, 2);
    // Check each index entry names a batch starting at that position.
    std::vector<internal::index_entry> entries;
    {
        internal::segment_recovery rec;
        (*l).reset(); // close the log so the segment can be opened alone
        auto seg = internal::segment::open(dir.path() / "t-0", 0, {200, default_max_batch_bytes}, true, rec);
        ASSERT_TRUE(seg.has_value());
        EXPECT_FALSE(rec.index_rebuilt) << "the index written while appending matches a rescan";
        entries = (*seg)->index_entries();
        ASSERT_GT(entries.size(), 5u);
        std::ifstream in(dir.path() / "t-0" / internal::segment_file_name(0, "log"), std::ios::binary);
        std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        int32_t prev = -1;
        for (const auto& e : entries) {
            auto h = parse_batch_header(std::span<const char>(all).subspan(size_t(e.position)),
                                        default_max_batch_bytes);
            ASSERT_TRUE(h.has_value());
            EXPECT_EQ(h->base_offset, e.relative_offset);
            EXPECT_GT(e.relative_offset, prev);
            prev = e.relative_offset;
            // lookup() of an offset inside that batch returns this entry or a later one's position <= it.
            EXPECT_EQ((*seg)->lookup(mdsp::offset(e.relative_offset + 1)), uint64_t(e.position));
        }
        EXPECT_EQ((*seg)->lookup(mdsp::offset(0)), 0u);
        EXPECT_EQ(std::filesystem::file_size(dir.path() / "t-0" / internal::segment_file_name(0, "index")),
                  entries.size() * 8);
    }
    // A missing index is rebuilt on open, identical to the one written while appending.
    std::filesystem::remove(dir.path() / "t-0" / internal::segment_file_name(0, "index"));
    {
        internal::segment_recovery rec;
        auto seg = internal::segment::open(dir.path() / "t-0", 0, {200, default_max_batch_bytes}, true, rec);
        ASSERT_TRUE(seg.has_value());
        EXPECT_TRUE(rec.index_rebuilt);
        EXPECT_EQ((*seg)->index_entries(), entries);
    }
    // A garbled index is rebuilt too.
    {
        std::ofstream out(dir.path() / "t-0" / internal::segment_file_name(0, "index"),
                          std::ios::binary | std::ios::in | std::ios::out);
        out.seekp(4);
        out.write("\x7f\x7f\x7f\x7f", 4);
    }
    auto l2 = log::open(dir.path(), c);
    ASSERT_TRUE(l2.has_value());
    expect_numbered(read_all(**(*l2)->get_partition("t", partition_id(0))), 0, 200);
}

TEST(log, reopen_keeps_topics_partitions_and_offsets) {
    temp_dir dir;
    {
        auto l = log::open(dir.path(), small_segments());
        ASSERT_TRUE(l.has_value());
        ASSERT_TRUE((*l)->ensure_topic("a", 2).has_value());
        ASSERT_TRUE((*l)->ensure_topic("b.c-d_e", 5).has_value());
        append_numbered(**(*l)->get_partition("a", partition_id(1)), 0, 50);
        append_numbered(**(*l)->get_partition("b.c-d_e", partition_id(4)), 0, 7, 4);
        // A second open of the same directory is refused while this one holds it.
        auto again = log::open(dir.path(), small_segments());
        EXPECT_FALSE(again.has_value());
    }
    auto l = log::open(dir.path(), small_segments());
    ASSERT_TRUE(l.has_value()) << l.error().what();
    EXPECT_EQ((*l)->topics(), (std::vector<std::string>{"a", "b.c-d_e"}));
    EXPECT_EQ((*l)->partition_count("a"), 2);
    EXPECT_EQ((*l)->partition_count("b.c-d_e"), 5);
    auto* a1 = *(*l)->get_partition("a", partition_id(1));
    EXPECT_EQ(a1->end_offset(), mdsp::offset(50));
    EXPECT_EQ((*(*l)->get_partition("a", partition_id(0)))->end_offset(), mdsp::offset(0));
    auto* b4 = *(*l)->get_partition("b.c-d_e", partition_id(4));
    EXPECT_EQ(b4->end_offset(), mdsp::offset(28));
    append_numbered(*a1, 50, 10);
    expect_numbered(read_all(*a1), 0, 60);
    expect_numbered(read_all(*b4), 0, 28);
}

TEST(log, retention_by_size_deletes_oldest_whole_segments) {
    temp_dir dir;
    config c = small_segments();
    c.retention_bytes = 3000;
    c.retention_check_interval = std::chrono::milliseconds(0);
    auto l = log::open(dir.path(), c);
    ASSERT_TRUE(l.has_value());
    ASSERT_TRUE((*l)->ensure_topic("t", 1).has_value());
    auto* p = *(*l)->get_partition("t", partition_id(0));
    append_numbered(*p, 0, 300);
    size_t before = p->segment_count();
    auto deleted = (*l)->enforce_retention();
    ASSERT_TRUE(deleted.has_value());
    EXPECT_GT(*deleted, 0u);
    EXPECT_EQ(p->segment_count(), before - *deleted);
    EXPECT_GE(p->size_bytes(), 3000u) << "deletes only while the rest stays above the limit";
    EXPECT_LT(p->size_bytes(), 3000u + 1024u);
    EXPECT_GT(p->start_offset(), mdsp::offset(0));
    EXPECT_EQ(p->end_offset(), mdsp::offset(300));
    int64_t start = p->start_offset()();
    expect_numbered(read_all(*p), start, 300 - start);
    std::string buf;
    EXPECT_EQ(p->read(mdsp::offset(0), 100, buf).error().code, errc::offset_out_of_range);
    EXPECT_FALSE(std::filesystem::exists(dir.path() / "t-0" / internal::segment_file_name(0, "log")));
    // The start offset survives a reopen.
    l->reset();
    auto l2 = log::open(dir.path(), c);
    ASSERT_TRUE(l2.has_value());
    EXPECT_EQ((*(*l2)->get_partition("t", partition_id(0)))->start_offset(), mdsp::offset(start));
}

TEST(log, retention_by_age_keeps_the_active_segment) {
    temp_dir dir;
    config c = small_segments();
    c.retention_ms = 60'000;
    c.retention_check_interval = std::chrono::milliseconds(0);
    auto l = log::open(dir.path(), c);
    ASSERT_TRUE(l.has_value());
    ASSERT_TRUE((*l)->ensure_topic("t", 1).has_value());
    auto* p = *(*l)->get_partition("t", partition_id(0));
    // Old records (timestamps ~1970) fill many segments, then recent ones.
    append_numbered(*p, 0, 100);
    int64_t now_ms = 1'700'000'000'000;
    std::string v(300, 'r');
    for (int i = 0; i < 10; ++i) {
        record r{std::nullopt, std::string_view(v), now_ms - 1000};
        ASSERT_TRUE(p->append(std::span<const record>(&r, 1)).has_value());
    }
    auto deleted = p->enforce_retention(now_ms);
    ASSERT_TRUE(deleted.has_value());
    EXPECT_GT(*deleted, 0u);
    // Only segments holding nothing but old records go: the one holding
    // offsets 99 and 100 stays.
    EXPECT_GT(p->start_offset(), mdsp::offset(0));
    EXPECT_LE(p->start_offset(), mdsp::offset(100));
    EXPECT_EQ(*p->enforce_retention(now_ms), 0u) << "nothing more is old enough";
    EXPECT_EQ(p->end_offset(), mdsp::offset(110));
    // Far in the future everything is old, but the active segment stays.
    ASSERT_TRUE(p->enforce_retention(now_ms * 2).has_value());
    EXPECT_EQ(p->segment_count(), 1u);
    EXPECT_EQ(p->end_offset(), mdsp::offset(110));
    append_numbered(*p, 110, 1);
}

TEST(log, append_encoded_validates_and_stamps_offsets) {
    temp_dir dir;
    auto l = log::open(dir.path(), small_segments());
    ASSERT_TRUE(l.has_value());
    ASSERT_TRUE((*l)->ensure_topic("t", 1).has_value());
    auto* p = *(*l)->get_partition("t", partition_id(0));
    append_numbered(*p, 0, 3);
    batch_builder b;
    ASSERT_TRUE(b.add(std::string_view("key-3"), std::string_view(value_for(3)), 1003));
    auto bytes = b.finish();
    std::string copy(bytes.data(), bytes.size());
    auto r = p->append_encoded({copy.data(), copy.size()});
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(*r, mdsp::offset(3));
    expect_numbered(read_all(*p), 0, 4);
    copy[copy.size() - 2] ^= 0x40;
    EXPECT_EQ(p->append_encoded({copy.data(), copy.size()}).error().code, errc::corrupt);
    EXPECT_EQ(p->append_encoded({copy.data(), copy.size() - 1}).error().code, errc::corrupt);
}

TEST(log, config_is_validated) {
    temp_dir dir;
    config c;
    c.segment_max_bytes = 0;
    EXPECT_EQ(log::open(dir.path(), c).error().code, errc::invalid_argument);
    c = config{};
    c.fsync = fsync_policy::interval(std::chrono::milliseconds(0));
    EXPECT_EQ(log::open(dir.path(), c).error().code, errc::invalid_argument);
}

} // namespace
} // namespace mdsp::log
