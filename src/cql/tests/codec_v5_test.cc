// What v5 changes in the messages (native_protocol_v5.spec, section 9):
// [int] flags, EXECUTE's and PREPARED's result metadata id, Rows'
// Metadata_changed, PREPARE's flags, the reasonmap of read and write
// failures, and the new error codes. The frames themselves: segment_test.cc.
#include <gtest/gtest.h>

#include "cql/frame.h"
#include "cql/messages.h"
#include "cql/tests/builders.h"

namespace mdsp::cql {
namespace {

using testing::col;

TEST(cql_v5_requests, query_and_execute_flags_are_ints) {
    query_params p;
    p.cl = consistency::one;
    p.values = {value::int_(1)};
    p.page_size = 10;
    p.default_timestamp_us = 5;
    auto q4 = encode_query("SELECT 1", p, protocol::v4);
    auto q5 = encode_query("SELECT 1", p, protocol::v5);
    ASSERT_TRUE(q4 && q5);
    EXPECT_EQ(q5->size(), q4->size() + 3);
    internal::reader r(*q5);
    EXPECT_EQ(r.long_string("q"), "SELECT 1");
    EXPECT_EQ(consistency(r.u16("cl")), consistency::one);
    EXPECT_EQ(r.i32("flags"), 0x01 | 0x04 | 0x20);
    auto back = testing::parse_request(opcode::query, *q5, protocol::v5);
    EXPECT_TRUE(back.ok);
    EXPECT_EQ(back.page_size, 10);

    auto e5 = encode_execute("ID", "RMID", p, protocol::v5);
    ASSERT_TRUE(e5);
    auto eb = testing::parse_request(opcode::execute, *e5, protocol::v5);
    ASSERT_TRUE(eb.ok);
    EXPECT_EQ(eb.id, "ID");
    EXPECT_EQ(eb.result_metadata_id, "RMID");
    EXPECT_EQ(eb.values.size(), 1u);
    // An id from a v4 PREPARE: empty, the server answers Metadata_changed.
    auto empty_id =
        testing::parse_request(opcode::execute, *encode_execute("ID", "", p, protocol::v5), protocol::v5);
    EXPECT_TRUE(empty_id.ok);
    EXPECT_EQ(empty_id.result_metadata_id, "");
    // v4 has no such field, whatever the caller passes.
    auto e4 =
        testing::parse_request(opcode::execute, *encode_execute("ID", "RMID", p, protocol::v4), protocol::v4);
    EXPECT_TRUE(e4.ok);
    EXPECT_EQ(e4.id, "ID");
}

TEST(cql_v5_requests, prepare_and_batch) {
    auto p5 = encode_prepare("SELECT 1", protocol::v5);
    ASSERT_TRUE(p5);
    internal::reader r(*p5);
    EXPECT_EQ(r.long_string("q"), "SELECT 1");
    EXPECT_EQ(r.i32("flags"), 0); // no keyspace of its own
    EXPECT_EQ(r.remaining(), 0u);
    EXPECT_EQ(encode_prepare("SELECT 1", protocol::v4)->size(), 4 + 8u);

    std::vector<batch_entry> es{{"ID1", true, {value::int_(1)}}};
    batch_params bp;
    bp.serial_cl = consistency::local_serial;
    auto b = encode_batch(es, bp, protocol::v5);
    ASSERT_TRUE(b);
    internal::reader br(*b);
    br.u8("type");
    br.u16("n");
    br.u8("kind");
    br.short_bytes("id");
    br.u16("n values");
    br.bytes("v");
    EXPECT_EQ(consistency(br.u16("cl")), consistency::local_quorum);
    EXPECT_EQ(br.i32("flags"), 0x10);
    EXPECT_EQ(consistency(br.u16("serial")), consistency::local_serial);
    EXPECT_TRUE(br.ok());
    EXPECT_EQ(br.remaining(), 0u);
}

TEST(cql_v5_result, prepared_carries_the_result_metadata_id) {
    auto body = testing::prepared_body(protocol::v5, "PID", {{"symbol", type_id::varchar}}, {0},
                                       {{"price", type_id::double_}}, "RMID");
    auto r = decode_result(body, limits{}, protocol::v5);
    ASSERT_TRUE(r) << r.error().what();
    EXPECT_EQ(r->prepared.id, "PID");
    EXPECT_EQ(r->prepared.result_metadata_id, "RMID");
    EXPECT_EQ(r->prepared.bind.pk_indexes, std::vector<uint16_t>{0});
    EXPECT_EQ(r->prepared.result_meta.columns.at(0).name, "price");
}

TEST(cql_v5_result, rows_may_say_the_metadata_changed) {
    std::vector<col> cols{{"a", type_id::int_}, {"b", type_id::varchar}};
    auto body = testing::rows_body(cols, {{value::int_(1).bytes(), std::string("x")}}, std::string("PS"),
                                   true, false, std::string("NEWID"));
    auto r = decode_result(body, limits{}, protocol::v5);
    ASSERT_TRUE(r) << r.error().what();
    EXPECT_EQ(r->rows.meta.new_metadata_id, "NEWID");
    EXPECT_EQ(r->rows.meta.paging_state, "PS");
    ASSERT_EQ(r->rows.meta.columns.size(), 2u);
    EXPECT_EQ(**r->rows.row(0).text(1), "x");

    auto plain = decode_result(testing::rows_body(cols, {}), limits{}, protocol::v5);
    ASSERT_TRUE(plain);
    EXPECT_FALSE(plain->rows.meta.new_metadata_id);

    // Metadata_changed without the metadata, or with an empty id: refused.
    auto no_meta = testing::rows_body(cols, {}, {}, true, true, std::string("X"));
    EXPECT_EQ(decode_result(no_meta, limits{}, protocol::v5).error().code, errc::malformed_frame);
    EXPECT_FALSE(
        decode_result(testing::rows_body(cols, {}, {}, true, false, std::string()), limits{}, protocol::v5));
}

std::string failure_extras(bool read, const std::vector<std::pair<std::string, uint16_t>>& reasons) {
    internal::writer w;
    w.u16(uint16_t(consistency::quorum));
    w.i32(1);
    w.i32(2);
    w.i32(int32_t(reasons.size()));
    for (const auto& [addr, code] : reasons) {
        w.u8(uint8_t(addr.size()));
        w.raw(addr);
        w.u16(code);
    }
    if (read) {
        w.u8(1);
    } else {
        w.string("SIMPLE");
    }
    return w.take();
}

TEST(cql_v5_error, read_and_write_failures_name_the_replicas) {
    std::vector<std::pair<std::string, uint16_t>> reasons{{std::string("\x7f\0\0\x02", 4), 1},
                                                          {std::string(15, '\0') + "\x01", 2}};
    auto rf =
        decode_error(testing::error_body(0x1300, "read failed", failure_extras(true, reasons)), protocol::v5);
    ASSERT_TRUE(rf) << rf.error().what();
    EXPECT_EQ(rf->num_failures, 2);
    ASSERT_EQ(rf->reasons.size(), 2u);
    EXPECT_EQ(rf->reasons[0], (std::pair<std::string, uint16_t>{"127.0.0.2", 1}));
    EXPECT_EQ(rf->reasons[1], (std::pair<std::string, uint16_t>{"::1", 2}));
    EXPECT_TRUE(rf->data_present);
    auto err = to_error(*rf);
    EXPECT_EQ(err.code, errc::read_failure);
    EXPECT_NE(err.what().find("127.0.0.2 (reason 0x0001)"), std::string::npos) << err.what();

    auto wf = decode_error(testing::error_body(0x1500, "write failed", failure_extras(false, reasons)),
                           protocol::v5);
    ASSERT_TRUE(wf) << wf.error().what();
    EXPECT_EQ(wf->write_type, "SIMPLE");
    EXPECT_EQ(wf->reasons.size(), 2u);
    EXPECT_EQ(to_error(*wf).code, errc::write_failure);

    // A count no body could hold, or an address of a wrong size: refused.
    internal::writer huge;
    huge.u16(1);
    huge.i32(0);
    huge.i32(1);
    huge.i32(1 << 30);
    EXPECT_EQ(decode_error(testing::error_body(0x1300, "x", huge.out()), protocol::v5).error().code,
              errc::malformed_frame);
    auto bad_addr = failure_extras(true, {{std::string(5, 'x'), 1}});
    EXPECT_FALSE(decode_error(testing::error_body(0x1300, "x", bad_addr), protocol::v5));
}

TEST(cql_v5_error, new_codes_and_cas_contentions) {
    internal::writer cas;
    cas.u16(uint16_t(consistency::serial));
    cas.i32(0);
    cas.i32(2);
    cas.string("CAS");
    cas.u16(3);
    auto wt = decode_error(testing::error_body(0x1100, "cas timeout", cas.out()), protocol::v5);
    ASSERT_TRUE(wt) << wt.error().what();
    EXPECT_EQ(wt->contentions, 3);

    internal::writer unknown;
    unknown.u16(uint16_t(consistency::serial));
    unknown.i32(1);
    unknown.i32(2);
    auto cu = decode_error(testing::error_body(0x1700, "contended", unknown.out()), protocol::v5);
    ASSERT_TRUE(cu) << cu.error().what();
    EXPECT_EQ(cu->block_for, 2);
    EXPECT_EQ(to_error(*cu).code, errc::cas_write_unknown);
    EXPECT_EQ(errc_of_server_code(0x1600), errc::cdc_write_failure);
}

} // namespace
} // namespace mdsp::cql
