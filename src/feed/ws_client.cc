#include "feed/ws_client.h"

#include <chrono>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/url/parse.hpp>
#include <fmt/format.h>
#include <openssl/ssl.h>

namespace mdsp::feed {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

namespace {

bool is_loopback(std::string_view host) {
    return host == "localhost" || host == "127.0.0.1" || host == "::1" || host == "[::1]";
}

} // namespace

result<ws_url> parse_ws_url(std::string_view url) {
    auto u = boost::urls::parse_uri(url);
    if (!u) {
        return make_error(errc::bad_config, "'{}' is not a URL; write it like wss://host:port/path",
                          redact_url(url));
    }
    ws_url out;
    auto scheme = u->scheme();
    if (scheme == "wss" || scheme == "https") {
        out.tls = true;
    } else if (scheme == "ws" || scheme == "http") {
        out.tls = false;
    } else {
        return make_error(errc::bad_config, "'{}' has the scheme '{}'; use wss:// (or https:// for REST)",
                          redact_url(url), std::string(scheme));
    }
    out.host = std::string(u->encoded_host());
    if (out.host.empty()) {
        return make_error(errc::bad_config, "'{}' has no host", redact_url(url));
    }
    if (!out.tls && !is_loopback(out.host)) {
        return make_error(errc::bad_config,
                          "'{}' is not encrypted; plain ws:// or http:// is allowed only to localhost, use "
                          "wss:// or https://",
                          redact_url(url));
    }
    out.port = u->has_port() ? std::string(u->port()) : (out.tls ? "443" : "80");
    if (out.port.empty()) {
        return make_error(errc::bad_config, "'{}' has a ':' but no port after the host", redact_url(url));
    }
    out.target = std::string(u->encoded_resource());
    if (out.target.empty() || out.target.front() != '/') {
        out.target.insert(0, "/");
    }
    return out;
}

std::string redact_url(std::string_view url) {
    std::string s(url);
    size_t pos = 0;
    while ((pos = s.find("apikey=", pos)) != std::string::npos) {
        if (pos > 0 && s[pos - 1] != '?' && s[pos - 1] != '&') {
            pos += 7;
            continue;
        }
        size_t end = s.find('&', pos);
        s.replace(pos + 7, (end == std::string::npos ? s.size() : end) - pos - 7, "***");
        pos += 10;
    }
    return s;
}

result<std::shared_ptr<asio::ssl::context>> tls_context_for(const ws_url& url, const tls_options& o) {
    if (!url.tls) {
        return std::shared_ptr<asio::ssl::context>();
    }
    return make_tls_context(o);
}

result<std::shared_ptr<asio::ssl::context>> make_tls_context(const tls_options& o) {
    auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
    boost::system::error_code ec;
    ctx->set_default_verify_paths(ec);
    if (ec) {
        return make_error(errc::bad_config, "cannot load the system CA certificates: {}", ec.message());
    }
    if (!o.ca_file.empty()) {
        ctx->load_verify_file(o.ca_file, ec);
        if (ec) {
            return make_error(errc::bad_config, "cannot load the CA file {}: {}; give a PEM certificate file",
                              o.ca_file, ec.message());
        }
    }
    ctx->set_verify_mode(asio::ssl::verify_peer);
    SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
    return ctx;
}

namespace {

template<typename Stream>
class session_impl final : public ws_session {
public:
    session_impl(asio::io_context& io, std::shared_ptr<asio::ssl::context> tls, ws_options opts, callbacks cb)
      : _io(io)
      , _tls(std::move(tls))
      , _opts(std::move(opts))
      , _cb(std::move(cb))
      , _resolver(io)
      , _ws(make_stream(io)) {}

    void start() override {
        auto self = shared_from_this();
        _resolver.async_resolve(
            _opts.url.host, _opts.url.port,
            [this, self](beast::error_code ec, tcp::resolver::results_type r) {
                if (ec) {
                    return finish(fmt::format("cannot resolve {}: {}", _opts.url.host, ec.message()));
                }
                on_resolved(r);
            });
    }

    void send(std::string text) override {
        if (_done) {
            return;
        }
        _writes.push_back(std::move(text));
        if (_open && _writes.size() == 1) {
            write_next();
        }
    }

    void close() override {
        if (_done || _closing) {
            return;
        }
        _closing = true;
        if (!_open) {
            _resolver.cancel();
            beast::error_code ec;
            beast::get_lowest_layer(_ws).socket().close(ec);
            return finish("closed by the client");
        }
        if (!_writes.empty()) {
            // A write is in flight: a close handshake would be a second write
            // on the stream, and re-arming the timer with a read and a write
            // pending breaks Beast's contract (it asserts). Close hard; the
            // pending operations complete with operation_aborted.
            beast::error_code ec;
            beast::get_lowest_layer(_ws).socket().close(ec);
            return finish("closed by the client");
        }
        auto self = shared_from_this();
        beast::get_lowest_layer(_ws).expires_after(std::chrono::seconds(2));
        _ws.async_close(websocket::close_code::normal,
                        [this, self](beast::error_code) { finish("closed by the client"); });
    }

    bool open() const override { return _open && !_done; }
    uint64_t sent() const override { return _sent; }

private:
    using ws_type = websocket::stream<Stream>;

    ws_type make_stream(asio::io_context& io) {
        if constexpr (std::is_same_v<Stream, beast::ssl_stream<beast::tcp_stream>>) {
            return ws_type(io, *_tls);
        } else {
            return ws_type(io);
        }
    }

    void on_resolved(const tcp::resolver::results_type& r) {
        auto self = shared_from_this();
        beast::get_lowest_layer(_ws).expires_after(std::chrono::milliseconds(_opts.connect_timeout_ms));
        beast::get_lowest_layer(_ws).async_connect(r, [this, self](beast::error_code ec,
                                                                   const tcp::endpoint&) {
            if (ec) {
                return finish(
                    fmt::format("cannot connect to {}:{}: {}", _opts.url.host, _opts.url.port, ec.message()));
            }
            if constexpr (std::is_same_v<Stream, beast::ssl_stream<beast::tcp_stream>>) {
                auto& ssl = _ws.next_layer();
                if (!SSL_set_tlsext_host_name(ssl.native_handle(), _opts.url.host.c_str())) {
                    return finish("cannot set the TLS server name (SNI)");
                }
                ssl.set_verify_callback(asio::ssl::host_name_verification(_opts.url.host));
                ssl.async_handshake(asio::ssl::stream_base::client, [this, self](beast::error_code ec) {
                    if (ec) {
                        return finish(
                            fmt::format("TLS handshake with {} failed: {}", _opts.url.host, ec.message()));
                    }
                    ws_handshake();
                });
            } else {
                ws_handshake();
            }
        });
    }

    void ws_handshake() {
        auto self = shared_from_this();
        beast::get_lowest_layer(_ws).expires_never();
        auto t = websocket::stream_base::timeout::suggested(beast::role_type::client);
        t.handshake_timeout = std::chrono::milliseconds(_opts.connect_timeout_ms);
        _ws.set_option(t);
        _ws.read_message_max(_opts.max_message_bytes);
        auto headers = _opts.headers;
        _ws.set_option(websocket::stream_base::decorator([headers](websocket::request_type& req) {
            req.set(beast::http::field::user_agent, "mdsp/0.1");
            for (const auto& [k, v] : headers) {
                req.set(k, v);
            }
        }));
        _ws.control_callback([this](websocket::frame_type kind, beast::string_view payload) {
            if (kind == websocket::frame_type::ping && _cb.on_ping) {
                _cb.on_ping(std::string_view(payload.data(), payload.size()));
            }
        });
        bool default_port = _opts.url.port == (_opts.url.tls ? "443" : "80");
        std::string host = default_port ? _opts.url.host : _opts.url.host + ":" + _opts.url.port;
        _ws.async_handshake(host, _opts.url.target, [this, self](beast::error_code ec) {
            if (ec) {
                return finish(
                    fmt::format("WebSocket handshake with {} failed: {}", _opts.url.host, ec.message()));
            }
            _open = true;
            if (_cb.on_open) {
                _cb.on_open();
            }
            if (!_writes.empty() && !_done) {
                write_next();
            }
            read_next();
        });
    }

    void read_next() {
        if (_done) {
            return;
        }
        auto self = shared_from_this();
        _ws.async_read(_buf, [this, self](beast::error_code ec, size_t) {
            if (ec) {
                if (ec == websocket::error::closed) {
                    auto reason = _ws.reason();
                    return finish(fmt::format("the server closed the connection (code {}{}{})",
                                              static_cast<int>(reason.code),
                                              reason.reason.empty() ? "" : ": ",
                                              std::string(reason.reason.data(), reason.reason.size())));
                }
                if (ec == websocket::error::message_too_big) {
                    return finish(fmt::format("a message was larger than the limit of {} bytes",
                                              _opts.max_message_bytes));
                }
                return finish(fmt::format("read from {} failed: {}", _opts.url.host, ec.message()));
            }
            auto data = _buf.cdata();
            std::string_view msg(static_cast<const char*>(data.data()), data.size());
            if (_cb.on_message) {
                _cb.on_message(msg);
            }
            _buf.consume(_buf.size());
            read_next();
        });
    }

    void write_next() {
        auto self = shared_from_this();
        _ws.text(true);
        _ws.async_write(asio::buffer(_writes.front()), [this, self](beast::error_code ec, size_t) {
            if (ec) {
                return finish(fmt::format("write to {} failed: {}", _opts.url.host, ec.message()));
            }
            ++_sent;
            _writes.pop_front();
            if (!_writes.empty() && !_done) {
                write_next();
            }
        });
    }

    void finish(const std::string& why) {
        if (_done) {
            return;
        }
        _done = true;
        _open = false;
        beast::error_code ec;
        beast::get_lowest_layer(_ws).socket().close(ec);
        if (_cb.on_close) {
            _cb.on_close(why);
        }
    }

    asio::io_context& _io;
    std::shared_ptr<asio::ssl::context> _tls;
    ws_options _opts;
    callbacks _cb;
    tcp::resolver _resolver;
    ws_type _ws;
    beast::flat_buffer _buf;
    std::deque<std::string> _writes;
    bool _open = false;
    bool _closing = false;
    bool _done = false;
    uint64_t _sent = 0;
};

} // namespace

std::shared_ptr<ws_session> ws_session::create(asio::io_context& io, std::shared_ptr<asio::ssl::context> tls,
                                               ws_options opts, callbacks cb) {
    if (opts.url.tls) {
        return std::make_shared<session_impl<beast::ssl_stream<beast::tcp_stream>>>(
            io, std::move(tls), std::move(opts), std::move(cb));
    }
    return std::make_shared<session_impl<beast::tcp_stream>>(io, std::move(tls), std::move(opts),
                                                             std::move(cb));
}

} // namespace mdsp::feed
