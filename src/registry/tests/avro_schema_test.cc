// Avro schema parsing and the compatibility rules, case by case, in both
// directions (reader/writer swapped) where the answer differs.
#include <string>

#include <gtest/gtest.h>

#include "model/schemas.h"
#include "registry/avro_schema.h"

namespace mdsp::registry::avro {
namespace {

schema parse_ok(const std::string& text) {
    auto s = schema::parse(text);
    EXPECT_TRUE(s.has_value()) << text << ": " << (s ? "" : s.error().what());
    if (!s) {
        return *schema::parse("\"null\"");
    }
    return std::move(*s);
}

std::string parse_error(const std::string& text) {
    auto s = schema::parse(text);
    EXPECT_FALSE(s.has_value()) << text;
    return s ? std::string() : s.error().what();
}

bool reads(const std::string& reader, const std::string& writer) {
    return can_read(parse_ok(reader), parse_ok(writer)).compatible;
}

std::string rec(const std::string& fields, const std::string& name = "R") {
    return R"({"type":"record","name":")" + name + R"(","fields":[)" + fields + "]}";
}

TEST(AvroSchema, ParsesTheModelSchemas) {
    for (auto text : {model::tick_schema(), model::candle_schema(), model::dead_letter_schema()}) {
        auto s = schema::parse(text);
        ASSERT_TRUE(s.has_value()) << s.error().what();
        EXPECT_EQ(s->at(s->root()).k, kind::record);
        EXPECT_EQ(s->canonical().find('\n'), std::string::npos);
    }
    auto t = parse_ok(std::string(model::tick_schema()));
    EXPECT_EQ(t.at(0).fullname, "io.mdsp.market.Tick");
    EXPECT_EQ(t.at(0).fields.size(), 15u);
}

TEST(AvroSchema, CanonicalIgnoresWhitespaceOnly) {
    auto a = parse_ok(R"({"type": "record", "name": "R", "fields": [ {"name": "a", "type": "int"} ]})");
    auto b = parse_ok(rec(R"({"name":"a","type":"int"})"));
    EXPECT_EQ(a.canonical(), b.canonical());
    auto c = parse_ok(rec(R"({"name":"a","type":"long"})"));
    EXPECT_NE(a.canonical(), c.canonical());
}

// Found by registry_fuzz: Boost.JSON 1.81 reads numbers like these a few
// ulps off, so the canonical text, read again, had other numbers in it (a
// schema fetched by id and registered again would get another id).
TEST(AvroSchema, CanonicalTextIsAFixedPointEvenForHardNumbers) {
    for (std::string_view number :
         {"1.3333333333333335E73",
          "1333333333333333333333333333333333333333333333333333333333333333333333333333",
          "8.98846567431158E307", "2.2250738585072014E-308", "5E-324", "0.1", "-0", "123456789012345678"}) {
        auto a = parse_ok(rec(R"({"name":"a","type":"double","default":)" + std::string(number)
                              + R"(,"x-note":[)" + std::string(number) + "]}"));
        auto b = parse_ok(a.canonical());
        EXPECT_EQ(a.canonical(), b.canonical()) << number;
    }
    auto c = parse_ok(rec(R"({"name":"a","type":"double","default":1.3333333333333335E73})"));
    EXPECT_NE(c.canonical().find("1.3333333333333335E73"), std::string::npos) << c.canonical();
    // Too large for a double: refused, rather than kept as an infinity that
    // the canonical text would write as "Infinity" (not JSON).
    for (std::string_view number : {"2e3333", "-1e309"}) {
        auto s = schema::parse(rec(R"({"name":"a","type":"double","x":)" + std::string(number) + "}"));
        ASSERT_FALSE(s) << number;
        EXPECT_NE(s.error().what().find("not valid JSON"), std::string::npos) << s.error().what();
    }
    EXPECT_TRUE(schema::parse(rec(R"({"name":"a","type":"double","default":1e-400})")));
}

TEST(AvroSchema, AcceptsEveryKindOfType) {
    parse_ok(R"("string")");
    parse_ok(R"({"type":"long","logicalType":"timestamp-micros"})");
    parse_ok(R"(["null","string",{"type":"array","items":"int"},{"type":"map","values":"double"}])");
    parse_ok(R"({"type":"enum","name":"E","symbols":["A","B"],"default":"A"})");
    parse_ok(R"({"type":"fixed","name":"F","size":16})");
    // Recursive record through a named reference, and a namespace-relative name.
    parse_ok(R"({"type":"record","name":"Node","namespace":"x.y","fields":[
        {"name":"value","type":"int"},
        {"name":"next","type":["null","Node"],"default":null},
        {"name":"also","type":["null","x.y.Node"],"default":null}]})");
    // Defaults of every shape.
    parse_ok(rec(R"({"name":"a","type":"int","default":3},
                    {"name":"b","type":{"type":"array","items":"string"},"default":["x"]},
                    {"name":"c","type":{"type":"map","values":"long"},"default":{"k":1}},
                    {"name":"d","type":["string","null"],"default":"s"},
                    {"name":"e","type":{"type":"record","name":"In","fields":[{"name":"z","type":"int"}]},
                     "default":{"z":1}},
                    {"name":"f","type":"double","default":1.5})"));
}

TEST(AvroSchema, RejectsInvalidSchemas) {
    EXPECT_NE(parse_error("{"), "");
    EXPECT_NE(parse_error(R"("strin")").find("unknown type 'strin'"), std::string::npos);
    EXPECT_NE(parse_error(R"({"type":"record","fields":[]})").find("name"), std::string::npos);
    EXPECT_NE(parse_error(R"({"type":"record","name":"1R","fields":[]})").find("not a valid Avro name"),
              std::string::npos);
    EXPECT_NE(parse_error(rec(R"({"name":"a","type":"int"},{"name":"a","type":"int"})")).find("twice"),
              std::string::npos);
    EXPECT_NE(parse_error(rec(R"({"name":"a","type":"int","default":"x"})")).find("default"),
              std::string::npos);
    EXPECT_NE(parse_error(rec(R"({"name":"a","type":"int","default":3000000000})")).find("default"),
              std::string::npos);
    // A union's default fits its first branch.
    EXPECT_NE(parse_error(rec(R"({"name":"a","type":["null","string"],"default":"x"})")).find("default"),
              std::string::npos);
    EXPECT_NE(parse_error(R"(["null","null"])").find("twice"), std::string::npos);
    EXPECT_NE(parse_error(R"(["null",["int"]])").find("union"), std::string::npos);
    EXPECT_NE(parse_error(R"({"type":"enum","name":"E","symbols":["A","A"]})").find("twice"),
              std::string::npos);
    EXPECT_NE(parse_error(R"({"type":"enum","name":"E","symbols":["A"],"default":"B"})").find("default"),
              std::string::npos);
    EXPECT_NE(parse_error(R"({"type":"fixed","name":"F","size":-1})").find("size"), std::string::npos);
    EXPECT_NE(parse_error(R"({"type":"array"})").find("items"), std::string::npos);
    EXPECT_NE(parse_error(
                  rec(R"({"name":"a","type":"R"},{"name":"b","type":{"type":"fixed","name":"R","size":1}})"))
                  .find("defined twice"),
              std::string::npos);
    EXPECT_NE(parse_error(R"({"type":"record","name":"int","fields":[]})").find("primitive"),
              std::string::npos);
    EXPECT_NE(parse_error("42").find("a type is"), std::string::npos);
}

TEST(AvroSchema, BoundsSizeAndDepth) {
    std::string deep;
    for (int i = 0; i < 200; ++i) {
        deep += R"({"type":"array","items":)";
    }
    deep += R"("int")" + std::string(200, '}');
    auto s = schema::parse(deep);
    ASSERT_FALSE(s.has_value());
    // JSON nested past the bound is refused as too deep, with the bound, not
    // as text that "is not valid JSON".
    EXPECT_EQ(s.error().code, make_error_code(errc::too_large));
    EXPECT_NE(s.error().what().find("deeper than 64"), std::string::npos) << s.error().what();
    EXPECT_EQ(s.error().what().find("not valid JSON"), std::string::npos) << s.error().what();
    std::string big = "\"" + std::string(max_schema_bytes, 'a') + "\"";
    auto b = schema::parse(big);
    ASSERT_FALSE(b.has_value());
    EXPECT_EQ(b.error().code, make_error_code(errc::too_large));
}

TEST(AvroCompatibility, IdenticalSchemasReadEachOther) {
    auto t = std::string(model::tick_schema());
    EXPECT_TRUE(reads(t, t));
    auto c = std::string(model::candle_schema());
    EXPECT_FALSE(reads(t, c)); // different record names
}

TEST(AvroCompatibility, AddedFieldNeedsADefault) {
    auto v1 = rec(R"({"name":"a","type":"int"})");
    auto with_default = rec(R"({"name":"a","type":"int"},{"name":"b","type":"string","default":"x"})");
    auto without = rec(R"({"name":"a","type":"int"},{"name":"b","type":"string"})");
    EXPECT_TRUE(reads(with_default, v1)); // new reads old: b from its default
    EXPECT_FALSE(reads(without, v1));
    auto r = can_read(parse_ok(without), parse_ok(v1));
    ASSERT_EQ(r.messages.size(), 1u);
    EXPECT_NE(r.messages[0].find("'b'"), std::string::npos) << r.messages[0];
    EXPECT_NE(r.messages[0].find("/fields/1"), std::string::npos) << r.messages[0];
    // The other direction: the old schema skips the added field.
    EXPECT_TRUE(reads(v1, without));
}

TEST(AvroCompatibility, RemovedFieldIsSkippedUnlessTheReaderNeedsIt) {
    auto v1 = rec(R"({"name":"a","type":"int"},{"name":"b","type":"string"})");
    auto v2 = rec(R"({"name":"a","type":"int"})");
    EXPECT_TRUE(reads(v2, v1));  // backward: fine
    EXPECT_FALSE(reads(v1, v2)); // forward: old reader needs b, which has no default
}

TEST(AvroCompatibility, Promotions) {
    auto f = [](const char* t) { return rec(std::string(R"({"name":"a","type":")") + t + "\"}"); };
    EXPECT_TRUE(reads(f("long"), f("int")));
    EXPECT_TRUE(reads(f("float"), f("int")));
    EXPECT_TRUE(reads(f("double"), f("int")));
    EXPECT_TRUE(reads(f("float"), f("long")));
    EXPECT_TRUE(reads(f("double"), f("long")));
    EXPECT_TRUE(reads(f("double"), f("float")));
    EXPECT_TRUE(reads(f("bytes"), f("string")));
    EXPECT_TRUE(reads(f("string"), f("bytes")));
    EXPECT_FALSE(reads(f("int"), f("long")));
    EXPECT_FALSE(reads(f("long"), f("double")));
    EXPECT_FALSE(reads(f("float"), f("double")));
    EXPECT_FALSE(reads(f("string"), f("int")));
    EXPECT_FALSE(reads(f("boolean"), f("int")));
    auto r = can_read(parse_ok(f("int")), parse_ok(f("long")));
    ASSERT_FALSE(r.messages.empty());
    EXPECT_NE(r.messages[0].find("expects int but the writer wrote long"), std::string::npos)
        << r.messages[0];
}

TEST(AvroCompatibility, Unions) {
    auto opt_str = R"(["null","string"])";
    EXPECT_TRUE(reads(opt_str, R"("string")"));  // widening to an optional
    EXPECT_FALSE(reads(R"("string")", opt_str)); // a null written cannot be read as string
    EXPECT_TRUE(reads(R"(["null","string","int"])", opt_str));
    EXPECT_FALSE(reads(opt_str, R"(["null","string","int"])"));
    EXPECT_TRUE(reads(R"(["null","long"])", R"(["null","int"])")); // promotion inside a union
    EXPECT_TRUE(reads(R"(["null","double"])", R"("int")"));
    EXPECT_TRUE(reads(R"("long")", R"(["int"])"));
    // Field type made optional with a default: backward compatible both ways? No:
    auto v1 = rec(R"({"name":"a","type":"string"})");
    auto v2 = rec(R"({"name":"a","type":["null","string"],"default":null})");
    EXPECT_TRUE(reads(v2, v1));
    EXPECT_FALSE(reads(v1, v2));
}

TEST(AvroCompatibility, Enums) {
    auto ab = R"({"type":"enum","name":"E","symbols":["A","B"]})";
    auto abc = R"({"type":"enum","name":"E","symbols":["A","B","C"]})";
    auto ab_default = R"({"type":"enum","name":"E","symbols":["A","B"],"default":"A"})";
    EXPECT_TRUE(reads(abc, ab));
    EXPECT_FALSE(reads(ab, abc)); // the writer may write C
    EXPECT_TRUE(reads(ab_default, abc));
    EXPECT_FALSE(reads(R"({"type":"enum","name":"F","symbols":["A","B"]})", ab));
    // An alias bridges a rename.
    EXPECT_TRUE(reads(R"({"type":"enum","name":"F","aliases":["E"],"symbols":["A","B"]})", ab));
}

TEST(AvroCompatibility, RecordsMatchByUnqualifiedNameOrAlias) {
    auto a = R"({"type":"record","name":"R","namespace":"one","fields":[{"name":"x","type":"int"}]})";
    auto b = R"({"type":"record","name":"R","namespace":"two","fields":[{"name":"x","type":"int"}]})";
    auto renamed = R"({"type":"record","name":"S","fields":[{"name":"x","type":"int"}]})";
    auto aliased = R"({"type":"record","name":"S","aliases":["one.R"],"fields":[{"name":"x","type":"int"}]})";
    EXPECT_TRUE(reads(a, b));
    EXPECT_FALSE(reads(renamed, a));
    EXPECT_TRUE(reads(aliased, a));
    // A renamed field through a field alias.
    EXPECT_TRUE(
        reads(rec(R"({"name":"y","aliases":["x"],"type":"int"})"), rec(R"({"name":"x","type":"int"})")));
    EXPECT_FALSE(reads(rec(R"({"name":"y","type":"int"})"), rec(R"({"name":"x","type":"int"})")));
}

TEST(AvroCompatibility, FixedArraysAndMaps) {
    EXPECT_TRUE(reads(R"({"type":"fixed","name":"F","size":4})", R"({"type":"fixed","name":"F","size":4})"));
    EXPECT_FALSE(reads(R"({"type":"fixed","name":"F","size":8})", R"({"type":"fixed","name":"F","size":4})"));
    EXPECT_TRUE(reads(R"({"type":"array","items":"long"})", R"({"type":"array","items":"int"})"));
    EXPECT_FALSE(reads(R"({"type":"array","items":"int"})", R"({"type":"array","items":"long"})"));
    EXPECT_TRUE(reads(R"({"type":"map","values":"double"})", R"({"type":"map","values":"float"})"));
    EXPECT_FALSE(reads(R"({"type":"map","values":"int"})", R"({"type":"array","items":"int"})"));
}

TEST(AvroCompatibility, RecursiveRecordsTerminate) {
    auto list = [](const char* t) {
        return std::string(R"({"type":"record","name":"L","fields":[{"name":"v","type":")") + t
               + R"("},{"name":"next","type":["null","L"],"default":null}]})";
    };
    EXPECT_TRUE(reads(list("long"), list("int")));
    EXPECT_FALSE(reads(list("int"), list("long")));
}

TEST(AvroCompatibility, NestedFieldProblemsNameTheirPath) {
    auto v1 =
        rec(R"({"name":"inner","type":{"type":"record","name":"I","fields":[{"name":"x","type":"int"}]}})");
    auto v2 = rec(
        R"({"name":"inner","type":{"type":"record","name":"I","fields":[{"name":"x","type":"int"},{"name":"y","type":"int"}]}})");
    auto r = can_read(parse_ok(v2), parse_ok(v1));
    ASSERT_FALSE(r.compatible);
    EXPECT_NE(r.messages[0].find("/fields/0/type/fields/1"), std::string::npos) << r.messages[0];
}

} // namespace
} // namespace mdsp::registry::avro
