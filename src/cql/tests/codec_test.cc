#include <limits>

#include <gtest/gtest.h>

#include "cql/frame.h"
#include "cql/messages.h"
#include "cql/tests/builders.h"

namespace mdsp::cql {
namespace {

using testing::col;

std::string be32(int32_t v) {
    internal::writer w;
    w.i32(v);
    return w.take();
}

TEST(cql_frame, header_round_trip) {
    auto f = encode_frame(opcode::result, 1234, "abc", flag_warning, true);
    ASSERT_EQ(f.size(), header_size + 3);
    auto h = decode_header(f, limits{});
    ASSERT_TRUE(h) << h.error().what();
    EXPECT_EQ(h->version, 0x84);
    EXPECT_EQ(h->stream, 1234);
    EXPECT_EQ(h->op, opcode::result);
    EXPECT_EQ(h->flags, flag_warning);
    EXPECT_EQ(h->length, 3u);
    auto ev = decode_header(encode_frame(opcode::event, -1, "", 0, true), limits{});
    ASSERT_TRUE(ev);
    EXPECT_EQ(ev->stream, -1);
}

TEST(cql_frame, hostile_headers_are_refused_before_any_body) {
    limits lim;
    lim.max_frame_bytes = 1024;
    auto huge = encode_frame(opcode::result, 1, "", 0, true);
    huge.replace(5, 4, be32(1025));
    auto h = decode_header(huge, lim);
    ASSERT_FALSE(h);
    EXPECT_EQ(h.error().code, errc::frame_too_large);
    EXPECT_NE(h.error().what().find("1025"), std::string::npos);
    huge.replace(5, 4, be32(-1)); // 4 GiB - 1 as an unsigned length
    h = decode_header(huge, lim);
    ASSERT_FALSE(h);
    EXPECT_EQ(h.error().code, errc::frame_too_large);

    // v3 to v5 share the 9-byte header (a v3 refusal must be readable); v1
    // and v2 do not, and v6 is unknown.
    for (uint8_t v : {0x81, 0x82, 0x86, 0xff}) {
        auto other = encode_frame(opcode::result, 1, "", 0, true);
        other[0] = char(v);
        EXPECT_EQ(decode_header(other, lim).error().code, errc::unsupported) << int(v);
    }
    auto v5 = decode_header(encode_frame(opcode::result, 1, "", 0, true, protocol::v5), lim);
    ASSERT_TRUE(v5);
    EXPECT_EQ(v5->version, 0x85);
    auto bad_op = encode_frame(opcode::result, 1, "", 0, true);
    bad_op[4] = 0x04;
    EXPECT_EQ(decode_header(bad_op, lim).error().code, errc::malformed_frame);
    EXPECT_EQ(decode_header("short", lim).error().code, errc::malformed_frame);
}

TEST(cql_frame, envelope_warnings_tracing_payload) {
    internal::writer w;
    w.raw(std::string(16, 'T'));
    w.string_list({"careful"});
    w.u16(1);
    w.string("k");
    w.bytes("v");
    w.raw(testing::void_body());
    frame_header h;
    h.flags = flag_tracing | flag_warning | flag_custom_payload;
    auto m = open_body(h, w.take(), limits{}, false);
    ASSERT_TRUE(m) << m.error().what();
    EXPECT_TRUE(m->traced);
    ASSERT_EQ(m->warnings.size(), 1u);
    EXPECT_EQ(m->warnings[0], "careful");
    auto r = decode_result(m->bytes, limits{}, protocol::v4);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->kind, result_kind::void_);
}

TEST(cql_frame, lz4_round_trip_and_bounds) {
    std::string body(10000, 'x');
    body += "tail";
    auto c = lz4_compress(body);
    EXPECT_LT(c.size(), body.size());
    auto d = lz4_decompress(c, 1 << 20);
    ASSERT_TRUE(d) << d.error().what();
    EXPECT_EQ(*d, body);
    EXPECT_EQ(lz4_decompress(c, 100).error().code, errc::frame_too_large);
    auto broken = c.substr(0, c.size() - 3);
    EXPECT_EQ(lz4_decompress(broken, 1 << 20).error().code, errc::malformed_frame);
    frame_header h;
    h.flags = flag_compression;
    EXPECT_EQ(open_body(h, c, limits{}, false).error().code, errc::malformed_frame);
    auto m = open_body(h, c, limits{}, true);
    ASSERT_TRUE(m);
    EXPECT_EQ(m->bytes, body);
}

TEST(cql_values, encodings) {
    EXPECT_EQ(value::bigint(1).bytes(), std::string("\0\0\0\0\0\0\0\1", 8));
    EXPECT_EQ(value::int_(-2).bytes(), "\xff\xff\xff\xfe");
    EXPECT_EQ(value::boolean(true).bytes(), "\1");
    EXPECT_EQ(value::date(0).bytes(), std::string("\x80\0\0\0", 4));
    EXPECT_EQ(value::date(-1).bytes(), "\x7f\xff\xff\xff");
    EXPECT_EQ(value::double_(1.0).bytes(), std::string("\x3f\xf0\0\0\0\0\0\0", 8));
    EXPECT_EQ(value::null().kind(), value::state::null);
    EXPECT_EQ(value::unset().kind(), value::state::unset);
}

TEST(cql_requests, query_and_execute_parameters) {
    query_params p;
    p.cl = consistency::local_quorum;
    p.values = {value::text("AAPL"), value::null(), value::unset(), value::bigint(7)};
    p.page_size = 500;
    p.paging_state = std::string("\x01\x02", 2);
    auto q = encode_query("SELECT * FROM t WHERE a = ?", p, protocol::v4);
    ASSERT_TRUE(q) << q.error().what();
    auto back = testing::parse_request(opcode::query, *q, protocol::v4);
    ASSERT_TRUE(back.ok);
    EXPECT_EQ(back.text, "SELECT * FROM t WHERE a = ?");
    EXPECT_EQ(back.cl, consistency::local_quorum);
    ASSERT_EQ(back.values.size(), 4u);
    EXPECT_EQ(back.values[0], "AAPL");
    EXPECT_FALSE(back.values[1]);
    EXPECT_FALSE(back.values[2]);
    EXPECT_EQ(back.page_size, 500);
    EXPECT_EQ(back.paging_state, std::string("\x01\x02", 2));
    // the unset value is -2 on the wire
    EXPECT_NE(q->find(std::string("\xff\xff\xff\xfe", 4)), std::string::npos);

    auto e = encode_execute("ID", "", p, protocol::v4);
    ASSERT_TRUE(e);
    auto eb = testing::parse_request(opcode::execute, *e, protocol::v4);
    ASSERT_TRUE(eb.ok);
    EXPECT_EQ(eb.id, "ID");
    EXPECT_EQ(eb.values.size(), 4u);
}

TEST(cql_requests, bad_input_is_an_error_not_a_truncation) {
    query_params p;
    p.values.assign(70000, value::int_(1));
    auto q = encode_query("x", p, protocol::v4);
    ASSERT_FALSE(q);
    EXPECT_EQ(q.error().code, errc::invalid_argument);
    query_params s;
    s.serial_cl = consistency::one;
    EXPECT_FALSE(encode_query("x", s, protocol::v4));
    query_params z;
    z.page_size = 0;
    EXPECT_FALSE(encode_query("x", z, protocol::v4));
    EXPECT_FALSE(encode_execute("", "", {}, protocol::v4));
    EXPECT_FALSE(encode_prepare("", protocol::v4));
    EXPECT_FALSE(encode_batch({}, {}, protocol::v4));
    EXPECT_FALSE(encode_register({"NOPE"}));
}

TEST(cql_requests, batch_layout) {
    std::vector<batch_entry> es{{"ID1", true, {value::int_(1)}}, {"INSERT INTO t (a) VALUES (2)", false, {}}};
    batch_params p;
    p.default_timestamp_us = 42;
    auto b = encode_batch(es, p, protocol::v4);
    ASSERT_TRUE(b);
    internal::reader r(*b);
    EXPECT_EQ(r.u8("type"), 1); // unlogged by default
    EXPECT_EQ(r.u16("n"), 2);
    EXPECT_EQ(r.u8("kind"), 1);
    EXPECT_EQ(r.short_bytes("id"), "ID1");
    EXPECT_EQ(r.u16("n values"), 1);
    EXPECT_EQ(r.bytes("v")->size(), 4u);
    EXPECT_EQ(r.u8("kind"), 0);
    EXPECT_EQ(r.long_string("q"), "INSERT INTO t (a) VALUES (2)");
    EXPECT_EQ(r.u16("n values"), 0);
    EXPECT_EQ(consistency(r.u16("cl")), consistency::local_quorum);
    EXPECT_EQ(r.u8("flags"), 0x20);
    EXPECT_EQ(r.i64("ts"), 42);
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r.remaining(), 0u);
}

TEST(cql_requests, startup_and_auth) {
    auto startup = encode_startup(true);
    internal::reader r(startup);
    EXPECT_EQ(r.u16("n"), 4);
    EXPECT_EQ(r.string("k"), "CQL_VERSION");
    EXPECT_EQ(r.string("v"), "3.0.0");
    EXPECT_EQ(r.string("k"), "COMPRESSION");
    EXPECT_EQ(r.string("v"), "lz4");
    EXPECT_EQ(r.string("k"), "DRIVER_NAME");
    EXPECT_EQ(r.string("v"), "mdsp");
    EXPECT_EQ(r.string("k"), "DRIVER_VERSION");
    EXPECT_FALSE(r.string("v").empty());
    auto auth = encode_plain_auth_response("cassandra", "s3cret");
    internal::reader a(auth);
    EXPECT_EQ(*a.bytes("token"), std::string("\0cassandra\0s3cret", 17));
    EXPECT_TRUE(is_plain_authenticator("org.apache.cassandra.auth.PasswordAuthenticator"));
    EXPECT_FALSE(is_plain_authenticator("com.example.Kerberos"));
}

TEST(cql_result, rows_with_global_spec_and_typed_cells) {
    std::vector<col> cols{{"symbol", type_id::varchar}, {"ts", type_id::timestamp},
                          {"price", type_id::double_},  {"n", type_id::int_},
                          {"final", type_id::boolean},  {"day", type_id::date},
                          {"raw", type_id::blob},       {"big", type_id::bigint}};
    std::vector<testing::cells> rows{{"AAPL", value::timestamp_ms(1700000000123).bytes(),
                                      value::double_(189.5).bytes(), value::int_(-3).bytes(),
                                      value::boolean(true).bytes(), value::date(19000).bytes(),
                                      std::string("\0\1", 2), value::bigint(INT64_MIN).bytes()},
                                     {std::nullopt, std::nullopt, std::nullopt, std::nullopt, std::nullopt,
                                      std::nullopt, std::nullopt, std::nullopt}};
    auto r = decode_result(testing::rows_body(cols, rows, std::string("PS")), limits{}, protocol::v4);
    ASSERT_TRUE(r) << r.error().what();
    ASSERT_EQ(r->kind, result_kind::rows);
    const auto& rs = r->rows;
    ASSERT_EQ(rs.size(), 2u);
    EXPECT_TRUE(rs.meta.has_more_pages);
    EXPECT_EQ(rs.meta.paging_state, "PS");
    EXPECT_EQ(rs.meta.columns[1].keyspace, "ks");
    auto row = rs.row(0);
    EXPECT_EQ(**row.text(0), "AAPL");
    EXPECT_EQ(**row.timestamp_ms(1), 1700000000123);
    EXPECT_EQ(**row.double_(2), 189.5);
    EXPECT_EQ(**row.int_(3), -3);
    EXPECT_EQ(**row.boolean(4), true);
    EXPECT_EQ(**row.date(5), 19000);
    EXPECT_EQ(**row.blob(6), std::string("\0\1", 2));
    EXPECT_EQ(**row.bigint(7), INT64_MIN);
    EXPECT_EQ(row.column("price"), 2u);
    // Wrong type: an error naming the column.
    auto wrong = row.bigint(0);
    ASSERT_FALSE(wrong);
    EXPECT_EQ(wrong.error().code, errc::type_mismatch);
    EXPECT_NE(wrong.error().what().find("symbol"), std::string::npos);
    EXPECT_FALSE(row.raw(8));
    EXPECT_FALSE(rs.row(2).raw(0));
    auto nulls = rs.row(1);
    EXPECT_FALSE(*nulls.text(0));
    EXPECT_FALSE(*nulls.double_(2));
}

TEST(cql_result, rows_per_column_spec_and_no_metadata) {
    std::vector<col> cols{{"a", type_id::int_}};
    auto r = decode_result(testing::rows_body(cols, {{value::int_(5).bytes()}}, {}, false), limits{},
                           protocol::v4);
    ASSERT_TRUE(r) << r.error().what();
    EXPECT_EQ(r->rows.meta.columns[0].table, "tbl");
    EXPECT_EQ(**r->rows.row(0).int_(0), 5);
    // No metadata: the prepared statement's result metadata types the cells.
    auto body = testing::rows_body(cols, {{value::int_(6).bytes()}}, {}, true, true);
    metadata known;
    known.column_count = 1;
    known.columns = {{"ks", "tbl", "a", data_type{type_id::int_, {}, {}, {}}}};
    auto nm = decode_result(body, limits{}, protocol::v4, &known);
    ASSERT_TRUE(nm) << nm.error().what();
    EXPECT_TRUE(nm->rows.meta.no_metadata);
    EXPECT_EQ(**nm->rows.row(0).int_(0), 6);
    EXPECT_FALSE(nm->rows.row(0).text(0));
}

TEST(cql_result, prepared_with_partition_key_indexes) {
    auto body =
        testing::prepared_body(protocol::v4, "PID", {{"symbol", type_id::varchar}, {"day", type_id::date}},
                               {0, 1}, {{"price", type_id::double_}});
    auto r = decode_result(body, limits{}, protocol::v4);
    ASSERT_TRUE(r) << r.error().what();
    ASSERT_EQ(r->kind, result_kind::prepared);
    EXPECT_EQ(r->prepared.id, "PID");
    EXPECT_EQ(r->prepared.bind.pk_indexes, (std::vector<uint16_t>{0, 1}));
    ASSERT_EQ(r->prepared.bind.columns.size(), 2u);
    EXPECT_EQ(r->prepared.result_meta.columns[0].name, "price");
    // An index beyond the bind variables is refused.
    auto bad = testing::prepared_body(protocol::v4, "PID", {{"symbol", type_id::varchar}}, {3}, {});
    EXPECT_EQ(decode_result(bad, limits{}, protocol::v4).error().code, errc::malformed_frame);
}

TEST(cql_result, set_keyspace_and_schema_change) {
    internal::writer w;
    w.i32(3);
    w.string("market");
    auto r = decode_result(w.take(), limits{}, protocol::v4);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->keyspace, "market");
    internal::writer s;
    s.i32(5);
    s.string("CREATED");
    s.string("TABLE");
    s.string("market");
    s.string("candles");
    auto c = decode_result(s.take(), limits{}, protocol::v4);
    ASSERT_TRUE(c) << c.error().what();
    EXPECT_EQ(c->change.target, "TABLE");
    EXPECT_EQ(c->change.name, "candles");
}

TEST(cql_result, collections_and_udts_in_metadata) {
    internal::writer w;
    w.i32(2);
    w.i32(1);
    w.i32(1);
    w.string("ks");
    w.string("t");
    w.string("m");
    w.u16(0x21); // map<text, frozen<tuple<int, list<blob>>>>
    w.u16(0x0D);
    w.u16(0x31);
    w.u16(2);
    w.u16(0x09);
    w.u16(0x20);
    w.u16(0x03);
    w.i32(0);
    auto r = decode_result(w.take(), limits{}, protocol::v4);
    ASSERT_TRUE(r) << r.error().what();
    const auto& t = r->rows.meta.columns[0].type;
    EXPECT_EQ(t.id, type_id::map);
    ASSERT_EQ(t.params.size(), 2u);
    EXPECT_EQ(t.params[1].params[1].params[0].id, type_id::blob);
}

TEST(cql_result, hostile_rows_are_refused_with_a_clear_error) {
    auto refused = [](const std::string& body, std::string_view expect) {
        limits lim;
        lim.max_columns = 100;
        lim.max_type_depth = 4;
        auto r = decode_result(body, lim, protocol::v4);
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().code, errc::malformed_frame);
        EXPECT_NE(r.error().what().find(expect), std::string::npos) << r.error().what();
    };
    std::vector<col> one{{"a", type_id::int_}};
    auto ok = testing::rows_body(one, {{value::int_(1).bytes()}});
    // Truncated anywhere: an error, never a read past the end.
    for (size_t n = 0; n < ok.size(); ++n) {
        EXPECT_FALSE(decode_result(ok.substr(0, n), limits{}, protocol::v4)) << n;
    }
    // A row count far beyond the bytes left.
    auto many = testing::rows_body(one, {});
    many.replace(many.size() - 4, 4, be32(INT32_MAX));
    refused(many, "rows count");
    // A negative row count.
    many.replace(many.size() - 4, 4, be32(-5));
    refused(many, "negative");
    // A column count above the limit, and a negative one.
    auto cols = testing::rows_body(one, {});
    cols.replace(8, 4, be32(1000000));
    refused(cols, "columns");
    cols.replace(8, 4, be32(-1));
    refused(cols, "columns");
    // A cell claiming more bytes than there are.
    auto cell = testing::rows_body(one, {{std::string("abcd")}});
    cell.replace(cell.size() - 8, 4, be32(0x7fffff00));
    refused(cell, "cell");
    // Types nested deeper than the limit.
    internal::writer deep;
    deep.i32(2);
    deep.i32(1);
    deep.i32(1);
    deep.string("k");
    deep.string("t");
    deep.string("c");
    for (int i = 0; i < 50; ++i) {
        deep.u16(0x20);
    }
    deep.u16(0x09);
    deep.i32(0);
    refused(deep.take(), "nests deeper");
    // An unknown result kind and an unknown type id.
    refused(be32(99), "result kind");
    auto unknown = testing::rows_body({{"a", type_id(0x0099)}}, {});
    refused(unknown, "type id");
}

TEST(cql_error, codes_and_extras) {
    internal::writer x;
    x.u16(uint16_t(consistency::local_quorum));
    x.i32(2);
    x.i32(1);
    auto e = decode_error(testing::error_body(0x1000, "Cannot achieve consistency", x.out()), protocol::v4);
    ASSERT_TRUE(e) << e.error().what();
    EXPECT_EQ(e->required, 2);
    EXPECT_EQ(e->alive, 1);
    auto err = to_error(*e);
    EXPECT_EQ(err.code, errc::unavailable);
    EXPECT_NE(err.what().find("LOCAL_QUORUM"), std::string::npos);

    internal::writer wt;
    wt.u16(uint16_t(consistency::quorum));
    wt.i32(1);
    wt.i32(2);
    wt.string("UNLOGGED_BATCH");
    auto w = decode_error(testing::error_body(0x1100, "timeout", wt.out()), protocol::v4);
    ASSERT_TRUE(w);
    EXPECT_EQ(w->write_type, "UNLOGGED_BATCH");
    EXPECT_EQ(to_error(*w).code, errc::write_timeout);

    internal::writer rt;
    rt.u16(1);
    rt.i32(0);
    rt.i32(1);
    rt.u8(0);
    auto rd = decode_error(testing::error_body(0x1200, "read timeout", rt.out()), protocol::v4);
    ASSERT_TRUE(rd);
    EXPECT_FALSE(rd->data_present);

    auto up = decode_error(testing::unprepared_body("ABC"), protocol::v4);
    ASSERT_TRUE(up);
    EXPECT_EQ(up->unprepared_id, "ABC");
    EXPECT_EQ(to_error(*up).code, errc::unprepared);

    internal::writer ae;
    ae.string("market");
    ae.string("");
    auto ex = decode_error(testing::error_body(0x2400, "exists", ae.out()), protocol::v4);
    ASSERT_TRUE(ex);
    EXPECT_EQ(ex->keyspace, "market");

    auto bad = decode_error(testing::error_body(0x0100, "Provided username x and/or password are incorrect"),
                            protocol::v4);
    ASSERT_TRUE(bad);
    EXPECT_NE(to_error(*bad).what().find("MDSP_CASSANDRA_PASSWORD"), std::string::npos);
    EXPECT_EQ(errc_of_server_code(0x7777), errc::unknown_server_error);
    // Extras missing: malformed.
    EXPECT_FALSE(decode_error(testing::error_body(0x1000, "short"), protocol::v4));
}

TEST(cql_event, topology_status_schema) {
    internal::writer w;
    w.string("STATUS_CHANGE");
    w.string("DOWN");
    w.u8(4);
    w.raw(std::string("\x7f\0\0\x02", 4));
    w.i32(9042);
    auto e = decode_event(w.take());
    ASSERT_TRUE(e) << e.error().what();
    EXPECT_EQ(e->change, "DOWN");
    EXPECT_EQ(e->address, "127.0.0.2");
    EXPECT_EQ(e->port, 9042);
    internal::writer bad;
    bad.string("TOPOLOGY_CHANGE");
    bad.string("NEW_NODE");
    bad.u8(7);
    EXPECT_FALSE(decode_event(bad.take()));
}

TEST(cql_supported, multimap) {
    internal::writer w;
    w.u16(1);
    w.string("COMPRESSION");
    w.string_list({"snappy", "lz4"});
    auto s = decode_supported(w.take());
    ASSERT_TRUE(s);
    EXPECT_EQ(s->at("COMPRESSION").size(), 2u);
    internal::writer h;
    h.u16(60000); // counts far more entries than bytes
    EXPECT_FALSE(decode_supported(h.take()));
}

} // namespace
} // namespace mdsp::cql
