// registry_client against mdsp's own registry over a real socket.
#include <string>

#include <gtest/gtest.h>

#include "model/framing.h"
#include "model/schemas.h"
#include "registry/client.h"
#include "registry/store.h"
#include "registry/tests/test_server.h"

namespace mdsp::registry {
namespace {

class registry_client_test : public ::testing::Test {
protected:
    void SetUp() override {
        auto r = schema_registry::open({});
        ASSERT_TRUE(r.has_value());
        _reg = std::move(*r);
        _srv = std::make_unique<testing::test_server>(*_reg);
    }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(_srv->port()); }

    std::unique_ptr<schema_registry> _reg;
    std::unique_ptr<testing::test_server> _srv;
};

TEST_F(registry_client_test, registers_looks_up_and_fetches) {
    auto c = client::create(url());
    ASSERT_TRUE(c.has_value()) << c.error().what();
    const std::string s = R"({"type":"record","name":"R","fields":[{"name":"a","type":"int"}]})";
    auto id = c->register_schema("odd/subject name", s);
    ASSERT_TRUE(id.has_value()) << id.error().what();
    EXPECT_EQ(*id, 4);
    EXPECT_EQ(_reg->subjects().front(), "market.candles-value");
    ASSERT_TRUE(_reg->versions("odd/subject name").index() == 0);
    auto again = c->lookup("odd/subject name", s);
    ASSERT_TRUE(again.has_value()) << again.error().what();
    EXPECT_EQ(*again, 4);
    auto text = c->schema_by_id(4);
    ASSERT_TRUE(text.has_value());
    EXPECT_EQ(*text, s);
    auto ids = register_model_schemas(*c);
    ASSERT_TRUE(ids.has_value()) << ids.error().what();
    EXPECT_EQ(ids->tick, static_cast<int32_t>(model::tick_schema_id));
    EXPECT_EQ(ids->candle, static_cast<int32_t>(model::candle_schema_id));
    EXPECT_EQ(ids->dead_letter, static_cast<int32_t>(model::dead_letter_schema_id));
}

TEST_F(registry_client_test, errors_say_what_the_registry_said) {
    auto c = client::create(url() + "/");
    ASSERT_TRUE(c.has_value());
    auto bad = c->register_schema("s", R"({"type":"nope"})");
    ASSERT_FALSE(bad.has_value());
    EXPECT_EQ(bad.error().code, make_error_code(errc::refused));
    EXPECT_NE(bad.error().what().find("42201"), std::string::npos) << bad.error().what();
    auto missing = c->schema_by_id(999);
    ASSERT_FALSE(missing.has_value());
    EXPECT_NE(missing.error().what().find("40403"), std::string::npos) << missing.error().what();
    auto port = _srv->port();
    _srv->stop();
    auto down = client::create("http://127.0.0.1:" + std::to_string(port), std::chrono::seconds(2));
    auto r = down->schema_by_id(1);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, make_error_code(errc::unreachable));
}

TEST(registry_client, url_forms) {
    EXPECT_TRUE(client::create("http://localhost:8081").has_value());
    auto p = client::create("http://h/base/");
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->port(), 80);
    EXPECT_EQ(p->host(), "h");
    for (auto bad : {"localhost:8081", "https://h:1", "http://", "http://h:0", "http://h:99999",
                     "http://u:p@h:1", "http://h:x"}) {
        auto r = client::create(bad);
        EXPECT_FALSE(r.has_value()) << bad;
        if (!r) {
            EXPECT_NE(r.error().what().find("http://HOST:PORT"), std::string::npos);
        }
    }
}

} // namespace
} // namespace mdsp::registry
