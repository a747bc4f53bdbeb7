#pragma once

// A real HTTP/1.1 client (Boost.Beast, blocking) for tests of our servers.

#include <cstdint>
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

// In http's namespace, as the tests written before this library expect.
namespace mdsp::http::testing {

struct reply {
    unsigned status = 0;
    std::string content_type;
    std::string body;
    boost::beast::http::response<boost::beast::http::string_body> raw;

    boost::json::value json() const { return boost::json::parse(body); }
};

// One connection to 127.0.0.1:port; several requests may go over it
// (keep-alive). Blocking; owned by one thread. Throws boost::system_error
// when the server is not there or closes the connection.
class client {
public:
    explicit client(uint16_t port);

    reply request(boost::beast::http::verb method, const std::string& target,
                  const std::vector<std::pair<std::string, std::string>>& headers = {},
                  std::string body = {});

    reply get(const std::string& target) { return request(boost::beast::http::verb::get, target); }

    boost::beast::tcp_stream& stream() { return _stream; }

private:
    boost::asio::io_context _ioc;
    boost::beast::tcp_stream _stream;
    boost::beast::flat_buffer _buffer;
};

// One GET on a new connection.
reply get(uint16_t port, const std::string& target);

} // namespace mdsp::http::testing
