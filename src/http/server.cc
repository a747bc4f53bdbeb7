#include "http/server.h"

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "base/metrics.h"
#include "base/time.h"
#include "http/json.h"

namespace {
std::string http_errc_message(mdsp::http::errc e) {
    using mdsp::http::errc;
    switch (e) {
    case errc::bad_address:
        return "the listen address is not an IP address";
    case errc::bind_failed:
        return "cannot listen on the address and port";
    case errc::already_started:
        return "the server was started already";
    }
    return "unknown http error";
}
} // namespace

MDSP_DEFINE_ERRC_CATEGORY(mdsp::http, "mdsp.http", http_errc_message)

namespace mdsp::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using beast_request = bhttp::request<bhttp::string_body>;
using beast_response = bhttp::response<bhttp::string_body>;

namespace {

std::string echo(std::string_view v) {
    return echo_input(v, 120);
}

metrics::gauge& buffered_gauge() {
    static auto& g =
        metrics::global().get_gauge("mdsp_http_buffered_answer_bytes",
                                    "Bytes of HTTP answers built and not yet written to their clients");
    return g;
}

metrics::gauge& queued_gauge() {
    static auto& g = metrics::global().get_gauge("mdsp_http_queued_requests",
                                                 "HTTP data requests waiting for a worker thread");
    return g;
}

void count_refused(std::string_view reason) {
    metrics::global()
        .get_counter("mdsp_http_refused_total", "HTTP requests refused for load (503), by reason",
                     {{"reason", std::string(reason)}})
        .inc();
}

} // namespace

std::optional<std::string_view> request::header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
        if (beast::iequals(k, name)) {
            return std::string_view(v);
        }
    }
    return std::nullopt;
}

response json_response(unsigned status, const boost::json::value& v) {
    response r;
    r.status = status;
    r.body = to_json(v);
    return r;
}

response error_response(unsigned status, std::string_view error, std::string_view message) {
    return json_response(status, boost::json::object{{"error", error}, {"message", message}});
}

struct route_entry {
    std::string pattern;
    std::map<verb, handler> handlers;
    bool probe = false;  // cheap and never queued: answered on the I/O thread
    error_shaper shaper; // empty: error_response()
    lane where = lane::light;
};

namespace {
// The server's own error answer on the route e (nullptr: no route).
response error_on(const route_entry* e, unsigned status, std::string_view error, std::string_view message) {
    return e != nullptr && e->shaper ? e->shaper(status, message) : error_response(status, error, message);
}
} // namespace

struct server::impl {
    server_config cfg;
    readiness_check ready;
    std::map<std::string, route_entry, std::less<>> exact;
    std::map<std::string, route_entry, std::less<>> prefixes; // key: the prefix without "*"
    std::map<std::string, upgrade_handler, std::less<>> upgrades;

    std::unique_ptr<asio::io_context> ioc;
    std::unique_ptr<asio::thread_pool> workers[2]; // by lane
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
    std::unique_ptr<tcp::acceptor> acceptor;
    std::unique_ptr<asio::steady_timer> retry_timer;
    std::vector<std::thread> threads;
    std::atomic<size_t> connections{0};
    std::atomic<size_t> queued[2] = {}; // requests waiting for a worker, by lane
    std::atomic<size_t> buffered{0};    // answer bytes built, not yet written
    std::atomic<uint16_t> bound_port{0};
    std::mutex lifecycle_mu;
    bool started = false;
    bool stopped = false;

    const route_entry* find(std::string_view path) const {
        if (auto it = exact.find(path); it != exact.end()) {
            return &it->second;
        }
        const route_entry* best = nullptr;
        size_t best_len = 0;
        for (const auto& [prefix, entry] : prefixes) {
            if (path.starts_with(prefix) && prefix.size() >= best_len) {
                best = &entry;
                best_len = prefix.size();
            }
        }
        return best;
    }

    // True when the request goes to a data route (run on a worker); false
    // for probes and for what is answered without a handler (400, 404, 405).
    std::optional<lane> on_worker(const beast_request& req) const {
        auto url = parse_target(std::string_view(req.target().data(), req.target().size()));
        if (!url) {
            return std::nullopt;
        }
        const route_entry* e = find(url->path);
        if (e == nullptr || e->probe) {
            return std::nullopt;
        }
        return e->where;
    }

    // Takes n bytes of the answer budget; false when they do not fit.
    bool reserve(size_t n) {
        size_t cur = buffered.load();
        do {
            if (cur + n > cfg.max_buffered_answer_bytes) {
                return false;
            }
        } while (!buffered.compare_exchange_weak(cur, cur + n));
        buffered_gauge().add(static_cast<double>(n));
        return true;
    }
    void release(size_t n) {
        if (n > 0) {
            buffered.fetch_sub(n);
            buffered_gauge().add(-static_cast<double>(n));
        }
    }

    void accept();
    void reject(tcp::socket s);
    beast_response handle(const beast_request& req, int64_t started_ns);
    // 503 {"error":"busy"}; with Retry-After when waiting may help.
    beast_response busy(const beast_request& req, std::string_view reason, const std::string& message,
                        bool retry) const;
};

namespace {

// One connection: reads requests, answers each, until the peer closes, an
// error, the idle timeout, or "Connection: close". Runs on its own strand; a
// data request's handler runs on a worker, which posts the answer back. At
// most one answer per connection exists at a time: the next request is read
// once it is written, and its bytes count against the server's budget until
// then.
class session : public std::enable_shared_from_this<session> {
public:
    session(tcp::socket&& s, server::impl& srv)
      : _stream(std::move(s))
      , _srv(srv) {
        _srv.connections.fetch_add(1);
    }
    ~session() {
        _srv.release(_reserved);
        _srv.connections.fetch_sub(1);
    }
    session(const session&) = delete;
    session& operator=(const session&) = delete;

    void run() {
        asio::dispatch(_stream.get_executor(), beast::bind_front_handler(&session::read, shared_from_this()));
    }

private:
    void read() {
        _parser.emplace();
        _parser->header_limit(static_cast<uint32_t>(_srv.cfg.max_header_bytes));
        _parser->body_limit(_srv.cfg.max_body_bytes);
        _stream.expires_after(_srv.cfg.idle_timeout);
        bhttp::async_read_header(_stream, _buffer, *_parser,
                                 beast::bind_front_handler(&session::on_header, shared_from_this()));
    }

    // True when ec ended the request (answered or closed).
    bool failed(beast::error_code ec) {
        if (!ec) {
            return false;
        }
        if (ec == bhttp::error::end_of_stream) {
            shutdown();
        } else if (ec == bhttp::error::header_limit) {
            refuse(431, "header_too_large",
                   fmt::format("the request line and headers are over {} bytes", _srv.cfg.max_header_bytes));
        } else if (ec == bhttp::error::body_limit) {
            refuse(413, "body_too_large",
                   fmt::format("the request body is over {} bytes", _srv.cfg.max_body_bytes));
        } else if (ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category()) {
            refuse(400, "bad_request", fmt::format("malformed HTTP/1.1 request: {}", ec.message()));
        }
        // Otherwise a timeout or reset: the stream closes with the session.
        return true;
    }

    void on_header(beast::error_code ec, size_t) {
        if (failed(ec)) {
            return;
        }
        const auto& req = _parser->get();
        auto expect = req[bhttp::field::expect];
        if (!expect.empty() && req.version() >= 11) {
            if (!beast::iequals(expect, "100-continue")) {
                return refuse(417, "expectation_failed",
                              fmt::format("Expect: {} is not supported; only 100-continue is",
                                          echo(std::string_view(expect.data(), expect.size()))));
            }
            if (!_parser->is_done()) {
                // The client waits for this before it sends the body.
                static constexpr std::string_view go_on = "HTTP/1.1 100 Continue\r\n\r\n";
                asio::async_write(_stream, asio::buffer(go_on.data(), go_on.size()),
                                  [self = shared_from_this()](beast::error_code wec, size_t) {
                                      if (!wec) {
                                          self->read_body();
                                      }
                                  });
                return;
            }
        }
        read_body();
    }

    void read_body() {
        if (_parser->is_done()) {
            return on_read({}, 0);
        }
        bhttp::async_read(_stream, _buffer, *_parser,
                          beast::bind_front_handler(&session::on_read, shared_from_this()));
    }

    void on_read(beast::error_code ec, size_t) {
        if (failed(ec)) {
            return;
        }
        if (beast::websocket::is_upgrade(_parser->get()) && upgrade()) {
            return;
        }
        const int64_t started_ns = mono_nanos();
        const auto& req = _parser->get();
        const auto where = _srv.on_worker(req);
        if (!where) {
            _res = _srv.handle(req, started_ns);
            return write(!_res.keep_alive());
        }
        const auto& cfg = _srv.cfg;
        if (_srv.buffered.load() >= cfg.max_buffered_answer_bytes) {
            _res =
                _srv.busy(req, "buffer_full",
                          "the server holds as many answer bytes as it may for clients still reading; retry "
                          "shortly",
                          true);
            return write(!_res.keep_alive());
        }
        const auto l = static_cast<size_t>(*where);
        if (_srv.queued[l].fetch_add(1) >= cfg.max_queued_requests) {
            _srv.queued[l].fetch_sub(1);
            _res = _srv.busy(req, "queue", "too many requests are waiting; retry shortly", true);
            return write(!_res.keep_alive());
        }
        queued_gauge().add(1);
        // The parser (and the request in it) stays untouched on this strand
        // until the answer is posted back: nothing is read meanwhile.
        asio::post(*_srv.workers[l], [self = shared_from_this(), started_ns, l] {
            auto& srv = self->_srv;
            srv.queued[l].fetch_sub(1);
            queued_gauge().add(-1);
            const auto& req = self->_parser->get();
            auto res = srv.handle(req, started_ns);
            const size_t n = res.body().size();
            size_t reserved = 0;
            if (n > srv.cfg.max_answer_bytes) {
                res = srv.busy(req, "answer_too_large",
                               fmt::format("the answer would be {} bytes, over the limit of {}; ask for less "
                                           "(a smaller limit or a shorter from/to range)",
                                           n, srv.cfg.max_answer_bytes),
                               false);
            } else if (!srv.reserve(n)) {
                res = srv.busy(req, "no_room_for_answer",
                               "the server holds as many answer bytes as it may for clients still reading; "
                               "retry shortly",
                               true);
            } else {
                reserved = n;
            }
            asio::post(self->_stream.get_executor(), [self, reserved, res = std::move(res)]() mutable {
                self->_res = std::move(res);
                self->_reserved = reserved;
                self->write(!self->_res.keep_alive());
            });
        });
    }

    // Hands the socket to an upgrade route when the path has one; the
    // session ends here then.
    bool upgrade() {
        auto& req = _parser->get();
        auto url = parse_target(std::string_view(req.target().data(), req.target().size()));
        if (!url) {
            return false;
        }
        auto it = _srv.upgrades.find(url->path);
        if (it == _srv.upgrades.end()) {
            return false;
        }
        _stream.expires_never();
        it->second(_stream.release_socket(), _parser->release());
        return true;
    }

    void refuse(unsigned status, std::string_view error, const std::string& message) {
        // The header is read when a body is over the limit, so its route is known.
        const route_entry* entry = nullptr;
        auto target = _parser->get().target();
        if (auto url = parse_target(std::string_view(target.data(), target.size()))) {
            entry = _srv.find(url->path);
        }
        auto r = error_on(entry, status, error, message);
        _res = beast_response(static_cast<bhttp::status>(status), 11);
        _res.set(bhttp::field::content_type, r.content_type);
        _res.keep_alive(false);
        _res.body() = std::move(r.body);
        _res.prepare_payload();
        write(true);
    }

    void write(bool close_after) {
        // The time budget of an answer: a client that does not take it is
        // dropped, which frees its bytes.
        _stream.expires_after(_srv.cfg.answer_timeout);
        bhttp::async_write(_stream, _res,
                           beast::bind_front_handler(&session::on_write, shared_from_this(), close_after));
    }

    void on_write(bool close_after, beast::error_code ec, size_t) {
        _res = {}; // frees the body now, not at the next answer
        _srv.release(std::exchange(_reserved, 0));
        if (ec) {
            return;
        }
        if (close_after) {
            shutdown();
            return linger();
        }
        read();
    }

    void shutdown() {
        beast::error_code ignored;
        _stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    }

    // After an answer that closes the connection (a refused body, say), what
    // the client still sends is read and dropped until it closes too, for at
    // most linger_time and linger_bytes: closing with unread bytes would
    // reset the connection, and the client could lose the answer.
    static constexpr auto linger_time = std::chrono::seconds(2);
    static constexpr size_t linger_bytes = size_t(16) << 20;
    void linger() {
        if (_lingered == 0) {
            _stream.expires_after(linger_time);
        }
        _buffer.consume(_buffer.size());
        _stream.async_read_some(_buffer.prepare(64 * 1024),
                                [self = shared_from_this()](beast::error_code ec, size_t n) {
                                    self->_lingered += n;
                                    if (!ec && self->_lingered < linger_bytes) {
                                        self->linger();
                                    }
                                });
    }

    beast::tcp_stream _stream;
    beast::flat_buffer _buffer;
    std::optional<bhttp::request_parser<bhttp::string_body>> _parser;
    beast_response _res;
    size_t _reserved = 0; // bytes of _res counted in the server's budget
    size_t _lingered = 0; // bytes dropped after a closing answer (linger)
    server::impl& _srv;
};

} // namespace

void server::impl::accept() {
    acceptor->async_accept(asio::make_strand(*ioc), [this](beast::error_code ec, tcp::socket s) {
        if (ec == asio::error::operation_aborted || !acceptor->is_open()) {
            return;
        }
        if (ec) {
            // E.g. out of file descriptors: try again shortly instead of spinning.
            spdlog::warn("http: accept on port {} failed: {}; retrying", bound_port.load(), ec.message());
            retry_timer->expires_after(std::chrono::milliseconds(50));
            retry_timer->async_wait([this](beast::error_code e) {
                if (!e) {
                    accept();
                }
            });
            return;
        }
        if (connections.load() >= cfg.max_connections) {
            reject(std::move(s));
        } else {
            std::make_shared<session>(std::move(s), *this)->run();
        }
        accept();
    });
}

void server::impl::reject(tcp::socket s) {
    // Best effort, never blocking: one small write, then close.
    static constexpr std::string_view busy =
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nConnection: close\r\n"
        "Retry-After: 1\r\n"
        "Content-Length: 89\r\n\r\n"
        R"({"error":"too_many_connections","message":"the server is at its connection limit; retry"})";
    beast::error_code ec;
    s.non_blocking(true, ec);
    s.write_some(asio::buffer(busy.data(), busy.size()), ec);
    s.shutdown(tcp::socket::shutdown_both, ec);
    s.close(ec);
}

beast_response server::impl::busy(const beast_request& req, std::string_view reason,
                                  const std::string& message, bool retry) const {
    count_refused(reason);
    auto r = error_response(503, "busy", message);
    beast_response out(bhttp::status::service_unavailable, req.version());
    out.set(bhttp::field::server, "mdsp");
    out.set(bhttp::field::content_type, r.content_type);
    if (retry) {
        out.set(bhttp::field::retry_after, "1");
    }
    out.keep_alive(req.keep_alive());
    const size_t size = r.body.size();
    if (req.method() != verb::head) {
        out.body() = std::move(r.body);
    }
    out.content_length(size);
    return out;
}

beast_response server::impl::handle(const beast_request& req, int64_t started_ns) {
    std::string route_label = "unmatched";
    response res;
    auto url = parse_target(std::string_view(req.target().data(), req.target().size()));
    if (!url) {
        res = error_response(400, "bad_request",
                             fmt::format("request target '{}' is not a path with an optional query",
                                         echo(std::string_view(req.target().data(), req.target().size()))));
    } else {
        request r;
        r.method = req.method();
        r.target = std::string_view(req.target().data(), req.target().size());
        r.path = std::move(url->path);
        r.query = std::move(url->query);
        for (const auto& f : req) {
            r.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
        }
        r.body = req.body();
        const route_entry* entry = find(r.path);
        if (entry == nullptr) {
            res = error_response(404, "not_found",
                                 fmt::format("no route for '{}'; the API is under /api/v1/", echo(r.path)));
        } else {
            route_label = entry->pattern;
            auto h = entry->handlers.find(r.method);
            if (h == entry->handlers.end() && r.method == verb::head) {
                h = entry->handlers.find(verb::get);
            }
            if (h == entry->handlers.end()) {
                std::string allow;
                for (const auto& [m, unused] : entry->handlers) {
                    allow += allow.empty() ? "" : ", ";
                    allow += std::string(bhttp::to_string(m));
                    if (m == verb::get) {
                        allow += ", HEAD";
                    }
                }
                res = error_on(entry, 405, "method_not_allowed",
                               fmt::format("{} is not allowed on {}; allowed: {}",
                                           std::string(bhttp::to_string(r.method)), entry->pattern, allow));
                res.headers.emplace_back("Allow", allow);
            } else {
                try {
                    res = h->second(r);
                } catch (const std::exception& e) {
                    spdlog::error("http: {} {} failed: {}", std::string(bhttp::to_string(r.method)), r.path,
                                  e.what());
                    res = error_on(entry, 500, "internal_error",
                                   "the request failed inside the server; see its log");
                }
            }
        }
    }

    auto& reg = metrics::global();
    reg.get_counter("mdsp_http_requests_total", "HTTP requests answered, by route and status code",
                    {{"route", route_label}, {"code", std::to_string(res.status)}})
        .inc();
    reg.get_histogram("mdsp_http_request_duration_seconds", "Time to answer an HTTP request, in seconds",
                      {{"route", route_label}})
        .observe(static_cast<double>(mono_nanos() - started_ns) / 1e9);

    beast_response out(static_cast<bhttp::status>(res.status), req.version());
    out.set(bhttp::field::server, "mdsp");
    out.set(bhttp::field::content_type, res.content_type);
    for (const auto& [k, v] : res.headers) {
        out.insert(k, v);
    }
    out.keep_alive(req.keep_alive());
    const size_t size = res.body.size();
    if (req.method() != verb::head) {
        out.body() = std::move(res.body);
    }
    out.content_length(size);
    return out;
}

server::server(server_config config, readiness_check ready)
  : _impl(std::make_unique<impl>()) {
    _impl->cfg = std::move(config);
    _impl->ready = std::move(ready);
    route(verb::get, "/healthz", [](const request&) { return json_response(200, {{"status", "ok"}}); });
    route(verb::get, "/readyz", [this](const request&) {
        readiness r = _impl->ready ? _impl->ready() : readiness{};
        boost::json::array reasons;
        for (const auto& s : r.reasons) {
            reasons.emplace_back(s);
        }
        if (r.ready) {
            return json_response(200, {{"status", "ready"}});
        }
        return json_response(503, {{"status", "not_ready"}, {"reasons", std::move(reasons)}});
    });
    route(verb::get, "/metrics", [](const request&) {
        response r;
        r.content_type = "text/plain; version=0.0.4; charset=utf-8";
        r.body = metrics::global().expose();
        return r;
    });
    for (const char* probe : {"/healthz", "/readyz", "/metrics"}) {
        _impl->exact[probe].probe = true;
    }
}

server::~server() {
    stop();
}

void server::route(verb method, std::string path, handler h, lane l) {
    std::lock_guard lock(_impl->lifecycle_mu);
    MDSP_ASSERT(!_impl->started, "http::server::route({}) after start()", path);
    MDSP_ASSERT(path.starts_with("/"), "http route '{}' does not start with /", path);
    if (path.ends_with("/*")) {
        auto& e = _impl->prefixes[path.substr(0, path.size() - 1)];
        e.pattern = path;
        e.where = l;
        e.handlers[method] = std::move(h);
    } else {
        auto& e = _impl->exact[path];
        e.pattern = path;
        e.where = l;
        e.handlers[method] = std::move(h);
    }
}

void server::error_shape(std::string path, error_shaper f) {
    std::lock_guard lock(_impl->lifecycle_mu);
    MDSP_ASSERT(!_impl->started, "http::server::error_shape({}) after start()", path);
    auto& routes = path.ends_with("/*") ? _impl->prefixes : _impl->exact;
    auto it = routes.find(path.ends_with("/*") ? std::string_view(path).substr(0, path.size() - 1)
                                               : std::string_view(path));
    MDSP_ASSERT(it != routes.end(), "http::server::error_shape({}) before route() for it", path);
    it->second.shaper = std::move(f);
}

void server::upgrade_route(std::string path, upgrade_handler h) {
    std::lock_guard lock(_impl->lifecycle_mu);
    MDSP_ASSERT(!_impl->started, "http::server::upgrade_route({}) after start()", path);
    MDSP_ASSERT(path.starts_with("/"), "http upgrade route '{}' does not start with /", path);
    _impl->upgrades[std::move(path)] = std::move(h);
}

result<void> server::start() {
    std::lock_guard lock(_impl->lifecycle_mu);
    auto& s = *_impl;
    if (s.started) {
        return make_error(errc::already_started, "the HTTP server on {}:{} was started already",
                          s.cfg.address, s.bound_port.load());
    }
    beast::error_code ec;
    auto addr = asio::ip::make_address(s.cfg.address, ec);
    if (ec) {
        return make_error(errc::bad_address,
                          "listen address '{}' is not an IP address; use e.g. 127.0.0.1 or 0.0.0.0",
                          s.cfg.address);
    }
    const int threads = std::max(1, s.cfg.threads);
    s.ioc = std::make_unique<asio::io_context>(threads);
    s.acceptor = std::make_unique<tcp::acceptor>(*s.ioc);
    s.retry_timer = std::make_unique<asio::steady_timer>(*s.ioc);
    const tcp::endpoint ep(addr, s.cfg.port);
    auto failed = [&](std::string_view step) {
        auto e =
            make_error(errc::bind_failed,
                       "cannot listen on {}:{} ({}: {}); stop whatever uses the port or choose another one",
                       s.cfg.address, s.cfg.port, step, ec.message());
        s.acceptor.reset();
        s.retry_timer.reset();
        s.ioc.reset();
        return e;
    };
    if (s.acceptor->open(ep.protocol(), ec)) {
        return failed("open");
    }
    if (s.acceptor->set_option(asio::socket_base::reuse_address(true), ec)) {
        return failed("reuse_address");
    }
    if (s.acceptor->bind(ep, ec)) {
        return failed("bind");
    }
    if (s.acceptor->listen(asio::socket_base::max_listen_connections, ec)) {
        return failed("listen");
    }
    s.bound_port = s.acceptor->local_endpoint().port();
    s.started = true;
    s.workers[static_cast<size_t>(lane::light)] =
        std::make_unique<asio::thread_pool>(static_cast<size_t>(std::max(1, s.cfg.light_workers)));
    s.workers[static_cast<size_t>(lane::bulk)] =
        std::make_unique<asio::thread_pool>(static_cast<size_t>(std::max(1, s.cfg.workers)));
    s.work.emplace(s.ioc->get_executor());
    s.accept();
    for (int i = 0; i < threads; ++i) {
        s.threads.emplace_back([&s] {
            for (;;) {
                try {
                    s.ioc->run();
                    return;
                } catch (const std::exception& e) {
                    spdlog::error("http: a handler threw outside a request: {}", e.what());
                }
            }
        });
    }
    spdlog::debug("http: listening on {}:{}", s.cfg.address, s.bound_port.load());
    return ok();
}

void server::stop() {
    std::lock_guard lock(_impl->lifecycle_mu);
    auto& s = *_impl;
    if (!s.started || s.stopped) {
        return;
    }
    s.stopped = true;
    s.work.reset();
    s.ioc->stop();
    for (auto& t : s.threads) {
        t.join();
    }
    s.threads.clear();
    // A handler running now finishes (its answer is posted to the stopped
    // context and dropped with it); queued ones are dropped, and with them
    // their sessions, while the context they belong to still exists.
    for (auto& w : s.workers) {
        w->stop();
        w->join();
        w.reset();
    }
    beast::error_code ignored;
    s.acceptor->close(ignored);
    s.acceptor.reset();
    s.retry_timer.reset();
    // Destroys the handlers still queued, and with them every session and socket.
    s.ioc.reset();
}

uint16_t server::port() const noexcept {
    return _impl->bound_port.load();
}

size_t server::connections() const noexcept {
    return _impl->connections.load();
}

size_t server::buffered_answer_bytes() const noexcept {
    return _impl->buffered.load();
}

} // namespace mdsp::http
