#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "cql/connection.h"
#include "cql/tests/connection_rig.h"
#include "cql/tests/fake_server.h"
#include "testing/temp_dir.h"

namespace mdsp::cql {
namespace {

using testing::fake_server;
namespace asio = boost::asio;

using testing::echo;
using testing::echo_rows;
using testing::io_thread;
using testing::opts_for;

TEST(cql_connection, startup_query_and_blocking_wrappers) {
    fake_server srv(echo);
    io_thread io;
    auto c = connection::create(io.io.get_executor(), opts_for(srv));
    auto st = c->start_sync();
    ASSERT_TRUE(st) << st.error().what();
    EXPECT_TRUE(c->is_open());
    EXPECT_EQ(c->supported().at("COMPRESSION").size(), 2u);
    auto r = c->query_sync("SELECT now() FROM system.local", {});
    ASSERT_TRUE(r) << r.error().what();
    ASSERT_EQ(r->rows.size(), 1u);
    EXPECT_EQ(**r->rows.row(0).text(0), "SELECT now() FROM system.local");
    c->close();
    auto after = c->query_sync("x", {});
    ASSERT_FALSE(after);
    EXPECT_EQ(after.error().code, errc::closed);
}

TEST(cql_connection, password_authentication) {
    fake_server srv(echo);
    srv.user = "mdsp";
    srv.password = "right-password";
    io_thread io;
    auto o = opts_for(srv);
    o.auth = credentials{"mdsp", "right-password"};
    auto good = connection::create(io.io.get_executor(), o);
    ASSERT_TRUE(good->start_sync());
    EXPECT_TRUE(good->query_sync("q", {}));

    o.auth = credentials{"mdsp", "wrong-password"};
    auto bad = connection::create(io.io.get_executor(), o);
    auto r = bad->start_sync();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::bad_credentials);
    EXPECT_NE(r.error().what().find("'mdsp'"), std::string::npos) << r.error().what();
    EXPECT_NE(r.error().what().find("MDSP_CASSANDRA_PASSWORD"), std::string::npos);
    EXPECT_EQ(r.error().what().find("wrong-password"), std::string::npos) << "the password leaked";
    EXPECT_FALSE(bad->is_open());

    o.auth.reset();
    auto none = connection::create(io.io.get_executor(), o);
    auto n = none->start_sync();
    ASSERT_FALSE(n);
    EXPECT_EQ(n.error().code, errc::auth_required);
    EXPECT_NE(n.error().what().find("PasswordAuthenticator"), std::string::npos);
}

TEST(cql_connection, connect_failure_is_a_clear_error) {
    io_thread io;
    connection_options o;
    {
        fake_server srv(echo);
        o.port = srv.port();
    } // the port is closed now
    auto c = connection::create(io.io.get_executor(), o);
    auto r = c->start_sync();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::connect_failed);
    EXPECT_NE(r.error().what().find(std::to_string(o.port)), std::string::npos);
}

// The server holds requests until it has a window's worth, then answers
// them newest first; with a smaller window than requests, some wait in the
// client's queue. Every answer reaches its own request.
TEST(cql_connection, many_in_flight_answered_out_of_order) {
    constexpr size_t window = 50;
    constexpr size_t total = 500;
    std::vector<std::pair<int16_t, std::string>> held;
    fake_server* srv_ptr = nullptr;
    fake_server srv([&](fake_server::session& s, const frame_header& h, const std::string& body) {
        held.emplace_back(h.stream, testing::parse_request(h, body).text);
        if (held.size() == window) {
            for (auto it = held.rbegin(); it != held.rend(); ++it) {
                s.reply(it->first, opcode::result, echo_rows(it->second));
            }
            held.clear();
        }
    });
    srv_ptr = &srv;
    io_thread io;
    auto o = opts_for(srv);
    o.max_in_flight = window;
    o.max_queued = total;
    auto c = connection::create(io.io.get_executor(), o);
    ASSERT_TRUE(c->start_sync());
    std::atomic<size_t> good{0}, done{0};
    std::promise<void> all;
    size_t max_seen = 0;
    for (size_t i = 0; i < total; ++i) {
        std::string q = "q" + std::to_string(i);
        c->query(q, {}, [&, q](result<result_message> r) {
            if (r && r->rows.size() == 1 && **r->rows.row(0).text(0) == q) {
                ++good;
            }
            if (++done == total) {
                all.set_value();
            }
        });
        max_seen = std::max(max_seen, c->in_flight());
    }
    ASSERT_EQ(all.get_future().wait_for(std::chrono::seconds(30)), std::future_status::ready);
    EXPECT_EQ(good.load(), total);
    EXPECT_LE(max_seen, window);
    EXPECT_EQ(c->in_flight(), 0u);
    (void)srv_ptr;
}

TEST(cql_connection, full_window_and_queue_push_back_with_busy) {
    fake_server srv([](fake_server::session&, const frame_header&, const std::string&) {}); // never answers
    io_thread io;
    auto o = opts_for(srv);
    o.max_in_flight = 2;
    o.max_queued = 3;
    o.request_timeout = std::chrono::seconds(30);
    auto c = connection::create(io.io.get_executor(), o);
    ASSERT_TRUE(c->start_sync());
    std::promise<result<result_message>> sixth;
    for (int i = 0; i < 5; ++i) {
        c->query("q", {}, [](result<result_message>) {});
    }
    c->query("q", {}, [&](result<result_message> r) { sixth.set_value(std::move(r)); });
    auto f = sixth.get_future();
    ASSERT_EQ(f.wait_for(std::chrono::seconds(5)), std::future_status::ready);
    auto r = f.get();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::busy);
    c->close(); // the five held requests fail with closed
    EXPECT_EQ(c->query_sync("q", {}).error().code, errc::closed);
}

TEST(cql_connection, unprepared_is_prepared_again_and_executed_once_more) {
    std::atomic<int> prepares{0}, executes{0};
    bool forgotten = false;
    fake_server srv([&](fake_server::session& s, const frame_header& h, const std::string& body) {
        auto q = testing::parse_request(h, body);
        if (h.op == opcode::prepare) {
            ++prepares;
            forgotten = false;
            return s.reply(h.stream, opcode::result,
                           testing::prepared_body(s.version(), "ID1", {{"a", type_id::int_}}, {0},
                                                  {{"v", type_id::varchar}}));
        }
        if (h.op == opcode::execute) {
            ++executes;
            if (forgotten || q.id != "ID1") {
                return s.reply(h.stream, opcode::error, testing::unprepared_body(q.id));
            }
            return s.reply(
                h.stream, opcode::result,
                testing::rows_body({{"v", type_id::varchar}}, {{std::string("ok")}}, {}, true, true));
        }
        if (h.op == opcode::query && q.text == "forget") {
            forgotten = true; // as after a restart of the node
            return s.reply(h.stream, opcode::result, testing::void_body());
        }
    });
    io_thread io;
    auto c = connection::create(io.io.get_executor(), opts_for(srv));
    ASSERT_TRUE(c->start_sync());
    auto p = c->prepare_sync("SELECT v FROM t WHERE a = ?");
    ASSERT_TRUE(p) << p.error().what();
    EXPECT_EQ((*p)->bind.pk_indexes, std::vector<uint16_t>{0});
    query_params qp;
    qp.values = {value::int_(1)};
    qp.skip_metadata = true;
    auto r = c->execute_sync(*p, qp);
    ASSERT_TRUE(r) << r.error().what();
    // rows came without metadata; the prepared result metadata types them
    EXPECT_EQ(**r->rows.row(0).text(0), "ok");
    ASSERT_TRUE(c->query_sync("forget", {}));
    auto again = c->execute_sync(*p, qp);
    ASSERT_TRUE(again) << again.error().what();
    EXPECT_EQ(prepares.load(), 2);
    EXPECT_EQ(executes.load(), 3);
}

TEST(cql_connection, timeout_then_late_answer_is_dropped) {
    std::vector<int16_t> slow;
    fake_server srv([&](fake_server::session& s, const frame_header& h, const std::string& body) {
        auto q = testing::parse_request(h, body);
        if (q.text == "slow") {
            slow.push_back(h.stream);
            return;
        }
        for (auto id : slow) { // the late answer, before this one's
            s.reply(id, opcode::result, echo_rows("late"));
        }
        slow.clear();
        s.reply(h.stream, opcode::result, echo_rows(q.text));
    });
    io_thread io;
    auto o = opts_for(srv);
    o.request_timeout = std::chrono::milliseconds(200);
    auto c = connection::create(io.io.get_executor(), o);
    ASSERT_TRUE(c->start_sync());
    auto r = c->query_sync("slow", {});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::timeout);
    EXPECT_NE(r.error().what().find("200 ms"), std::string::npos);
    auto next = c->query_sync("fast", {});
    ASSERT_TRUE(next) << next.error().what();
    EXPECT_EQ(**next->rows.row(0).text(0), "fast");
    EXPECT_TRUE(c->is_open());
}

// In v4 a frame header on the wire; in v5 one alone in a segment, or the
// start of a frame split over segments: the same bound either way.
TEST(cql_connection, huge_frame_length_closes_with_a_bounded_error) {
    for (int max_version : {4, 5}) {
        for (bool split : {false, true}) {
            fake_server srv([split](fake_server::session& s, const frame_header& h, const std::string&) {
                auto f = encode_frame(opcode::result, h.stream, "", 0, true, s.version());
                f.replace(5, 4, std::string("\x7f\xff\xff\xff", 4)); // 2 GiB, and nothing follows
                s.raw_bytes(s.version() == protocol::v4 ? f : encode_segment(f, !split, false));
            });
            srv.max_version = max_version;
            io_thread io;
            auto o = opts_for(srv);
            o.lim.max_frame_bytes = 1 << 20;
            auto c = connection::create(io.io.get_executor(), o);
            ASSERT_TRUE(c->start_sync());
            auto r = c->query_sync("q", {});
            ASSERT_FALSE(r);
            EXPECT_EQ(r.error().code, errc::frame_too_large) << r.error().what();
            EXPECT_NE(r.error().what().find("2147483647"), std::string::npos) << r.error().what();
            EXPECT_FALSE(c->is_open());
            EXPECT_EQ(c->query_sync("again", {}).error().code, errc::frame_too_large);
        }
    }
}

TEST(cql_connection, malformed_rows_fail_that_request_only) {
    fake_server srv([](fake_server::session& s, const frame_header& h, const std::string& body) {
        auto q = testing::parse_request(h, body);
        if (q.text == "bad") {
            auto rows = echo_rows("x");
            rows.replace(rows.size() - 5, 4,
                         std::string("\x7f\0\0\0", 4)); // a cell far longer than the frame
            return s.reply(h.stream, opcode::result, rows);
        }
        s.reply(h.stream, opcode::result, echo_rows(q.text));
    });
    io_thread io;
    auto c = connection::create(io.io.get_executor(), opts_for(srv));
    ASSERT_TRUE(c->start_sync());
    auto r = c->query_sync("bad", {});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::malformed_frame);
    EXPECT_TRUE(c->query_sync("good", {}));
}

TEST(cql_connection, paging_state_round_trip) {
    fake_server srv([](fake_server::session& s, const frame_header& h, const std::string& body) {
        auto q = testing::parse_request(h, body);
        std::vector<testing::col> cols{{"n", type_id::int_}};
        if (!q.paging_state) {
            return s.reply(h.stream, opcode::result,
                           testing::rows_body(cols, {{value::int_(1).bytes()}}, std::string("P2")));
        }
        EXPECT_EQ(*q.paging_state, "P2");
        EXPECT_EQ(q.page_size, 1);
        s.reply(h.stream, opcode::result, testing::rows_body(cols, {{value::int_(2).bytes()}}));
    });
    io_thread io;
    auto c = connection::create(io.io.get_executor(), opts_for(srv));
    ASSERT_TRUE(c->start_sync());
    query_params p;
    p.page_size = 1;
    std::vector<int32_t> got;
    for (int page = 0; page < 5; ++page) {
        auto r = c->query_sync("SELECT n FROM t", p);
        ASSERT_TRUE(r) << r.error().what();
        got.push_back(**r->rows.row(0).int_(0));
        if (!r->rows.meta.has_more_pages) {
            break;
        }
        p.paging_state = r->rows.meta.paging_state;
    }
    EXPECT_EQ(got, (std::vector<int32_t>{1, 2}));
}

TEST(cql_connection, events_after_register) {
    fake_server srv([](fake_server::session& s, const frame_header& h, const std::string&) {
        if (h.op != opcode::register_) {
            return;
        }
        s.reply(h.stream, opcode::ready, "");
        internal::writer w;
        w.string("TOPOLOGY_CHANGE");
        w.string("NEW_NODE");
        w.u8(4);
        w.raw(std::string("\x7f\0\0\x03", 4));
        w.i32(9042);
        s.reply(-1, opcode::event, w.out());
    });
    io_thread io;
    auto c = connection::create(io.io.get_executor(), opts_for(srv));
    ASSERT_TRUE(c->start_sync());
    std::promise<event> got;
    std::promise<result<void>> registered;
    c->register_events(
        {"TOPOLOGY_CHANGE", "STATUS_CHANGE"}, [&](const event& e) { got.set_value(e); },
        [&](result<void> r) { registered.set_value(r); });
    ASSERT_TRUE(registered.get_future().get());
    auto f = got.get_future();
    ASSERT_EQ(f.wait_for(std::chrono::seconds(5)), std::future_status::ready);
    auto e = f.get();
    EXPECT_EQ(e.change, "NEW_NODE");
    EXPECT_EQ(e.address, "127.0.0.3");
}

TEST(cql_connection, lz4_compression_both_ways) {
    fake_server srv(echo);
    io_thread io;
    auto o = opts_for(srv);
    o.lz4 = true;
    o.compress_min_bytes = 64;
    auto c = connection::create(io.io.get_executor(), o);
    ASSERT_TRUE(c->start_sync());
    std::string big = "SELECT '" + std::string(5000, 'x') + "' FROM system.local";
    auto r = c->query_sync(big, {});
    ASSERT_TRUE(r) << r.error().what();
    EXPECT_EQ(**r->rows.row(0).text(0), big);
    EXPECT_GE(srv.compressed_requests.load(), 1);

    // With authentication, whose answers come compressed already.
    srv.user = "u";
    srv.password = "p";
    o.auth = credentials{"u", "p"};
    auto authed = connection::create(io.io.get_executor(), o);
    auto a = authed->start_sync();
    ASSERT_TRUE(a) << a.error().what();
    EXPECT_TRUE(authed->query_sync("after auth", {}));

    srv.offer_lz4 = false;
    auto no = connection::create(io.io.get_executor(), o);
    auto n = no->start_sync();
    ASSERT_FALSE(n);
    EXPECT_EQ(n.error().code, errc::unsupported);
}

TEST(cql_connection, an_unanswered_heartbeat_closes_an_idle_connection) {
    fake_server srv(echo);
    io_thread io;
    auto o = opts_for(srv);
    o.heartbeat_every = std::chrono::milliseconds(100);
    o.request_timeout = std::chrono::milliseconds(200);
    auto c = connection::create(io.io.get_executor(), o);
    ASSERT_TRUE(c->start_sync());
    std::this_thread::sleep_for(std::chrono::milliseconds(400)); // heartbeats answered: still open
    EXPECT_TRUE(c->is_open());
    srv.answer_options = false;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (c->is_open() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_FALSE(c->is_open());
    auto r = c->query_sync("q", {});
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().what().find("heartbeat"), std::string::npos) << r.error().what();
}

TEST(cql_connection, tls_verifies_the_certificate_and_the_host_name) {
    fake_server srv(echo);
    mdsp::testing::temp_dir dir("cql-tls");
    ASSERT_TRUE(srv.enable_tls(dir.path().string())) << "openssl could not make a certificate";
    io_thread io;
    auto o = opts_for(srv);
    o.tls.enabled = true;

    // Self-signed, not trusted: refused, and the error says what to check.
    auto untrusted = connection::create(io.io.get_executor(), o);
    auto u = untrusted->start_sync();
    ASSERT_FALSE(u);
    EXPECT_EQ(u.error().code, errc::tls_error);
    EXPECT_NE(u.error().what().find("ca_file"), std::string::npos) << u.error().what();

    // Trusted, and valid for 127.0.0.1.
    o.tls.ca_file = (dir.path() / "cert.pem").string();
    auto trusted = connection::create(io.io.get_executor(), o);
    auto t = trusted->start_sync();
    ASSERT_TRUE(t) << t.error().what();
    auto r = trusted->query_sync("over TLS", {});
    ASSERT_TRUE(r) << r.error().what();
    EXPECT_EQ(**r->rows.row(0).text(0), "over TLS");

    // Trusted, but not for this name.
    o.tls.server_name = "cassandra.example.org";
    auto wrong_name = connection::create(io.io.get_executor(), o);
    auto w = wrong_name->start_sync();
    ASSERT_FALSE(w);
    EXPECT_EQ(w.error().code, errc::tls_error);
    EXPECT_NE(w.error().what().find("cassandra.example.org"), std::string::npos);
}

} // namespace
} // namespace mdsp::cql
