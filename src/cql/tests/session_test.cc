#include <atomic>
#include <future>
#include <map>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "cql/session.h"
#include "cql/tests/fake_server.h"

namespace mdsp::cql {
namespace {

using testing::col;
using testing::fake_server;

std::string be32(int32_t v) {
    internal::writer w;
    w.i32(v);
    return w.take();
}
std::string text_set(const std::vector<std::string>& items) {
    internal::writer w;
    w.i32(int32_t(items.size()));
    for (const auto& i : items) {
        w.bytes(i);
    }
    return w.take();
}
std::string ipv4(const std::string& a) {
    std::string out;
    size_t pos = 0;
    for (int i = 0; i < 4; ++i) {
        size_t dot = a.find('.', pos);
        out.push_back(char(std::stoi(a.substr(pos, dot - pos))));
        pos = dot + 1;
    }
    return out;
}
const std::string set_of_text = std::string("\0\x22\0\x0d", 4);

// A cluster of fake nodes on 127.0.0.1, .2, .3 (one port for all, as
// system.peers has no port column), each answering the discovery queries,
// PREPARE, and EXECUTE as its `mode` says.
struct fake_cluster {
    struct node {
        std::string address;
        std::string dc;
        int64_t token;
        std::atomic<int> executes{0};
        std::atomic<int> error_code{0}; // answer EXECUTE with this error; 0: success
        std::atomic<int> schema{1};     // its schema_version
        std::unique_ptr<fake_server> server;
    };
    std::vector<std::unique_ptr<node>> nodes;
    bool peers_v2 = true;
    uint16_t port = 0;

    explicit fake_cluster(std::vector<std::pair<std::string, int64_t>> dcs_tokens) {
        for (size_t i = 0; i < dcs_tokens.size(); ++i) {
            auto n = std::make_unique<node>();
            n->address = "127.0.0." + std::to_string(i + 1);
            n->dc = dcs_tokens[i].first;
            n->token = dcs_tokens[i].second;
            node* self = n.get();
            n->server = std::make_unique<fake_server>(
                [this, self](fake_server::session& s, const frame_header& h, const std::string& body) {
                    answer(*self, s, h, body);
                },
                n->address, port);
            port = n->server->port();
            nodes.push_back(std::move(n));
        }
    }

    void answer(node& me, fake_server::session& s, const frame_header& h, const std::string& body) {
        auto q = testing::parse_request(h, body);
        if (h.op == opcode::register_) {
            return s.reply(h.stream, opcode::ready, "");
        }
        if (h.op == opcode::query && q.text.find("schema_version") != std::string::npos) {
            bool local = q.text.find("system.local") != std::string::npos;
            std::vector<testing::cells> rows;
            for (const auto& n : nodes) {
                if ((n.get() == &me) == local) {
                    std::string version(16, char(n->schema.load()));
                    rows.push_back(local ? testing::cells{version}
                                         : testing::cells{ipv4(n->address), version});
                }
            }
            std::vector<col> cols{{"schema_version", type_id::uuid}};
            if (!local) {
                cols.insert(cols.begin(), col{"peer", type_id::inet});
            }
            return s.reply(h.stream, opcode::result, testing::rows_body(cols, rows));
        }
        if (h.op == opcode::query && q.text.find("system.local") != std::string::npos) {
            return s.reply(h.stream, opcode::result,
                           testing::rows_body({{"data_center", type_id::varchar},
                                               {"rack", type_id::varchar},
                                               {"tokens", type_id::set, set_of_text},
                                               {"rpc_address", type_id::inet}},
                                              {{me.dc, std::string("r1"),
                                                text_set({std::to_string(me.token)}), ipv4(me.address)}}));
        }
        if (h.op == opcode::query && q.text.find("system.peers_v2") != std::string::npos && !peers_v2) {
            return s.reply(h.stream, opcode::error,
                           testing::error_body(0x2200, "unconfigured table peers_v2"));
        }
        if (h.op == opcode::query && q.text.find("system.peers") != std::string::npos) {
            bool v2 = q.text.find("peers_v2") != std::string::npos;
            std::vector<col> cols{{"peer", type_id::inet},
                                  {v2 ? "native_address" : "rpc_address", type_id::inet}};
            if (v2) {
                cols.push_back({"native_port", type_id::int_});
            }
            cols.push_back({"data_center", type_id::varchar});
            cols.push_back({"rack", type_id::varchar});
            cols.push_back({"tokens", type_id::set, set_of_text});
            std::vector<testing::cells> rows;
            for (const auto& n : nodes) {
                if (n.get() == &me) {
                    continue;
                }
                testing::cells r{ipv4(n->address), ipv4(n->address)};
                if (v2) {
                    r.push_back(be32(port));
                }
                r.push_back(n->dc);
                r.push_back(std::string("r1"));
                r.push_back(text_set({std::to_string(n->token)}));
                rows.push_back(r);
            }
            return s.reply(h.stream, opcode::result, testing::rows_body(cols, rows));
        }
        if (h.op == opcode::prepare) {
            return s.reply(h.stream, opcode::result,
                           testing::prepared_body(s.version(), "P1",
                                                  {{"k", type_id::varchar}, {"v", type_id::int_}}, {0}, {}));
        }
        if (h.op == opcode::execute || h.op == opcode::query || h.op == opcode::batch) {
            ++me.executes;
            if (int code = me.error_code.load()) {
                internal::writer x;
                if (code == 0x1100) {
                    x.u16(uint16_t(consistency::local_quorum));
                    x.i32(1);
                    x.i32(2);
                    x.string("SIMPLE");
                }
                return s.reply(h.stream, opcode::error, testing::error_body(code, "injected", x.out()));
            }
            return s.reply(h.stream, opcode::result, testing::void_body());
        }
    }

    session_options options() const {
        session_options o;
        o.contact_points = {"127.0.0.1"};
        o.port = port;
        o.connections_per_host = 2;
        o.retry.base_backoff = std::chrono::milliseconds(1);
        o.retry.max_backoff = std::chrono::milliseconds(5);
        return o;
    }
    int total_executes() const {
        int n = 0;
        for (const auto& x : nodes) {
            n += x->executes;
        }
        return n;
    }
};

// The owner of a key on the fake ring: the first token >= the key's, wrapping.
size_t owner(const fake_cluster& c, std::string_view key) {
    int64_t t = murmur3_token(key);
    size_t best = c.nodes.size();
    size_t lowest = 0;
    for (size_t i = 0; i < c.nodes.size(); ++i) {
        if (c.nodes[i]->token < c.nodes[lowest]->token) {
            lowest = i;
        }
        if (c.nodes[i]->token >= t && (best == c.nodes.size() || c.nodes[i]->token < c.nodes[best]->token)) {
            best = i;
        }
    }
    return best == c.nodes.size() ? lowest : best;
}

TEST(cql_session, discovers_the_cluster_and_routes_by_token) {
    fake_cluster cl(
        {{"dc1", -6'000'000'000'000'000'000LL}, {"dc1", 0}, {"dc1", 6'000'000'000'000'000'000LL}});
    metrics::registry reg;
    auto o = cl.options();
    o.metrics = &reg;
    session s(o);
    auto st = s.start();
    ASSERT_TRUE(st) << st.error().what();
    auto hosts = s.hosts();
    ASSERT_EQ(hosts.size(), 3u);
    for (const auto& h : hosts) {
        EXPECT_TRUE(h.up) << h.address;
        EXPECT_EQ(h.dc, "dc1");
        EXPECT_EQ(h.tokens, 1u);
    }
    EXPECT_EQ(s.local_dc(), "dc1");
    auto p = s.prepare_sync("INSERT INTO t (k, v) VALUES (?, ?)");
    ASSERT_TRUE(p) << p.error().what();
    std::vector<int> expected(3, 0);
    for (int i = 0; i < 60; ++i) {
        std::string key = "SYM" + std::to_string(i);
        ++expected[owner(cl, key)];
        auto r = s.execute_sync(*p, {value::text(key), value::int_(i)});
        ASSERT_TRUE(r) << r.error().what();
    }
    for (size_t i = 0; i < 3; ++i) {
        EXPECT_EQ(cl.nodes[i]->executes.load(), expected[i]) << "node " << i;
        auto* pr = s.probe(cl.nodes[i]->address + ":" + std::to_string(cl.port));
        ASSERT_NE(pr, nullptr);
        EXPECT_GE(pr->requests(), uint64_t(expected[i]));
    }
    EXPECT_NE(reg.expose().find("mdsp_cql_requests_total{host=\"127.0.0.2:"), std::string::npos);
}

TEST(cql_session, a_contact_point_by_name_is_known_by_its_address) {
    fake_cluster cl({{"dc1", -100}, {"dc1", 100}});
    auto o = cl.options();
    o.contact_points = {"localhost"};
    session s(o);
    auto st = s.start();
    ASSERT_TRUE(st) << st.error().what();
    auto hosts = s.hosts();
    ASSERT_EQ(hosts.size(), 2u);
    EXPECT_EQ(hosts[0].address, "127.0.0.1");
    EXPECT_EQ(hosts[1].address, "127.0.0.2");
}

TEST(cql_session, local_data_centre_first) {
    fake_cluster cl({{"dc1", -100}, {"dc1", 100}, {"dc2", 0}});
    session s(cl.options());
    ASSERT_TRUE(s.start());
    for (int i = 0; i < 30; ++i) {
        ASSERT_TRUE(s.query_sync("INSERT INTO t (k) VALUES ('x')"));
    }
    EXPECT_EQ(cl.nodes[2]->executes.load(), 0);
    EXPECT_GT(cl.nodes[0]->executes.load(), 0);
    EXPECT_GT(cl.nodes[1]->executes.load(), 0);
}

TEST(cql_session, falls_back_to_system_peers) {
    fake_cluster cl({{"dc1", -100}, {"dc1", 100}});
    cl.peers_v2 = false;
    session s(cl.options());
    ASSERT_TRUE(s.start());
    auto hosts = s.hosts();
    ASSERT_EQ(hosts.size(), 2u);
    EXPECT_TRUE(hosts[1].up);
}

TEST(cql_session, retries_only_idempotent_statements) {
    fake_cluster cl({{"dc1", 0}});
    cl.nodes[0]->error_code = 0x1100; // write timeout, every time
    auto o = cl.options();
    o.retry.max_retries = 3;
    session s(o);
    ASSERT_TRUE(s.start());
    auto p = s.prepare_sync("INSERT INTO t (k, v) VALUES (?, ?)");
    ASSERT_TRUE(p);

    auto once = s.execute_sync(*p, {value::text("a"), value::int_(1)});
    ASSERT_FALSE(once);
    EXPECT_EQ(once.error().code, errc::write_timeout);
    EXPECT_EQ(cl.total_executes(), 1) << "a non-idempotent write was sent again";

    statement_options idem;
    idem.idempotent = true;
    auto retried = s.execute_sync(*p, {value::text("a"), value::int_(1)}, idem);
    ASSERT_FALSE(retried);
    EXPECT_EQ(retried.error().code, errc::write_timeout);
    EXPECT_EQ(cl.total_executes(), 1 + 1 + 3);

    cl.nodes[0]->error_code = 0x2200; // invalid: never retried, even when idempotent
    auto invalid = s.execute_sync(*p, {value::text("a"), value::int_(1)}, idem);
    ASSERT_FALSE(invalid);
    EXPECT_EQ(invalid.error().code, errc::invalid);
    EXPECT_EQ(cl.total_executes(), 6);
}

TEST(cql_session, overloaded_idempotent_goes_to_another_host) {
    fake_cluster cl({{"dc1", -100}, {"dc1", 100}});
    cl.nodes[0]->error_code = 0x1001;
    session s(cl.options());
    ASSERT_TRUE(s.start());
    statement_options idem;
    idem.idempotent = true;
    for (int i = 0; i < 10; ++i) {
        auto r = s.query_sync("SELECT * FROM t", {}, idem);
        ASSERT_TRUE(r) << r.error().what();
    }
    EXPECT_EQ(cl.nodes[1]->executes.load(), 10);
}

TEST(cql_session, a_host_going_away_is_routed_around_and_the_control_connection_moves) {
    fake_cluster cl({{"dc1", -100}, {"dc1", 100}});
    auto o = cl.options();
    o.reconnect_every = std::chrono::milliseconds(20);
    session s(o);
    ASSERT_TRUE(s.start());
    cl.nodes[0]->server.reset(); // the contact point, with the control connection, goes away
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline && s.hosts()[0].up) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_FALSE(s.hosts()[0].up);
    EXPECT_TRUE(s.hosts()[1].up);
    for (int i = 0; i < 20; ++i) {
        auto r = s.query_sync("INSERT INTO t (k) VALUES ('x')");
        ASSERT_TRUE(r) << r.error().what();
    }
    EXPECT_EQ(cl.nodes[1]->executes.load(), 20);
}

TEST(cql_session, requests_from_many_threads) {
    fake_cluster cl({{"dc1", -100}, {"dc1", 100}, {"dc1", 300}});
    session s(cl.options());
    ASSERT_TRUE(s.start());
    auto p = s.prepare_sync("INSERT INTO t (k, v) VALUES (?, ?)");
    ASSERT_TRUE(p);
    std::atomic<int> good{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            std::vector<std::future<void>> waits;
            for (int i = 0; i < 200; ++i) {
                auto done = std::make_shared<std::promise<void>>();
                waits.push_back(done->get_future());
                s.execute(*p, {value::text("k" + std::to_string(t * 1000 + i)), value::int_(i)}, {},
                          [&, done](result<result_message> r) {
                              if (r) {
                                  ++good;
                              }
                              done->set_value();
                          });
            }
            for (auto& w : waits) {
                w.wait();
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    EXPECT_EQ(good.load(), 800);
    EXPECT_EQ(cl.total_executes(), 800);
    s.stop();
    auto after = s.query_sync("x");
    ASSERT_FALSE(after);
    EXPECT_EQ(after.error().code, errc::closed);
}

TEST(cql_session, schema_agreement) {
    fake_cluster cl({{"dc1", -100}, {"dc1", 100}, {"dc1", 300}});
    session s(cl.options());
    ASSERT_TRUE(s.start());
    EXPECT_TRUE(s.wait_for_schema_agreement(std::chrono::seconds(5)));
    cl.nodes[2]->schema = 2;
    auto r = s.wait_for_schema_agreement(std::chrono::milliseconds(300));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::timeout);
    EXPECT_NE(r.error().what().find("2 schema versions"), std::string::npos) << r.error().what();
    std::thread later([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        cl.nodes[2]->schema = 1;
    });
    EXPECT_TRUE(s.wait_for_schema_agreement(std::chrono::seconds(5)));
    later.join();
}

// A rolling upgrade: the second node refuses v5. Each host speaks its own
// version, and the session remembers it: connections opened to that node
// later (after a blip) ask for v4 at once, without being refused again.
TEST(cql_session, each_host_speaks_its_own_version_and_it_is_remembered) {
    fake_cluster cl({{"dc1", -100}, {"dc1", 100}, {"dc1", 300}});
    auto& old = *cl.nodes[1]->server;
    old.max_version = 4;
    auto o = cl.options();
    o.reconnect_every = std::chrono::milliseconds(20);
    session s(o);
    ASSERT_TRUE(s.start());
    std::map<std::string, int> versions;
    for (const auto& h : s.hosts()) {
        versions[h.address] = h.protocol_version;
    }
    EXPECT_EQ(versions, (std::map<std::string, int>{{"127.0.0.1", 5}, {"127.0.0.2", 4}, {"127.0.0.3", 5}}));
    auto endpoint = "127.0.0.2:" + std::to_string(cl.port);
    ASSERT_TRUE(s.probe(endpoint));
    EXPECT_EQ(s.probe(endpoint)->protocol_version(), 4);
    int refused = old.refused_versions.load();
    EXPECT_GE(refused, 1);

    int before = old.connections.load();
    old.drop_connections();
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline && old.connections.load() < before + 2) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_GE(old.connections.load(), before + 2);
    EXPECT_EQ(old.refused_versions.load(), refused) << "a new connection asked the v4 node for v5 again";
    for (int i = 0; i < 30; ++i) {
        auto r = s.query_sync("INSERT INTO t (k) VALUES ('x')");
        ASSERT_TRUE(r) << r.error().what();
    }
    EXPECT_GT(cl.nodes[1]->executes.load(), 0);
}

TEST(cql_session, a_forced_version_applies_to_every_host) {
    fake_cluster cl({{"dc1", -100}, {"dc1", 100}});
    auto o = cl.options();
    o.conn.protocol_version = protocol::v4;
    session s(o);
    ASSERT_TRUE(s.start());
    for (const auto& h : s.hosts()) {
        EXPECT_EQ(h.protocol_version, 4) << h.address;
    }
    EXPECT_EQ(cl.nodes[0]->server->last_version.load(), 4);
    auto p = s.prepare_sync("INSERT INTO t (k, v) VALUES (?, ?)");
    ASSERT_TRUE(p) << p.error().what();
    EXPECT_TRUE(s.execute_sync(*p, {value::text("k"), value::int_(1)}));
}

// The control connection up but the pool's connections slow to start (a
// loaded machine): requests wait for the pool, at most request_timeout,
// instead of failing at once. With the control connection gone too (the
// node down), they fail at once.
TEST(cql_session, requests_wait_for_a_pool_that_reconnects) {
    fake_cluster cl({{"dc1", 0}});
    auto& node = *cl.nodes[0]->server;
    auto o = cl.options();
    o.connections_per_host = 1;
    o.reconnect_every = std::chrono::milliseconds(50);
    o.conn.connect_timeout = std::chrono::milliseconds(200);
    o.conn.request_timeout = std::chrono::seconds(10);
    node.startup_limit = 1; // the control connection's, then none
    session s(o);
    ASSERT_TRUE(s.start());
    ASSERT_FALSE(s.hosts()[0].up);
    std::thread later([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        node.startup_limit = std::numeric_limits<int>::max();
    });
    auto p = s.prepare_sync("INSERT INTO t (k, v) VALUES (?, ?)");
    auto q = s.query_sync("INSERT INTO t (k) VALUES ('x')");
    later.join();
    ASSERT_TRUE(p) << p.error().what();
    ASSERT_TRUE(q) << q.error().what();
    EXPECT_TRUE(s.execute_sync(*p, {value::text("k"), value::int_(1)}));
    s.stop();

    // Not forever: a request gives up after request_timeout.
    o.conn.request_timeout = std::chrono::milliseconds(300);
    node.startup_limit = node.startups.load() + 1;
    session t(o);
    ASSERT_TRUE(t.start());
    auto r = t.query_sync("INSERT INTO t (k) VALUES ('x')");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::no_host_available) << r.error().what();
    auto r2 = t.prepare_sync("INSERT INTO t (k) VALUES (?)");
    ASSERT_FALSE(r2);
    EXPECT_EQ(r2.error().code, errc::no_host_available) << r2.error().what();
    t.stop();

    // Every connection gone, the control connection too: at once, not
    // after the minute a wait would take.
    o.conn.request_timeout = std::chrono::seconds(60);
    node.startup_limit = node.startups.load() + 1;
    session u(o);
    ASSERT_TRUE(u.start());
    node.startup_limit = node.startups.load();
    node.drop_connections();
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline && u.hosts()[0].up) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    auto t0 = std::chrono::steady_clock::now();
    auto r3 = u.query_sync("INSERT INTO t (k) VALUES ('x')");
    ASSERT_FALSE(r3);
    EXPECT_EQ(r3.error().code, errc::no_host_available) << r3.error().what();
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(30))
        << "it waited for a node that is down";
}

TEST(cql_session, no_contact_point_answers) {
    session_options o;
    o.contact_points = {"127.0.0.1:1"};
    o.conn.connect_timeout = std::chrono::seconds(2);
    session s(o);
    auto r = s.start();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::no_host_available);
    EXPECT_NE(r.error().what().find("127.0.0.1:1"), std::string::npos) << r.error().what();
}

TEST(cql_session, wrong_credentials_stop_at_once) {
    fake_cluster cl({{"dc1", 0}});
    cl.nodes[0]->server->user = "mdsp";
    cl.nodes[0]->server->password = "pw";
    auto o = cl.options();
    o.conn.auth = credentials{"mdsp", "not-pw"};
    session s(o);
    auto r = s.start();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::bad_credentials);
    EXPECT_NE(r.error().what().find("'mdsp'"), std::string::npos);
}

} // namespace
} // namespace mdsp::cql
