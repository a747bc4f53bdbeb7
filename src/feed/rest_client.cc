#include "feed/rest_client.h"

#include <chrono>
#include <optional>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <fmt/format.h>
#include <openssl/ssl.h>

namespace mdsp::feed {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

// One request on a fresh connection; the io_context is run by the caller
// until done.
template<typename Stream>
class exchange : public std::enable_shared_from_this<exchange<Stream>> {
public:
    exchange(asio::io_context& io, Stream stream, const rest_request& r)
      : _resolver(io)
      , _stream(std::move(stream))
      , _r(r) {}

    void start() {
        auto self = this->shared_from_this();
        lowest().expires_after(std::chrono::milliseconds(_r.timeout_ms));
        _resolver.async_resolve(
            _r.url.host, _r.url.port, [this, self](beast::error_code ec, tcp::resolver::results_type res) {
                if (ec) {
                    return fail(fmt::format("cannot resolve {}: {}", _r.url.host, ec.message()));
                }
                lowest().async_connect(res, [this, self](beast::error_code ec, const tcp::endpoint&) {
                    if (ec) {
                        return fail(fmt::format("cannot connect to {}:{}: {}", _r.url.host, _r.url.port,
                                                describe(ec)));
                    }
                    handshake();
                });
            });
    }

    std::optional<result<rest_response>> outcome;

private:
    beast::tcp_stream& lowest() { return beast::get_lowest_layer(_stream); }

    std::string describe(const beast::error_code& ec) const {
        return ec == beast::error::timeout ? fmt::format("no answer within {} ms", _r.timeout_ms)
                                           : ec.message();
    }

    void handshake() {
        auto self = this->shared_from_this();
        if constexpr (std::is_same_v<Stream, beast::ssl_stream<beast::tcp_stream>>) {
            if (!SSL_set_tlsext_host_name(_stream.native_handle(), _r.url.host.c_str())) {
                return fail("cannot set the TLS server name (SNI)");
            }
            _stream.set_verify_callback(asio::ssl::host_name_verification(_r.url.host));
            _stream.async_handshake(asio::ssl::stream_base::client, [this, self](beast::error_code ec) {
                if (ec) {
                    return fail(fmt::format("TLS handshake with {} failed: {}", _r.url.host, describe(ec)));
                }
                send();
            });
        } else {
            send();
        }
    }

    void send() {
        auto self = this->shared_from_this();
        _req.method(http::verb::get);
        _req.target(_r.url.target);
        _req.version(11);
        bool default_port = _r.url.port == (_r.url.tls ? "443" : "80");
        _req.set(http::field::host, default_port ? _r.url.host : _r.url.host + ":" + _r.url.port);
        _req.set(http::field::user_agent, "mdsp/0.1");
        _req.set(http::field::accept, "application/json");
        _req.set(http::field::connection, "close");
        for (const auto& [k, v] : _r.headers) {
            _req.set(k, v);
        }
        http::async_write(_stream, _req, [this, self](beast::error_code ec, size_t) {
            if (ec) {
                return fail(fmt::format("sending the request to {} failed: {}", _r.url.host, describe(ec)));
            }
            _parser.body_limit(_r.max_body_bytes);
            _parser.header_limit(64 * 1024);
            http::async_read(_stream, _buf, _parser, [this, self](beast::error_code ec, size_t) {
                if (ec == http::error::body_limit) {
                    return fail(fmt::format("the answer of {} is larger than {} bytes", _r.url.host,
                                            _r.max_body_bytes));
                }
                if (ec) {
                    return fail(
                        fmt::format("reading the answer of {} failed: {}", _r.url.host, describe(ec)));
                }
                auto& res = _parser.get();
                rest_response out;
                out.status = static_cast<int>(res.result_int());
                for (const auto& f : res) {
                    out.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
                }
                out.body = std::move(res.body());
                outcome = std::move(out);
                beast::error_code ignored;
                lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
                lowest().close();
            });
        });
    }

    void fail(std::string why) {
        outcome = make_error(errc::io_error, "{}", why);
        lowest().close();
    }

    tcp::resolver _resolver;
    Stream _stream;
    const rest_request& _r;
    http::request<http::empty_body> _req;
    http::response_parser<http::string_body> _parser;
    beast::flat_buffer _buf;
};

template<typename Stream>
result<rest_response> run(asio::io_context& io, Stream stream, const rest_request& r) {
    auto x = std::make_shared<exchange<Stream>>(io, std::move(stream), r);
    x->start();
    io.run();
    if (!x->outcome) {
        return make_error(errc::io_error, "the request to {} ended without an answer", r.url.host);
    }
    return std::move(*x->outcome);
}

} // namespace

std::string_view rest_response::header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
        if (beast::iequals(k, name)) {
            return v;
        }
    }
    return {};
}

result<rest_response> http_get(const std::shared_ptr<asio::ssl::context>& tls, const rest_request& r) {
    asio::io_context io;
    if (r.url.tls) {
        if (!tls) {
            return make_error(errc::bad_config, "https://{} needs a TLS context", r.url.host);
        }
        return run(io, beast::ssl_stream<beast::tcp_stream>(io, *tls), r);
    }
    return run(io, beast::tcp_stream(io), r);
}

} // namespace mdsp::feed
