#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iterator>
#include <limits>
#include <thread>

#include <boost/json.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "cql/tests/builders.h"
#include "store/cassandra.h"
#include "store/internal/cassandra_rows.h"
#include "store/tests/fake_cassandra.h"

namespace mdsp::store {
namespace {

using internal::candle_bucket;

constexpr int64_t s_us = 1'000'000;

TEST(cassandra_rows, buckets_as_schema_cql_describes_them) {
    // 2026-11-21T20:25:00Z
    const int64_t t = 1'795'292'700 * s_us;
    EXPECT_EQ(candle_bucket(*model::interval::parse("1s"), t), "2026-11-21");
    EXPECT_EQ(candle_bucket(*model::interval::parse("1m"), t), "2026-11");
    EXPECT_EQ(candle_bucket(*model::interval::parse("5m"), t), "2026-11");
    EXPECT_EQ(candle_bucket(*model::interval::parse("1h"), t), "2026");
    EXPECT_EQ(candle_bucket(*model::interval::parse("1d"), t), "2026");
    EXPECT_EQ(candle_bucket(*model::interval::parse("1s"), 0), "1970-01-01");
    EXPECT_EQ(candle_bucket(*model::interval::parse("1s"), -1), "1969-12-31");
    EXPECT_EQ(candle_bucket(*model::interval::parse("1s"), 86'400 * s_us - 1), "1970-01-01");
    EXPECT_EQ(internal::tick_day(0), 0);
    EXPECT_EQ(internal::tick_day(-1), -1);
    EXPECT_EQ(internal::tick_day(86'400 * s_us), 1);
    EXPECT_EQ(internal::ceil_ms(1000), 1);
    EXPECT_EQ(internal::ceil_ms(1001), 2);
    EXPECT_EQ(internal::ceil_ms(-1001), -1);
}

// The values a write binds, read back as the SELECT returns them.
TEST(cassandra_rows, candle_round_trip) {
    model::candle c;
    c.symbol = "AAPL";
    c.interval = *model::interval::parse("1m");
    c.window_start = mdsp::event_time(1'795'292'700 * s_us);
    c.open = 1.5;
    c.high = 2.5;
    c.low = 1.25;
    c.close = 2;
    c.volume = 10;
    c.vwap = 1.9;
    c.trade_count = 7;
    c.first_event_time = mdsp::event_time(c.window_start() + 5);
    c.last_event_time = mdsp::event_time(c.window_start() + 50);
    c.final = true;
    c.revision = 3;
    c.backfilled = true;
    c.spike = true;
    auto v = internal::candle_values(c);
    ASSERT_EQ(v.size(), 17u);
    EXPECT_EQ(v[2].bytes(), "2026-11");
    using cql::type_id;
    std::vector<cql::testing::col> cols{
        {"window_start", type_id::timestamp}, {"open", type_id::double_},
        {"high", type_id::double_},           {"low", type_id::double_},
        {"close", type_id::double_},          {"volume", type_id::double_},
        {"vwap", type_id::double_},           {"trade_count", type_id::bigint},
        {"first", type_id::bigint},           {"last", type_id::bigint},
        {"final", type_id::boolean},          {"revision", type_id::bigint},
        {"backfilled", type_id::boolean},     {"spike", type_id::boolean}};
    cql::testing::cells row;
    for (size_t i = 3; i < v.size(); ++i) {
        row.push_back(v[i].bytes());
    }
    auto r = cql::decode_result(cql::testing::rows_body(cols, {row}), cql::limits{}, cql::protocol::v5);
    ASSERT_TRUE(r) << r.error().what();
    auto back = internal::candle_from_row(r->rows.row(0), "AAPL", c.interval);
    ASSERT_TRUE(back) << back.error().what();
    EXPECT_EQ(*back, c);
}

TEST(cassandra_rows, candle_column_count_counts_the_columns) {
    std::string_view cols = internal::candle_columns;
    EXPECT_EQ(static_cast<size_t>(std::count(cols.begin(), cols.end(), ',')) + 1,
              internal::candle_column_count);
}

TEST(cassandra_rows, tick_round_trip_with_missing_fields) {
    model::tick t;
    t.symbol = "BTCUSDT";
    t.source = "binance";
    t.exchange = "BINANCE";
    t.event_time = mdsp::event_time(1'700'000'000'123'456);
    t.ingest_time = mdsp::ingest_time(1'700'000'000'200'000);
    t.price = 37000.5;
    t.size = 0.25;
    t.trade_id = 99;
    t.seq = mdsp::sequence(12);
    auto v = internal::tick_values(t, true);
    ASSERT_EQ(v.size(), 16u);
    EXPECT_EQ(v[5].kind(), cql::value::state::set);   // exchange
    EXPECT_EQ(v[6].kind(), cql::value::state::unset); // mic_code: no tombstone
    using cql::type_id;
    std::vector<cql::testing::col> cols{
        {"event_time", type_id::bigint}, {"seq", type_id::bigint},         {"source", type_id::varchar},
        {"exchange", type_id::varchar},  {"mic_code", type_id::varchar},   {"asset_type", type_id::varchar},
        {"currency", type_id::varchar},  {"ingest_time", type_id::bigint}, {"price", type_id::double_},
        {"size", type_id::double_},      {"day_volume", type_id::double_}, {"bid", type_id::double_},
        {"ask", type_id::double_},       {"trade_id", type_id::bigint}};
    cql::testing::cells row;
    for (size_t i = 2; i < v.size(); ++i) {
        row.push_back(v[i].kind() == cql::value::state::set ? std::optional<std::string>(v[i].bytes())
                                                            : std::nullopt);
    }
    auto r = cql::decode_result(cql::testing::rows_body(cols, {row}), cql::limits{}, cql::protocol::v5);
    ASSERT_TRUE(r) << r.error().what();
    auto back = internal::tick_from_row(r->rows.row(0), false, "BTCUSDT");
    ASSERT_TRUE(back) << back.error().what();
    EXPECT_EQ(*back, t);
}

// The INSERT texts (which the bench also hands to the Python driver) bind
// exactly the values the rows have.
TEST(cassandra_rows, insert_texts_bind_the_rows_values) {
    auto markers = [](const std::string& s) {
        return static_cast<size_t>(std::count(s.begin(), s.end(), '?'));
    };
    model::tick t;
    t.symbol = "AAPL";
    model::candle c;
    c.symbol = "AAPL";
    c.interval = *model::interval::parse("1m");
    EXPECT_EQ(markers(internal::insert_tick_cql("ks")), internal::tick_values(t, true).size());
    EXPECT_EQ(markers(internal::insert_candle_cql("ks", false)), internal::candle_values(c).size());
    EXPECT_EQ(markers(internal::insert_candle_cql("ks", true)), internal::candle_values(c).size() + 1);
    EXPECT_EQ(internal::insert_tick_cql("ks").rfind("INSERT INTO ks.ticks (symbol, day, event_time, seq,", 0),
              0u);
    EXPECT_EQ(internal::insert_candle_cql("ks", false).find("USING TIMESTAMP"), std::string::npos);
    EXPECT_TRUE(internal::insert_candle_cql("ks", true).ends_with(") USING TIMESTAMP ?"));
}

TEST(cassandra_store, schema_statements_name_every_table) {
    auto s = cassandra_store::schema("market", "{'class': 'SimpleStrategy', 'replication_factor': 1}");
    std::string all;
    for (const auto& x : s) {
        all += x + "\n";
    }
    for (const char* t : {"market.ticks", "market.candles", "market.latest", "market.candle_buckets",
                          "market.tick_days", "market.state", "SimpleStrategy"}) {
        EXPECT_NE(all.find(t), std::string::npos) << t;
    }
}

TEST(cassandra_store, a_missing_cluster_is_a_clear_error) {
    cassandra_options o;
    o.session.contact_points = {"127.0.0.1:1"};
    auto s = cassandra_store::open(o);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error().code, errc::io_error);
    EXPECT_NE(s.error().what().find("127.0.0.1:1"), std::string::npos) << s.error().what();
    o.keyspace = "bad-name";
    EXPECT_EQ(cassandra_store::open(o).error().code, errc::bad_query);
}

// One scenario for the fake node and a real cluster: candles across
// buckets (head, tail, limits), the filler/backfill rules, latest moving
// forward only, ticks, state.
void exercise(cassandra_store& s) {
    const auto m1 = *model::interval::parse("1m");
    const int64_t base = 1'795'292'700 * s_us; // 2026-11-21; the windows below cross into December
    std::string sym = "TEST" + std::to_string(std::time(nullptr));
    std::vector<model::candle> cs;
    for (int i = 0; i < 5; ++i) {
        model::candle c;
        c.symbol = sym;
        c.interval = m1;
        c.window_start = mdsp::event_time(base + i * 86'400 * 3 * s_us);
        c.open = c.high = c.low = c.close = 100 + i;
        c.trade_count = i; // the first is a filler
        cs.push_back(c);
    }
    std::vector<model::tick> ts(3);
    for (int i = 0; i < 3; ++i) {
        ts[i].symbol = sym;
        ts[i].source = "test";
        ts[i].event_time = mdsp::event_time(base + i * 86'400 * s_us); // three days
        ts[i].seq = mdsp::sequence(i);
        ts[i].price = 1 + i;
    }
    std::vector<state_change> state{{"test/" + sym + "/a", std::string("\0\1", 2)},
                                    {"test/" + sym + "/b", std::string("x")}};
    auto w = s.write({ts, cs, ts, state});
    ASSERT_TRUE(w) << w.error().what();
    auto all = s.candles(sym, m1, {});
    ASSERT_TRUE(all) << all.error().what();
    ASSERT_EQ(all->size(), 5u);
    for (int i = 0; i < 5; ++i) {
        EXPECT_EQ((*all)[i], cs[i]) << i;
    }
    range tail;
    tail.limit = 2;
    tail.tail = true;
    auto last2 = s.candles(sym, m1, tail);
    ASSERT_TRUE(last2);
    ASSERT_EQ(last2->size(), 2u);
    EXPECT_EQ((*last2)[0].close, 103);
    EXPECT_EQ((*last2)[1].close, 104);
    range head{mdsp::event_time(base + 1), mdsp::event_time(std::numeric_limits<int64_t>::max()), 3, false};
    auto next3 = s.candles(sym, m1, head);
    ASSERT_TRUE(next3);
    ASSERT_EQ(next3->size(), 3u);
    EXPECT_EQ((*next3)[0].close, 101);
    // A vendor bar replaces the filler but not a candle built from ticks...
    auto b = s.write_backfill(std::span(cs.data(), 2), {});
    ASSERT_TRUE(b) << b.error().what();
    EXPECT_EQ(b->written, 1u);
    EXPECT_EQ(b->kept_live, 1u);
    // ...and a filler never replaces the vendor's bar.
    ASSERT_TRUE(s.write({{}, std::span(cs.data(), 1), {}, {}}));
    auto first = s.candles(sym, m1, {mdsp::event_time(base), mdsp::event_time(base + 1), 10, false});
    ASSERT_TRUE(first);
    ASSERT_EQ(first->size(), 1u);
    EXPECT_TRUE((*first)[0].backfilled);
    // latest only moves forward.
    auto l = s.latest(sym);
    ASSERT_TRUE(l && *l);
    EXPECT_EQ((*l)->price, 3);
    auto older = ts;
    older.resize(1);
    older[0].price = 9;
    ASSERT_TRUE(s.write({{}, {}, older, {}}));
    l = s.latest(sym);
    ASSERT_TRUE(l && *l);
    EXPECT_EQ((*l)->price, 3);
    auto syms = s.symbols();
    ASSERT_TRUE(syms);
    EXPECT_NE(std::find(syms->begin(), syms->end(), sym), syms->end());
    // Ticks across day partitions, oldest first, and the newest two.
    auto got = s.ticks(sym, {});
    ASSERT_TRUE(got) << got.error().what();
    ASSERT_EQ(got->size(), 3u);
    EXPECT_EQ((*got)[2], ts[2]);
    auto newest = s.ticks(sym, tail);
    ASSERT_TRUE(newest);
    ASSERT_EQ(newest->size(), 2u);
    EXPECT_EQ((*newest)[0].price, 2);
    // State by prefix; a deletion.
    auto ls = s.load_state("test/" + sym);
    ASSERT_TRUE(ls);
    ASSERT_EQ(ls->size(), 2u);
    EXPECT_EQ(ls->at(0).second, std::string("\0\1", 2));
    std::vector<state_change> del{{"test/" + sym + "/a", std::nullopt}};
    ASSERT_TRUE(s.write({{}, {}, {}, del}));
    EXPECT_EQ(s.load_state("test/" + sym)->size(), 1u);
}

// Versions (a shared store's writes from several replicas): the higher
// version wins in any order, for candles and state, deletions included; a
// vendor's bar goes just above what it replaces and under any candle built
// from ticks; state runs land in their scope.
void exercise_versions(cassandra_store& s) {
    ASSERT_TRUE(s.shared());
    const auto m1 = *model::interval::parse("1m");
    const int64_t base = 1'795'292'700 * s_us;
    const auto now = std::time(nullptr);
    std::string sym = "VER" + std::to_string(now);
    auto candle = [&](int64_t minute, double close, uint64_t trades) {
        model::candle c;
        c.symbol = sym;
        c.interval = m1;
        c.window_start = mdsp::event_time(base + minute * 60 * s_us);
        c.open = c.high = c.low = c.close = close;
        c.trade_count = trades;
        return c;
    };
    auto close_at = [&](int64_t minute) {
        auto got = s.candles(sym, m1,
                             {mdsp::event_time(base + minute * 60 * s_us),
                              mdsp::event_time(base + (minute + 1) * 60 * s_us), 10, false});
        EXPECT_TRUE(got && got->size() == 1);
        return got && got->size() == 1 ? (*got)[0] : model::candle{};
    };
    auto write_candle = [&](const model::candle& c, int64_t version) {
        std::vector<int64_t> v{version};
        auto r = s.write({{}, std::span(&c, 1), {}, {}, v});
        ASSERT_TRUE(r) << r.error().what();
    };
    write_candle(candle(0, 1, 1), 100);
    write_candle(candle(0, 2, 2), 50); // older: loses
    EXPECT_EQ(close_at(0).close, 1);
    write_candle(candle(0, 3, 3), 200);
    EXPECT_EQ(close_at(0).close, 3);
    // A vendor's bar over nothing, then a candle built from ticks at any version.
    auto bar = candle(1, 7, 10);
    ASSERT_TRUE(s.write_backfill(std::span(&bar, 1), {}));
    EXPECT_TRUE(close_at(1).backfilled);
    write_candle(candle(1, 8, 4), 2);
    EXPECT_FALSE(close_at(1).backfilled);
    EXPECT_EQ(close_at(1).close, 8);
    // A bar over a filler of a high version wins; a filler does not come back.
    write_candle(candle(2, 5, 0), 1'000'000);
    bar = candle(2, 9, 10);
    auto b = s.write_backfill(std::span(&bar, 1), {});
    ASSERT_TRUE(b && b->written == 1);
    EXPECT_EQ(close_at(2).close, 9);
    write_candle(candle(2, 5, 0), 2'000'000);
    EXPECT_EQ(close_at(2).close, 9);

    // State: two scopes, runs, versions, tombstones.
    auto kp = fmt::format("kp/{:05}/", now % 100000);
    auto other = fmt::format("kp/{:05}/", (now + 1) % 100000);
    auto pos = fmt::format("pos/test/{}", now);
    auto put = [&](std::vector<state_change> st, int64_t version) {
        std::vector<int64_t> v(st.size(), version);
        std::vector<uint32_t> runs{1, uint32_t(st.size())};
        auto r = s.write({{}, {}, {}, st, {}, v, st.size() > 1 ? std::span(runs) : std::span<uint32_t>()});
        ASSERT_TRUE(r) << r.error().what();
    };
    put({{kp + "a", std::string("new")}, {kp + "b", std::string("b")}, {pos, std::string("p2")}}, 100);
    put({{other + "a", std::string("other")}}, 100);
    put({{kp + "a", std::string("old")}, {pos, std::string("p1")}}, 50);
    put({{kp + "b", std::nullopt}}, 60); // an older deletion: no effect
    auto ls = s.load_state(kp);
    ASSERT_TRUE(ls) << ls.error().what();
    ASSERT_EQ(ls->size(), 2u);
    EXPECT_EQ(ls->at(0), (std::pair<std::string, std::string>{kp + "a", "new"}));
    EXPECT_EQ(s.load_state(pos)->at(0).second, "p2");
    put({{kp + "b", std::nullopt}}, 150);
    EXPECT_EQ(s.load_state(kp)->size(), 1u);
    put({{kp + "b", std::string("again")}}, 120); // under the tombstone
    EXPECT_EQ(s.load_state(kp)->size(), 1u);
    EXPECT_EQ(s.load_state(other)->size(), 1u);
    // Versions must match what they version.
    std::vector<int64_t> two{1, 2};
    auto c0 = candle(3, 1, 1);
    EXPECT_FALSE(s.write({{}, std::span(&c0, 1), {}, {}, two}));
}

// put_state_if_absent through two stores (two replicas): the first value
// put stays, and of two racing on a new key both get the one that won.
void exercise_claims(store& a, store& b) {
    // Keys of this run only: a real cluster's test keyspace outlives runs.
    const std::string run = fmt::format("{}-{}", std::time(nullptr), std::rand());
    const std::string k1 = "kp/00042/t-" + run;
    auto first = a.put_state_if_absent(k1, "x");
    ASSERT_TRUE(first) << first.error().what();
    EXPECT_EQ(*first, "x");
    auto second = b.put_state_if_absent(k1, "y");
    ASSERT_TRUE(second) << second.error().what();
    EXPECT_EQ(*second, "x");
    auto loaded = b.load_state(k1);
    ASSERT_TRUE(loaded) << loaded.error().what();
    ASSERT_EQ(loaded->size(), 1u);
    EXPECT_EQ(loaded->front().second, "x");
    for (int i = 0; i < 5; ++i) {
        const std::string k = fmt::format("kp/00043/t-{}-{}", run, i);
        result<std::string> got_a = std::string();
        result<std::string> got_b = std::string();
        std::thread ta([&] { got_a = a.put_state_if_absent(k, "A"); });
        std::thread tb([&] { got_b = b.put_state_if_absent(k, "B"); });
        ta.join();
        tb.join();
        ASSERT_TRUE(got_a && got_b) << (got_a ? got_b.error().what() : got_a.error().what());
        EXPECT_EQ(*got_a, *got_b) << k;
        EXPECT_TRUE(*got_a == "A" || *got_a == "B") << *got_a;
    }
}

// A store's options for the fake node, applying the schema.
cassandra_options on_fake(const testing::fake_cassandra& node) {
    cassandra_options o;
    o.session.contact_points = {"127.0.0.1:" + std::to_string(node.port())};
    o.apply_schema = true;
    return o;
}

// Each schema statement waits until every host has it: the next may go to
// another coordinator (a 3-node `mdsp cassandra init` failed on "Keyspace
// ... doesn't exist" when only the end was waited for).
TEST(cassandra_store, each_schema_change_waits_for_agreement) {
    testing::fake_cassandra node;
    auto st = cassandra_store::open(on_fake(node));
    ASSERT_TRUE(st) << st.error().what();
    auto q = node.queries();
    size_t changes = 0;
    for (size_t i = 0; i < q.size(); ++i) {
        if (q[i].starts_with("CREATE") || q[i].starts_with("ALTER")) {
            ++changes;
            ASSERT_LT(i + 1, q.size()) << q[i];
            EXPECT_NE(q[i + 1].find("schema_version"), std::string::npos)
                << "after " << q[i] << " came " << q[i + 1];
        }
    }
    EXPECT_GE(changes, 4u);
}

TEST(cassandra_store, claims_on_a_fake_node) {
    testing::fake_cassandra node;
    auto o = on_fake(node);
    auto a = cassandra_store::open(o);
    ASSERT_TRUE(a) << a.error().what();
    auto b = cassandra_store::open(o);
    ASSERT_TRUE(b) << b.error().what();
    exercise_claims(**a, **b);
}

TEST(cassandra_store, versions_on_a_fake_node) {
    testing::fake_cassandra node;
    auto st = cassandra_store::open(on_fake(node));
    ASSERT_TRUE(st) << st.error().what();
    exercise_versions(**st);
}

// A Kafka partition's position lives in its checkpoint's scope and goes in
// one batch (all or none) with the last of its state; a position stored by
// an earlier version in the "state" scope is still found.
TEST(cassandra_store, a_position_goes_with_the_last_of_its_state) {
    testing::fake_cassandra node;
    auto st = cassandra_store::open(on_fake(node));
    ASSERT_TRUE(st) << st.error().what();
    const std::string kp = "kp/00007/", pos = "pos/market.ticks/00007";
    std::vector<state_change> changes{{kp + "a", std::string("A")},
                                      {kp + "b", std::string("B")},
                                      {"kp/00008/x", std::string("X")},
                                      {pos, std::string("p7")},
                                      {"pos/market.ticks/00009", std::string("p9")}};
    std::vector<uint32_t> runs{2, 3, 5};
    std::vector<int64_t> versions(changes.size(), 10);
    ASSERT_TRUE((*st)->write({{}, {}, {}, changes, {}, versions, runs}));
    std::map<std::string, std::vector<std::pair<std::string, std::string>>> by_key;
    for (const auto& req : node.state_requests()) {
        for (const auto& row : req) {
            by_key[row.second] = req;
        }
    }
    using row = std::pair<std::string, std::string>;
    EXPECT_EQ(by_key[pos],
              (std::vector<row>{{"kp/00007", kp + "a"}, {"kp/00007", kp + "b"}, {"kp/00007", pos}}));
    EXPECT_EQ(by_key["pos/market.ticks/00009"], (std::vector<row>{{"kp/00009", "pos/market.ticks/00009"}}));
    auto p7 = (*st)->load_state(pos);
    ASSERT_TRUE(p7 && p7->size() == 1) << (p7 ? "no row" : p7.error().what());
    EXPECT_EQ(p7->front().second, "p7");

    node.put_state_row("state", "pos/market.ticks/00011", "old");
    auto p11 = (*st)->load_state("pos/market.ticks/00011");
    ASSERT_TRUE(p11 && p11->size() == 1) << (p11 ? "no row" : p11.error().what());
    EXPECT_EQ(p11->front().second, "old");
}

TEST(cassandra_store, against_a_fake_node) {
    testing::fake_cassandra node;
    auto o = on_fake(node);
    o.page_size = 2; // every read pages
    auto st = cassandra_store::open(o);
    ASSERT_TRUE(st) << st.error().what();
    exercise(**st);
    EXPECT_EQ(node.page_size_seen > 0, true);
}

TEST(cassandra_store, a_missing_keyspace_says_how_to_create_it) {
    testing::fake_cassandra node;
    node.keyspace_exists = false;
    cassandra_options o;
    o.session.contact_points = {"127.0.0.1:" + std::to_string(node.port())};
    auto st = cassandra_store::open(o);
    ASSERT_FALSE(st);
    EXPECT_NE(st.error().what().find("cqlsh -f deploy/cassandra/schema.cql"), std::string::npos)
        << st.error().what();
    EXPECT_NE(st.error().what().find("store.cassandra_init=true"), std::string::npos);
}

// A real cluster, when the environment names one: MDSP_CASSANDRA_TEST_URI
// (cassandra://127.0.0.1:9042/mdsp_store_test, the password in
// MDSP_CASSANDRA_PASSWORD), or MDSP_CASSANDRA_CLUSTER, the folder of the
// suite's local cluster (tests/cluster/cassandra_cluster.py), whose
// cluster.json gives addresses, port, data centre and credentials.
std::optional<cassandra_options> real_cluster() {
    if (const char* uri = std::getenv("MDSP_CASSANDRA_TEST_URI")) {
        const char* pw = std::getenv("MDSP_CASSANDRA_PASSWORD");
        auto u = cql::parse_cluster_uri(uri, pw ? pw : "");
        if (!u) {
            ADD_FAILURE() << u.error().what();
            return std::nullopt;
        }
        cassandra_options o;
        o.session = u->options;
        o.keyspace = u->keyspace;
        return o;
    }
    const char* dir = std::getenv("MDSP_CASSANDRA_CLUSTER");
    if (!dir) {
        return std::nullopt;
    }
    std::ifstream in(std::string(dir) + "/cluster.json");
    if (!in) {
        ADD_FAILURE() << dir << "/cluster.json is missing: is the local Cassandra cluster running?";
        return std::nullopt;
    }
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    boost::system::error_code ec;
    auto j = boost::json::parse(text, ec);
    if (ec || !j.is_object()) {
        ADD_FAILURE() << dir << "/cluster.json is not JSON: " << ec.message();
        return std::nullopt;
    }
    const auto& st = j.as_object();
    cassandra_options o;
    o.keyspace = "mdsp_store_test";
    o.session.contact_points.clear();
    auto port = st.contains("port") ? st.at("port").to_number<int64_t>() : 9042;
    o.session.port = uint16_t(port);
    // "host:port,host:port", as tests/cluster/cassandra_cluster.py writes it.
    if (st.contains("contact_points") && st.at("contact_points").is_string()) {
        std::string_view cps = st.at("contact_points").as_string();
        while (!cps.empty()) {
            auto comma = cps.find(',');
            o.session.contact_points.emplace_back(cps.substr(0, comma));
            cps = comma == std::string_view::npos ? std::string_view() : cps.substr(comma + 1);
        }
    }
    if (st.contains("datacenter") && st.at("datacenter").is_string()) {
        o.session.local_dc = std::string(st.at("datacenter").as_string());
    }
    if (st.contains("auth") && st.at("auth").is_object()) {
        const auto& a = st.at("auth").as_object();
        o.session.conn.auth = cql::credentials{std::string(a.at("username").as_string()),
                                               std::string(a.at("password").as_string())};
    }
    return o;
}

// Registered apart (store_cassandra_real_test, tests/cluster) with the
// suite's Cassandra fixture; without a cluster it fails saying what to set.
TEST(cassandra_store_real, against_a_real_cluster) {
    auto o = real_cluster();
    ASSERT_TRUE(o) << "no Cassandra to test against: set MDSP_CASSANDRA_TEST_URI="
                      "cassandra://127.0.0.1:9042/mdsp_store_test or MDSP_CASSANDRA_CLUSTER=<the local "
                      "cluster's folder> (ctest -R store_cassandra_real_test starts one; scripts/setup "
                      "fetches Cassandra)";
    o->apply_schema = true;
    o->replication = "{'class': 'SimpleStrategy', 'replication_factor': 1}";
    auto st = cassandra_store::open(*o);
    ASSERT_TRUE(st) << st.error().what();
    exercise(**st);
    exercise_versions(**st);
    o->apply_schema = false;
    auto other = cassandra_store::open(*o); // another replica
    ASSERT_TRUE(other) << other.error().what();
    exercise_claims(**st, **other);
}

} // namespace
} // namespace mdsp::store
