#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "feed/source.h"

namespace boost::asio {
class io_context;
namespace ssl {
class context;
}
} // namespace boost::asio

namespace mdsp::feed {

// A parsed ws:// or wss:// URL. ws:// is accepted only for loopback hosts
// (tests); market data from the network always goes over TLS.
struct ws_url {
    bool tls = true;
    std::string host;
    std::string port;
    std::string target; // path and query, "/" at least
};
result<ws_url> parse_ws_url(std::string_view url);
// The same URL with any query parameter named apikey replaced by "***", for
// logs and errors.
std::string redact_url(std::string_view url);

// TLS settings shared by the WebSocket and REST clients: peers are always
// verified (system CA store, plus ca_file when given), with SNI and host name
// checks.
struct tls_options {
    std::string ca_file; // extra trusted certificates (PEM), e.g. a test server's
};
result<std::shared_ptr<boost::asio::ssl::context>> make_tls_context(const tls_options& o);
// The TLS context a URL needs: null for ws://, make_tls_context for wss://.
result<std::shared_ptr<boost::asio::ssl::context>> tls_context_for(const ws_url& url, const tls_options& o);

struct ws_options {
    ws_url url;
    // Extra handshake headers (e.g. X-TD-APIKEY). Their values are never
    // logged or put into errors.
    std::vector<std::pair<std::string, std::string>> headers;
    size_t max_message_bytes = 1 << 20;
    int64_t connect_timeout_ms = 10'000;
};

// One WebSocket connection, driven asynchronously on an io_context that one
// thread runs (the connector's io thread); every method must be called on that
// thread. Callbacks run there too. Pings from the server are answered by Beast
// with a pong carrying the same payload; on_ping lets the owner count them.
//
// Lifecycle: create, start() (connect, TLS, handshake), then messages until
// on_close fires exactly once (error, server close, or close()).
class ws_session : public std::enable_shared_from_this<ws_session> {
public:
    struct callbacks {
        std::function<void()> on_open;
        std::function<void(std::string_view)> on_message; // the view lives until it returns
        std::function<void(std::string_view payload)> on_ping;
        std::function<void(const std::string& why)> on_close;
    };

    static std::shared_ptr<ws_session> create(boost::asio::io_context& io,
                                              std::shared_ptr<boost::asio::ssl::context> tls, ws_options opts,
                                              callbacks cb);
    virtual ~ws_session() = default;

    virtual void start() = 0;
    // Queues a text message; writes go out one at a time in order.
    virtual void send(std::string text) = 0;
    // Starts a clean close; on_close follows.
    virtual void close() = 0;
    virtual bool open() const = 0;
    // Frames written (client messages) since start.
    virtual uint64_t sent() const = 0;
};

} // namespace mdsp::feed
