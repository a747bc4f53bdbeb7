// The schema registry served by the HTTP server: requests reach
// registry::handle() with their target, content type and body, and answers
// come back as the registry made them.
#include <string>

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include "http/registry_routes.h"
#include "http/tests/test_client.h"
#include "registry/request.h"
#include "registry/store.h"

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

} // namespace
} // namespace mdsp::http
