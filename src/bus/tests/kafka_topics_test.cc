// The Topics view's Kafka source against librdkafka's mock cluster: what
// the 2.0.2 mock answers (metadata, ListOffsets by -1/-2, Fetch,
// Produce). It has no ListGroups (list_groups() is "not supported by
// broker") and no ListOffsets by time, so groups, lag and times are
// covered on a real cluster by tests/e2e/test_kafka_topics_view.py.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include "bus/kafka_topics.h"

namespace mdsp::bus {
namespace {

using namespace std::chrono_literals;
namespace tp = http::topics;

struct cluster {
    std::unique_ptr<kafka_mock_cluster> mc;
    kafka_config kc;
    std::unique_ptr<kafka_topics> src;

    cluster() {
        auto m = kafka_mock_cluster::start(3);
        EXPECT_TRUE(m.has_value()) << (m ? "" : m.error().what());
        mc = std::move(*m);
        kc.brokers = mc->bootstrap();
        EXPECT_TRUE(mc->create_topic("t", 3, 3).has_value());
        // Partition 0: ten records k<i> = v<i>; partition 1: one with headers.
        kafka_producer_config pc;
        pc.kafka = kc;
        auto p = kafka_producer::open(pc);
        EXPECT_TRUE(p.has_value()) << (p ? "" : p.error().what());
        for (int i = 0; i < 10; ++i) {
            EXPECT_TRUE(
                (*p)->send("t", fmt::format("k{}", i), fmt::format("v{}", i), 1000 + i, partition_id(0)));
        }
        EXPECT_TRUE((*p)->flush().has_value());
        produce_with_headers();
        auto s = kafka_topics::open(kc, 5s);
        EXPECT_TRUE(s.has_value()) << (s ? "" : s.error().what());
        src = std::move(*s);
    }

    // The bus's producer sends no headers; a Java producer's record may.
    void produce_with_headers() {
        char err[256];
        rd_kafka_conf_t* conf = rd_kafka_conf_new();
        rd_kafka_conf_set(conf, "bootstrap.servers", kc.brokers.c_str(), err, sizeof err);
        rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
        ASSERT_NE(rk, nullptr) << err;
        auto e = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC("t"), RD_KAFKA_V_PARTITION(1),
                                   RD_KAFKA_V_VALUE((void*)"hv", 2), RD_KAFKA_V_HEADER("origin", "replay", 6),
                                   RD_KAFKA_V_HEADER("none", nullptr, 0), RD_KAFKA_V_END);
        EXPECT_EQ(e, RD_KAFKA_RESP_ERR_NO_ERROR);
        EXPECT_EQ(rd_kafka_flush(rk, 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
        rd_kafka_destroy(rk);
    }
};

TEST(kafka_topics, lists_partitions_with_leader_replicas_isr_and_offsets) {
    cluster c;
    auto ts = c.src->list_topics();
    ASSERT_TRUE(ts.has_value()) << ts.error().what();
    ASSERT_EQ(ts->size(), 1u);
    const auto& t = ts->front();
    EXPECT_EQ(t.name, "t");
    ASSERT_EQ(t.partitions.size(), 3u);
    for (int i = 0; i < 3; ++i) {
        const auto& p = t.partitions[i];
        EXPECT_EQ(p.id, i);
        ASSERT_TRUE(p.leader.has_value());
        EXPECT_EQ(p.replicas.size(), 3u);
        EXPECT_FALSE(p.isr.empty());
        EXPECT_NE(std::find(p.replicas.begin(), p.replicas.end(), *p.leader), p.replicas.end());
        EXPECT_FALSE(p.size_bytes.has_value()) << "unknown, not 0";
        EXPECT_EQ(p.start_offset, 0);
    }
    EXPECT_EQ(t.partitions[0].end_offset, 10);
    EXPECT_EQ(t.partitions[1].end_offset, 1);
    EXPECT_EQ(t.partitions[2].end_offset, 0);

    auto d = c.src->describe_topic("t");
    ASSERT_TRUE(d.has_value()) << d.error().what();
    EXPECT_EQ(d->partitions[0].end_offset, 10);
    auto none = c.src->describe_topic("nope");
    ASSERT_FALSE(none.has_value());
    EXPECT_EQ(none.error().code, make_error_code(tp::errc::unknown_topic));
    EXPECT_NE(none.error().what().find("nope"), std::string::npos);
}

TEST(kafka_topics, reads_a_bounded_page_from_an_offset) {
    cluster c;
    tp::read_request r;
    r.topic = "t";
    r.partition = 0;
    r.offset = 3;
    r.limit = 4;
    auto page = c.src->read(r);
    ASSERT_TRUE(page.has_value()) << page.error().what();
    ASSERT_EQ(page->size(), 4u) << "never more than the limit";
    for (size_t i = 0; i < 4; ++i) {
        const auto& m = (*page)[i];
        EXPECT_EQ(m.offset, static_cast<int64_t>(3 + i));
        EXPECT_EQ(m.key, fmt::format("k{}", 3 + i));
        EXPECT_EQ(m.value, fmt::format("v{}", 3 + i));
        EXPECT_EQ(m.timestamp_ms, static_cast<int64_t>(1003 + i));
    }
    // The rest, fewer than the limit at the end; then the end itself is empty.
    r.offset = 7;
    r.limit = 100;
    auto rest = c.src->read(r);
    ASSERT_TRUE(rest.has_value()) << rest.error().what();
    ASSERT_EQ(rest->size(), 3u);
    EXPECT_EQ(rest->back().offset, 9);
    r.offset = 10;
    auto at_end = c.src->read(r);
    ASSERT_TRUE(at_end.has_value()) << at_end.error().what();
    EXPECT_TRUE(at_end->empty());
    // The byte bound ends a page early, after at least one record.
    r.offset = 0;
    r.max_read_bytes = 1;
    auto small = c.src->read(r);
    ASSERT_TRUE(small.has_value()) << small.error().what();
    ASSERT_EQ(small->size(), 1u) << "a page stops at max_read_bytes";
    EXPECT_EQ(small->front().offset, 0);
    r.max_read_bytes = size_t{1} << 20;
    // Another partition through the same reader: headers, values cut.
    r.partition = 1;
    r.offset = 0;
    r.max_value_bytes = 1;
    auto h = c.src->read(r);
    ASSERT_TRUE(h.has_value()) << h.error().what();
    ASSERT_EQ(h->size(), 1u);
    EXPECT_EQ((*h)[0].value, "h");
    EXPECT_TRUE((*h)[0].value_cut);
    EXPECT_EQ((*h)[0].value_bytes, 2u);
    ASSERT_EQ((*h)[0].headers.size(), 2u);
    EXPECT_EQ((*h)[0].headers[0].key, "origin");
    EXPECT_EQ((*h)[0].headers[0].value, "replay");
    EXPECT_EQ((*h)[0].headers[1].key, "none");
    EXPECT_FALSE((*h)[0].headers[1].value.has_value());
}

TEST(kafka_topics, bad_reads_name_what_was_wrong) {
    cluster c;
    tp::read_request r;
    r.topic = "t";
    r.partition = 0;
    r.offset = 11;
    r.limit = 5;
    auto past = c.src->read(r);
    ASSERT_FALSE(past.has_value());
    EXPECT_EQ(past.error().code, make_error_code(tp::errc::offset_out_of_range));
    EXPECT_NE(past.error().what().find("0 to 10"), std::string::npos) << past.error().what();
    r.offset = 0;
    r.partition = 7;
    auto part = c.src->read(r);
    ASSERT_FALSE(part.has_value());
    EXPECT_EQ(part.error().code, make_error_code(tp::errc::unknown_partition));
    r.topic = "nope";
    auto topic = c.src->read(r);
    ASSERT_FALSE(topic.has_value());
    EXPECT_EQ(topic.error().code, make_error_code(tp::errc::unknown_topic));
    auto t = c.src->offset_for_time("t", 9, 0);
    ASSERT_FALSE(t.has_value());
    EXPECT_EQ(t.error().code, make_error_code(tp::errc::unknown_partition));
}

TEST(kafka_topics, brokers_down_is_unavailable) {
    kafka_config kc;
    kc.brokers = "127.0.0.1:1";
    auto s = kafka_topics::open(kc, 1s);
    ASSERT_TRUE(s.has_value()) << s.error().what();
    auto ts = (*s)->list_topics();
    ASSERT_FALSE(ts.has_value());
    EXPECT_EQ(ts.error().code, make_error_code(tp::errc::unavailable)) << ts.error().what();
}

} // namespace
} // namespace mdsp::bus
