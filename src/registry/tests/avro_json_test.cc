// Avro binary -> JSON with the writer's schema: the model records as the
// codecs write them, and data that must be refused without reading past it.
#include <string>

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include "model/codec.h"
#include "model/schemas.h"
#include "registry/avro_json.h"

namespace mdsp::registry::avro {
namespace {

schema parsed(std::string_view text) {
    auto s = schema::parse(text);
    EXPECT_TRUE(s.has_value()) << text;
    return s ? std::move(*s) : *schema::parse("\"null\"");
}

TEST(avro_json, tick_as_the_codec_writes_it) {
    model::tick t;
    t.symbol = "XRPETH";
    t.source = "binance";
    t.exchange = "BINANCE";
    t.event_time = mdsp::event_time(1'570'752'000'000'000);
    t.ingest_time = mdsp::ingest_time(1'570'752'000'500'000);
    t.price = 0.00123;
    t.size = 42.5;
    t.trade_id = 7;
    t.seq = mdsp::sequence(9);
    std::string bytes;
    model::encode(t, bytes);
    auto j = to_json(parsed(model::tick_schema()), bytes);
    ASSERT_TRUE(j) << j.error().what();
    const auto& o = j->as_object();
    EXPECT_EQ(o.at("symbol").as_string(), "XRPETH");
    EXPECT_EQ(o.at("exchange").as_string(), "BINANCE");
    EXPECT_TRUE(o.at("mic_code").is_null());
    EXPECT_EQ(o.at("event_time").as_int64(), 1'570'752'000'000'000);
    EXPECT_DOUBLE_EQ(o.at("price").as_double(), 0.00123);
    EXPECT_DOUBLE_EQ(o.at("size").as_double(), 42.5);
    EXPECT_EQ(o.at("trade_id").as_int64(), 7);
    EXPECT_EQ(o.at("seq").as_int64(), 9);
}

TEST(avro_json, dead_letter_raw_bytes_are_hex) {
    model::dead_letter d{"market.ticks", 2, 17, "decode", "bad magic", std::string("\x01\xff", 2), 5};
    std::string bytes;
    model::encode(d, bytes);
    auto j = to_json(parsed(model::dead_letter_schema()), bytes);
    ASSERT_TRUE(j) << j.error().what();
    EXPECT_EQ(boost::json::serialize(*j).find("\"01ff\"") != std::string::npos, true)
        << boost::json::serialize(*j);
    EXPECT_EQ(j->as_object().at("error_kind").as_string(), "decode");
}

TEST(avro_json, arrays_maps_enums_and_fixed) {
    auto s = parsed(R"({"type":"record","name":"R","fields":[
        {"name":"a","type":{"type":"array","items":"int"}},
        {"name":"m","type":{"type":"map","values":"boolean"}},
        {"name":"e","type":{"type":"enum","name":"E","symbols":["X","Y"]}},
        {"name":"f","type":{"type":"fixed","name":"F","size":2}}]})");
    // a: one block of 2 (-1, 1), then a negative-count block with its size; m: {"k": true}; e: Y; f: 0xabcd
    std::string b = {0x04, 0x01, 0x02, 0x01, 0x02, 0x06,   0x00,  0x02,
                     0x02, 'k',  0x01, 0x00, 0x02, '\xab', '\xcd'};
    auto j = to_json(s, b);
    ASSERT_TRUE(j) << j.error().what();
    EXPECT_EQ(boost::json::serialize(*j), R"({"a":[-1,1,3],"m":{"k":true},"e":"Y","f":"abcd"})");
}

TEST(avro_json, refuses_what_does_not_fit) {
    auto str = parsed(R"("string")");
    EXPECT_FALSE(to_json(str, std::string("\x0a"
                                          "abc",
                                          4)));             // length 5, 3 bytes there
    EXPECT_FALSE(to_json(str, std::string("\x03", 1)));     // negative length
    EXPECT_FALSE(to_json(str, std::string("\x02\xff", 2))); // not UTF-8
    EXPECT_FALSE(to_json(str, std::string("\x00\x00", 2))); // a byte left over
    auto u = parsed(R"(["null","int"])");
    auto bad_branch = to_json(u, std::string("\x04", 1));
    ASSERT_FALSE(bad_branch);
    EXPECT_NE(std::string(bad_branch.error().what()).find("union branch 2"), std::string::npos);
    // A count far beyond the bytes there is refused before anything is built.
    auto arr = parsed(R"({"type":"array","items":"null"})");
    std::string huge = {'\xfe', '\xff', '\xff', '\xff', '\x0f', 0};
    EXPECT_FALSE(to_json(arr, huge));
    // A recursive record nested past the depth bound.
    auto rec = parsed(R"({"type":"record","name":"N","fields":[{"name":"next","type":["null","N"]}]})");
    std::string deep(200, '\x02');
    deep.push_back('\x00');
    EXPECT_FALSE(to_json(rec, deep));
    json_limits roomy;
    roomy.max_depth = 1000;
    EXPECT_TRUE(to_json(rec, deep, roomy));
}

} // namespace
} // namespace mdsp::registry::avro
