#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "bus/local.h"
#include "testing/temp_dir.h"

namespace mdsp::bus {
namespace {

using namespace std::chrono_literals;
using mdsp::testing::temp_dir;

log::config test_log_config() {
    log::config c;
    c.fsync = log::fsync_policy::never();
    c.segment_max_bytes = 64 * 1024;
    return c;
}

std::unique_ptr<log::log> open_log(const temp_dir& d) {
    auto l = log::log::open(d.path(), test_log_config());
    EXPECT_TRUE(l.has_value()) << (l ? "" : l.error().what());
    return std::move(*l);
}

std::string sym(int i) {
    return "SYM" + std::to_string(i % 13);
}
std::string val(int i) {
    return "tick-" + std::to_string(i);
}

// Polls until `want` records arrived (or a poll returns none for a long time).
std::vector<record_view> poll_n(local_consumer& c, poll_result& out, size_t want) {
    for (int idle = 0; out.records.size() < want && idle < 100;) {
        size_t before = out.records.size();
        auto r = c.poll(out, want - out.records.size(), 100ms);
        EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().what());
        idle = out.records.size() == before ? idle + 1 : 0;
    }
    return out.records;
}

TEST(local_bus, keyed_records_land_on_partition_for_and_arrive_in_order) {
    temp_dir d;
    auto l = open_log(d);
    local_producer_config pc;
    pc.batch_max_records = 7; // many batches, some partial
    local_producer prod(*l, pc);
    ASSERT_EQ(*prod.partition_count("market.ticks"), 4);
    const int n = 1000;
    for (int i = 0; i < n; ++i) {
        ASSERT_TRUE(prod.send("market.ticks", sym(i), val(i), 1'700'000'000'000 + i).has_value());
    }
    ASSERT_TRUE(prod.flush().has_value());

    local_consumer cons(*l);
    std::vector<partition_id> assigned;
    ASSERT_TRUE(
        cons.subscribe("market.ticks", {[&](const auto& ps) { assigned = ps; }, nullptr}).has_value());
    poll_result out;
    auto recs = poll_n(cons, out, n);
    ASSERT_EQ(recs.size(), size_t(n));
    EXPECT_EQ(assigned.size(), 4u) << "on_assigned runs on the first poll with every partition";
    std::map<int32_t, int64_t> next_offset;
    std::map<std::string, int> last_seq; // per key, values arrive in send order
    for (const auto& r : recs) {
        std::string key(r.key);
        EXPECT_EQ(r.partition, partition_for(key, 4));
        EXPECT_EQ(r.offset(), next_offset[r.partition()]++) << "contiguous offsets per partition";
        int i = std::stoi(std::string(r.value.substr(5)));
        EXPECT_EQ(key, sym(i));
        EXPECT_EQ(r.timestamp_ms, 1'700'000'000'000 + i);
        auto it = last_seq.find(key);
        EXPECT_TRUE(it == last_seq.end() || it->second < i);
        last_seq[key] = i;
    }
    for (int32_t p = 0; p < 4; ++p) {
        EXPECT_EQ(*cons.end_offset(partition_id(p)), mdsp::offset(next_offset[p]));
        EXPECT_EQ(*cons.position(partition_id(p)), mdsp::offset(next_offset[p]));
    }
    // Nothing more: a short poll returns empty.
    poll_result none;
    ASSERT_TRUE(cons.poll(none, 10, 1ms).has_value());
    EXPECT_TRUE(none.records.empty());
}

TEST(local_bus, explicit_partition_and_errors) {
    temp_dir d;
    auto l = open_log(d);
    local_producer prod(*l);
    ASSERT_TRUE(prod.send("t", "k", "v", 1, partition_id(2)).has_value());
    EXPECT_EQ(prod.send("t", "k", "v", 1, partition_id(9)).error().code, errc::unknown_partition);
    EXPECT_EQ(prod.send("bad topic", "k", "v", 1).error().code, errc::config);
    std::string huge(2u << 20, 'x');
    EXPECT_EQ(prod.send("t", "k", huge, 1).error().code, errc::config);
    ASSERT_TRUE(prod.flush().has_value());
    local_consumer cons(*l);
    poll_result out;
    EXPECT_EQ(cons.poll(out, 1, 1ms).error().code, errc::config);
    ASSERT_TRUE(cons.assign("t", {{partition_id(2), mdsp::offset(0)}}).has_value());
    EXPECT_EQ(cons.assign("t", {{partition_id(2), mdsp::offset(5)}}).error().code, errc::offset_out_of_range);
    auto recs = poll_n(cons, out, 1);
    ASSERT_EQ(recs.size(), 1u);
    EXPECT_EQ(recs[0].partition, partition_id(2));
    EXPECT_EQ(recs[0].key, "k");
    EXPECT_EQ(cons.commit({{partition_id(2), mdsp::offset(1)}}).error().code, errc::config) << "no group";
}

TEST(local_bus, commit_survives_reopen) {
    temp_dir d;
    {
        auto l = open_log(d);
        local_producer prod(*l);
        for (int i = 0; i < 200; ++i) {
            ASSERT_TRUE(prod.send("t", sym(i), val(i), i).has_value());
        }
        ASSERT_TRUE(prod.flush().has_value());
        local_consumer cons(*l, {.group = "candles"});
        ASSERT_TRUE(cons.subscribe("t", {}).has_value());
        poll_result out;
        auto recs = poll_n(cons, out, 120);
        ASSERT_EQ(recs.size(), 120u);
        offsets next;
        for (auto p : cons.assignment()) {
            EXPECT_EQ(*cons.committed(p), std::nullopt);
            next.emplace_back(p, *cons.position(p));
        }
        ASSERT_TRUE(cons.commit(next).has_value());
        for (auto [p, o] : next) {
            EXPECT_EQ(*cons.committed(p), o);
        }
    }
    auto l = open_log(d);
    local_consumer cons(*l, {.group = "candles"});
    ASSERT_TRUE(cons.subscribe("t", {}).has_value());
    poll_result out;
    auto recs = poll_n(cons, out, 80);
    EXPECT_EQ(recs.size(), 80u) << "the 120 committed records are not read again";
    std::set<std::string> seen;
    for (const auto& r : recs) {
        seen.insert(std::string(r.value));
    }
    EXPECT_EQ(seen.size(), 80u);
    // Another group starts from the beginning.
    local_consumer other(*l, {.group = "other"});
    ASSERT_TRUE(other.subscribe("t", {}).has_value());
    poll_result all;
    EXPECT_EQ(poll_n(other, all, 200).size(), 200u);
    EXPECT_TRUE(std::filesystem::exists(d.path() / "__consumer_offsets" / "candles" / "t-0"));
}

TEST(local_bus, poll_blocks_then_wakes_on_append) {
    temp_dir d;
    auto l = open_log(d);
    local_consumer cons(*l);
    ASSERT_TRUE(cons.subscribe("t", {}).has_value());
    std::atomic<bool> sent{false};
    std::thread producer_thread([&] {
        local_producer prod(*l);
        // Only once the consumer is (very likely) waiting; correctness does
        // not depend on it either way.
        std::this_thread::sleep_for(50ms);
        ASSERT_TRUE(prod.send("t", "BTC/USD", "late tick", 42).has_value());
        ASSERT_TRUE(prod.flush().has_value());
        sent = true;
    });
    poll_result out;
    // A generous timeout: the poll must return with the record, not time out.
    ASSERT_TRUE(cons.poll(out, 10, 60s).has_value());
    producer_thread.join();
    EXPECT_TRUE(sent);
    ASSERT_EQ(out.records.size(), 1u);
    EXPECT_EQ(out.records[0].value, "late tick");
    EXPECT_EQ(out.records[0].timestamp_ms, 42);
}

TEST(local_bus, linger_appends_without_flush) {
    temp_dir d;
    auto l = open_log(d);
    local_producer_config pc;
    pc.linger = 1ms;
    local_producer prod(*l, pc);
    ASSERT_TRUE(prod.send("t", "k", "v", 1).has_value());
    auto* p = *l->get_partition("t", partition_for("k", 4));
    EXPECT_EQ(p->end_offset(), mdsp::offset(0)) << "held in the batch";
    auto due = prod.linger_deadline();
    ASSERT_TRUE(due.has_value());
    std::this_thread::sleep_until(*due + 1ms);
    ASSERT_TRUE(prod.poll_linger().has_value());
    EXPECT_EQ(p->end_offset(), mdsp::offset(1));
    EXPECT_FALSE(prod.linger_deadline().has_value());
    // A later send() also appends what lingered long enough.
    ASSERT_TRUE(prod.send("t", "k", "v2", 2).has_value());
    std::this_thread::sleep_for(2ms);
    ASSERT_TRUE(prod.send("t", "other-key", "v3", 3).has_value());
    EXPECT_EQ(p->end_offset(), mdsp::offset(2));
}

TEST(local_bus, batches_are_bounded) {
    temp_dir d;
    auto l = open_log(d);
    local_producer_config pc;
    pc.batch_max_bytes = 4096;
    pc.batch_max_records = 1'000'000;
    pc.linger = 3600s;
    local_producer prod(*l, pc);
    std::string v(100, 'z');
    for (int i = 0; i < 1000; ++i) {
        ASSERT_TRUE(prod.send("t", "k", v, i, partition_id(0)).has_value());
    }
    auto* p = *l->get_partition("t", partition_id(0));
    EXPECT_GT(p->end_offset(), mdsp::offset(900)) << "full batches were appended without flush()";
    EXPECT_LT(p->end_offset(), mdsp::offset(1000));
    ASSERT_TRUE(prod.flush().has_value());
    EXPECT_EQ(p->end_offset(), mdsp::offset(1000));
}

TEST(local_bus, seek_and_retention_reset) {
    temp_dir d;
    log::config c = test_log_config();
    c.segment_max_bytes = 1024;
    c.retention_bytes = 2048;
    c.retention_check_interval = 0ms;
    auto l = *log::log::open(d.path(), c);
    local_producer_config pc;
    pc.batch_max_records = 1;
    local_producer prod(*l, pc);
    for (int i = 0; i < 100; ++i) {
        ASSERT_TRUE(prod.send("t", "k", val(i), i, partition_id(1)).has_value());
    }
    local_consumer cons(*l);
    ASSERT_TRUE(cons.assign("t", {{partition_id(1), mdsp::offset(0)}}).has_value());
    ASSERT_TRUE(cons.seek(partition_id(1), mdsp::offset(90)).has_value());
    poll_result out;
    auto recs = poll_n(cons, out, 10);
    ASSERT_EQ(recs.size(), 10u);
    EXPECT_EQ(recs[0].offset, mdsp::offset(90));
    EXPECT_EQ(recs[0].value, val(90));
    ASSERT_TRUE(cons.seek(partition_id(1), mdsp::offset(3)).has_value());
    ASSERT_TRUE(l->enforce_retention().has_value());
    auto start = (*l->get_partition("t", partition_id(1)))->start_offset();
    ASSERT_GT(start, mdsp::offset(3));
    poll_result after;
    auto more = poll_n(cons, after, 1);
    ASSERT_EQ(more.size(), 1u);
    EXPECT_EQ(more[0].offset, start) << "a deleted position moves to the log start";
    EXPECT_EQ(cons.seek(partition_id(0), mdsp::offset(0)).error().code, errc::unknown_partition);
}

} // namespace
} // namespace mdsp::bus
