#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/json/value.hpp>

#include "base/result.h"
#include "http/query.h"

namespace mdsp::http {

enum class errc {
    bad_address = 1, // the listen address does not parse
    bind_failed,     // the port is taken or not allowed
    already_started,
};

using verb = boost::beast::http::verb;

// A request as route handlers see it. Valid only during the handler call.
struct request {
    verb method = verb::get;
    std::string_view target;                                  // as sent: "/api/v1/candles?symbol=X"
    std::string path;                                         // percent-decoded: "/api/v1/candles"
    query_params query;                                       // percent-decoded, in order
    std::vector<std::pair<std::string, std::string>> headers; // names as sent
    std::string_view body;                                    // at most server_config::max_body_bytes

    std::optional<std::string_view> param(std::string_view name) const { return find_param(query, name); }
    // The first header of that name (case-insensitive).
    std::optional<std::string_view> header(std::string_view name) const;
};

struct response {
    unsigned status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers; // extra headers
};

// The value serialized by Boost.JSON (shortest round-trip doubles).
response json_response(unsigned status, const boost::json::value& v);
// {"error": error, "message": message}
response error_response(unsigned status, std::string_view error, std::string_view message);

using handler = std::function<response(const request&)>;

// Makes the answer to an error the server finds itself (a body over the
// limit, a method the path has no handler for, a handler that threw) on
// the paths of an API with an error format of its own. message says what
// was wrong; status is the HTTP status.
using error_shaper = std::function<response(unsigned status, std::string_view message)>;
// Where the handlers of a route run. Probes (/healthz, /readyz, /metrics) run
// on the I/O threads; every other route on a pool of workers: `bulk` for
// routes whose answers can be large (many rows), `light` for the others, so
// that a flood of large requests never queues the small ones behind it.
enum class lane { light, bulk };

// A request to upgrade the connection (WebSocket) on a path registered with
// server::upgrade_route(). The handler takes over the socket, whose executor
// is the connection's strand, together with the request that asked; it runs
// on that strand and must not block.
using upgrade_request = boost::beast::http::request<boost::beast::http::string_body>;
using upgrade_handler = std::function<void(boost::asio::ip::tcp::socket&&, upgrade_request&&)>;

// What /readyz reports: ready, or not with the reasons (e.g. "store not open").
struct readiness {
    bool ready = true;
    std::vector<std::string> reasons;
};
using readiness_check = std::function<readiness()>;

struct server_config {
    std::string address = "127.0.0.1";
    uint16_t port = 8080; // 0 picks a free port; see server::port()
    int threads = 1;      // I/O threads: read, route, write, and run the probe routes
    // Threads running the routes of lane::bulk, and of lane::light: building
    // a large answer never holds up an I/O thread, and probes and small
    // requests are never queued behind large ones.
    int workers = 2;
    int light_workers = 1;
    // Requests waiting for a worker, per lane; beyond, 503 with Retry-After.
    size_t max_queued_requests = 256;
    size_t max_connections = 512;
    size_t max_header_bytes = 8 * 1024;
    size_t max_body_bytes = 16 * 1024;
    // Answer bytes built and not yet written, over all connections. A data
    // request that comes when they are over this, or whose answer would pass
    // it, gets 503 with Retry-After instead of growing memory.
    size_t max_buffered_answer_bytes = size_t{64} << 20;
    // One answer (a connection holds at most one: the next request is read
    // once it is written); a larger one is refused with 503 and a hint to
    // ask for less.
    size_t max_answer_bytes = size_t{16} << 20;
    std::chrono::milliseconds idle_timeout{
        30'000}; // a connection with no complete request for this long is closed
    // A client that has not taken its whole answer after this long is
    // disconnected, and the answer's bytes are freed.
    std::chrono::milliseconds answer_timeout{30'000};
};

// The HTTP/1.1 server (Boost.Beast): keep-alive connections, routes by exact
// path or by prefix, JSON errors, a count and a latency histogram per route in
// the global metrics registry.
//
// Built in: GET /healthz, GET /readyz (asks the readiness check given here),
// GET /metrics (the global registry in the Prometheus text format). The
// /api/v1 routes are added by add_api_routes() (http/api.h).
//
// Unknown path: 404 JSON; known path, other method: 405 JSON with Allow. HEAD
// is answered for every GET route. A request over the header or body limit
// gets 431 or 413 and the connection is closed; a connection beyond
// max_connections is answered 503 and closed. "Expect: 100-continue" is
// answered 100 before the body is read (or 413 at once when the body would be
// over the limit); other expectations get 417.
//
// Load: the probe routes run on the I/O threads; others on the workers of their lane,
// with the bounds of server_config (queued requests, buffered answer bytes,
// one answer's bytes, time to take an answer). A refusal for load is 503
// {"error":"busy"} with Retry-After. Gauges mdsp_http_buffered_answer_bytes
// and mdsp_http_queued_requests and the counter mdsp_http_refused_total
// {reason} show them.
//
// Threads: route() only before start(); handlers of data routes run on the
// worker threads (config.workers), concurrently, so they must be thread-safe.
// start() once; stop() (also run by the destructor) closes the listener and
// every connection and joins the threads.
class server {
public:
    explicit server(server_config config, readiness_check ready = {});
    ~server();
    server(const server&) = delete;
    server& operator=(const server&) = delete;

    // path is exact ("/api/v1/candles") or a prefix ending in "/*"
    // ("/subjects/*" matches "/subjects/x/versions"); the longest match wins.
    // A later route for the same method and path replaces the earlier one.
    // The lane is the path's (the last one given for it).
    void route(verb method, std::string path, handler h, lane l = lane::light);

    // Errors the server answers itself (413, 431, 405, 500) on a path that
    // route() registered (the same string: exact or "/prefix/*") are made by
    // f instead of error_response(), e.g. in the schema registry's
    // {"error_code","message"}. Before start(), after route() for the path.
    void error_shape(std::string path, error_shaper f);

    // Hands connections whose request on exactly this path carries
    // "Upgrade: websocket" to h (before start()). Other requests on the path
    // go to the ordinary routes.
    void upgrade_route(std::string path, upgrade_handler h);

    // Binds and starts serving; errc::bind_failed says which address and port.
    result<void> start();
    void stop();

    // The bound port after start() (the chosen one when config.port is 0).
    uint16_t port() const noexcept;
    // Open connections right now.
    size_t connections() const noexcept;
    // Bytes of answers built and not yet fully written, right now.
    size_t buffered_answer_bytes() const noexcept;

    struct impl;

private:
    std::unique_ptr<impl> _impl;
};

} // namespace mdsp::http

MDSP_DECLARE_ERRC(mdsp::http)
