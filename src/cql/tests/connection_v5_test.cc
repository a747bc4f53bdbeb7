// A connection and the protocol versions: v5 asked for and agreed, the
// fallback to v4 when a server refuses it, a forced version, segments on
// the wire (split frames, LZ4, corrupt CRCs), and v5's result metadata ids.
#include <chrono>
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
using testing::io_thread;
using testing::opts_for;

std::string echoed(const result<result_message>& r) {
    if (!r) {
        return "error: " + r.error().what();
    }
    if (r->rows.size() != 1) {
        return "no row";
    }
    auto t = r->rows.row(0).text(0);
    return t && *t ? **t : "null";
}

TEST(cql_protocol, v5_is_asked_for_and_agreed) {
    fake_server srv(echo);
    io_thread io;
    auto c = connection::create(io.io.get_executor(), opts_for(srv));
    auto st = c->start_sync();
    ASSERT_TRUE(st) << st.error().what();
    EXPECT_EQ(c->protocol_version(), protocol::v5);
    EXPECT_EQ(srv.last_version.load(), 5);
    EXPECT_EQ(srv.refused_versions.load(), 0);
    EXPECT_EQ(echoed(c->query_sync("over segments", {})), "over segments");
}

// As Cassandra 3.x and ScyllaDB do: the first request (OPTIONS, in v5) is
// answered by a v4 PROTOCOL_ERROR and the socket closed; the connection
// connects again in v4 and start succeeds, once.
TEST(cql_protocol, a_server_that_refuses_v5_is_spoken_to_in_v4) {
    fake_server srv(echo);
    srv.max_version = 4;
    io_thread io;
    auto c = connection::create(io.io.get_executor(), opts_for(srv));
    auto st = c->start_sync();
    ASSERT_TRUE(st) << st.error().what();
    EXPECT_EQ(c->protocol_version(), protocol::v4);
    EXPECT_EQ(srv.refused_versions.load(), 1);
    EXPECT_EQ(srv.connections.load(), 2);
    EXPECT_EQ(srv.startups.load(), 1);
    EXPECT_EQ(srv.last_version.load(), 4);
    EXPECT_EQ(echoed(c->query_sync("in v4", {})), "in v4");
}

TEST(cql_protocol, the_fallback_works_with_tls_authentication_and_lz4) {
    fake_server srv(echo);
    mdsp::testing::temp_dir dir("cql-v5-tls");
    ASSERT_TRUE(srv.enable_tls(dir.path().string())) << "openssl could not make a certificate";
    srv.user = "u";
    srv.password = "p";
    io_thread io;
    auto o = opts_for(srv);
    o.tls.enabled = true;
    o.tls.ca_file = (dir.path() / "cert.pem").string();
    o.auth = credentials{"u", "p"};
    o.lz4 = true;
    o.compress_min_bytes = 64;
    std::string big = "SELECT '" + std::string(5000, 'x') + "'";
    for (int max_version : {5, 4}) {
        srv.max_version = max_version;
        auto c = connection::create(io.io.get_executor(), o);
        auto st = c->start_sync();
        ASSERT_TRUE(st) << st.error().what();
        EXPECT_EQ(int(c->protocol_version()), max_version);
        EXPECT_EQ(echoed(c->query_sync(big, {})), big);
    }
    EXPECT_EQ(srv.refused_versions.load(), 1);
    EXPECT_GE(srv.compressed_requests.load(), 2); // an LZ4 segment (v5), an LZ4 frame (v4)
}

TEST(cql_protocol, a_forced_version_is_not_negotiated) {
    fake_server srv(echo);
    io_thread io;
    auto o = opts_for(srv);
    o.protocol_version = protocol::v4;
    auto v4 = connection::create(io.io.get_executor(), o);
    ASSERT_TRUE(v4->start_sync());
    EXPECT_EQ(v4->protocol_version(), protocol::v4);
    EXPECT_EQ(srv.last_version.load(), 4);
    EXPECT_EQ(echoed(v4->query_sync("forced v4", {})), "forced v4");

    srv.max_version = 4;
    o.protocol_version = protocol::v5;
    auto v5 = connection::create(io.io.get_executor(), o);
    auto r = v5->start_sync();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::unsupported);
    EXPECT_NE(r.error().what().find("refuses CQL native protocol v5"), std::string::npos) << r.error().what();
    EXPECT_NE(r.error().what().find("protocol_version"), std::string::npos) << r.error().what();
    EXPECT_EQ(srv.connections.load(), 2); // no second try
    EXPECT_FALSE(v5->is_open());
}

// The session's memory of a host: asked first, and unlike a forced version
// it may still fall back.
TEST(cql_protocol, a_hint_is_asked_first) {
    fake_server srv(echo);
    io_thread io;
    auto o = opts_for(srv);
    o.protocol_hint = protocol::v4;
    auto c = connection::create(io.io.get_executor(), o);
    ASSERT_TRUE(c->start_sync());
    EXPECT_EQ(c->protocol_version(), protocol::v4);
    EXPECT_EQ(srv.last_version.load(), 4);

    srv.max_version = 4;
    o.protocol_hint = protocol::v5;
    auto again = connection::create(io.io.get_executor(), o);
    ASSERT_TRUE(again->start_sync());
    EXPECT_EQ(again->protocol_version(), protocol::v4);
    EXPECT_EQ(srv.refused_versions.load(), 1);
}

// A server older than Cassandra 2.2 refuses v5, then v4: a clear error.
TEST(cql_protocol, a_v3_server_is_refused_with_a_clear_error) {
    fake_server srv(echo);
    srv.max_version = 3;
    io_thread io;
    auto c = connection::create(io.io.get_executor(), opts_for(srv));
    auto r = c->start_sync();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::unsupported);
    EXPECT_NE(r.error().what().find("v4 at least"), std::string::npos) << r.error().what();
    EXPECT_EQ(srv.refused_versions.load(), 2);
}

// Frames above a segment's 128 KiB - 1 go split over several, both ways;
// with LZ4 too.
TEST(cql_protocol, large_frames_are_split_over_segments) {
    fake_server srv(echo);
    io_thread io;
    for (bool lz4 : {false, true}) {
        auto o = opts_for(srv);
        o.lz4 = lz4;
        auto c = connection::create(io.io.get_executor(), o);
        ASSERT_TRUE(c->start_sync());
        ASSERT_EQ(c->protocol_version(), protocol::v5);
        std::string big(3 * max_segment_payload + 17, 'a');
        for (size_t i = 0; i < big.size(); i += 7) {
            big[i] = char('a' + i % 26); // not all alike, so LZ4 has work
        }
        EXPECT_EQ(echoed(c->query_sync(big, {})), big) << "lz4 " << lz4;
        EXPECT_EQ(echoed(c->query_sync("small after big", {})), "small after big");
    }
}

// The server answers with a segment whose payload (or header) was damaged
// in transit: the connection closes, every request on it fails with
// errc::corrupt_segment, and the message says which check failed.
TEST(cql_protocol, a_corrupt_segment_closes_the_connection) {
    for (bool header : {false, true}) {
        fake_server srv([header](fake_server::session& s, const frame_header& h, const std::string&) {
            auto seg = encode_segment(
                encode_frame(opcode::result, h.stream, testing::void_body(), 0, true, s.version()), true,
                false);
            seg[header ? 1 : segment_header_size + 3] ^= 0x20;
            s.raw_bytes(seg);
        });
        io_thread io;
        auto c = connection::create(io.io.get_executor(), opts_for(srv));
        ASSERT_TRUE(c->start_sync());
        auto r = c->query_sync("q", {});
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().code, errc::corrupt_segment);
        EXPECT_NE(r.error().what().find(header ? "CRC24" : "CRC32"), std::string::npos) << r.error().what();
        EXPECT_NE(r.error().what().find("closing the connection"), std::string::npos) << r.error().what();
        EXPECT_FALSE(c->is_open());
        EXPECT_EQ(c->query_sync("again", {}).error().code, errc::corrupt_segment);
    }
}

// v5 (CASSANDRA-10786): EXECUTE carries the result metadata id; when the
// table changed since PREPARE the server sends the new metadata with
// Metadata_changed and its id, the statement keeps both, and the next
// EXECUTE sends the new id (and gets rows without metadata again).
TEST(cql_protocol, changed_result_metadata_replaces_the_prepared_statements) {
    std::atomic<bool> altered{false};
    std::vector<std::string> ids_seen;
    fake_server srv([&](fake_server::session& s, const frame_header& h, const std::string& body) {
        auto q = testing::parse_request(h, body);
        std::vector<testing::col> old_cols{{"v", type_id::varchar}};
        std::vector<testing::col> new_cols{{"v", type_id::varchar}, {"w", type_id::int_}};
        if (h.op == opcode::prepare) {
            return s.reply(h.stream, opcode::result,
                           testing::prepared_body(s.version(), "ID1", {}, {}, old_cols, "M1"));
        }
        if (h.op == opcode::query) {
            altered = true;
            return s.reply(h.stream, opcode::result, testing::void_body());
        }
        ids_seen.push_back(q.result_metadata_id);
        if (!altered) {
            return s.reply(h.stream, opcode::result,
                           testing::rows_body(old_cols, {{std::string("a")}}, {}, true, true));
        }
        if (q.result_metadata_id != "M2") {
            return s.reply(h.stream, opcode::result,
                           testing::rows_body(new_cols, {{std::string("b"), value::int_(7).bytes()}}, {},
                                              true, false, std::string("M2")));
        }
        s.reply(h.stream, opcode::result,
                testing::rows_body(new_cols, {{std::string("c"), value::int_(8).bytes()}}, {}, true, true));
    });
    io_thread io;
    auto c = connection::create(io.io.get_executor(), opts_for(srv));
    ASSERT_TRUE(c->start_sync());
    auto p = c->prepare_sync("SELECT * FROM t");
    ASSERT_TRUE(p) << p.error().what();
    EXPECT_EQ((*p)->result()->metadata_id, "M1");
    query_params qp;
    qp.skip_metadata = true;
    auto first = c->execute_sync(*p, qp);
    ASSERT_TRUE(first) << first.error().what();
    EXPECT_EQ(**first->rows.row(0).text(0), "a");

    ASSERT_TRUE(c->query_sync("ALTER TABLE t ADD w int", {}));
    auto changed = c->execute_sync(*p, qp);
    ASSERT_TRUE(changed) << changed.error().what();
    EXPECT_EQ(changed->rows.meta.column_count, 2);
    EXPECT_EQ(**changed->rows.row(0).int_(1), 7);
    EXPECT_EQ((*p)->result()->metadata_id, "M2");
    EXPECT_EQ((*p)->result()->meta.columns.size(), 2u);
    EXPECT_FALSE((*p)->result()->meta.paging_state);

    auto after = c->execute_sync(*p, qp); // rows without metadata, typed by the new one
    ASSERT_TRUE(after) << after.error().what();
    EXPECT_EQ(**after->rows.row(0).text(0), "c");
    EXPECT_EQ(**after->rows.row(0).int_(1), 8);
    EXPECT_EQ(ids_seen, (std::vector<std::string>{"M1", "M1", "M2"}));
}

// A v4 connection never sends or expects a result metadata id.
TEST(cql_protocol, v4_has_no_result_metadata_id) {
    fake_server srv([](fake_server::session& s, const frame_header& h, const std::string& body) {
        auto q = testing::parse_request(h, body);
        EXPECT_TRUE(q.ok);
        if (h.op == opcode::prepare) {
            return s.reply(h.stream, opcode::result,
                           testing::prepared_body(s.version(), "ID1", {{"k", type_id::int_}}, {0}, {}));
        }
        EXPECT_EQ(q.id, "ID1");
        s.reply(h.stream, opcode::result, testing::void_body());
    });
    srv.max_version = 4;
    io_thread io;
    auto c = connection::create(io.io.get_executor(), opts_for(srv));
    ASSERT_TRUE(c->start_sync());
    ASSERT_EQ(c->protocol_version(), protocol::v4);
    auto p = c->prepare_sync("INSERT INTO t (k) VALUES (?)");
    ASSERT_TRUE(p) << p.error().what();
    EXPECT_EQ((*p)->result()->metadata_id, "");
    query_params qp;
    qp.values = {value::int_(1)};
    EXPECT_TRUE(c->execute_sync(*p, qp));
}

} // namespace
} // namespace mdsp::cql
