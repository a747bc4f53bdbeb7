#include "feed/tests/fake_feed.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <fmt/format.h>

#include "base/time.h"
#include "model/interval.h"

namespace mdsp::feed::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

namespace {

struct session_base {
    virtual ~session_base() = default;
    virtual void send(std::string text) = 0;
    virtual void ping(std::string payload) = 0;
    virtual void drop() = 0;
    bool twelvedata = false;
    std::set<std::string> subscribed; // TwelveData symbols or Binance symbols (upper case)
};

} // namespace

struct fake_feed::impl {
    asio::io_context io;
    asio::ssl::context ssl{asio::ssl::context::tls_server};
    tcp::acceptor acceptor{io};
    asio::steady_timer ticker{io};
    std::thread thread;
    bool tls = true;
    std::string dir;

    mutable std::mutex mu; // guards what tests read and the controls
    std::set<std::string> refused;
    bool stalled = false;
    int n429 = 0, nerr200 = 0;
    int64_t future_s = 0;
    int connections = 0;
    int heartbeats = 0;
    std::vector<std::string> client_messages, pongs, api_keys, rest_targets, sent;

    std::vector<std::weak_ptr<session_base>> sessions; // io thread only
    int64_t trade_id = 1000;
    int64_t price_n = 0;

    void record_sent(const std::string& s) {
        std::lock_guard g(mu);
        if (sent.size() < 100'000) {
            sent.push_back(s);
        }
    }

    template<typename Stream>
    struct ws_session : session_base, std::enable_shared_from_this<ws_session<Stream>> {
        ws_session(impl* o, Stream s)
          : owner(std::move(o))
          , ws(std::move(s)) {}
        impl* owner;
        websocket::stream<Stream> ws;
        beast::flat_buffer buf;
        std::deque<std::string> q;
        bool dead = false;

        void start(http::request<http::string_body> req) {
            auto self = this->shared_from_this();
            ws.control_callback([this](websocket::frame_type k, beast::string_view p) {
                if (k == websocket::frame_type::pong) {
                    std::lock_guard g(owner->mu);
                    owner->pongs.emplace_back(p);
                }
            });
            ws.async_accept(req, [this, self](beast::error_code ec) {
                if (ec) {
                    return;
                }
                {
                    std::lock_guard g(owner->mu);
                    ++owner->connections;
                }
                owner->sessions.push_back(self);
                read();
            });
        }
        void read() {
            auto self = this->shared_from_this();
            ws.async_read(buf, [this, self](beast::error_code ec, size_t) {
                if (ec) {
                    dead = true;
                    return;
                }
                std::string text = beast::buffers_to_string(buf.data());
                buf.consume(buf.size());
                on_client(text);
                read();
            });
        }
        void on_client(const std::string& text) {
            bool stalled;
            {
                std::lock_guard g(owner->mu);
                owner->client_messages.push_back(text);
                stalled = owner->stalled;
            }
            if (!twelvedata) {
                return;
            }
            boost::system::error_code ec;
            auto v = boost::json::parse(text, ec);
            if (ec || !v.is_object()) {
                return;
            }
            auto& o = v.as_object();
            auto action = o.if_contains("action");
            if (!action || !action->is_string()) {
                return;
            }
            if (action->as_string() == "heartbeat") {
                {
                    std::lock_guard g(owner->mu);
                    ++owner->heartbeats;
                }
                if (!stalled) {
                    send(R"({"event":"heartbeat","status":"ok"})");
                }
            } else if (action->as_string() == "subscribe") {
                std::string syms(o.at("params").at("symbols").as_string());
                boost::json::array ok, fails;
                size_t start = 0;
                while (start <= syms.size()) {
                    size_t c = syms.find(',', start);
                    std::string s =
                        syms.substr(start, c == std::string::npos ? std::string::npos : c - start);
                    bool refused;
                    {
                        std::lock_guard g(owner->mu);
                        refused = owner->refused.count(s) > 0;
                    }
                    if (refused) {
                        fails.push_back(boost::json::object{{"symbol", s}});
                    } else {
                        ok.push_back(
                            boost::json::object{{"symbol", s}, {"exchange", "FAKE"}, {"type", "Test"}});
                        subscribed.insert(s);
                    }
                    if (c == std::string::npos) {
                        break;
                    }
                    start = c + 1;
                }
                boost::json::object st{{"event", "subscribe-status"}, {"status", "ok"}, {"success", ok}};
                if (fails.empty()) {
                    st["fails"] = nullptr;
                } else {
                    st["fails"] = fails;
                }
                send(boost::json::serialize(st));
            }
        }
        void send(std::string text) override {
            if (dead) {
                return;
            }
            owner->record_sent(text);
            q.push_back(std::move(text));
            if (q.size() == 1) {
                write();
            }
        }
        void write() {
            auto self = this->shared_from_this();
            ws.text(true);
            ws.async_write(asio::buffer(q.front()), [this, self](beast::error_code ec, size_t) {
                if (ec) {
                    dead = true;
                    q.clear();
                    return;
                }
                q.pop_front();
                if (!q.empty()) {
                    write();
                }
            });
        }
        void ping(std::string payload) override {
            if (dead) {
                return;
            }
            auto self = this->shared_from_this();
            auto p = std::make_shared<std::string>(std::move(payload));
            ws.async_ping(websocket::ping_data(p->c_str()), [self, p](beast::error_code) {});
        }
        void drop() override {
            dead = true;
            beast::error_code ec;
            beast::get_lowest_layer(ws).socket().shutdown(tcp::socket::shutdown_both, ec);
            beast::get_lowest_layer(ws).socket().close(ec);
        }
    };

    void tick() {
        ticker.expires_after(std::chrono::milliseconds(20));
        ticker.async_wait([self = this](beast::error_code ec) {
            if (!ec) {
                self->on_tick();
                self->tick();
            }
        });
    }

    void on_tick() {
        int64_t fut;
        {
            std::lock_guard g(mu);
            if (stalled) {
                return;
            }
            fut = future_s;
        }
        ++price_n;
        ++trade_id;
        auto now = std::chrono::system_clock::now().time_since_epoch();
        int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(now).count();
        for (auto it = sessions.begin(); it != sessions.end();) {
            auto s = it->lock();
            if (!s) {
                it = sessions.erase(it);
                continue;
            }
            for (const auto& sym : s->subscribed) {
                if (s->twelvedata) {
                    s->send(
                        fmt::format(R"({{"event":"price","symbol":"{}","currency":"USD","exchange":"FAKE",)"
                                    R"("type":"Test","timestamp":{},"price":{},"day_volume":{}}})",
                                    sym, ms / 1000 + fut, 100 + 0.01 * static_cast<double>(price_n % 100),
                                    1000 + 10 * price_n));
                } else {
                    s->send(
                        fmt::format(R"({{"stream":"{}@trade","data":{{"e":"trade","E":{},"s":"{}","t":{},)"
                                    R"("p":"{}","q":"0.5","T":{},"m":{}}}}})",
                                    sym, ms, sym, trade_id, 100 + 0.01 * static_cast<double>(trade_id % 100),
                                    ms, trade_id % 2 == 0 ? "true" : "false"));
                }
            }
            ++it;
        }
    }

    template<typename Stream>
    void on_request(Stream stream, std::shared_ptr<http::request<http::string_body>> req) {
        {
            std::lock_guard g(mu);
            if (auto h = req->find("X-TD-APIKEY"); h != req->end()) {
                api_keys.emplace_back(h->value());
            }
            if (auto h = req->find(http::field::authorization); h != req->end()) {
                api_keys.emplace_back(h->value());
            }
        }
        std::string target(req->target());
        if (websocket::is_upgrade(*req)) {
            auto s = std::make_shared<ws_session<Stream>>(this, std::move(stream));
            auto u = boost::urls::parse_origin_form(target);
            if (target.rfind("/v1/quotes/price", 0) == 0) {
                s->twelvedata = true;
            } else if (u) {
                for (auto p : u->params()) {
                    if (p.key == "streams") {
                        std::string v = p.value;
                        size_t start = 0;
                        while (start < v.size()) {
                            size_t c = v.find('/', start);
                            std::string one =
                                v.substr(start, c == std::string::npos ? std::string::npos : c - start);
                            s->subscribed.insert(one.substr(0, one.find('@')));
                            start = c == std::string::npos ? v.size() : c + 1;
                        }
                    }
                }
            }
            s->start(std::move(*req));
            return;
        }
        auto res = std::make_shared<http::response<http::string_body>>();
        res->version(11);
        res->set(http::field::content_type, "application/json");
        {
            std::lock_guard g(mu);
            rest_targets.push_back(target);
            if (n429 > 0) {
                --n429;
                res->result(429);
                res->body() =
                    R"({"code":429,"message":"You have run out of API credits for the current minute.","status":"error"})";
            } else if (nerr200 > 0) {
                --nerr200;
                res->result(200);
                res->body() = R"({"code":400,"message":"symbol not found","status":"error"})";
            } else {
                res->result(200);
                res->body() = rest_body(target, refused);
            }
        }
        res->prepare_payload();
        auto st = std::make_shared<Stream>(std::move(stream));
        http::async_write(*st, *res, [st, res](beast::error_code, size_t) {});
    }

    // Bars of the requested interval for every window from start_date to
    // end_date, both inclusive (the REST API's edges are not documented, so
    // the client must filter), at most outputsize of the newest, in the asked
    // order (newest first by default, as TwelveData). Prices follow the window
    // index; forex symbols (with a '/') have no volume, as on TwelveData.
    static std::string rest_body(const std::string& target, const std::set<std::string>& refused) {
        auto u = boost::urls::parse_origin_form(target);
        std::string symbol, from, to, interval = "1min", order = "desc";
        int64_t outputsize = 30;
        if (u) {
            for (auto p : u->params()) {
                if (p.key == "symbol") {
                    symbol = p.value;
                } else if (p.key == "start_date") {
                    from = p.value;
                } else if (p.key == "end_date") {
                    to = p.value;
                } else if (p.key == "interval") {
                    interval = p.value;
                } else if (p.key == "order") {
                    order = p.value;
                } else if (p.key == "outputsize") {
                    outputsize = std::clamp<int64_t>(std::atoll(std::string(p.value).c_str()), 1, 5000);
                }
            }
        }
        auto width = mdsp::model::interval::parse(interval == "1day" ? "1d" : interval);
        auto a = mdsp::parse_time_micros(from);
        auto b = mdsp::parse_time_micros(to);
        if (!u || symbol.empty() || !width || !a || !b) {
            return R"({"code":400,"message":"bad request","status":"error"})";
        }
        if (refused.count(symbol)) {
            return fmt::format(
                R"({{"code":400,"message":"**symbol** not found: {}. Please specify it correctly","status":"error"}})",
                symbol);
        }
        int64_t w = width->micros();
        int64_t first = (*a + w - 1) / w * w;
        int64_t last = *b / w * w;
        if (last < first) {
            return R"({"code":400,"message":"No data is available on the specified dates. Try setting different start/end dates.","status":"error"})";
        }
        first = std::max(first, last - (outputsize - 1) * w);
        boost::json::array values;
        for (int64_t t = first; t <= last; t += w) {
            int64_t i = t / w;
            double base = 100 + 0.01 * static_cast<double>(i % 97);
            std::string iso = mdsp::format_iso8601(t);
            boost::json::object v{
                {"datetime", iso.substr(0, 10) + (w % 86'400'000'000 == 0 ? "" : " " + iso.substr(11, 8))},
                {"open", fmt::format("{}", base)},
                {"high", fmt::format("{}", base + 0.5)},
                {"low", fmt::format("{}", base - 0.25)},
                {"close", fmt::format("{}", base + 0.125)}};
            if (symbol.find('/') == std::string::npos) {
                v["volume"] = fmt::format("{}", 10 + i % 7);
            }
            values.push_back(std::move(v));
        }
        if (order != "asc") {
            std::reverse(values.begin(), values.end());
        }
        boost::json::object o{{"meta", boost::json::object{{"symbol", symbol}, {"interval", interval}}},
                              {"values", values},
                              {"status", "ok"}};
        return boost::json::serialize(o);
    }

    void accept() {
        acceptor.async_accept([self = this](beast::error_code ec, tcp::socket sock) {
            if (ec) {
                return;
            }
            if (self->tls) {
                auto s = std::make_shared<beast::ssl_stream<beast::tcp_stream>>(
                    beast::tcp_stream(std::move(sock)), self->ssl);
                s->async_handshake(asio::ssl::stream_base::server, [self, s](beast::error_code ec) {
                    if (!ec) {
                        self->read_request(std::move(*s));
                    }
                });
            } else {
                self->read_request(beast::tcp_stream(std::move(sock)));
            }
            self->accept();
        });
    }

    template<typename Stream>
    void read_request(Stream s) {
        auto st = std::make_shared<Stream>(std::move(s));
        auto buf = std::make_shared<beast::flat_buffer>();
        auto req = std::make_shared<http::request<http::string_body>>();
        http::async_read(*st, *buf, *req, [self = this, st, buf, req](beast::error_code ec, size_t) {
            if (!ec) {
                self->on_request(std::move(*st), req);
            }
        });
    }

    template<typename F>
    void on_io(F f) {
        std::promise<void> done;
        asio::post(io, [&] {
            f();
            done.set_value();
        });
        done.get_future().wait();
    }

    void for_sessions(const std::function<void(session_base&)>& f) {
        on_io([&] {
            for (auto& w : sessions) {
                if (auto s = w.lock()) {
                    f(*s);
                }
            }
        });
    }
};

fake_feed::fake_feed(const std::string& dir, bool tls)
  : _impl(std::make_shared<impl>()) {
    _impl->tls = tls;
    _impl->dir = dir;
    if (tls) {
        std::string cmd = fmt::format(
            "openssl req -x509 -newkey rsa:2048 -nodes -keyout '{0}/key.pem' -out '{0}/cert.pem' -days 2 "
            "-subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 2>/dev/null",
            dir);
        if (std::system(cmd.c_str()) != 0) {
            throw std::runtime_error(
                "fake_feed: openssl could not make a certificate (is openssl installed?)");
        }
        _impl->ssl.use_certificate_chain_file(dir + "/cert.pem");
        _impl->ssl.use_private_key_file(dir + "/key.pem", asio::ssl::context::pem);
    }
    tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
    _impl->acceptor.open(ep.protocol());
    _impl->acceptor.set_option(asio::socket_base::reuse_address(true));
    _impl->acceptor.bind(ep);
    _impl->acceptor.listen();
    _impl->accept();
    _impl->tick();
    _impl->thread = std::thread([i = _impl] { i->io.run(); });
}

fake_feed::~fake_feed() {
    _impl->io.stop();
    _impl->thread.join();
}

uint16_t fake_feed::port() const {
    return _impl->acceptor.local_endpoint().port();
}
std::string fake_feed::ca_file() const {
    return _impl->dir + "/cert.pem";
}
std::string fake_feed::ws_url(const std::string& path) const {
    return fmt::format("{}://localhost:{}{}", _impl->tls ? "wss" : "ws", port(), path);
}
void fake_feed::refuse_symbol(const std::string& s) {
    std::lock_guard g(_impl->mu);
    _impl->refused.insert(s);
}
void fake_feed::drop_all() {
    _impl->for_sessions([](session_base& s) { s.drop(); });
}
void fake_feed::stall(bool on) {
    std::lock_guard g(_impl->mu);
    _impl->stalled = on;
}
void fake_feed::send_raw(const std::string& text) {
    _impl->for_sessions([&](session_base& s) {
        if (s.twelvedata) {
            s.send(text);
        }
    });
}
void fake_feed::ping_all(const std::string& payload) {
    _impl->for_sessions([&](session_base& s) { s.ping(payload); });
}
void fake_feed::answer_429(int n) {
    std::lock_guard g(_impl->mu);
    _impl->n429 = n;
}
void fake_feed::rest_error_200(int n) {
    std::lock_guard g(_impl->mu);
    _impl->nerr200 = n;
}
void fake_feed::set_future_seconds(int64_t s) {
    std::lock_guard g(_impl->mu);
    _impl->future_s = s;
}
int fake_feed::ws_connections() const {
    std::lock_guard g(_impl->mu);
    return _impl->connections;
}
std::vector<std::string> fake_feed::client_messages() const {
    std::lock_guard g(_impl->mu);
    return _impl->client_messages;
}
int fake_feed::heartbeats() const {
    std::lock_guard g(_impl->mu);
    return _impl->heartbeats;
}
std::vector<std::string> fake_feed::pongs() const {
    std::lock_guard g(_impl->mu);
    return _impl->pongs;
}
std::vector<std::string> fake_feed::api_keys() const {
    std::lock_guard g(_impl->mu);
    return _impl->api_keys;
}
std::vector<std::string> fake_feed::rest_targets() const {
    std::lock_guard g(_impl->mu);
    return _impl->rest_targets;
}
std::vector<std::string> fake_feed::everything_sent() const {
    std::lock_guard g(_impl->mu);
    return _impl->sent;
}

} // namespace mdsp::feed::testing
