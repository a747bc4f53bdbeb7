#pragma once

// A minimal blocking HTTP/1.1 server (Boost.Beast) that answers every request
// with registry::handle(), so the registry's client can be tested over a real
// socket without the http module (registry may not depend on it). One
// connection at a time, one request per connection (the client sends
// "Connection: close"); for tests only.

#include <atomic>
#include <cstdint>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "registry/request.h"
#include "registry/routes.h"

namespace mdsp::registry::testing {

class test_server {
public:
    explicit test_server(schema_registry& reg)
      : _reg(reg)
      , _acceptor(_ioc, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
        _port = _acceptor.local_endpoint().port();
        _thread = std::thread([this] { serve(); });
    }
    ~test_server() { stop(); }
    test_server(const test_server&) = delete;
    test_server& operator=(const test_server&) = delete;

    uint16_t port() const { return _port; }

    // Stops accepting; the port refuses connections afterwards.
    void stop() {
        if (_stopping.exchange(true)) {
            return;
        }
        // Wake the blocking accept with a connection of our own.
        boost::system::error_code ec;
        boost::asio::ip::tcp::socket s(_ioc);
        s.connect({boost::asio::ip::make_address("127.0.0.1"), _port}, ec);
        _thread.join();
        _acceptor.close(ec);
    }

private:
    void serve() {
        namespace bhttp = boost::beast::http;
        while (true) {
            boost::system::error_code ec;
            boost::asio::ip::tcp::socket sock(_ioc);
            _acceptor.accept(sock, ec);
            if (_stopping || ec) {
                return;
            }
            boost::beast::flat_buffer buf;
            bhttp::request_parser<bhttp::string_body> parser;
            parser.body_limit(max_body_bytes);
            bhttp::read(sock, buf, parser, ec);
            if (ec) {
                continue;
            }
            const auto& req = parser.get();
            request r;
            switch (req.method()) {
            case bhttp::verb::get:
                r.verb = method::get;
                break;
            case bhttp::verb::post:
                r.verb = method::post;
                break;
            case bhttp::verb::put:
                r.verb = method::put;
                break;
            default:
                r.verb = method::other;
            }
            r.target = std::string_view(req.target().data(), req.target().size());
            auto ct = req[bhttp::field::content_type];
            r.content_type = std::string_view(ct.data(), ct.size());
            r.body = req.body();
            auto a = handle(_reg, r);
            bhttp::response<bhttp::string_body> res(static_cast<bhttp::status>(a.status), 11);
            res.set(bhttp::field::content_type, a.content_type);
            res.keep_alive(false);
            res.body() = std::move(a.body);
            res.prepare_payload();
            bhttp::write(sock, res, ec);
            sock.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
        }
    }

    schema_registry& _reg;
    boost::asio::io_context _ioc;
    boost::asio::ip::tcp::acceptor _acceptor;
    uint16_t _port = 0;
    std::atomic<bool> _stopping{false};
    std::thread _thread;
};

} // namespace mdsp::registry::testing
