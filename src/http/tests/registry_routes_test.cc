// The schema registry served by the HTTP server: requests reach
// registry::handle() with their target, content type and body, and answers
// come back as the registry made them.
#include <string>

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include "http/registry_routes.h"
#include "registry/request.h"
#include "registry/store.h"
#include "testing/http_client.h"

namespace mdsp::http {
namespace {

namespace json = boost::json;
using testing::client;
using testing::reply;

const std::string ct = "application/vnd.schemaregistry.v1+json";

class registry_routes_test : public ::testing::Test {
protected:
    void SetUp() override {
        auto r = registry::schema_registry::open({});
        ASSERT_TRUE(r.has_value()) << r.error().what();
        _reg = std::move(*r);
        server_config cfg;
        cfg.port = 0;
        cfg.max_body_bytes = registry::max_body_bytes;
        _srv = std::make_unique<server>(cfg);
        add_registry_routes(*_srv, *_reg);
        ASSERT_TRUE(_srv->start());
    }

    reply post(const std::string& target, const std::string& body, const std::string& type = ct) {
        return client(_srv->port()).request(verb::post, target, {{"Content-Type", type}}, body);
    }

    std::unique_ptr<registry::schema_registry> _reg;
    std::unique_ptr<server> _srv;
};

TEST_F(registry_routes_test, requests_reach_the_registry_and_answers_come_back) {
    auto s = client(_srv->port()).get("/subjects");
    ASSERT_EQ(s.status, 200);
    EXPECT_EQ(s.content_type, ct);
    EXPECT_EQ(json::serialize(s.json()),
              R"(["market.candles-value","market.deadletter-value","market.ticks-value"])");
    // A schema well over the server's default 16 KiB body.
    std::string fields;
    for (int i = 0; i < 3000; ++i) {
        fields += (i ? "," : "") + std::string(R"({"name":"f)") + std::to_string(i) + R"(","type":"long"})";
    }
    auto big = R"({"type":"record","name":"Big","fields":[)" + fields + "]}";
    auto r = post("/subjects/a%2Fb/versions", json::serialize(json::object{{"schema", big}}));
    ASSERT_EQ(r.status, 200) << r.body.substr(0, 200);
    EXPECT_EQ(json::serialize(r.json()), R"({"id":4})");
    EXPECT_EQ(_reg->subjects().front(), "a/b");
    // The content type and the query reach the routes.
    EXPECT_EQ(post("/subjects/a%2Fb/versions", "{}", "text/plain").status, 415u);
    auto v = post("/compatibility/subjects/a%2Fb/versions/latest?verbose=true",
                  json::serialize(json::object{{"schema", R"("int")"}}));
    ASSERT_EQ(v.status, 200) << v.body;
    EXPECT_TRUE(v.json().as_object().contains("messages")) << v.body;
    auto head = client(_srv->port()).request(verb::head, "/subjects");
    EXPECT_EQ(head.status, 200u);
    EXPECT_EQ(head.content_type, ct);
}

// Issue 10 item 8: a body over the registry's bound was answered in the
// server's {"error","message"} shape; Confluent's clients read error_code.
// So are the other errors the server answers itself on the registry's paths.
TEST_F(registry_routes_test, errors_of_the_server_on_registry_paths_are_in_confluents_shape) {
    auto confluent_code = [](const reply& r) -> int64_t {
        EXPECT_EQ(r.content_type, ct) << r.body;
        auto v = r.json();
        if (!v.is_object() || !v.as_object().contains("error_code") || !v.as_object().contains("message")) {
            ADD_FAILURE() << "not in Confluent's error shape: " << r.body;
            return 0;
        }
        return v.as_object().at("error_code").as_int64();
    };
    auto big = post("/subjects/s/versions", std::string(registry::max_body_bytes + 1, ' '));
    EXPECT_EQ(big.status, 413u);
    EXPECT_EQ(confluent_code(big), 413);
    auto wrong = client(_srv->port()).request(verb::delete_, "/config");
    EXPECT_EQ(wrong.status, 405u);
    EXPECT_EQ(confluent_code(wrong), 405);
    EXPECT_NE(wrong.raw[boost::beast::http::field::allow], "") << wrong.body;
    // Other paths keep the server's own shape.
    auto api = client(_srv->port()).request(verb::delete_, "/healthz");
    EXPECT_EQ(api.status, 405u);
    EXPECT_TRUE(api.json().as_object().contains("error")) << api.body;
}

} // namespace
} // namespace mdsp::http
