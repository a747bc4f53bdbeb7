// The schema registry's API: every endpoint's shape and error codes as
// Confluent sends them, through registry::handle() as a server calls it;
// persistence across a reopen.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "model/framing.h"
#include "model/schemas.h"
#include "registry/request.h"
#include "registry/routes.h"
#include "registry/store.h"

namespace mdsp::registry {
namespace {

namespace json = boost::json;

const std::string ct = "application/vnd.schemaregistry.v1+json";

std::string rec(const std::string& fields, const std::string& name = "R") {
    return R"({"type":"record","name":")" + name + R"(","fields":[)" + fields + "]}";
}
std::string body_of(const std::string& schema) {
    return json::serialize(json::object{{"schema", schema}});
}

struct reply {
    unsigned status = 0;
    std::string content_type;
    std::string body;

    json::value json() const { return json::parse(body); }
};

class registry_test : public ::testing::Test {
protected:
    void SetUp() override { start({}); }
    void TearDown() override { stop(); }

    void start(std::filesystem::path file) {
        auto r = schema_registry::open(std::move(file));
        ASSERT_TRUE(r.has_value()) << r.error().what();
        _reg = std::move(*r);
    }
    void stop() { _reg.reset(); }

    reply call(method m, const std::string& target, const std::string& body = {},
               const std::string& type = {}) {
        auto a = handle(*_reg, request{m, target, type, body});
        return reply{a.status, a.content_type, a.body};
    }
    reply get(const std::string& target) { return call(method::get, target); }
    reply post(const std::string& target, const std::string& body, const std::string& type = ct) {
        return call(method::post, target, body, type);
    }
    reply put(const std::string& target, const std::string& body) {
        return call(method::put, target, body, ct);
    }
    // Asserts the Confluent error shape and returns the error_code.
    static int64_t error_code(const reply& r, unsigned status) {
        EXPECT_EQ(r.status, status) << r.body;
        EXPECT_EQ(r.content_type, ct);
        auto v = r.json();
        EXPECT_TRUE(v.is_object() && v.as_object().contains("message")) << r.body;
        return v.as_object().at("error_code").as_int64();
    }

    std::unique_ptr<schema_registry> _reg;
};

TEST_F(registry_test, model_schemas_are_preregistered_with_the_pinned_ids) {
    auto s = get("/subjects");
    ASSERT_EQ(s.status, 200);
    EXPECT_EQ(s.content_type, ct);
    EXPECT_EQ(json::serialize(s.json()),
              R"(["market.candles-value","market.deadletter-value","market.ticks-value"])");
    auto t = get("/schemas/ids/1").json();
    EXPECT_EQ(t.at("schema").as_string(), avro::schema::parse(model::tick_schema())->canonical());
    EXPECT_EQ(t.as_object().size(), 1u);
    auto l = get("/subjects/market.candles-value/versions/latest").json();
    EXPECT_EQ(l.at("subject").as_string(), "market.candles-value");
    EXPECT_EQ(l.at("version").as_int64(), 1);
    EXPECT_EQ(l.at("id").as_int64(), model::candle_schema_id);
    EXPECT_EQ(get("/subjects/market.deadletter-value/versions/1").json().at("id").as_int64(),
              model::dead_letter_schema_id);
    // The same schema again under a new subject keeps its id.
    auto r = post("/subjects/other-value/versions", body_of(std::string(model::tick_schema())));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(json::serialize(r.json()), R"({"id":1})");
}

TEST_F(registry_test, register_fetch_and_list) {
    auto v1 = rec(R"({"name":"a","type":"int"})");
    auto r = post("/subjects/s1/versions", body_of(v1));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.content_type, ct);
    EXPECT_EQ(r.json().at("id").as_int64(), 4); // above the pinned ids
    // The same schema, whitespace aside, is the same id and no new version.
    auto again =
        post("/subjects/s1/versions",
             body_of(R"({ "type" : "record", "name" : "R", "fields" : [{"name":"a", "type":"int"}]})"));
    EXPECT_EQ(again.json().at("id").as_int64(), 4);
    auto v2 = rec(R"({"name":"a","type":"int"},{"name":"b","type":"string","default":""})");
    EXPECT_EQ(post("/subjects/s1/versions", body_of(v2)).json().at("id").as_int64(), 5);
    EXPECT_EQ(json::serialize(get("/subjects/s1/versions").json()), "[1,2]");
    auto latest = get("/subjects/s1/versions/latest").json();
    EXPECT_EQ(json::serialize(latest),
              json::serialize(json::object{{"subject", "s1"}, {"version", 2}, {"id", 5}, {"schema", v2}}));
    EXPECT_EQ(get("/subjects/s1/versions/-1").json().at("version").as_int64(), 2);
    EXPECT_EQ(get("/subjects/s1/versions/1").json().at("schema").as_string(), v1);
    auto raw = get("/subjects/s1/versions/1/schema");
    EXPECT_EQ(raw.status, 200);
    EXPECT_EQ(raw.body, v1);
    EXPECT_EQ(get("/schemas/ids/5").json().at("schema").as_string(), v2);
    EXPECT_EQ(json::serialize(get("/schemas/ids/4/versions").json()), R"([{"subject":"s1","version":1}])");
    EXPECT_EQ(json::serialize(get("/schemas/types").json()), R"(["AVRO"])");
    // Lookup under a subject.
    auto lk = post("/subjects/s1", body_of(v1));
    ASSERT_EQ(lk.status, 200) << lk.body;
    EXPECT_EQ(json::serialize(lk.json()),
              json::serialize(json::object{{"subject", "s1"}, {"version", 1}, {"id", 4}, {"schema", v1}}));
    // schemaType AVRO and empty references are accepted; plain application/json too.
    auto typed = post(
        "/subjects/s1/versions",
        json::serialize(json::object{{"schema", v1}, {"schemaType", "AVRO"}, {"references", json::array{}}}),
        "application/json");
    EXPECT_EQ(typed.status, 200) << typed.body;
}

TEST_F(registry_test, subjects_with_encoded_slashes) {
    auto r = post("/subjects/a%2Fb/versions", body_of(R"("string")"));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(get("/subjects/a%2Fb/versions/latest").json().at("subject").as_string(), "a/b");
}

TEST_F(registry_test, incompatible_registration_is_409) {
    auto v1 = rec(R"({"name":"a","type":"int"})");
    ASSERT_EQ(post("/subjects/s/versions", body_of(v1)).status, 200);
    auto bad = rec(R"({"name":"a","type":"int"},{"name":"b","type":"string"})");
    auto r = post("/subjects/s/versions", body_of(bad));
    EXPECT_EQ(error_code(r, 409), 409);
    EXPECT_NE(r.json().at("message").as_string().find("incompatible"), json::string::npos) << r.body;
    EXPECT_NE(r.json().at("message").as_string().find("'b'"), json::string::npos) << r.body;
    EXPECT_EQ(json::serialize(get("/subjects/s/versions").json()), "[1]");
    // NONE lets it in; the subject's level does not change the global one.
    auto c = put("/config/s", R"({"compatibility":"none"})");
    ASSERT_EQ(c.status, 200) << c.body;
    EXPECT_EQ(json::serialize(c.json()), R"({"compatibility":"NONE"})");
    EXPECT_EQ(json::serialize(get("/config").json()), R"({"compatibilityLevel":"BACKWARD"})");
    EXPECT_EQ(json::serialize(get("/config/s").json()), R"({"compatibilityLevel":"NONE"})");
    EXPECT_EQ(post("/subjects/s/versions", body_of(bad)).status, 200);
}

TEST_F(registry_test, compatibility_endpoint) {
    auto v1 = rec(R"({"name":"a","type":"int"})");
    ASSERT_EQ(post("/subjects/s/versions", body_of(v1)).status, 200);
    auto good = rec(R"({"name":"a","type":"long"})");
    auto bad = rec(R"({"name":"a","type":"string"})");
    auto g = post("/compatibility/subjects/s/versions/latest", body_of(good));
    ASSERT_EQ(g.status, 200) << g.body;
    EXPECT_EQ(json::serialize(g.json()), R"({"is_compatible":true})");
    EXPECT_EQ(json::serialize(post("/compatibility/subjects/s/versions/1", body_of(bad)).json()),
              R"({"is_compatible":false})");
    auto verbose = post("/compatibility/subjects/s/versions/latest?verbose=true", body_of(bad)).json();
    EXPECT_FALSE(verbose.at("is_compatible").as_bool());
    EXPECT_FALSE(verbose.at("messages").as_array().empty());
    // FORWARD: the old schema must read the new one's data.
    ASSERT_EQ(put("/config", R"({"compatibility":"FORWARD"})").status, 200);
    EXPECT_FALSE(post("/compatibility/subjects/s/versions/latest", body_of(good))
                     .json()
                     .at("is_compatible")
                     .as_bool());
    auto added_no_default = rec(R"({"name":"a","type":"int"},{"name":"z","type":"int"})");
    EXPECT_TRUE(post("/compatibility/subjects/s/versions/latest", body_of(added_no_default))
                    .json()
                    .at("is_compatible")
                    .as_bool());
    // FULL: both.
    ASSERT_EQ(put("/config", R"({"compatibility":"FULL"})").status, 200);
    EXPECT_FALSE(post("/compatibility/subjects/s/versions/latest", body_of(added_no_default))
                     .json()
                     .at("is_compatible")
                     .as_bool());
}

TEST_F(registry_test, transitive_levels_check_every_version) {
    ASSERT_EQ(put("/config", R"({"compatibility":"NONE"})").status, 200);
    ASSERT_EQ(post("/subjects/s/versions", body_of(rec(R"({"name":"a","type":"int"})"))).status, 200);
    ASSERT_EQ(post("/subjects/s/versions", body_of(rec(R"({"name":"b","type":"int"})"))).status, 200);
    auto v3 = rec(R"({"name":"b","type":"int"},{"name":"c","type":"int","default":0})");
    ASSERT_EQ(put("/config/s", R"({"compatibility":"BACKWARD"})").status, 200);
    EXPECT_TRUE(
        post("/compatibility/subjects/s/versions/latest", body_of(v3)).json().at("is_compatible").as_bool());
    ASSERT_EQ(put("/config/s", R"({"compatibility":"BACKWARD_TRANSITIVE"})").status, 200);
    EXPECT_FALSE(
        post("/compatibility/subjects/s/versions/latest", body_of(v3)).json().at("is_compatible").as_bool());
    EXPECT_EQ(error_code(post("/subjects/s/versions", body_of(v3)), 409), 409);
}

TEST_F(registry_test, errors_as_confluent_sends_them) {
    EXPECT_EQ(error_code(get("/subjects/nope/versions"), 404), 40401);
    EXPECT_EQ(error_code(get("/subjects/nope/versions/latest"), 404), 40401);
    EXPECT_EQ(error_code(get("/subjects/market.ticks-value/versions/2"), 404), 40402);
    EXPECT_EQ(error_code(get("/subjects/market.ticks-value/versions/0"), 422), 42202);
    EXPECT_EQ(error_code(get("/subjects/market.ticks-value/versions/abc"), 422), 42202);
    EXPECT_EQ(error_code(get("/subjects/market.ticks-value/versions/99999999999"), 422), 42202);
    EXPECT_EQ(error_code(get("/schemas/ids/77"), 404), 40403);
    EXPECT_EQ(error_code(get("/schemas/ids/x"), 404), 40403);
    EXPECT_EQ(error_code(post("/subjects/nope", body_of(R"("int")")), 404), 40401);
    EXPECT_EQ(error_code(post("/subjects/market.ticks-value", body_of(R"("int")")), 404), 40403);
    EXPECT_EQ(error_code(post("/subjects/s/versions", body_of(R"({"type":"recor"})")), 422), 42201);
    EXPECT_EQ(error_code(post("/subjects/s/versions", body_of("{not json")), 422), 42201);
    EXPECT_EQ(error_code(post("/subjects/s/versions", R"({"schemaType":"AVRO"})"), 422), 42201);
    EXPECT_EQ(
        error_code(post("/subjects/s/versions", R"({"schema":"\"int\"","schemaType":"PROTOBUF"})"), 422),
        42201);
    EXPECT_EQ(
        error_code(post("/subjects/s/versions",
                        R"({"schema":"\"int\"","references":[{"name":"a","subject":"b","version":1}]})"),
                   422),
        42201);
    EXPECT_EQ(error_code(post("/subjects/s/versions", "[1,2"), 400), 400);
    EXPECT_EQ(error_code(post("/subjects/s/versions", body_of(R"("int")"), "text/plain"), 415), 415);
    EXPECT_EQ(error_code(post("/compatibility/subjects/nope/versions/latest", body_of(R"("int")")), 404),
              40401);
    EXPECT_EQ(
        error_code(post("/compatibility/subjects/market.ticks-value/versions/9", body_of(R"("int")")), 404),
        40402);
    EXPECT_EQ(error_code(put("/config", R"({"compatibility":"SIDEWAYS"})"), 422), 42203);
    EXPECT_EQ(error_code(put("/config", R"({})"), 422), 42203);
    EXPECT_EQ(error_code(post("/subjects/" + std::string(256, 'x') + "/versions", body_of(R"("int")")), 422),
              42208);
    EXPECT_EQ(error_code(get("/subjects/a/b/c/d/e/f/g/h/i"), 400), 400);
    EXPECT_EQ(error_code(get("/subjects/bad%zz/versions"), 400), 400);
    EXPECT_EQ(error_code(get("/schemas/nothing"), 404), 404);
    // Nothing was registered by the failures.
    EXPECT_EQ(get("/subjects").json().as_array().size(), 3u);
}

// Issue 10 item 3: a subject that is not UTF-8 (or has control characters)
// was stored, then GET /subjects answered invalid JSON and the next start
// refused the file. Refused now as Confluent refuses invalid subjects.
TEST_F(registry_test, subjects_must_be_utf8_without_control_characters) {
    for (const std::string bad : {"%C3%28", "%FF", "a%00b", "a%01b", "a%7Fb", "%ED%A0%80", "%C0%AF"}) {
        auto r = post("/subjects/" + bad + "/versions", body_of(R"("int")"));
        EXPECT_EQ(error_code(r, 422), 42208) << bad;
        EXPECT_EQ(error_code(put("/config/" + bad, R"({"compatibility":"NONE"})"), 422), 42208) << bad;
        EXPECT_EQ(error_code(post("/subjects/" + bad, body_of(R"("int")")), 422), 42208) << bad;
        // Reads of such a subject are a 404 whose message is still valid JSON.
        EXPECT_EQ(error_code(get("/subjects/" + bad + "/versions"), 404), 40401) << bad;
        EXPECT_EQ(error_code(get("/subjects/" + bad + "/versions/latest"), 404), 40401) << bad;
        EXPECT_EQ(error_code(get("/subjects/market.ticks-value/versions/" + bad), 422), 42202) << bad;
    }
    // Non-ASCII UTF-8 is a valid subject.
    EXPECT_EQ(post("/subjects/caf%C3%A9-value/versions", body_of(R"("int")")).status, 200);
    auto all = get("/subjects");
    ASSERT_EQ(all.status, 200);
    EXPECT_EQ(json::serialize(all.json()),
              "[\"caf\xC3\xA9-value\","
              R"("market.candles-value","market.deadletter-value","market.ticks-value"])")
        << all.body;
}

// Issue 10 item 8: a nesting-limit error said "not valid JSON"; it says the
// nesting is too deep and the limit.
TEST_F(registry_test, nesting_errors_say_the_limit) {
    const std::string deep_body = std::string(100, '[') + std::string(100, ']');
    auto b = post("/subjects/s/versions", deep_body);
    EXPECT_EQ(error_code(b, 400), 400);
    auto bm = std::string(b.json().at("message").as_string());
    EXPECT_NE(bm.find("deeper than 64"), std::string::npos) << bm;
    EXPECT_EQ(bm.find("not valid JSON"), std::string::npos) << bm;
    auto s = post("/subjects/s/versions", body_of(deep_body));
    EXPECT_EQ(error_code(s, 422), 42201);
    auto sm = std::string(s.json().at("message").as_string());
    EXPECT_NE(sm.find("deeper than 64"), std::string::npos) << sm;
    EXPECT_EQ(sm.find("not valid JSON"), std::string::npos) << sm;
}

// A body over the registry's bound, if a server lets one through, is a 413
// in Confluent's shape.
TEST_F(registry_test, bodies_over_the_bound_are_413) {
    auto big = post("/subjects/s/versions", std::string(max_body_bytes + 1, ' '));
    EXPECT_EQ(error_code(big, 413), 413);
}

TEST_F(registry_test, schemas_up_to_the_size_bound_are_accepted) {
    // A record with many fields, well over an HTTP server's default 16 KiB body.
    std::string fields;
    for (int i = 0; i < 3000; ++i) {
        fields += (i ? "," : "") + std::string(R"({"name":"f)") + std::to_string(i) + R"(","type":"long"})";
    }
    auto big = rec(fields, "Big");
    ASSERT_GT(big.size(), 64u * 1024);
    auto r = post("/subjects/big/versions", body_of(big));
    ASSERT_EQ(r.status, 200) << r.body.substr(0, 200);
    EXPECT_EQ(
        get("/schemas/ids/" + std::to_string(r.json().at("id").as_int64())).json().at("schema").as_string(),
        big);
}

TEST_F(registry_test, registrations_survive_a_restart) {
    stop();
    auto dir = std::filesystem::path(MDSP_BINARY_DIR) / "registry-test-persist";
    std::filesystem::remove_all(dir);
    auto file = dir / "registry" / "schemas.jsonl";
    start(file);
    auto v1 = rec(R"({"name":"a","type":"int"})");
    auto v2 = rec(R"({"name":"a","type":"long"})");
    ASSERT_EQ(post("/subjects/s/versions", body_of(v1)).json().at("id").as_int64(), 4);
    ASSERT_EQ(post("/subjects/s/versions", body_of(v2)).json().at("id").as_int64(), 5);
    ASSERT_EQ(put("/config/s", R"({"compatibility":"FULL"})").status, 200);
    stop();
    // A torn last line (a crash mid-append) is dropped on open.
    {
        std::ofstream f(file, std::ios::app);
        f << R"({"subject":"s","id":6,"sch)";
    }
    start(file);
    EXPECT_EQ(json::serialize(get("/subjects/s/versions").json()), "[1,2]");
    EXPECT_EQ(get("/subjects/s/versions/latest").json().at("id").as_int64(), 5);
    EXPECT_EQ(get("/schemas/ids/4").json().at("schema").as_string(), v1);
    EXPECT_EQ(json::serialize(get("/config/s").json()), R"({"compatibilityLevel":"FULL"})");
    auto v3 = rec(R"({"name":"b","type":"int"})");
    EXPECT_EQ(post("/subjects/t/versions", body_of(v3)).json().at("id").as_int64(), 6);
    stop();
    start(file);
    EXPECT_EQ(get("/schemas/ids/6").json().at("schema").as_string(), v3);
    stop();
    std::filesystem::remove_all(dir);
    start({});
}

// Issue 10 item 3: a line of the file that cannot be read no longer stops the
// start: it is skipped with a warning naming file:line and what was wrong,
// kept in schemas.jsonl.rejected, and the registry serves the rest.
TEST_F(registry_test, unreadable_lines_are_set_aside_and_the_rest_is_served) {
    stop();
    auto dir = std::filesystem::path(MDSP_BINARY_DIR) / "registry-test-rejected";
    std::filesystem::remove_all(dir);
    auto file = dir / "registry" / "schemas.jsonl";
    std::filesystem::create_directories(file.parent_path());
    const std::string good1 = R"({"subject":"s","id":4,"schema":"\"int\""})";
    const std::string bad_utf8 = "{\"subject\":\"\xC3(\",\"id\":5,\"schema\":\"\\\"long\\\"\"}";
    const std::string garbage = "garbage";
    const std::string control = R"({"subject":"a\u0001b","id":6,"schema":"\"string\""})";
    const std::string bad_level = R"({"compatibility":"SIDEWAYS"})";
    const std::string good2 = R"({"subject":"t","id":7,"schema":"\"bytes\""})";
    {
        std::ofstream f(file, std::ios::binary);
        for (const auto& l : {good1, bad_utf8, garbage, control, bad_level, good2}) {
            f << l << "\n";
        }
    }
    std::ostringstream log;
    auto previous = spdlog::default_logger();
    spdlog::set_default_logger(
        std::make_shared<spdlog::logger>("capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(log)));
    start(file);
    spdlog::set_default_logger(previous);
    ASSERT_TRUE(_reg) << "the registry did not start";
    for (int line : {2, 3, 4, 5}) {
        EXPECT_NE(log.str().find("schemas.jsonl:" + std::to_string(line) + ": "), std::string::npos)
            << line << "\n"
            << log.str();
    }
    EXPECT_NE(log.str().find("not valid JSON"), std::string::npos) << log.str();
    EXPECT_NE(log.str().find("control character"), std::string::npos) << log.str();
    EXPECT_NE(log.str().find("compatibility level"), std::string::npos) << log.str();
    auto all = get("/subjects");
    ASSERT_EQ(all.status, 200);
    EXPECT_EQ(json::serialize(all.json()),
              R"(["market.candles-value","market.deadletter-value","market.ticks-value","s","t"])");
    EXPECT_EQ(get("/subjects/t/versions/latest").json().at("id").as_int64(), 7);
    // The rejected lines are kept, byte for byte, beside the file.
    std::ifstream rf(file.string() + ".rejected", std::ios::binary);
    std::string rejected((std::istreambuf_iterator<char>(rf)), std::istreambuf_iterator<char>());
    for (const auto& l : {bad_utf8, garbage, control, bad_level}) {
        EXPECT_NE(rejected.find(l + "\n"), std::string::npos) << l;
    }
    EXPECT_EQ(rejected.find(good1), std::string::npos);
    // The next start is clean: nothing is rejected twice, registrations go on.
    EXPECT_EQ(post("/subjects/u/versions", body_of(R"("float")")).json().at("id").as_int64(), 8);
    stop();
    std::ostringstream log2;
    spdlog::set_default_logger(
        std::make_shared<spdlog::logger>("capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(log2)));
    start(file);
    spdlog::set_default_logger(previous);
    ASSERT_TRUE(_reg) << "the registry did not start";
    EXPECT_EQ(log2.str().find("schemas.jsonl:"), std::string::npos) << log2.str();
    EXPECT_EQ(get("/subjects/u/versions/latest").json().at("id").as_int64(), 8);
    EXPECT_EQ(get("/subjects/s/versions/latest").json().at("id").as_int64(), 4);
    stop();
    std::filesystem::remove_all(dir);
    start({});
}

TEST(registry_request, split_path) {
    auto p = split_path("/subjects/a%2Fb/versions/latest?x=1");
    ASSERT_TRUE(p);
    ASSERT_EQ(p->size(), 4u);
    EXPECT_EQ((*p)[1], "a/b");
    EXPECT_FALSE(split_path("subjects"));
    EXPECT_FALSE(split_path("/a%4"));
    EXPECT_EQ(split_path("//subjects//")->size(), 1u);
}

TEST(registry_request, query_param) {
    EXPECT_EQ(query_param("/c?verbose=true", "verbose"), "true");
    EXPECT_EQ(query_param("/c?a=1&verb%6Fse=%74rue", "verbose"), "true");
    EXPECT_EQ(query_param("/c?verbose", "verbose"), "");
    EXPECT_FALSE(query_param("/c?verbosex=true", "verbose"));
    EXPECT_FALSE(query_param("/c", "verbose"));
}

} // namespace
} // namespace mdsp::registry
