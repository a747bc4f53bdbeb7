// The Topics routes over an in-memory source: what they answer, what they
// refuse (400 naming the parameter, 404 naming the topic) and that no
// request makes them ask the source for more than a page.
#include <map>
#include <mutex>

#include <gtest/gtest.h>

#include "http/topics_routes.h"
#include "model/framing.h"
#include "model/schemas.h"
#include "testing/http_client.h"

namespace mdsp::http {
namespace {

using testing::get;
namespace tp = topics;

// Partitions of records in memory, with the source's semantics; remembers
// the largest read it was asked for.
class fake_source final : public tp::source {
public:
    std::map<std::string, std::vector<std::vector<tp::message>>> data;
    std::mutex mu;
    size_t largest_limit = 0;
    size_t largest_bytes = 0;
    size_t reads = 0;

    std::string_view kind() const override { return "embedded"; }
    result<std::vector<tp::topic_info>> list_topics() override {
        std::vector<tp::topic_info> out;
        for (const auto& [name, _] : data) {
            out.push_back(*describe_topic(name));
        }
        return out;
    }
    result<tp::topic_info> describe_topic(std::string_view name) override {
        auto it = data.find(std::string(name));
        if (it == data.end()) {
            return make_error(tp::errc::unknown_topic, "no topic {}", name);
        }
        tp::topic_info t{it->first, {}};
        for (size_t p = 0; p < it->second.size(); ++p) {
            tp::partition_info pi;
            pi.id = int32_t(p);
            pi.end_offset = int64_t(it->second[p].size());
            pi.size_bytes = 100 * it->second[p].size();
            t.partitions.push_back(pi);
        }
        return t;
    }
    result<std::vector<tp::group_info>> list_groups() override {
        tp::group_info g{"mdsp-process",
                         "Stable",
                         "store",
                         {{"process-stage", "mdsp", "here", {{"market.ticks", 0}}}},
                         {{"market.ticks", 0, 3, 10, 7}}};
        return std::vector{g};
    }
    result<std::vector<tp::message>> read(const tp::read_request& r) override {
        {
            std::lock_guard g(mu);
            largest_limit = std::max(largest_limit, r.limit);
            largest_bytes = std::max(largest_bytes, r.max_read_bytes);
            ++reads;
        }
        const auto& part = data.at(r.topic).at(size_t(r.partition));
        if (r.offset < 0 || r.offset > int64_t(part.size())) {
            return make_error(tp::errc::offset_out_of_range, "offset {}", r.offset);
        }
        std::vector<tp::message> out;
        for (size_t i = size_t(r.offset); i < part.size() && out.size() < r.limit; ++i) {
            out.push_back(part[i]);
        }
        return out;
    }
    result<int64_t> offset_for_time(std::string_view topic, int32_t p, int64_t ts_ms) override {
        const auto& part = data.at(std::string(topic)).at(size_t(p));
        for (const auto& m : part) {
            if (m.timestamp_ms >= ts_ms) {
                return m.offset;
            }
        }
        return int64_t(part.size());
    }
};

tp::message framed_tick(int64_t offset, std::string_view symbol) {
    model::tick t;
    t.symbol = std::string(symbol);
    t.source = "sim";
    t.price = 100.5 + double(offset);
    t.event_time = mdsp::event_time(1'700'000'000'000'000 + offset * 1000);
    t.seq = mdsp::sequence(offset);
    std::string v;
    model::encode_framed(t, v);
    tp::message m;
    m.offset = offset;
    m.timestamp_ms = 1'700'000'000'000 + offset;
    m.key = std::string(symbol);
    m.value = v;
    m.value_bytes = v.size();
    return m;
}

tp::message letter(int64_t offset, std::string kind, std::string why, int64_t time) {
    model::dead_letter d{"market.ticks", 1, offset * 10, std::move(kind), std::move(why), "raw!", time};
    std::string v;
    model::encode_framed(d, v);
    tp::message m;
    m.offset = offset;
    m.value = v;
    m.value_bytes = v.size();
    return m;
}

class topics_routes_test : public ::testing::Test {
protected:
    void SetUp() override {
        auto& ticks = _src.data["market.ticks"];
        ticks.resize(2);
        for (int64_t i = 0; i < 250; ++i) {
            ticks[0].push_back(framed_tick(i, "BTCUSDT"));
        }
        tp::message raw;
        raw.offset = 0;
        raw.value = std::string("\x01\x02not avro", 10);
        raw.value_bytes = 10;
        raw.key = std::string("\xff", 1);
        raw.headers.push_back({"trace", "abc"});
        ticks[1].push_back(raw);
        auto& dl = _src.data["market.deadletter"];
        dl.resize(1);
        dl[0].push_back(letter(0, "late", "tick 40s behind the watermark", 1));
        dl[0].push_back(letter(1, "malformed", "price is not a number", 2));
        dl[0].push_back(letter(2, "late", "tick 90s behind the watermark", 3));
        server_config cfg;
        cfg.port = 0;
        _srv = std::make_unique<server>(cfg);
        auto lookup = [](int32_t id) -> std::optional<std::string> {
            auto s = model::schema_by_id(uint32_t(id));
            return s.empty() ? std::nullopt : std::optional(std::string(s));
        };
        add_topics_routes(*_srv, _src, lookup, "market.deadletter");
        ASSERT_TRUE(_srv->start());
        _port = _srv->port();
    }

    boost::json::value ok_json(const std::string& target) {
        auto r = get(_port, target);
        EXPECT_EQ(r.status, 200U) << target << " " << r.body;
        return r.status == 200 ? r.json() : boost::json::value();
    }

    void expect_bad(const std::string& target, std::string_view parameter) {
        auto r = get(_port, target);
        EXPECT_EQ(r.status, 400U) << target << " " << r.body;
        if (r.status == 400) {
            EXPECT_EQ(r.json().at("parameter").as_string(), parameter) << target;
        }
    }

    fake_source _src;
    std::unique_ptr<server> _srv;
    uint16_t _port = 0;
};

TEST_F(topics_routes_test, lists_topics_with_partitions) {
    auto j = ok_json("/api/v1/topics");
    EXPECT_EQ(j.at("source"), "embedded");
    const auto& ts = j.at("topics").as_array();
    ASSERT_EQ(ts.size(), 2U);
    EXPECT_EQ(ts[1].at("name"), "market.ticks");
    EXPECT_EQ(ts[1].at("messages"), 251);
    EXPECT_EQ(ts[1].at("partitions").as_array()[0].at("end_offset"), 250);
    EXPECT_EQ(ts[1].at("size_bytes"), 25100);
    auto one = ok_json("/api/v1/topics/market.ticks");
    EXPECT_EQ(one.at("partitions").as_array().size(), 2U);
}

TEST_F(topics_routes_test, messages_decode_with_their_schema_and_page_both_ways) {
    auto j = ok_json("/api/v1/topics/market.ticks/messages?partition=0&offset=10&limit=5");
    const auto& ms = j.at("messages").as_array();
    ASSERT_EQ(ms.size(), 5U);
    EXPECT_EQ(ms[0].at("offset"), 10);
    EXPECT_EQ(ms[0].at("key"), "BTCUSDT");
    EXPECT_EQ(ms[0].at("value_format"), "avro");
    EXPECT_EQ(ms[0].at("schema_id"), model::tick_schema_id);
    EXPECT_EQ(ms[0].at("value").at("symbol"), "BTCUSDT");
    EXPECT_EQ(ms[0].at("value").at("price").as_double(), 110.5);
    EXPECT_EQ(j.at("next_offset"), 15);
    EXPECT_EQ(j.at("prev_offset"), 5);
    // Without an offset: the newest page; at the start no prev, at the end no next.
    auto newest = ok_json("/api/v1/topics/market.ticks/messages?partition=0&limit=100");
    EXPECT_EQ(newest.at("offset"), 150);
    EXPECT_TRUE(newest.at("next_offset").is_null());
    auto first = ok_json("/api/v1/topics/market.ticks/messages?partition=0&offset=0&limit=3");
    EXPECT_TRUE(first.at("prev_offset").is_null());
    // By time: the first record at or after it.
    auto t = ok_json("/api/v1/topics/market.ticks/messages?partition=0&time=1700000000042&limit=1");
    EXPECT_EQ(t.at("messages").as_array()[0].at("offset"), 42);
}

TEST_F(topics_routes_test, undecodable_values_are_hex_with_the_reason) {
    auto j = ok_json("/api/v1/topics/market.ticks/messages?partition=1&offset=0");
    const auto& m = j.at("messages").as_array().at(0);
    EXPECT_EQ(m.at("value_format"), "hex");
    EXPECT_EQ(m.at("value_hex"), "01026e6f74206176726f");
    EXPECT_NE(m.at("decode_error").as_string().find("Confluent"), std::string::npos);
    EXPECT_EQ(m.at("key_hex"), "ff");
    EXPECT_EQ(m.at("headers").as_array()[0].at("key"), "trace");
    EXPECT_EQ(m.at("headers").as_array()[0].at("value"), "abc");
}

TEST_F(topics_routes_test, bad_parameters_are_400_naming_them_and_unknown_topics_404) {
    expect_bad("/api/v1/topics/market.ticks/messages?partition=0&limit=101", "limit");
    expect_bad("/api/v1/topics/market.ticks/messages?partition=0&limit=0", "limit");
    expect_bad("/api/v1/topics/market.ticks/messages?partition=0&limit=1e9", "limit");
    expect_bad("/api/v1/topics/market.ticks/messages?partition=0&offset=-1", "offset");
    expect_bad("/api/v1/topics/market.ticks/messages?partition=0&offset=251", "offset");
    expect_bad("/api/v1/topics/market.ticks/messages?partition=0&offset=abc", "offset");
    expect_bad("/api/v1/topics/market.ticks/messages?partition=2", "partition");
    expect_bad("/api/v1/topics/market.ticks/messages", "partition");
    expect_bad("/api/v1/topics/market.ticks/messages?partition=0&time=yesterday", "time");
    expect_bad("/api/v1/deadletters?limit=1000", "limit");
    auto r = get(_port, "/api/v1/topics/no.such/messages?partition=0");
    EXPECT_EQ(r.status, 404U);
    EXPECT_EQ(r.json().at("error"), "unknown_topic");
    EXPECT_EQ(r.json().at("topic"), "no.such");
    EXPECT_EQ(get(_port, "/api/v1/topics/no.such").status, 404U);
}

TEST_F(topics_routes_test, no_request_reads_more_than_a_page) {
    for (const char* q : {"limit=100", "limit=100&offset=0", "offset=0", "limit=99999", "time=0&limit=100"}) {
        get(_port, std::string("/api/v1/topics/market.ticks/messages?partition=0&") + q);
    }
    topics_limits lim;
    EXPECT_GT(_src.reads, 0U);
    EXPECT_LE(_src.largest_limit, lim.max_messages);
    EXPECT_LE(_src.largest_bytes, lim.max_page_bytes);
    auto j = ok_json("/api/v1/topics/market.ticks/messages?partition=0&offset=0&limit=100");
    EXPECT_EQ(j.at("messages").as_array().size(), 100U);
}

TEST_F(topics_routes_test, dead_letters_newest_first_filtered_by_kind_and_text) {
    auto all = ok_json("/api/v1/deadletters");
    const auto& ls = all.at("letters").as_array();
    ASSERT_EQ(ls.size(), 3U);
    EXPECT_EQ(ls[0].at("reason"), "tick 90s behind the watermark");
    EXPECT_EQ(ls[0].at("origin").at("topic"), "market.ticks");
    EXPECT_EQ(ls[0].at("origin").at("offset"), 20);
    auto late = ok_json("/api/v1/deadletters?kind=late");
    EXPECT_EQ(late.at("letters").as_array().size(), 2U);
    auto text = ok_json("/api/v1/deadletters?q=NOT%20A%20NUMBER");
    ASSERT_EQ(text.at("letters").as_array().size(), 1U);
    EXPECT_EQ(text.at("letters").as_array()[0].at("kind"), "malformed");
    auto one = ok_json("/api/v1/deadletters?limit=1");
    EXPECT_EQ(one.at("letters").as_array().size(), 1U);
    EXPECT_EQ(one.at("matched"), 3);
}

TEST_F(topics_routes_test, groups_with_lag) {
    auto j = ok_json("/api/v1/groups");
    const auto& g = j.at("groups").as_array().at(0);
    EXPECT_EQ(g.at("id"), "mdsp-process");
    EXPECT_EQ(g.at("lag"), 7);
    EXPECT_EQ(g.at("offsets").as_array()[0].at("committed"), 3);
    EXPECT_EQ(g.at("members").as_array()[0].at("assignment").as_array()[0].at("partition"), 0);
}

} // namespace
} // namespace mdsp::http
