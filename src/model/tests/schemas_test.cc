#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "model/framing.h"
#include "model/schemas.h"

namespace mdsp::model {
namespace {

std::string read_file(const std::string& name) {
    std::ifstream in(std::filesystem::path(MDSP_SOURCE_DIR) / "schemas" / name, std::ios::binary);
    EXPECT_TRUE(in) << name;
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

struct field_spec {
    std::string name;
    std::string type; // "string", "long", "timestamp", "?string" (["null", string]), ...
};

// The structs' fields in declaration order (model/tick.h, candle.h, dead_letter.h).
const std::vector<field_spec> tick_fields = {
    {"symbol", "string"},        {"source", "string"},         {"exchange", "?string"},
    {"mic_code", "?string"},     {"asset_type", "?string"},    {"currency", "?string"},
    {"event_time", "timestamp"}, {"ingest_time", "timestamp"}, {"price", "double"},
    {"size", "?double"},         {"day_volume", "?double"},    {"bid", "?double"},
    {"ask", "?double"},          {"trade_id", "?long"},        {"seq", "long"},
};
const std::vector<field_spec> candle_fields = {
    {"symbol", "string"},
    {"interval", "string"},
    {"window_start", "timestamp"},
    {"open", "double"},
    {"high", "double"},
    {"low", "double"},
    {"close", "double"},
    {"volume", "double"},
    {"vwap", "double"},
    {"trade_count", "long"},
    {"first_event_time", "timestamp"},
    {"last_event_time", "timestamp"},
    {"final", "boolean"},
    {"revision", "long"},
    {"backfilled", "boolean"},
    {"spike", "boolean"},
};
const std::vector<field_spec> dead_letter_fields = {
    {"source_topic", "string"}, {"source_partition", "int"}, {"source_offset", "long"},
    {"error_kind", "string"},   {"message", "string"},       {"raw", "bytes"},
    {"time", "timestamp"},
};

std::string kind_of(const boost::json::value& type) {
    if (type.is_string()) {
        return std::string(type.as_string());
    }
    if (type.is_object()) {
        const auto& o = type.as_object();
        if (o.at("type") == "long" && o.contains("logicalType")
            && o.at("logicalType") == "timestamp-micros") {
            return "timestamp";
        }
        return "?object";
    }
    const auto& a = type.as_array();
    if (a.size() == 2 && a[0] == "null" && a[1].is_string()) {
        return "?" + std::string(a[1].as_string());
    }
    return "?union";
}

void check_schema(std::string_view text, const char* name, const std::vector<field_spec>& want) {
    auto schema = boost::json::parse(text).as_object();
    EXPECT_EQ(schema.at("type"), "record");
    EXPECT_EQ(schema.at("name"), name);
    EXPECT_EQ(schema.at("namespace"), "io.mdsp.market");
    const auto& fields = schema.at("fields").as_array();
    ASSERT_EQ(fields.size(), want.size()) << name;
    for (size_t i = 0; i < want.size(); ++i) {
        const auto& f = fields[i].as_object();
        EXPECT_EQ(f.at("name"), want[i].name.c_str()) << name << " field " << i;
        EXPECT_EQ(kind_of(f.at("type")), want[i].type) << name << "." << want[i].name;
        ASSERT_TRUE(f.contains("doc")) << name << "." << want[i].name << " has no doc";
        EXPECT_FALSE(f.at("doc").as_string().empty());
        if (want[i].type.starts_with("?")) {
            ASSERT_TRUE(f.contains("default")) << name << "." << want[i].name;
            EXPECT_TRUE(f.at("default").is_null());
        }
    }
}

TEST(schemas, embedded_texts_are_the_files) {
    EXPECT_EQ(tick_schema(), read_file("tick.avsc"));
    EXPECT_EQ(candle_schema(), read_file("candle.avsc"));
    EXPECT_EQ(dead_letter_schema(), read_file("deadletter.avsc"));
}

TEST(schemas, mirror_the_structs_field_for_field) {
    check_schema(tick_schema(), "Tick", tick_fields);
    check_schema(candle_schema(), "Candle", candle_fields);
    check_schema(dead_letter_schema(), "DeadLetter", dead_letter_fields);
}

TEST(schemas, by_pinned_id) {
    EXPECT_EQ(schema_by_id(tick_schema_id), tick_schema());
    EXPECT_EQ(schema_by_id(candle_schema_id), candle_schema());
    EXPECT_EQ(schema_by_id(dead_letter_schema_id), dead_letter_schema());
    EXPECT_TRUE(schema_by_id(0).empty());
    EXPECT_TRUE(schema_by_id(4).empty());
}

} // namespace
} // namespace mdsp::model
