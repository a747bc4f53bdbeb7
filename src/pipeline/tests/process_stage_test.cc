#include <algorithm>
#include <array>
#include <limits>
#include <thread>

#include <gtest/gtest.h>

#include "base/time.h"
#include "model/codec.h"
#include "model/framing.h"
#include "pipeline/data_folder.h"
#include "pipeline/process_stage.h"
#include "pipeline/tests/memory.h"

namespace mdsp::pipeline {
namespace {

using namespace std::chrono_literals;
using testing::journal;
using testing::trade_tick;

constexpr int64_t t0 = 1'700'000'040'000'000; // a minute boundary + 40 s

// A replica of a consumer group, as `mdsp process` on Kafka (which also
// publishes its candles).
process_stage::options group_options(bool publish_candles) {
    process_stage::options o;
    o.group = true;
    o.publish_candles = publish_candles;
    return o;
}

struct rig {
    journal j;
    testing::memory_topics topics;
    std::map<int32_t, std::pair<int64_t, std::string>> commits;
    testing::memory_store store{j};
    testing::memory_producer producer{topics, j};
    config cfg;

    rig() {
        cfg.log.partitions = 2;
        cfg.engine.intervals = {model::interval(60'000'000)};
        cfg.process.commit_interval_us = 0; // a store write after every poll
        topics.create(std::string(bus::ticks_topic), 2);
        topics.create(std::string(bus::deadletter_topic), 1);
        topics.create(std::string(bus::candles_topic), 2);
    }
    void send(const model::tick& t) {
        std::string b;
        model::encode_framed(t, b);
        ASSERT_TRUE(producer.send(bus::ticks_topic, t.symbol, b, 0, std::nullopt));
    }
    void send_raw(const std::string& key, const std::string& bytes) {
        ASSERT_TRUE(producer.send(bus::ticks_topic, key, bytes, 0, std::nullopt));
    }
    // Steps until every record is read and written.
    void drain(process_stage& s) {
        for (int i = 0; i < 50; ++i) {
            ASSERT_TRUE(s.step(0ms));
        }
        auto up = s.caught_up();
        ASSERT_TRUE(up);
        ASSERT_TRUE(*up);
    }
    std::vector<model::dead_letter> dead_letters() {
        std::vector<model::dead_letter> out;
        for (const auto& r : topics.topics[std::string(bus::deadletter_topic)][0]) {
            auto d = model::decode_framed_dead_letter(r.value);
            EXPECT_TRUE(d);
            if (d) {
                out.push_back(*d);
            }
        }
        return out;
    }
};

TEST(process_stage, retention_counts_from_the_newest_tick_accepted) {
    // Not the wall clock (a replay of old trades keeps its last days), and
    // only once a tick came: a stage that has read nothing leaves the store
    // as it is.
    rig r;
    testing::memory_consumer c(r.topics, r.j, r.commits);
    process_stage s(r.cfg, c, r.producer, r.store, {});
    ASSERT_TRUE(s.start());
    ASSERT_TRUE(s.step(0ms));
    EXPECT_TRUE(r.store.retention_runs.empty());
    for (int i = 0; i < 10; ++i) {
        r.send(trade_tick("AAA", t0 + (9 - i) * 1'000'000, 100 + i, i + 1)); // newest first
    }
    r.drain(s);
    ASSERT_EQ(r.store.retention_runs.size(), 1u); // then once a minute
    EXPECT_EQ(r.store.retention_runs[0], t0 + 9'000'000);
    ASSERT_TRUE(s.stop());
}

TEST(process_stage, embedded_writes_candles_and_positions_in_one_write_and_resumes_from_the_store) {
    rig r;
    for (int i = 0; i < 10; ++i) {
        r.send(trade_tick(i % 2 ? "AAA" : "BBB", t0 + i * 1'000'000, 100 + i, i + 1));
    }
    {
        testing::memory_consumer c(r.topics, r.j, r.commits);
        process_stage s(r.cfg, c, r.producer, r.store, {});
        ASSERT_TRUE(s.start());
        r.drain(s);
        ASSERT_TRUE(s.stop());
        EXPECT_EQ(s.ticks_processed(), 10u);
    }
    // The positions sit in the store beside the candles; nothing went to the bus.
    int64_t positions = 0;
    for (int32_t p = 0; p < 2; ++p) {
        auto it = r.store.state.find(position_key(p));
        if (it != r.store.state.end()) {
            positions += from_be64(it->second);
        }
    }
    EXPECT_EQ(positions, 10);
    EXPECT_TRUE(r.commits.empty());
    EXPECT_EQ(std::count(r.j.begin(), r.j.end(), std::string("store.write")) > 0, true);
    auto a = *r.store.candles_of("AAA", model::interval(60'000'000));
    ASSERT_EQ(a.size(), 1u);
    EXPECT_EQ(a[0].open, 101);
    EXPECT_EQ(a[0].close, 109);
    EXPECT_EQ(a[0].trade_count, 5);

    // A restart reads only what came after: nothing is counted twice.
    r.send(trade_tick("AAA", t0 + 11'000'000, 50, 11));
    testing::memory_consumer c2(r.topics, r.j, r.commits);
    process_stage s2(r.cfg, c2, r.producer, r.store, {});
    ASSERT_TRUE(s2.start());
    r.drain(s2);
    EXPECT_EQ(s2.ticks_processed(), 1u);
    a = *r.store.candles_of("AAA", model::interval(60'000'000));
    ASSERT_EQ(a.size(), 1u);
    EXPECT_EQ(a[0].trade_count, 6);
    EXPECT_EQ(a[0].close, 50);
    EXPECT_EQ(a[0].low, 50);
}

TEST(process_stage, a_record_that_does_not_decode_is_dead_lettered_before_the_write_that_skips_it) {
    rig r;
    r.send(trade_tick("AAA", t0, 100, 1));
    r.send_raw("AAA", std::string("\x00\x00\x00\x00\x01garbage", 12));
    r.send(trade_tick("AAA", t0 + 1'000'000, 101, 2));
    testing::memory_consumer c(r.topics, r.j, r.commits);
    process_stage s(r.cfg, c, r.producer, r.store, {});
    ASSERT_TRUE(s.start());
    r.drain(s);
    auto dl = r.dead_letters();
    ASSERT_EQ(dl.size(), 1u);
    EXPECT_EQ(dl[0].error_kind, "decode");
    EXPECT_EQ(dl[0].source_topic, "market.ticks");
    EXPECT_FALSE(dl[0].message.empty());
    EXPECT_EQ(s.dead_letters(), 1u);
    // The good ticks around it are in the candle.
    auto a = *r.store.candles_of("AAA", model::interval(60'000'000));
    ASSERT_EQ(a.size(), 1u);
    EXPECT_EQ(a[0].trade_count, 2);
    // The letter was flushed before the store write whose position skips it.
    auto flush = std::find(r.j.begin(), r.j.end(), "producer.flush");
    ASSERT_NE(flush, r.j.end());
    auto last_write = std::find(r.j.rbegin(), r.j.rend(), "store.write");
    EXPECT_LT(flush - r.j.begin(), r.j.rend() - last_write);
}

TEST(process_stage, a_tick_no_store_could_take_is_dead_lettered_and_the_stage_goes_on) {
    // Written by an older version or another producer: the log has it, so
    // the stage must survive it on every start (issue 10, item 2).
    rig r;
    r.send(trade_tick("AAA", t0, 100, 1));
    r.send(trade_tick(std::string("BBB\0", 4), t0 + 1'000'000, 100, 1));
    auto nan = trade_tick("CCC", t0 + 2'000'000, 0, 1);
    nan.price = std::numeric_limits<double>::quiet_NaN();
    r.send(nan);
    r.send(trade_tick("AAA", t0 + 3'000'000, 101, 2));
    testing::memory_consumer c(r.topics, r.j, r.commits);
    process_stage s(r.cfg, c, r.producer, r.store, {});
    ASSERT_TRUE(s.start());
    r.drain(s);
    auto dl = r.dead_letters();
    ASSERT_EQ(dl.size(), 2u);
    for (const auto& d : dl) {
        EXPECT_EQ(d.error_kind, "invalid");
        EXPECT_FALSE(d.message.empty());
    }
    auto a = *r.store.candles_of("AAA", model::interval(60'000'000));
    ASSERT_EQ(a.size(), 1u);
    EXPECT_EQ(a[0].trade_count, 2);
    EXPECT_TRUE(r.store.candles_of(std::string("BBB\0", 4), model::interval(60'000'000))->empty());
}

uint64_t quality_total(const process_stage& s, const char* check) {
    for (const auto& c : s.quality().report().checks) {
        if (stream::quality_check_name(c.kind) == check) {
            return c.total;
        }
    }
    return 0;
}

// Data quality (issue 15): a spike is kept and marks its candle in the
// store; a crossed quote is dead-lettered with the reason; both, and a
// duplicate, are counted per check with the symbol.
TEST(process_stage, a_price_spike_is_kept_and_marks_its_candle_and_a_crossed_quote_is_dead_lettered) {
    rig r;
    r.cfg.engine.intervals = {model::interval(1'000'000), model::interval(60'000'000)};
    // AAA: quiet for 40 s in the minute before t0 and the first 4 s of the
    // next (the spike estimator starts over with each minute, the largest
    // interval here), then one print 30 % up at t0 + 5 s, back at t0 + 6 s.
    for (int i = 0; i < 44; ++i) {
        r.send(trade_tick("AAA", t0 - 40'000'000 + i * 1'000'000, i % 2 ? 100.1 : 100, i + 1));
    }
    r.send(trade_tick("AAA", t0 + 5'000'000, 130, 45));
    r.send(trade_tick("AAA", t0 + 6'000'000, 100.1, 46));
    r.send(trade_tick("AAA", t0 + 6'000'000, 100.1, 46)); // the same seq again: a duplicate
    auto crossed = trade_tick("AAA", t0 + 7'000'000, 100, 47);
    crossed.bid = 100.2;
    crossed.ask = 100.1;
    r.send(crossed);
    testing::memory_consumer c(r.topics, r.j, r.commits);
    process_stage s(r.cfg, c, r.producer, r.store, {});
    ASSERT_TRUE(s.start());
    r.drain(s);
    ASSERT_TRUE(s.finish());

    auto minutes = *r.store.candles_of("AAA", model::interval(60'000'000));
    ASSERT_EQ(minutes.size(), 2u);
    EXPECT_FALSE(minutes[0].spike);
    EXPECT_TRUE(minutes[1].spike); // the spike's minute, with the spike in it
    EXPECT_EQ(minutes[1].high, 130);
    EXPECT_EQ(minutes[1].trade_count, 6); // 4 quiet, the spike and the one after it
    int spiked = 0;
    auto seconds = *r.store.candles_of("AAA", model::interval(1'000'000));
    for (const auto& k : seconds) {
        spiked += k.spike ? 1 : 0;
        EXPECT_EQ(k.spike, k.window_start() == t0 + 5'000'000) << format_iso8601(k.window_start());
    }
    EXPECT_EQ(spiked, 1);

    auto dl = r.dead_letters();
    ASSERT_EQ(dl.size(), 1u);
    EXPECT_EQ(dl[0].error_kind, "invalid");
    EXPECT_NE(dl[0].message.find("crossed quote of AAA"), std::string::npos) << dl[0].message;
    EXPECT_EQ(quality_total(s, "spike"), 1u);
    EXPECT_EQ(quality_total(s, "crossed"), 1u);
    EXPECT_EQ(quality_total(s, "duplicate"), 1u);
    EXPECT_EQ(quality_total(s, "out_of_order"), 0u);
    for (const auto& k : s.quality().report().checks) {
        if (k.total > 0 && k.kind != stream::quality_check::clock_skew) {
            ASSERT_EQ(k.top.size(), 1u);
            EXPECT_EQ(k.top[0].symbol, "AAA");
        }
    }
}

TEST(process_stage, group_commits_to_the_bus_only_after_the_store_write_that_covers_it) {
    rig r;
    r.cfg.kafka.commit_interval_us = 0;
    for (int i = 0; i < 6; ++i) {
        r.send(trade_tick("AAA", t0 + i * 1'000'000, 100 + i, i + 1));
    }
    testing::memory_consumer c(r.topics, r.j, r.commits);
    auto o = group_options(true);
    process_stage s(r.cfg, c, r.producer, r.store, o);
    ASSERT_TRUE(s.start());
    r.drain(s);
    ASSERT_TRUE(s.stop());
    ASSERT_FALSE(r.commits.empty());
    // Every bus commit comes after a store write.
    auto first_write = std::find(r.j.begin(), r.j.end(), "store.write");
    auto first_commit =
        std::find_if(r.j.begin(), r.j.end(), [](const auto& e) { return e.starts_with("bus.commit"); });
    ASSERT_NE(first_commit, r.j.end());
    EXPECT_LT(first_write, first_commit);
    // Engine state is under the partition's prefix, and commits name the replica.
    bool prefixed = std::any_of(r.store.state.begin(), r.store.state.end(),
                                [](const auto& kv) { return kv.first.starts_with("kp/"); });
    EXPECT_TRUE(prefixed);
    for (const auto& [_, c2] : r.commits) {
        EXPECT_EQ(c2.second, "mdsp-replica:" + s.replica_id());
    }
    // Candles went to market.candles too.
    size_t published = 0;
    for (const auto& p : r.topics.topics[std::string(bus::candles_topic)]) {
        published += p.size();
    }
    EXPECT_GT(published, 0u);
}

// The periodic offset commit waits for the candles sent before it without
// holding the stage, and one refused for a rebalance is sent again, whole.
TEST(process_stage, group_offsets_wait_for_the_candles_before_them_without_holding_the_stage) {
    rig r;
    r.cfg.kafka.commit_interval_us = 0;
    r.producer.hold_deliveries = true;
    // A symbol on each of the two partitions, two minutes between ticks:
    // windows close, so the offsets a group may commit move.
    std::array<std::string, 2> sym;
    for (int i = 0; sym[0].empty() || sym[1].empty(); ++i) {
        std::string s = "S" + std::to_string(i);
        auto& slot = sym[static_cast<size_t>(bus::partition_for(s, 2)())];
        slot = slot.empty() ? s : slot;
    }
    for (int i = 0; i < 6; ++i) {
        r.send(trade_tick(sym[static_cast<size_t>(i % 2)], t0 + i * 120'000'000LL, 100 + i, i + 1));
    }
    testing::memory_consumer c(r.topics, r.j, r.commits);
    auto o = group_options(true);
    process_stage s(r.cfg, c, r.producer, r.store, o);
    ASSERT_TRUE(s.start());
    auto steps = [&](int n) {
        for (int i = 0; i < n; ++i) {
            ASSERT_TRUE(s.step(0ms));
        }
    };
    steps(10);
    EXPECT_EQ(s.ticks_processed(), 6u) << "the stage went on while the candles were unacknowledged";
    EXPECT_NE(std::find(r.j.begin(), r.j.end(), "store.write"), r.j.end());
    EXPECT_TRUE(r.commits.empty()) << "no offset before the candles it skips are acknowledged";

    r.producer.acknowledge();
    steps(2);
    ASSERT_EQ(r.commits.size(), 2u) << "both partitions committed once their candles are acknowledged";
    auto first = r.commits;

    // A commit refused for a rebalance: the next carries every partition,
    // not only the one that moved.
    r.send(trade_tick(sym[0], t0 + 30 * 60'000'000LL, 110, 7));
    steps(3); // read and written; its offset waits for the candles
    c.fail_next_async = make_error(bus::errc::rebalance, "the group is rebalancing");
    r.commits.clear();
    r.producer.acknowledge();
    steps(3);
    ASSERT_EQ(r.commits.size(), 2u) << "after the refusal, every partition again";
    EXPECT_GT(r.commits[0].first, first[0].first) << "the partition that moved";
    EXPECT_EQ(r.commits[1].first, first[1].first);

    // The last commit refused after it went (its answer comes later) with
    // nothing newer to commit: found at the next interval and sent again.
    r.send(trade_tick(sym[1], t0 + 60 * 60'000'000LL, 120, 8));
    steps(3);
    auto before = r.commits;
    c.refuse_next_async = make_error(bus::errc::rebalance, "the coordinator moved");
    r.producer.acknowledge();
    steps(1);
    EXPECT_NE(std::find(r.j.begin(), r.j.end(), "bus.commit_async refused"), r.j.end());
    EXPECT_EQ(r.commits, before) << "the refused commit landed nowhere";
    steps(3);
    EXPECT_GT(r.commits[1].first, before[1].first) << "the refused offsets went again";
    ASSERT_TRUE(s.stop());
}

TEST(process_stage, group_rebuilds_a_partition_another_replica_committed_and_gets_the_same_candles) {
    rig r;
    r.cfg.kafka.commit_interval_us = 0;
    for (int i = 0; i < 8; ++i) {
        r.send(trade_tick("AAA", t0 + i * 1'000'000, 100 + i, i + 1));
    }
    auto o = group_options(false);
    // The first replica reads everything; a second one with its own store
    // takes over from the first's commit and must end with the same candle.
    testing::memory_consumer c1(r.topics, r.j, r.commits);
    process_stage s1(r.cfg, c1, r.producer, r.store, o);
    ASSERT_TRUE(s1.start());
    r.drain(s1);
    ASSERT_TRUE(s1.stop());
    auto want = *r.store.candles_of("AAA", model::interval(60'000'000));
    ASSERT_EQ(want.size(), 1u);

    journal j2;
    testing::memory_store other(j2);
    testing::memory_consumer c2(r.topics, j2, r.commits);
    process_stage s2(r.cfg, c2, r.producer, other, o);
    ASSERT_TRUE(s2.start());
    r.drain(s2);
    auto got = *other.candles_of("AAA", model::interval(60'000'000));
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].open, want[0].open);
    EXPECT_EQ(got[0].close, want[0].close);
    EXPECT_EQ(got[0].trade_count, want[0].trade_count);
    EXPECT_EQ(got[0].volume, want[0].volume);
    // Its commits name it, although the offset has not moved past the
    // first's: were the partition to come back to it, it resumes from its
    // own store instead of rebuilding over what it has written (issue 12).
    ASSERT_TRUE(s2.stop());
    ASSERT_FALSE(r.commits.empty());
    for (const auto& [_, c] : r.commits) {
        EXPECT_EQ(c.second, "mdsp-replica:" + s2.replica_id());
    }
}

TEST(process_stage, a_shared_store_is_a_checkpoint_any_replica_takes_over) {
    rig r;
    r.cfg.kafka.commit_interval_us = 0;
    r.cfg.process.max_batch = 3;
    r.store.shared_store = true;
    for (int i = 0; i < 6; ++i) {
        r.send(trade_tick("AAA", t0 + i * 1'000'000, 100 + i, i + 1));
    }
    auto o = group_options(false);
    testing::memory_consumer c1(r.topics, r.j, r.commits);
    process_stage s1(r.cfg, c1, r.producer, r.store, o);
    ASSERT_TRUE(s1.start());
    r.drain(s1);
    ASSERT_TRUE(s1.stop());
    // No replica id in a store every replica shares; versions on everything.
    EXPECT_EQ(r.store.state.count("replica/id"), 0u);
    EXPECT_FALSE(r.store.candle_versions.empty());
    const int32_t p = bus::partition_for("AAA", 2)();
    auto prefix = process_stage::partition_prefix(p);
    EXPECT_EQ(from_be64(r.store.state.at(position_key(p))), 6);
    EXPECT_EQ(from_be64(r.store.state.at(prefix + "o")), 6);
    EXPECT_TRUE(r.store.state.count(prefix + "t"));

    // More ticks; a second replica takes over from the checkpoint: it reads
    // only the new ones, and the candle goes on from the first's state.
    for (int i = 6; i < 9; ++i) {
        r.send(trade_tick("AAA", t0 + i * 1'000'000, 100 + i, i + 1));
    }
    testing::memory_consumer c2(r.topics, r.j, r.commits);
    process_stage s2(r.cfg, c2, r.producer, r.store, o);
    ASSERT_TRUE(s2.start());
    r.drain(s2);
    EXPECT_EQ(s2.ticks_processed(), 3u);
    EXPECT_EQ(s2.probe().takeovers().value() >= 1, true);
    auto a = *r.store.candles_of("AAA", model::interval(60'000'000));
    ASSERT_EQ(a.size(), 1u);
    EXPECT_EQ(a[0].trade_count, 9);
    EXPECT_EQ(a[0].open, 100);
    EXPECT_EQ(a[0].close, 108);
    // A stalled first replica writing its old candle again loses to the newer version.
    auto old = a[0];
    old.close = 1;
    std::vector<int64_t> v{1};
    ASSERT_TRUE(r.store.write({{}, std::span(&old, 1), {}, {}, v}));
    EXPECT_EQ(r.store.candles_of("AAA", model::interval(60'000'000))->at(0).close, 108);
    ASSERT_TRUE(s2.stop());
}

TEST(process_stage, waits_for_a_store_that_is_down_and_writes_the_same_batch_again) {
    rig r;
    for (int i = 0; i < 4; ++i) {
        r.send(trade_tick("AAA", t0 + i * 1'000'000, 100 + i, i + 1));
    }
    r.store.fail_writes = 3;
    testing::memory_consumer c(r.topics, r.j, r.commits);
    process_stage s(r.cfg, c, r.producer, r.store, {});
    ASSERT_TRUE(s.start());
    for (int i = 0; i < 200 && (r.store.fail_writes > 0 || r.store.stored_candles.empty()); ++i) {
        ASSERT_TRUE(s.step(10ms)); // never an error: the stage waits
    }
    EXPECT_EQ(r.store.fail_writes.load(), 0);
    EXPECT_EQ(s.probe().store_retries().value() >= 3, true);
    r.drain(s);
    auto a = *r.store.candles_of("AAA", model::interval(60'000'000));
    ASSERT_EQ(a.size(), 1u);
    EXPECT_EQ(a[0].trade_count, 4);
    EXPECT_EQ(a[0].close, 103);
    ASSERT_TRUE(s.stop());
}

TEST(process_stage, writes_large_batches_on_the_writers_thread_and_one_that_failed_again_as_it_was) {
    // Batches of 1,500 records: each is written on the writer's thread while
    // the next is read. The first two attempts fail; the stage waits, writes
    // that batch again, and goes on: exact candles, every position moved.
    rig r;
    r.cfg.process.max_batch = 1500;
    constexpr int n = 6000;
    for (int i = 0; i < n; ++i) {
        r.send(trade_tick(i % 2 ? "AAA" : "BBB", t0 + i * 1000, 100 + i % 97, i + 1));
    }
    r.store.fail_writes = 2;
    testing::memory_consumer c(r.topics, r.j, r.commits);
    process_stage s(r.cfg, c, r.producer, r.store, {});
    ASSERT_TRUE(s.start());
    for (int i = 0; i < 300 && (r.store.fail_writes > 0 || s.ticks_processed() < n); ++i) {
        ASSERT_TRUE(s.step(10ms));
    }
    r.drain(s);
    ASSERT_TRUE(s.stop());
    EXPECT_EQ(s.ticks_processed(), static_cast<uint64_t>(n));
    EXPECT_EQ(r.store.fail_writes.load(), 0);
    EXPECT_GE(s.probe().store_retries().value(), 2u);
    EXPECT_EQ(r.store.writer_threads.count(std::this_thread::get_id()), 1u); // the retries, the small tail
    EXPECT_GE(r.store.writer_threads.size(), 2u);                            // and the writer's
    int64_t positions = 0;
    for (int32_t p = 0; p < 2; ++p) {
        if (auto it = r.store.state.find(position_key(p)); it != r.store.state.end()) {
            positions += from_be64(it->second);
        }
    }
    EXPECT_EQ(positions, n);
    for (const char* sym : {"AAA", "BBB"}) {
        const int first = sym[0] == 'A' ? 1 : 0;
        const int last = n - 2 + first;
        auto a = *r.store.candles_of(sym, model::interval(60'000'000));
        ASSERT_EQ(a.size(), 1u) << sym;
        EXPECT_EQ(a[0].trade_count, n / 2) << sym;
        EXPECT_EQ(a[0].open, 100 + first % 97) << sym;
        EXPECT_EQ(a[0].close, 100 + last % 97) << sym;
        EXPECT_EQ(a[0].high, 196) << sym;
        EXPECT_EQ(a[0].low, 100) << sym;
        EXPECT_DOUBLE_EQ(a[0].volume, n / 2) << sym;
    }
}

TEST(process_stage, finishes_at_the_end_of_a_bounded_input_only_after_upstream_is_done) {
    rig r;
    r.send(trade_tick("AAA", t0, 100, 1));
    testing::memory_consumer c(r.topics, r.j, r.commits);
    process_stage s(r.cfg, c, r.producer, r.store, {});
    ASSERT_TRUE(s.start());
    for (int i = 0; i < 5; ++i) {
        auto st = s.step(0ms);
        ASSERT_TRUE(st);
        EXPECT_NE(*st, step_status::done);
    }
    EXPECT_FALSE(r.store.candles_of("AAA", model::interval(60'000'000))->at(0).final);
    s.upstream_done();
    step_status last = step_status::idle;
    for (int i = 0; i < 5 && last != step_status::done; ++i) {
        auto st = s.step(0ms);
        ASSERT_TRUE(st);
        last = *st;
    }
    EXPECT_EQ(last, step_status::done);
    EXPECT_TRUE(s.finished());
    EXPECT_TRUE(r.store.candles_of("AAA", model::interval(60'000'000))->at(0).final);
}

} // namespace
} // namespace mdsp::pipeline
