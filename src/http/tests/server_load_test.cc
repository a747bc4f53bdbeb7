// The server under hostile load and unusual requests: clients that ask for
// large answers and never read them, handlers that take long, Expect headers.
// Behaviour only: what is answered and what is held, never how fast.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "base/metrics.h"
#include "http/server.h"
#include "testing/http_client.h"

namespace mdsp::http {
namespace {

using testing::client;
using testing::get;
namespace bhttp = boost::beast::http;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// Blocks handlers until opened.
class gate {
public:
    void wait() {
        std::unique_lock lk(_mu);
        ++_waiting;
        _cv.notify_all();
        _cv.wait(lk, [&] { return _open; });
    }
    void open() {
        std::lock_guard lk(_mu);
        _open = true;
        _cv.notify_all();
    }
    // Until n handlers wait (bounded: a hang detector, not a timing assertion).
    bool until_waiting(int n) {
        std::unique_lock lk(_mu);
        return _cv.wait_for(lk, std::chrono::seconds(30), [&] { return _waiting >= n; });
    }

private:
    std::mutex _mu;
    std::condition_variable _cv;
    bool _open = false;
    int _waiting = 0;
};

// A connection that sends one request and reads nothing until asked, with a
// small receive buffer so that the kernel cannot take a large answer for it.
class silent_client {
public:
    silent_client(uint16_t port, const std::string& target)
      : _socket(_ioc) {
        _socket.open(tcp::v4());
        _socket.set_option(asio::socket_base::receive_buffer_size(4096));
        _socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
        const std::string req = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
        asio::write(_socket, asio::buffer(req));
    }
    // Reads the whole answer now.
    bhttp::response<bhttp::string_body> answer() {
        boost::beast::flat_buffer buf;
        bhttp::response_parser<bhttp::string_body> p;
        p.body_limit(64 * 1024 * 1024);
        bhttp::read(_socket, buf, p);
        return p.release();
    }

private:
    asio::io_context _ioc;
    tcp::socket _socket;
};

uint64_t refused(const char* reason) {
    return metrics::global()
        .get_counter("mdsp_http_refused_total", "HTTP requests refused for load (503), by reason",
                     {{"reason", reason}})
        .value();
}

// Runs f on a thread; a call still blocked after patience is a failure, then
// release() is run so that the test can end.
template<typename F>
auto within(F f, const std::function<void()>& release,
            std::chrono::seconds patience = std::chrono::seconds(30)) {
    auto fut = std::async(std::launch::async, std::move(f));
    if (fut.wait_for(patience) != std::future_status::ready) {
        ADD_FAILURE() << "blocked for " << patience.count() << " s";
        release();
    }
    return fut.get();
}

TEST(server_load, clients_that_never_read_large_answers_hold_bounded_bytes_and_probes_answer) {
    constexpr size_t answer = 8u << 20;
    server_config cfg;
    cfg.port = 0;
    cfg.workers = 2;
    cfg.max_buffered_answer_bytes = 20u << 20; // two answers
    cfg.max_answer_bytes = 10u << 20;
    server srv(cfg);
    std::atomic<int> calls{0};
    srv.route(verb::get, "/big", [&](const request&) {
        ++calls;
        response r;
        r.content_type = "text/plain";
        r.body.assign(answer, 'x');
        return r;
    });
    ASSERT_TRUE(srv.start());
    // Refused before a handler ran: for bytes held, or a full queue.
    auto refused_early = [] { return refused("buffer_full") + refused("queue"); };
    const uint64_t refused_before = refused_early();
    constexpr int n = 50;
    std::vector<std::unique_ptr<silent_client>> clients;
    for (int i = 0; i < n; ++i) {
        clients.push_back(std::make_unique<silent_client>(srv.port(), "/big"));
    }
    // Every request is either answered by the handler or refused before it.
    for (int i = 0; i < 3000; ++i) {
        if (calls.load() + static_cast<int>(refused_early() - refused_before) >= n) {
            break;
        }
        EXPECT_LE(srv.buffered_answer_bytes(), cfg.max_buffered_answer_bytes);
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_LE(srv.buffered_answer_bytes(), cfg.max_buffered_answer_bytes);
    EXPECT_GT(srv.buffered_answer_bytes(), 0u); // the first answers wait for their readers
    // Probes are answered meanwhile, and show the bytes held.
    EXPECT_EQ(get(srv.port(), "/healthz").status, 200U);
    EXPECT_EQ(get(srv.port(), "/readyz").status, 200U);
    auto m = get(srv.port(), "/metrics");
    EXPECT_NE(m.body.find("mdsp_http_buffered_answer_bytes "), std::string::npos);
    // Each client gets its whole answer or a 503 that says when to retry.
    int ok = 0, busy = 0;
    for (auto& c : clients) {
        auto r = c->answer();
        if (r.result_int() == 200) {
            EXPECT_EQ(r.body().size(), answer);
            ++ok;
        } else {
            EXPECT_EQ(r.result_int(), 503U);
            EXPECT_EQ(r[bhttp::field::retry_after], "1");
            EXPECT_EQ(boost::json::parse(r.body()).at("error"), "busy");
            ++busy;
        }
    }
    EXPECT_GE(ok, 1);
    EXPECT_GE(busy, 1);
    EXPECT_LE(ok, n - busy);
    clients.clear();
    for (int i = 0; i < 1000 && srv.buffered_answer_bytes() > 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    EXPECT_EQ(srv.buffered_answer_bytes(), 0u);
}

TEST(server_load, probes_and_light_routes_are_not_queued_behind_slow_bulk_requests) {
    server_config cfg;
    cfg.port = 0;
    gate g;          // outlives the server, whose stop() waits for the handlers
    server srv(cfg); // default threads and workers
    srv.route(
        verb::get, "/slow",
        [&](const request&) {
            g.wait();
            return json_response(200, {{"slow", true}});
        },
        lane::bulk);
    srv.route(verb::get, "/quick", [](const request&) { return json_response(200, {{"quick", true}}); });
    ASSERT_TRUE(srv.start());
    // Enough slow requests to occupy every thread that runs data handlers.
    std::vector<std::future<unsigned>> slow;
    for (int i = 0; i < 4; ++i) {
        slow.push_back(std::async(std::launch::async, [&] { return get(srv.port(), "/slow").status; }));
    }
    g.until_waiting(1);
    for (const char* probe : {"/healthz", "/readyz", "/metrics", "/quick"}) {
        auto status = within([&] { return get(srv.port(), probe).status; }, [&] { g.open(); });
        EXPECT_EQ(status, 200U) << probe;
    }
    g.open();
    for (auto& f : slow) {
        EXPECT_EQ(f.get(), 200U);
    }
}

TEST(server_load, a_full_queue_and_an_answer_over_the_limit_are_503) {
    server_config cfg;
    cfg.port = 0;
    cfg.workers = 1;
    cfg.max_queued_requests = 1;
    cfg.max_answer_bytes = 1000;
    gate g;
    server srv(cfg);
    srv.route(verb::get, "/slow", [&](const request&) {
        g.wait();
        return json_response(200, {{"slow", true}});
    });
    srv.route(verb::get, "/huge", [](const request&) {
        response r;
        r.body.assign(2000, 'x');
        return r;
    });
    ASSERT_TRUE(srv.start());
    auto running = std::async(std::launch::async, [&] { return get(srv.port(), "/slow").status; });
    struct open_at_exit {
        gate& g;
        ~open_at_exit() { g.open(); }
    } opener{g}; // so that a failed assertion does not leave the handler blocked
    ASSERT_TRUE(g.until_waiting(1));
    auto& queued_gauge = metrics::global().get_gauge("mdsp_http_queued_requests",
                                                     "HTTP data requests waiting for a worker thread");
    silent_client queued(srv.port(), "/slow"); // waits for the one worker
    for (int i = 0; i < 6000 && queued_gauge.value() < 1; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ASSERT_EQ(queued_gauge.value(), 1);
    const uint64_t before = refused("queue");
    auto r = get(srv.port(), "/slow");
    EXPECT_EQ(r.status, 503U);
    EXPECT_EQ(r.raw[bhttp::field::retry_after], "1");
    EXPECT_EQ(r.json().at("error"), "busy");
    EXPECT_EQ(refused("queue"), before + 1);
    g.open();
    EXPECT_EQ(running.get(), 200U);
    EXPECT_EQ(queued.answer().result_int(), 200U);
    auto huge = get(srv.port(), "/huge");
    EXPECT_EQ(huge.status, 503U);
    EXPECT_NE(std::string(huge.json().at("message").as_string()).find("ask for less"), std::string::npos);
    EXPECT_EQ(huge.raw.count(bhttp::field::retry_after), 0u); // waiting would not help
}

// A raw connection with a receive timeout, so that a server that does not
// answer fails the test instead of hanging it.
class raw_client {
public:
    explicit raw_client(uint16_t port)
      : _socket(_ioc) {
        _socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
        timeval tv{20, 0};
        ::setsockopt(_socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    }
    void send(const std::string& s) { asio::write(_socket, asio::buffer(s)); }
    // Up to the end of the next header block.
    std::string head() {
        std::string out;
        char c = 0;
        boost::system::error_code ec;
        while (!out.ends_with("\r\n\r\n") && asio::read(_socket, asio::buffer(&c, 1), ec) == 1) {
            out += c;
        }
        return out;
    }
    // The header block, and the body its Content-Length announces.
    std::string answer() {
        std::string h = head();
        auto at = h.find("Content-Length: ");
        if (at == std::string::npos) {
            return h;
        }
        std::string body(std::stoul(h.substr(at + 16)), '\0');
        boost::system::error_code ec;
        asio::read(_socket, asio::buffer(body), ec);
        return h + body;
    }

private:
    asio::io_context _ioc;
    tcp::socket _socket;
};

TEST(server_expect, continue_is_answered_before_the_body) {
    server_config cfg;
    cfg.port = 0;
    cfg.max_body_bytes = 100;
    server srv(cfg);
    srv.route(verb::post, "/echo", [](const request& r) { return json_response(201, {{"body", r.body}}); });
    ASSERT_TRUE(srv.start());
    raw_client c(srv.port());
    c.send("POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
    EXPECT_EQ(c.head(), "HTTP/1.1 100 Continue\r\n\r\n");
    c.send("hello");
    auto created = c.answer();
    EXPECT_TRUE(created.starts_with("HTTP/1.1 201")) << created;
    EXPECT_TRUE(created.ends_with(R"({"body":"hello"})")) << created;
    // And again on the same connection:
    c.send("POST /echo HTTP/1.1\r\nHost: x\r\nexpect: 100-Continue\r\nContent-Length: 2\r\n\r\n");
    EXPECT_EQ(c.head(), "HTTP/1.1 100 Continue\r\n\r\n");

    // Over the body limit: refused at once, without asking for the body.
    raw_client big(srv.port());
    big.send("POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 1000\r\n\r\n");
    EXPECT_TRUE(big.head().starts_with("HTTP/1.1 413")) << "no 413";

    raw_client odd(srv.port());
    odd.send("POST /echo HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\nContent-Length: 2\r\n\r\nhi");
    EXPECT_TRUE(odd.head().starts_with("HTTP/1.1 417")) << "no 417";
}

} // namespace
} // namespace mdsp::http
