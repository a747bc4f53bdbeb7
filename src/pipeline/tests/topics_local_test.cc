// The Topics view over a real embedded log: partitions and offsets, bounded
// reads, time -> offset, and the groups the log keeps.
#include <gtest/gtest.h>

#include "bus/local.h"
#include "pipeline/topics_local.h"
#include "testing/temp_dir.h"

namespace mdsp::pipeline {
namespace {

namespace tp = http::topics;
using mdsp::testing::temp_dir;

std::unique_ptr<log::log> open_log(const temp_dir& d) {
    log::config c;
    c.fsync = log::fsync_policy::never();
    c.segment_max_bytes = 4096;
    auto l = log::log::open(d.path(), c);
    EXPECT_TRUE(l.has_value()) << (l ? "" : l.error().what());
    return std::move(*l);
}

// 300 records in batches of 10 on partition 1 of 2; record i has timestamp 1000 + 10 i.
void fill(log::log& l) {
    ASSERT_TRUE(l.ensure_topic("market.ticks", 2));
    for (int b = 0; b < 30; ++b) {
        std::vector<std::string> keys, values;
        std::vector<log::record> recs;
        for (int i = b * 10; i < b * 10 + 10; ++i) {
            keys.push_back("K" + std::to_string(i));
            values.push_back("value-" + std::to_string(i));
        }
        for (size_t i = 0; i < keys.size(); ++i) {
            recs.push_back({keys[i], values[i], 1000 + 10 * (b * 10 + int64_t(i))});
        }
        ASSERT_TRUE(l.append("market.ticks", partition_id(1), recs));
    }
}

TEST(topics_local, topics_partitions_and_bounded_reads) {
    temp_dir d;
    auto l = open_log(d);
    fill(*l);
    local_topics src(*l, nullptr, false);
    auto ts = src.list_topics();
    ASSERT_TRUE(ts);
    ASSERT_EQ(ts->size(), 1U);
    const auto& parts = (*ts)[0].partitions;
    ASSERT_EQ(parts.size(), 2U);
    EXPECT_EQ(parts[1].start_offset, 0);
    EXPECT_EQ(parts[1].end_offset, 300);
    EXPECT_GT(*parts[1].size_bytes, 0U);
    EXPECT_EQ(parts[0].end_offset, 0);

    tp::read_request r{"market.ticks", 1, 25, 7};
    auto ms = src.read(r);
    ASSERT_TRUE(ms) << ms.error().what();
    ASSERT_EQ(ms->size(), 7U);
    EXPECT_EQ((*ms)[0].offset, 25);
    EXPECT_EQ((*ms)[0].key, "K25");
    EXPECT_EQ((*ms)[6].value, "value-31");
    EXPECT_EQ((*ms)[6].timestamp_ms, 1310);
    // A value longer than the bound is cut and says so.
    r.max_value_bytes = 3;
    ms = src.read(r);
    ASSERT_TRUE(ms);
    EXPECT_EQ((*ms)[0].value, "val");
    EXPECT_TRUE((*ms)[0].value_cut);
    EXPECT_EQ((*ms)[0].value_bytes, 8U);
    // However large the limit, the read stops near its byte bound.
    r = {"market.ticks", 1, 0, 100000, 1};
    ms = src.read(r);
    ASSERT_TRUE(ms);
    EXPECT_EQ(ms->size(), 10U); // one batch: the least a log read returns

    EXPECT_EQ(src.describe_topic("nope").error().code, tp::errc::unknown_topic);
    EXPECT_EQ(src.read({"market.ticks", 1, 301, 1}).error().code, tp::errc::offset_out_of_range);
    EXPECT_EQ(src.read({"market.ticks", 5, 0, 1}).error().code, tp::errc::unknown_partition);
}

TEST(topics_local, time_to_offset) {
    temp_dir d;
    auto l = open_log(d);
    fill(*l);
    local_topics src(*l, nullptr, false);
    for (int64_t want : {0, 1, 9, 10, 11, 137, 299}) {
        auto o = src.offset_for_time("market.ticks", 1, 1000 + 10 * want);
        ASSERT_TRUE(o);
        EXPECT_EQ(*o, want);
        o = src.offset_for_time("market.ticks", 1, 1000 + 10 * want - 5); // between two records
        EXPECT_EQ(*o, want);
    }
    EXPECT_EQ(*src.offset_for_time("market.ticks", 1, 0), 0);
    EXPECT_EQ(*src.offset_for_time("market.ticks", 1, 999'999), 300);
    EXPECT_EQ(*src.offset_for_time("market.ticks", 0, 5), 0); // empty partition: its end
}

TEST(topics_local, committed_groups_with_lag) {
    temp_dir d;
    auto l = open_log(d);
    fill(*l);
    {
        bus::local_consumer c(*l, bus::local_consumer_config{.group = "readers"});
        ASSERT_TRUE(c.assign("market.ticks", {{partition_id(1), mdsp::offset(0)}}));
        ASSERT_TRUE(c.commit({{partition_id(1), mdsp::offset(120)}}));
    }
    local_topics src(*l, nullptr, false);
    auto gs = src.list_groups();
    ASSERT_TRUE(gs) << gs.error().what();
    ASSERT_EQ(gs->size(), 1U);
    EXPECT_EQ((*gs)[0].id, "readers");
    ASSERT_EQ((*gs)[0].offsets.size(), 1U);
    EXPECT_EQ((*gs)[0].offsets[0].partition, 1);
    EXPECT_EQ((*gs)[0].offsets[0].committed, 120);
    EXPECT_EQ((*gs)[0].offsets[0].lag, 180);
}

} // namespace
} // namespace mdsp::pipeline
