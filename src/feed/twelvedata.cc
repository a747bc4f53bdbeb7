#include "feed/twelvedata.h"

#include <algorithm>
#include <deque>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "base/time.h"
#include "feed/internal/rate_window.h"
#include "feed/internal/ws_messages.h"

namespace mdsp::feed {

namespace {

constexpr const char* name = "twelvedata";

std::string json_escape(std::string_view s) {
    std::string out;
    for (char c : s) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (static_cast<unsigned char>(c) < 0x20) {
            out += fmt::format("\\u{:04x}", static_cast<int>(c));
        } else {
            out += c;
        }
    }
    return out;
}

} // namespace

result<std::unique_ptr<twelvedata>> twelvedata::create(twelvedata_config cfg, dead_letter_sink sink) {
    if (cfg.api_key.empty()) {
        return make_error(errc::bad_config,
                          "the TwelveData source needs an API key: set the environment variable "
                          "TWELVEDATA_API_KEY (get a key at https://twelvedata.com/account/api-keys)");
    }
    if (cfg.symbols.empty()) {
        return make_error(errc::bad_config, "no symbols for TwelveData: pass --symbols AAPL,EUR/USD");
    }
    auto url = parse_ws_url(cfg.ws_url);
    if (!url) {
        return url.error();
    }
    if (cfg.heartbeat_ms <= 0 || cfg.watchdog_ms <= 0) {
        return make_error(errc::bad_config,
                          "the TwelveData heartbeat and watchdog must be positive durations");
    }
    std::unique_ptr<twelvedata> s(new twelvedata(std::move(cfg), std::move(*url), std::move(sink)));
    return s;
}

twelvedata::twelvedata(twelvedata_config cfg, ws_url url, dead_letter_sink sink)
  : live_source(name, cfg.queue_capacity, std::move(sink))
  , _cfg(std::move(cfg))
  , _url(std::move(url)) {}

twelvedata::~twelvedata() {
    stop();
}

std::vector<std::string> twelvedata::failed_symbols() const {
    std::lock_guard g(_failed_mu);
    return {_failed.begin(), _failed.end()};
}

std::string twelvedata::scrub(std::string s) const {
    if (_cfg.api_key.empty()) {
        return s;
    }
    size_t pos = 0;
    while ((pos = s.find(_cfg.api_key, pos)) != std::string::npos) {
        s.replace(pos, _cfg.api_key.size(), "***");
        pos += 3;
    }
    return s;
}

void twelvedata::dead(std::string_view raw, std::string kind, std::string why) {
    model::dead_letter d;
    d.source_topic = "feed:twelvedata";
    d.source_offset = _msg_index;
    d.error_kind = std::move(kind);
    d.message = scrub(std::move(why));
    d.raw = scrub(std::string(raw));
    d.time = now_micros();
    push(std::move(d));
}

void twelvedata::run_io() {
    _seq = std::max<int64_t>(_seq, resumed_seq());
    if (resumed_seq() > 0) {
        // An earlier run stored ticks: the time since its last one is a gap.
        _gap_pending = true;
        _gap_from_us = 0;
    }
    boost::asio::io_context io;
    auto tls = tls_context_for(_url, _cfg.tls);
    if (!tls) {
        spdlog::error("twelvedata: {}", tls.error().what());
        set_not_ready(tls.error().what());
        return;
    }
    backoff retry(_cfg.backoff_min_ms, _cfg.backoff_max_ms,
                  _cfg.seed ? _cfg.seed : static_cast<uint64_t>(mono_nanos()));
    internal::rate_window rate(_cfg.max_messages_per_minute);
    bool had_connection = false;
    while (!stopping()) {
        std::string why;
        const bool opened = run_connection(io, *tls, rate, why);
        stats().connected.set(0);
        if (stopping()) {
            break;
        }
        if (opened) {
            had_connection = true;
            retry.reset();
        }
        if (had_connection) {
            stats().reconnects.inc();
            _gap_pending = true;
            _gap_from_us = _last_tick_us > 0 ? _last_tick_us : _gap_from_us;
        }
        int64_t wait = retry.next_ms();
        why = scrub(why);
        spdlog::warn("twelvedata: connection lost ({}); reconnecting in {} ms", why, wait);
        set_not_ready(fmt::format("disconnected: {}", why));
        wait_unless_stopping(wait);
    }
}

std::vector<std::string> twelvedata::symbols_to_subscribe() const {
    std::vector<std::string> out;
    std::lock_guard g(_failed_mu);
    for (const auto& s : _cfg.symbols) {
        if (!_failed.count(s)) {
            out.push_back(s);
        }
    }
    return out;
}

bool twelvedata::run_connection(boost::asio::io_context& io,
                                const std::shared_ptr<boost::asio::ssl::context>& tls,
                                internal::rate_window& rate, std::string& why) {
    ws_options wo;
    wo.url = _url;
    wo.headers.emplace_back("X-TD-APIKEY", _cfg.api_key);
    wo.max_message_bytes = _cfg.max_message_bytes;
    bool opened = false, closed = false, got_status = false;
    ws_session::callbacks cb;
    cb.on_open = [&] {
        opened = true;
        _last_msg_ns = mono_nanos();
    };
    cb.on_message = [&](std::string_view m) {
        _last_msg_ns = mono_nanos();
        stats().messages.inc();
        ++_msg_index;
        on_message(m);
        got_status = got_status || !_subscribed.empty();
    };
    cb.on_ping = [&](std::string_view) { stats().pings.inc(); };
    cb.on_close = [&](const std::string& w) {
        closed = true;
        why = w;
    };
    auto session = ws_session::create(io, tls, wo, cb);
    session->start();
    _subscribed.clear();

    // Symbols to subscribe, in chunks, paced by the message limit.
    const std::vector<std::string> pending = symbols_to_subscribe();
    size_t next_symbol = 0;
    int64_t next_heartbeat = 0;
    bool counted_open = false;
    while (!closed) {
        if (io.stopped()) {
            io.restart();
        }
        io.run_for(std::chrono::milliseconds(50));
        if (stopping()) {
            session->close();
            for (int i = 0; i < 40 && !closed; ++i) {
                io.restart();
                io.run_for(std::chrono::milliseconds(50));
            }
            break;
        }
        if (!opened || closed) {
            continue;
        }
        const int64_t now = mono_nanos();
        if (!counted_open) {
            counted_open = true;
            stats().connects.inc();
            stats().connected.set(1);
            spdlog::info("twelvedata: connected to {}{}", _url.host, _url.target);
            next_heartbeat = now + _cfg.heartbeat_ms * 1'000'000;
            set_not_ready(pending.empty() ? "every symbol was refused by TwelveData; see the log"
                                          : "subscribing");
        }
        while (next_symbol < pending.size() && rate.try_take(now)) {
            size_t n = std::min(_cfg.symbols_per_subscribe, pending.size() - next_symbol);
            std::string list;
            for (size_t i = 0; i < n; ++i) {
                list += (i ? "," : "") + json_escape(pending[next_symbol + i]);
            }
            next_symbol += n;
            session->send(fmt::format(R"({{"action":"subscribe","params":{{"symbols":"{}"}}}})", list));
        }
        if (now >= next_heartbeat && rate.try_take(now)) {
            session->send(R"({"action":"heartbeat"})");
            stats().heartbeats.inc();
            next_heartbeat = now + _cfg.heartbeat_ms * 1'000'000;
        }
        if (got_status && _gap_pending && _cfg.on_gap) {
            _gap_pending = false;
            int64_t to = now_micros();
            if (_gap_from_us < to) {
                _cfg.on_gap(_gap_from_us, to);
            }
        }
        if (now - _last_msg_ns > _cfg.watchdog_ms * 1'000'000) {
            stats().watchdog.inc();
            spdlog::warn("twelvedata: no message for {} ms; reconnecting", _cfg.watchdog_ms);
            why = "watchdog";
            session->close();
        }
    }
    return opened;
}

void twelvedata::on_message(std::string_view msg) {
    model::tick t;
    std::string error;
    switch (_parser.parse(msg, t, error)) {
    case internal::line_outcome::tick:
        on_price(t, msg);
        return;
    case internal::line_outcome::malformed:
        stats().rejected.inc();
        dead(msg, "malformed", fmt::format("twelvedata message {}: {}", _msg_index, error));
        return;
    case internal::line_outcome::skip:
        on_control(msg);
        return;
    }
}

void twelvedata::on_price(model::tick& t, std::string_view raw) {
    int64_t now = now_micros();
    if (t.event_time() > now + _cfg.future_tolerance_us) {
        stats().future.inc();
        if (!_cfg.clamp_future) {
            dead(raw, "invalid",
                 fmt::format("twelvedata: {} timestamp {} is {} s in the future (tolerance {} s); set "
                             "twelvedata.clamp_future = true to clamp such times to now",
                             t.symbol, format_iso8601(t.event_time()),
                             (t.event_time() - now) / micros_per_second,
                             _cfg.future_tolerance_us / micros_per_second));
            return;
        }
        t.event_time = event_time(now);
    }
    auto it = _last.find(t.symbol);
    if (it != _last.end()) {
        auto& l = it->second;
        if (l.et == t.event_time() && l.price == t.price && l.dv == t.day_volume && l.bid == t.bid
            && l.ask == t.ask) {
            stats().duplicates.inc();
            return;
        }
    } else {
        it = _last.emplace(t.symbol, last_t{}).first;
    }
    auto& l = it->second;
    if (t.day_volume) {
        if (l.dv) {
            t.size = *t.day_volume >= *l.dv ? *t.day_volume - *l.dv : *t.day_volume;
        }
    }
    l.et = t.event_time();
    l.price = t.price;
    l.dv = t.day_volume;
    l.bid = t.bid;
    l.ask = t.ask;
    t.source = name;
    t.ingest_time = ingest_time(now);
    _seq = std::max(_seq + 1, now);
    t.seq = sequence(_seq);
    _last_tick_us = std::max(_last_tick_us, t.event_time());
    stats().ticks.inc();
    push(std::move(t));
}

void twelvedata::on_control(std::string_view msg) {
    internal::twelvedata_event ev;
    std::string error;
    if (internal::parse_twelvedata_event(msg, ev, error) == internal::line_outcome::malformed) {
        stats().rejected.inc();
        dead(msg, "malformed", fmt::format("twelvedata message {}: {}", _msg_index, error));
        return;
    }
    using kind = internal::twelvedata_event::kind;
    if (ev.k == kind::subscribe_status) {
        for (auto& s : ev.success) {
            _subscribed.insert(s);
        }
        for (auto& s : ev.fails) {
            bool first;
            {
                std::lock_guard g(_failed_mu);
                first = _failed.insert(s).second;
            }
            if (first) {
                stats().failed.inc();
                spdlog::warn("twelvedata: the server refused the symbol {}{}; check its spelling and that "
                             "your plan includes it; it will not be requested again until restart",
                             scrub(s), ev.message.empty() ? "" : " (" + scrub(ev.message) + ")");
            }
        }
        if (!_subscribed.empty()) {
            set_not_ready("");
        } else if (!ev.fails.empty() && failed_symbols().size() >= _cfg.symbols.size()) {
            set_not_ready("every symbol was refused by TwelveData; see the log");
        }
    } else if (ev.k == kind::error) {
        std::string m = scrub(ev.message.empty() ? std::string(msg.substr(0, 300)) : ev.message);
        if (m != _last_error_logged) {
            _last_error_logged = m;
            spdlog::warn("twelvedata: the server reported an error: {}", m);
        }
    }
}

} // namespace mdsp::feed
