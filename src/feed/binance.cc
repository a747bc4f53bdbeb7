#include "feed/binance.h"

#include <algorithm>
#include <cctype>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "base/time.h"

namespace mdsp::feed {

namespace {
constexpr const char* name = "binance";

bool valid_symbol(std::string_view s) {
    return !s.empty() && s.size() <= 20
           && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isalnum(c); });
}
} // namespace

result<std::unique_ptr<binance>> binance::create(binance_config cfg, dead_letter_sink sink) {
    if (cfg.symbols.empty()) {
        return make_error(errc::bad_config, "no symbols for Binance: pass --symbols btcusdt,ethusdt");
    }
    std::string streams;
    for (auto& s : cfg.symbols) {
        if (!valid_symbol(s)) {
            return make_error(
                errc::bad_config,
                "'{}' is not a Binance symbol: write the pair without a separator, like btcusdt", s);
        }
        std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
        streams += (streams.empty() ? "" : "/") + s + "@trade";
    }
    auto url = parse_ws_url(cfg.ws_url);
    if (!url) {
        return url.error();
    }
    url->target += (url->target.find('?') == std::string::npos ? "?streams=" : "&streams=") + streams;
    std::unique_ptr<binance> b(new binance(std::move(cfg), std::move(*url), std::move(sink)));
    return b;
}

binance::binance(binance_config cfg, ws_url url, dead_letter_sink sink)
  : live_source(name, cfg.queue_capacity, std::move(sink))
  , _cfg(std::move(cfg))
  , _url(std::move(url))
  , _buys(metrics::global().get_counter("mdsp_feed_aggressor_total",
                                        "Trades by aggressor side (buy: the buyer took liquidity)",
                                        {{"source", name}, {"side", "buy"}}))
  , _sells(metrics::global().get_counter("mdsp_feed_aggressor_total",
                                         "Trades by aggressor side (buy: the buyer took liquidity)",
                                         {{"source", name}, {"side", "sell"}})) {}

binance::~binance() {
    stop();
}

void binance::on_message(std::string_view msg) {
    ++_msg_index;
    stats().messages.inc();
    model::tick t;
    bool buyer_maker = false;
    std::string error;
    switch (_parser.parse(msg, t, buyer_maker, error)) {
    case internal::line_outcome::skip:
        return;
    case internal::line_outcome::malformed: {
        stats().rejected.inc();
        model::dead_letter d;
        d.source_topic = "feed:binance";
        d.source_offset = _msg_index;
        d.error_kind = "malformed";
        d.message = fmt::format("binance message {}: {}", _msg_index, error);
        d.raw.assign(msg);
        d.time = now_micros();
        push(std::move(d));
        return;
    }
    case internal::line_outcome::tick:
        break;
    }
    auto it = _last_id.find(t.symbol);
    if (it != _last_id.end() && *t.trade_id <= it->second) {
        stats().duplicates.inc();
        return;
    }
    _last_id[t.symbol] = *t.trade_id;
    (buyer_maker ? _sells : _buys).inc();
    t.source = name;
    t.ingest_time = ingest_time_now();
    stats().ticks.inc();
    push(std::move(t));
}

// One WebSocket connection and what the io loop knows of it.
struct binance::connection {
    std::shared_ptr<ws_session> s;
    bool opened = false, closed = false, delivered = false;
    int64_t opened_ns = 0, last_ns = 0;
    std::string why;
};

std::shared_ptr<binance::connection>
binance::open_connection(boost::asio::io_context& io, const std::shared_ptr<boost::asio::ssl::context>& tls) {
    auto slot = std::make_shared<connection>();
    std::weak_ptr<connection> w = slot;
    ws_session::callbacks cb;
    cb.on_open = [this, w] {
        if (auto c = w.lock()) {
            c->opened = true;
            c->opened_ns = c->last_ns = mono_nanos();
            stats().connects.inc();
            stats().connected.set(1);
            set_not_ready("");
            spdlog::info("binance: connected to {}", _url.host);
        }
    };
    cb.on_message = [this, w](std::string_view m) {
        if (auto c = w.lock()) {
            c->last_ns = mono_nanos();
            c->delivered = true;
        }
        on_message(m);
    };
    cb.on_ping = [this, w](std::string_view) {
        stats().pings.inc();
        if (auto c = w.lock()) {
            c->last_ns = mono_nanos();
        }
    };
    cb.on_close = [w](const std::string& why) {
        if (auto c = w.lock()) {
            c->closed = true;
            c->why = why;
        }
    };
    ws_options wo;
    wo.url = _url;
    wo.max_message_bytes = _cfg.max_message_bytes;
    slot->s = ws_session::create(io, tls, wo, cb);
    slot->s->start();
    return slot;
}

void binance::run_connections(boost::asio::io_context& io,
                              const std::shared_ptr<boost::asio::ssl::context>& tls,
                              std::shared_ptr<connection>& cur) {
    // Up to two connections: the current one and, during a planned
    // reconnect, its successor.
    std::shared_ptr<connection> next;
    while (!stopping()) {
        if (io.stopped()) {
            io.restart();
        }
        io.run_for(std::chrono::milliseconds(50));
        int64_t now = mono_nanos();
        if (next && (next->delivered || now - next->opened_ns > _cfg.overlap_ms * 1'000'000 || cur->closed)) {
            if (next->opened) {
                spdlog::info("binance: planned reconnect done; closing the old connection");
                cur->s->close();
                cur = std::move(next);
                stats().reconnects.inc();
            } else if (next->closed) {
                next.reset();
            }
        }
        if (cur->closed) {
            break;
        }
        if (cur->opened && !next && now - cur->opened_ns > _cfg.max_connection_age_ms * 1'000'000) {
            spdlog::info("binance: the connection is {} old; opening its successor",
                         format_duration(_cfg.max_connection_age_ms * 1000));
            next = open_connection(io, tls);
        }
        if (cur->opened && now - cur->last_ns > _cfg.watchdog_ms * 1'000'000) {
            stats().watchdog.inc();
            spdlog::warn("binance: no message for {} ms; reconnecting", _cfg.watchdog_ms);
            cur->s->close();
            cur->why = "watchdog";
        }
    }
    for (auto* c : {&cur, &next}) {
        if (*c && !(*c)->closed) {
            (*c)->s->close();
        }
    }
    for (int i = 0; i < 40 && ((cur && !cur->closed) || (next && !next->closed)); ++i) {
        io.restart();
        io.run_for(std::chrono::milliseconds(50));
    }
}

void binance::run_io() {
    boost::asio::io_context io;
    auto tls = tls_context_for(_url, _cfg.tls);
    if (!tls) {
        spdlog::error("binance: {}", tls.error().what());
        set_not_ready(tls.error().what());
        return;
    }
    backoff retry(_cfg.backoff_min_ms, _cfg.backoff_max_ms,
                  _cfg.seed ? _cfg.seed : static_cast<uint64_t>(mono_nanos()));
    while (!stopping()) {
        auto cur = open_connection(io, *tls);
        run_connections(io, *tls, cur);
        stats().connected.set(0);
        if (stopping()) {
            break;
        }
        if (cur->opened) {
            retry.reset();
            stats().reconnects.inc();
        }
        int64_t wait = retry.next_ms();
        spdlog::warn("binance: connection lost ({}); reconnecting in {} ms", cur->why, wait);
        set_not_ready(fmt::format("disconnected: {}", cur->why));
        wait_unless_stopping(wait);
    }
}

} // namespace mdsp::feed
