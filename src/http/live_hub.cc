#include "http/live_hub.h"

#include <atomic>
#include <mutex>
#include <set>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "base/metrics.h"
#include "http/api.h"
#include "http/json.h"
#include "http/live_protocol.h"
#include "http/live_queue.h"

namespace mdsp::http {

namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

// One client's subscriptions and queue; shared by its session (strand) and
// the publishers, under mu.
struct client {
    explicit client(const live_config& cfg)
      : q(cfg.max_pending_must, cfg.max_pending_updates) {}

    std::mutex mu;
    live_queue q;
    std::set<std::pair<std::string, int64_t>> subs; // (symbol, interval us)
    bool latest = false;
    bool scheduled = false; // a pump is posted or a write is in flight
    bool gone = false;      // the session ended
    bool too_slow = false;
    std::function<void()> wake;            // posts the session's pump; under mu
    std::function<void(std::string)> kick; // posts a close with this reason; under mu
};

std::string candle_key(const model::candle& c) {
    return fmt::format("c\x1f{}\x1f{}\x1f{}", c.symbol, c.interval.micros(), c.window_start());
}

live_queue::message make_message(const boost::json::value& v) {
    return std::make_shared<const std::string>(to_json(v));
}

} // namespace

struct live_hub::state {
    live_config cfg;
    mutable std::mutex mu;
    std::vector<std::shared_ptr<client>> clients;

    std::atomic<uint64_t> connected{0};
    std::atomic<uint64_t> refused{0};
    std::atomic<uint64_t> closed_slow{0};
    std::atomic<uint64_t> queued{0};
    std::atomic<uint64_t> coalesced{0};
    std::atomic<uint64_t> dropped{0};
    std::atomic<size_t> max_must{0};
    std::atomic<size_t> max_updates{0};
    uint64_t metrics_cb = 0;

    // Registers a client unless at max_clients.
    std::shared_ptr<client> join() {
        std::lock_guard g(mu);
        if (clients.size() >= cfg.max_clients) {
            refused.fetch_add(1);
            return nullptr;
        }
        auto c = std::make_shared<client>(cfg);
        clients.push_back(c);
        connected.fetch_add(1);
        return c;
    }

    void leave(const std::shared_ptr<client>& c) {
        {
            std::lock_guard g(mu);
            std::erase(clients, c);
        }
        std::lock_guard g(c->mu);
        c->gone = true;
        c->q.clear();
    }

    // Under c.mu: note the queue's high-water marks and wake the writer.
    void queued_one(client& c) {
        queued.fetch_add(1, std::memory_order_relaxed);
        size_t m = c.q.must_size();
        size_t u = c.q.updates_size();
        size_t cur = max_must.load(std::memory_order_relaxed);
        while (m > cur && !max_must.compare_exchange_weak(cur, m)) {
        }
        cur = max_updates.load(std::memory_order_relaxed);
        while (u > cur && !max_updates.compare_exchange_weak(cur, u)) {
        }
        if (!c.scheduled && !c.gone && c.wake) {
            c.scheduled = true;
            c.wake();
        }
    }

    // Under c.mu. False when the client had to go.
    bool push_must(client& c, live_queue::message m, std::string_view supersedes = {}) {
        if (c.too_slow || c.gone) {
            return false;
        }
        if (!c.q.push_must(std::move(m), supersedes)) {
            c.too_slow = true;
            c.q.clear();
            closed_slow.fetch_add(1);
            if (c.kick) {
                c.kick(fmt::format("too slow: {} final candles waited unread; reconnect and reload",
                                   cfg.max_pending_must));
            }
            return false;
        }
        queued_one(c);
        return true;
    }

    void push_update(client& c, const std::string& key, live_queue::message m) {
        if (c.too_slow || c.gone) {
            return;
        }
        uint64_t co = c.q.coalesced();
        uint64_t dr = c.q.dropped();
        c.q.push_update(key, std::move(m));
        coalesced.fetch_add(c.q.coalesced() - co, std::memory_order_relaxed);
        dropped.fetch_add(c.q.dropped() - dr, std::memory_order_relaxed);
        queued_one(c);
    }
};

namespace {

// One WebSocket client. Owned by the asynchronous operations in flight
// (shared_from_this); runs on the strand of the socket it took over.
class ws_session : public std::enable_shared_from_this<ws_session> {
public:
    ws_session(tcp::socket&& s, std::shared_ptr<live_hub::state> hub)
      : _ws(std::move(s))
      , _hub(std::move(hub))
      , _timer(_ws.get_executor()) {}

    ~ws_session() {
        if (_c) {
            _hub->leave(_c);
        }
    }

    ws_session(const ws_session&) = delete;
    ws_session& operator=(const ws_session&) = delete;

    void start(upgrade_request&& req) {
        _c = _hub->join();
        if (!_c) {
            return refuse(std::move(req));
        }
        websocket::stream_base::timeout t{};
        t.handshake_timeout = std::chrono::seconds(10);
        t.idle_timeout = websocket::stream_base::none();
        t.keep_alive_pings = false;
        _ws.set_option(t);
        _ws.set_option(websocket::stream_base::decorator(
            [](websocket::response_type& res) { res.set(beast::http::field::server, "mdsp"); }));
        _ws.read_message_max(_hub->cfg.max_message_bytes);
        _ws.async_accept(req, beast::bind_front_handler(&ws_session::on_accept, shared_from_this()));
    }

private:
    void refuse(upgrade_request&& req) {
        auto res = std::make_shared<beast::http::response<beast::http::string_body>>(
            beast::http::status::service_unavailable, req.version());
        res->set(beast::http::field::content_type, "application/json");
        res->keep_alive(false);
        res->body() = fmt::format(R"({{"error":"too_many_clients","message":"the live stream has its )"
                                  R"(maximum of {} clients; retry later"}})",
                                  _hub->cfg.max_clients);
        res->prepare_payload();
        beast::http::async_write(
            _ws.next_layer(), *res, [self = shared_from_this(), res](beast::error_code, size_t) {
                beast::error_code ignored;
                self->_ws.next_layer().socket().shutdown(tcp::socket::shutdown_both, ignored);
            });
    }

    void on_accept(beast::error_code ec) {
        if (ec) {
            return;
        }
        std::weak_ptr<ws_session> weak = shared_from_this();
        auto ex = _ws.get_executor();
        {
            std::lock_guard g(_c->mu);
            _c->wake = [weak, ex] {
                asio::post(ex, [weak] {
                    if (auto s = weak.lock()) {
                        s->pump();
                    }
                });
            };
            _c->kick = [weak, ex](std::string reason) {
                asio::post(ex, [weak, reason = std::move(reason)] {
                    if (auto s = weak.lock()) {
                        s->close(reason);
                    }
                });
            };
        }
        read();
    }

    void read() {
        _in.clear();
        _ws.async_read(_in, beast::bind_front_handler(&ws_session::on_read, shared_from_this()));
    }

    void on_read(beast::error_code ec, size_t) {
        if (ec) {
            return; // closed, too big (Beast answered 1009), or reset: the session ends
        }
        if (!_ws.got_text()) {
            reply({{"type", "error"}, {"message", "send JSON text frames, not binary"}});
            return read();
        }
        auto text = beast::buffers_to_string(_in.data());
        auto parsed = parse_client_message(text, _hub->cfg.intervals);
        if (auto* why = std::get_if<std::string>(&parsed)) {
            reply({{"type", "error"}, {"message", *why}});
            return read();
        }
        apply(std::get<client_message>(parsed));
        read();
    }

    void apply(const client_message& m) {
        const bool sub = m.act == client_message::action::subscribe;
        boost::json::object ack{{"type", sub ? "subscribed" : "unsubscribed"}};
        if (m.chan == client_message::channel::latest) {
            ack["channel"] = "latest";
            std::lock_guard g(_c->mu);
            _c->latest = sub;
        } else {
            ack["channel"] = "candles";
            ack["symbol"] = m.symbol;
            ack["interval"] = m.interval.name();
            std::lock_guard g(_c->mu);
            auto key = std::make_pair(m.symbol, m.interval.micros());
            if (!sub) {
                _c->subs.erase(key);
            } else if (_c->subs.size() >= _hub->cfg.max_subscriptions && !_c->subs.contains(key)) {
                ack = {{"type", "error"},
                       {"message", fmt::format("at most {} candle subscriptions per connection; unsubscribe "
                                               "from one first",
                                               _hub->cfg.max_subscriptions)}};
            } else {
                _c->subs.insert(std::move(key));
            }
        }
        reply(ack);
    }

    void reply(const boost::json::value& v) {
        std::lock_guard g(_c->mu);
        _hub->push_must(*_c, make_message(v));
    }

    void pump() {
        if (_writing) {
            return;
        }
        live_queue::message m;
        {
            std::lock_guard g(_c->mu);
            auto next = _c->q.pop();
            if (!next) {
                _c->scheduled = false;
                return;
            }
            m = std::move(*next);
        }
        _writing = true;
        _ws.text(true);
        _ws.async_write(asio::buffer(*m), [self = shared_from_this(), m](beast::error_code ec, size_t) {
            self->_writing = false;
            if (!ec) {
                self->pump();
            }
        });
    }

    void close(const std::string& reason) {
        spdlog::warn("live: closing a WebSocket client: {}", reason);
        // Close codes carry at most 123 bytes of reason.
        websocket::close_reason cr(websocket::close_code::policy_error, reason.substr(0, 120));
        _ws.async_close(cr, [self = shared_from_this()](beast::error_code) {});
        // A client that does not read takes no close frame either: drop the
        // connection if the close has not completed by then.
        _timer.expires_after(std::chrono::seconds(2));
        _timer.async_wait([self = shared_from_this()](beast::error_code ec) {
            if (!ec) {
                beast::error_code ignored;
                self->_ws.next_layer().socket().close(ignored);
            }
        });
    }

    websocket::stream<beast::tcp_stream> _ws;
    std::shared_ptr<live_hub::state> _hub;
    std::shared_ptr<client> _c;
    beast::flat_buffer _in;
    asio::steady_timer _timer;
    bool _writing = false;
};

} // namespace

live_hub::live_hub(live_config cfg)
  : _state(std::make_shared<state>()) {
    _state->cfg = std::move(cfg);
    std::weak_ptr<state> weak = _state;
    _state->metrics_cb = metrics::global().add_callback("mdsp_live_clients",
                                                        "WebSocket clients of /api/v1/stream", {}, [weak] {
                                                            auto s = weak.lock();
                                                            if (!s) {
                                                                return 0.0;
                                                            }
                                                            std::lock_guard g(s->mu);
                                                            return static_cast<double>(s->clients.size());
                                                        });
}

live_hub::~live_hub() {
    metrics::global().remove_callback(_state->metrics_cb);
}

void live_hub::attach(server& srv, const std::string& path) {
    srv.route(verb::get, path, [path](const request&) {
        auto r = error_response(426, "upgrade_required",
                                fmt::format("{} is a WebSocket; connect with ws://, then send "
                                            R"({{"action":"subscribe","symbol":"BTC/USD","interval":"1m"}})",
                                            path));
        r.headers.emplace_back("Upgrade", "websocket");
        return r;
    });
    srv.upgrade_route(path, [st = _state](tcp::socket&& s, upgrade_request&& req) {
        std::make_shared<ws_session>(std::move(s), st)->start(std::move(req));
    });
}

void live_hub::publish(std::span<const model::candle> candles, std::span<const model::filler_run> fillers,
                       std::span<const model::tick> latest) {
    std::vector<std::shared_ptr<client>> clients;
    {
        std::lock_guard g(_state->mu);
        if (_state->clients.empty()) {
            return;
        }
        clients = _state->clients;
    }
    // Serialized once, on first demand.
    std::vector<live_queue::message> cmsg(candles.size());
    std::vector<live_queue::message> fmsg(fillers.size());
    std::vector<live_queue::message> lmsg(latest.size());
    auto& st = *_state;
    for (auto& c : clients) {
        std::lock_guard g(c->mu);
        if (c->gone || c->too_slow || !c->wake) {
            continue;
        }
        if (!c->subs.empty()) {
            for (size_t i = 0; i < candles.size(); ++i) {
                const auto& k = candles[i];
                if (!c->subs.contains({k.symbol, k.interval.micros()})) {
                    continue;
                }
                if (!cmsg[i]) {
                    cmsg[i] = make_message(boost::json::object{{"type", "candle"},
                                                               {"symbol", k.symbol},
                                                               {"interval", k.interval.name()},
                                                               {"candle", candle_json(k)}});
                }
                if (k.final) {
                    if (!st.push_must(*c, cmsg[i], candle_key(k))) {
                        break;
                    }
                } else {
                    st.push_update(*c, candle_key(k), cmsg[i]);
                }
            }
            for (size_t i = 0; i < fillers.size(); ++i) {
                const auto& f = fillers[i];
                if (!c->subs.contains({f.symbol, f.interval.micros()})) {
                    continue;
                }
                if (!fmsg[i]) {
                    fmsg[i] = make_message(fillers_json(f));
                }
                // Fillers are final: never skipped.
                if (!st.push_must(*c, fmsg[i])) {
                    break;
                }
            }
        }
        if (c->latest) {
            for (size_t i = 0; i < latest.size(); ++i) {
                if (!lmsg[i]) {
                    lmsg[i] =
                        make_message(boost::json::object{{"type", "latest"}, {"tick", tick_json(latest[i])}});
                }
                st.push_update(*c, "l\x1f" + latest[i].symbol, lmsg[i]);
            }
        }
    }
}

live_stats live_hub::stats() const {
    live_stats s;
    {
        std::lock_guard g(_state->mu);
        s.clients = _state->clients.size();
    }
    s.connected = _state->connected.load();
    s.refused = _state->refused.load();
    s.closed_slow = _state->closed_slow.load();
    s.messages_queued = _state->queued.load();
    s.updates_coalesced = _state->coalesced.load();
    s.updates_dropped = _state->dropped.load();
    s.max_pending_must = _state->max_must.load();
    s.max_pending_updates = _state->max_updates.load();
    return s;
}

} // namespace mdsp::http
