#pragma once

// A real HTTP/1.1 client (Boost.Beast, blocking) for the server tests.

#include <string>
#include <utility>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace mdsp::http::testing {

struct reply {
    unsigned status = 0;
    std::string content_type;
    std::string body;
    boost::beast::http::response<boost::beast::http::string_body> raw;

    boost::json::value json() const { return boost::json::parse(body); }
};

// One connection; several requests may go over it (keep-alive).
class client {
public:
    explicit client(uint16_t port)
      : _stream(_ioc) {
        _stream.connect(boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
    }

    reply request(boost::beast::http::verb method, const std::string& target,
                  const std::vector<std::pair<std::string, std::string>>& headers = {},
                  std::string body = {}) {
        namespace bhttp = boost::beast::http;
        bhttp::request<bhttp::string_body> req(method, target, 11);
        req.set(bhttp::field::host, "127.0.0.1");
        for (const auto& [k, v] : headers) {
            req.set(k, v);
        }
        if (!body.empty()) {
            req.body() = std::move(body);
            req.prepare_payload();
        }
        bhttp::write(_stream, req);
        reply r;
        bhttp::response_parser<bhttp::string_body> parser;
        parser.body_limit(64 * 1024 * 1024);
        parser.skip(method == bhttp::verb::head);
        bhttp::read(_stream, _buffer, parser);
        r.raw = parser.release();
        r.status = r.raw.result_int();
        r.content_type = std::string(r.raw[bhttp::field::content_type]);
        r.body = r.raw.body();
        return r;
    }

    reply get(const std::string& target) { return request(boost::beast::http::verb::get, target); }

    boost::beast::tcp_stream& stream() { return _stream; }

private:
    boost::asio::io_context _ioc;
    boost::beast::tcp_stream _stream;
    boost::beast::flat_buffer _buffer;
};

inline reply get(uint16_t port, const std::string& target) {
    return client(port).get(target);
}

} // namespace mdsp::http::testing
