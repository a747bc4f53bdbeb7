#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "base/metrics.h"
#include "http/server.h"
#include "testing/http_client.h"

namespace mdsp::http {
namespace {

using testing::client;
using testing::get;
namespace bhttp = boost::beast::http;

server_config ephemeral() {
    server_config c;
    c.port = 0;
    return c;
}

class server_test : public ::testing::Test {
protected:
    void start(server_config cfg = ephemeral(), readiness_check ready = {}) {
        _srv = std::make_unique<server>(cfg, std::move(ready));
        _srv->route(verb::get, "/echo", [](const request& r) {
            boost::json::object q;
            for (const auto& [k, v] : r.query) {
                q[k] = v;
            }
            return json_response(200, {{"path", r.path}, {"query", q}});
        });
        _srv->route(verb::post, "/echo", [](const request& r) {
            return json_response(201, {{"body", r.body}, {"agent", r.header("user-agent").value_or("")}});
        });
        _srv->route(verb::get, "/files/*", [](const request& r) {
            response res;
            res.content_type = "text/plain";
            res.body = "file " + r.path;
            res.headers.emplace_back("Cache-Control", "no-store");
            return res;
        });
        _srv->route(verb::get, "/files/special/*", [](const request&) {
            return json_response(200, {{"special", true}});
        });
        _srv->route(verb::get, "/throws",
                    [](const request&) -> response { throw std::runtime_error("boom"); });
        auto r = _srv->start();
        ASSERT_TRUE(r) << r.error().what();
        _port = _srv->port();
        ASSERT_NE(_port, 0);
    }
    void TearDown() override { _srv.reset(); }

    std::unique_ptr<server> _srv;
    uint16_t _port = 0;
};

TEST_F(server_test, routes_exact_and_by_longest_prefix) {
    start();
    auto r = get(_port, "/echo?a=1&b=x%20y&a=2");
    EXPECT_EQ(r.status, 200U);
    EXPECT_EQ(r.content_type, "application/json");
    EXPECT_EQ(r.json(), boost::json::parse(R"({"path":"/echo","query":{"a":"2","b":"x y"}})"));
    auto f = get(_port, "/files/css/app.css");
    EXPECT_EQ(f.status, 200U);
    EXPECT_EQ(f.body, "file /files/css/app.css");
    EXPECT_EQ(f.raw["Cache-Control"], "no-store");
    EXPECT_EQ(get(_port, "/files/special/x").json(), boost::json::parse(R"({"special":true})"));
}

TEST_F(server_test, unknown_path_is_404_and_wrong_method_405_both_json) {
    start();
    auto nf = get(_port, "/nope");
    EXPECT_EQ(nf.status, 404U);
    EXPECT_EQ(nf.json().at("error"), "not_found");
    client c(_port);
    auto na = c.request(bhttp::verb::delete_, "/echo");
    EXPECT_EQ(na.status, 405U);
    EXPECT_EQ(na.json().at("error"), "method_not_allowed");
    EXPECT_EQ(na.raw["Allow"], "GET, HEAD, POST");
    // The connection stays usable after errors.
    EXPECT_EQ(c.get("/healthz").status, 200U);
}

TEST_F(server_test, keep_alive_head_and_small_bodies) {
    start();
    client c(_port);
    for (int i = 0; i < 5; ++i) {
        EXPECT_EQ(c.get("/echo?i=" + std::to_string(i)).json().at("query").at("i"),
                  boost::json::value(std::to_string(i)));
    }
    auto head = c.request(bhttp::verb::head, "/healthz");
    EXPECT_EQ(head.status, 200U);
    EXPECT_TRUE(head.body.empty());
    EXPECT_EQ(head.raw[bhttp::field::content_length],
              std::to_string(std::string(R"({"status":"ok"})").size()));
    auto post = c.request(bhttp::verb::post, "/echo", {{"User-Agent", "test/1"}}, "hello");
    EXPECT_EQ(post.status, 201U);
    EXPECT_EQ(post.json(), boost::json::parse(R"({"body":"hello","agent":"test/1"})"));
}

TEST_F(server_test, healthz_and_readyz_with_reasons) {
    std::atomic<bool> ready{false};
    start(ephemeral(), [&] {
        readiness r;
        r.ready = ready.load();
        if (!r.ready) {
            r.reasons = {"store not open", "consumer lag 120s > 30s"};
        }
        return r;
    });
    EXPECT_EQ(get(_port, "/healthz").json(), boost::json::parse(R"({"status":"ok"})"));
    auto nr = get(_port, "/readyz");
    EXPECT_EQ(nr.status, 503U);
    EXPECT_EQ(nr.json(),
              boost::json::parse(
                  R"({"status":"not_ready","reasons":["store not open","consumer lag 120s > 30s"]})"));
    ready = true;
    auto ok = get(_port, "/readyz");
    EXPECT_EQ(ok.status, 200U);
    EXPECT_EQ(ok.json(), boost::json::parse(R"({"status":"ready"})"));
}

TEST_F(server_test, metrics_text_with_request_counts) {
    start();
    (void)get(_port, "/echo");
    (void)get(_port, "/nope");
    auto m = get(_port, "/metrics");
    EXPECT_EQ(m.status, 200U);
    EXPECT_EQ(m.content_type, "text/plain; version=0.0.4; charset=utf-8");
    EXPECT_NE(m.body.find(R"(mdsp_http_requests_total{route="/echo",code="200"})"), std::string::npos)
        << m.body;
    EXPECT_NE(m.body.find(R"(mdsp_http_requests_total{route="unmatched",code="404"})"), std::string::npos);
    EXPECT_NE(m.body.find("# TYPE mdsp_http_request_duration_seconds histogram"), std::string::npos);
    EXPECT_NE(m.body.find(R"(mdsp_http_request_duration_seconds_count{route="/echo"})"), std::string::npos);
}

TEST_F(server_test, a_throwing_handler_is_a_500_and_the_server_goes_on) {
    start();
    auto r = get(_port, "/throws");
    EXPECT_EQ(r.status, 500U);
    EXPECT_EQ(r.json().at("error"), "internal_error");
    EXPECT_EQ(get(_port, "/healthz").status, 200U);
}

TEST_F(server_test, oversized_headers_and_bodies_are_refused) {
    server_config cfg = ephemeral();
    cfg.max_header_bytes = 1024;
    cfg.max_body_bytes = 100;
    start(cfg);
    {
        client c(_port);
        auto r = c.request(bhttp::verb::get, "/echo", {{"X-Big", std::string(4000, 'a')}});
        EXPECT_EQ(r.status, 431U);
        EXPECT_EQ(r.json().at("error"), "header_too_large");
    }
    {
        client c(_port);
        auto r = c.request(bhttp::verb::post, "/echo", {}, std::string(101, 'b'));
        EXPECT_EQ(r.status, 413U);
        EXPECT_EQ(r.json().at("error"), "body_too_large");
    }
    {
        client c(_port);
        boost::asio::write(c.stream(), boost::asio::buffer(std::string("NOT HTTP AT ALL\r\n\r\n")));
        boost::beast::flat_buffer buf;
        bhttp::response<bhttp::string_body> res;
        bhttp::read(c.stream(), buf, res);
        EXPECT_EQ(res.result_int(), 400U);
    }
    // A bad target is a 400 too.
    EXPECT_EQ(get(_port, "/echo?x=%zz").status, 400U);
    EXPECT_EQ(get(_port, "/healthz").status, 200U);
}

TEST_F(server_test, connections_beyond_the_limit_get_503_and_the_rest_are_served) {
    server_config cfg = ephemeral();
    cfg.max_connections = 4;
    start(cfg);
    std::vector<std::unique_ptr<client>> held;
    for (int i = 0; i < 4; ++i) {
        held.push_back(std::make_unique<client>(_port));
        EXPECT_EQ(held.back()->get("/healthz").status, 200U); // the session is counted once it answers
    }
    EXPECT_EQ(_srv->connections(), 4U);
    client extra(_port);
    boost::beast::flat_buffer buf;
    bhttp::response<bhttp::string_body> res;
    boost::beast::error_code ec;
    bhttp::read(extra.stream(), buf, res, ec);
    ASSERT_FALSE(ec) << ec.message();
    EXPECT_EQ(res.result_int(), 503U);
    EXPECT_EQ(boost::json::parse(res.body()).at("error"), "too_many_connections");
    held.clear();
    // Closed connections free their slots (the server notices the close on its own thread).
    for (int tries = 0; tries < 1000 && _srv->connections() > 0; ++tries) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    EXPECT_EQ(get(_port, "/healthz").status, 200U);
}

TEST_F(server_test, stop_with_open_connections_is_clean) {
    server_config cfg = ephemeral();
    cfg.threads = 2;
    start(cfg);
    client idle(_port);
    EXPECT_EQ(idle.get("/healthz").status, 200U);
    client silent(_port); // connected, never sends
    _srv->stop();
    _srv->stop(); // idempotent
    EXPECT_EQ(_srv->connections(), 0U);
    boost::beast::error_code ec;
    boost::beast::flat_buffer buf;
    bhttp::response<bhttp::string_body> res;
    bhttp::read(idle.stream(), buf, res, ec);
    EXPECT_TRUE(ec); // closed by the server
}

TEST_F(server_test, a_taken_port_and_a_bad_address_are_clear_errors) {
    start();
    server_config cfg;
    cfg.port = _port;
    server other(cfg);
    auto r = other.start();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, errc::bind_failed);
    EXPECT_NE(r.error().message.find(std::to_string(_port)), std::string::npos);
    cfg.address = "localhost:80";
    server bad(cfg);
    auto b = bad.start();
    ASSERT_FALSE(b);
    EXPECT_EQ(b.error().code, errc::bad_address);
    EXPECT_EQ(_srv->start().error().code, errc::already_started);
}

} // namespace
} // namespace mdsp::http
