// The session's view of the cluster: the control connection, discovery from
// system.local and system.peers_v2 (or system.peers), the token ring, the
// pools and their reconnection, topology and status events.
#include <future>
#include <set>

#include <boost/asio/post.hpp>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "cql/internal/host.h"
#include "cql/session.h"

namespace mdsp::cql {

namespace asio = boost::asio;

namespace {
std::pair<std::string, uint16_t> split_host_port(const std::string& s, uint16_t def) {
    auto colon = s.rfind(':');
    if (colon == std::string::npos || s.find(':') != colon) { // none, or a bare IPv6 address
        return {s, def};
    }
    int port = std::atoi(s.c_str() + colon + 1);
    return {s.substr(0, colon), port > 0 && port < 65536 ? uint16_t(port) : def};
}

std::string column_text(const row_view& row, std::string_view name) {
    auto i = row.column(name);
    if (!i) {
        return {};
    }
    auto v = row.text(*i);
    return v && *v ? **v : std::string();
}
} // namespace

result<void> session::start() {
    if (_thread.joinable()) {
        return make_error(errc::invalid_argument, "the Cassandra session is started already");
    }
    if (_opts.contact_points.empty()) {
        return make_error(errc::invalid_argument, "no Cassandra contact points given");
    }
    _stopped = false;
    _io.restart();
    _guard.emplace(_io.get_executor());
    _thread = std::thread([this] { _io.run(); });
    std::promise<result<void>> p;
    asio::post(_io, [this, &p] { connect_control(0, [&p](result<void> r) { p.set_value(std::move(r)); }); });
    auto r = p.get_future().get();
    if (!r) {
        stop();
        return r;
    }
    // Give every host its first connection attempt before the first request.
    auto deadline = std::chrono::steady_clock::now() + _opts.conn.connect_timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        std::promise<bool> settled;
        asio::post(_io, [this, &settled] {
            bool all = true;
            for (const auto& h : _hosts) {
                all = all && (h->removed || !h->pool.empty() || h->failures > 0);
            }
            settled.set_value(all);
        });
        if (settled.get_future().get()) {
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return r;
}

size_t session::host_index(const std::string& address, uint16_t port) {
    for (size_t i = 0; i < _hosts.size(); ++i) {
        if (_hosts[i]->address == address && _hosts[i]->port == port) {
            return i;
        }
    }
    auto h = std::make_unique<host>();
    h->address = address;
    h->port = port;
    h->probe = std::make_unique<host_probe>(_metrics, h->endpoint());
    _hosts.push_back(std::move(h));
    return _hosts.size() - 1;
}

// Tries the contact points in order (then the known hosts) until one takes
// the control connection: REGISTER for events, then discovery.
void session::connect_control(size_t i, callback<void> done) {
    std::vector<std::pair<std::string, uint16_t>> candidates;
    for (const auto& cp : _opts.contact_points) {
        candidates.push_back(split_host_port(cp, _opts.port));
    }
    for (const auto& h : _hosts) {
        if (!h->removed) {
            candidates.emplace_back(h->address, h->port);
        }
    }
    if (i >= candidates.size() || _stopped) {
        return done(
            make_error(errc::no_host_available,
                       "none of the Cassandra contact points ({}) answered; check that Cassandra runs "
                       "there and listens for CQL on port {}",
                       fmt::join(_opts.contact_points, ","), _opts.port));
    }
    auto o = options_for(candidates[i].first, candidates[i].second);
    auto c = connection::create(_io.get_executor(), o);
    c->start([this, c, i, o, done = std::move(done)](result<void> r) mutable {
        learned_version(o.host, o.port, *c, bool(r));
        if (!r) {
            // Credentials and TLS failures are the same on every host: say so at once.
            if (r.error().code == errc::bad_credentials || r.error().code == errc::auth_required
                || r.error().code == errc::tls_error) {
                return done(r.error());
            }
            spdlog::warn("Cassandra contact point {}:{} failed: {}", o.host, o.port, r.error().what());
            return connect_control(i + 1, std::move(done));
        }
        _control = c;
        // The node answers again: its pool need not wait out the backoff of
        // its failed attempts (up to 30 s after an outage of one node, which
        // sends no UP event about itself).
        for (auto& h : _hosts) {
            if (h->address == o.host && h->port == o.port) {
                h->next_try = {};
                h->failures = 0;
            }
        }
        c->register_events(
            {"TOPOLOGY_CHANGE", "STATUS_CHANGE"},
            [this](const event& e) { asio::post(_io, [this, e] { on_event(e); }); },
            [this, done = std::move(done)](result<void> r) mutable {
                if (!r) {
                    return done(r.error());
                }
                refresh(std::move(done));
            });
    });
}

// Reads system.local and the peers tables on the control connection, then
// rebuilds the ring and opens the missing pools; done once every host has
// had its first connection attempt.
void session::refresh(callback<void> done) {
    if (!_control || !_control->is_open()) {
        return done(make_error(errc::closed, "no control connection to read the cluster's topology on"));
    }
    _refreshing = true;
    auto c = _control;
    query_params p;
    p.cl = consistency::one;
    c->query(
        "SELECT data_center, rack, tokens, rpc_address FROM system.local WHERE key = 'local'", p,
        [this, c, p, done = std::move(done)](result<result_message> local) mutable {
            if (!local) {
                _refreshing = false;
                return done(local.error());
            }
            on_local(*local, c->options().host, c->options().port);
            c->query(
                "SELECT peer, native_address, native_port, data_center, rack, tokens FROM system.peers_v2", p,
                [this, c, p, done = std::move(done)](result<result_message> v2) mutable {
                    auto finish = [this, done = std::move(done)](result<result_message> peers,
                                                                 bool is_v2) mutable {
                        _refreshing = false;
                        if (!peers) {
                            return done(peers.error());
                        }
                        on_peers(*peers, is_v2);
                        rebuild_ring();
                        maintain();
                        done(ok());
                    };
                    if (v2 || v2.error().code != errc::invalid) {
                        return finish(std::move(v2), true);
                    }
                    // Before Cassandra 4.0 there is no peers_v2.
                    c->query("SELECT peer, rpc_address, data_center, rack, tokens FROM system.peers", p,
                             [finish = std::move(finish)](result<result_message> v1) mutable {
                                 finish(std::move(v1), false);
                             });
                });
        });
}

namespace {
std::vector<int64_t> parse_tokens(const row_view& row) {
    std::vector<int64_t> out;
    auto i = row.column("tokens");
    if (!i) {
        return out;
    }
    auto toks = row.text_collection(*i);
    if (!toks) {
        return out;
    }
    for (const auto& t : *toks) {
        char* end = nullptr;
        errno = 0;
        long long v = std::strtoll(t.c_str(), &end, 10);
        if (errno == 0 && end && *end == '\0' && !t.empty()) {
            out.push_back(int64_t(v));
        }
    }
    return out;
}
} // namespace

void session::on_local(const result_message& local, const std::string& address, uint16_t port) {
    if (local.rows.size() == 0) {
        return;
    }
    auto row = local.rows.row(0);
    // The node's own address, as its peers list it, when it says; else the
    // contact point's (a host name, or a wildcard rpc_address).
    std::string addr = address;
    if (auto c = row.column("rpc_address")) {
        if (auto a = row.inet(*c); a && *a && **a != "0.0.0.0" && **a != "::") {
            addr = **a;
        }
    }
    auto& h = *_hosts[host_index(addr, port)];
    h.dc = column_text(row, "data_center");
    h.rack = column_text(row, "rack");
    h.tokens = parse_tokens(row);
    h.removed = false;
    if (_opts.local_dc.empty()) {
        _opts.local_dc = h.dc;
        spdlog::info("Cassandra: local data centre is '{}' (that of {})", h.dc, h.endpoint());
    }
}

void session::on_peers(const result_message& peers, bool v2) {
    for (size_t i = 0; i < peers.rows.size(); ++i) {
        auto row = peers.rows.row(i);
        std::string address;
        uint16_t port = _opts.port;
        if (auto c = row.column(v2 ? "native_address" : "rpc_address")) {
            if (auto a = row.inet(*c); a && *a) {
                address = **a;
            }
        }
        if (address.empty() || address == "0.0.0.0" || address == "::") {
            if (auto c = row.column("peer")) {
                if (auto a = row.inet(*c); a && *a) {
                    address = **a;
                }
            }
        }
        if (v2) {
            if (auto c = row.column("native_port")) {
                if (auto p = row.int_(*c); p && *p && **p > 0 && **p < 65536) {
                    port = uint16_t(**p);
                }
            }
        }
        if (address.empty()) {
            continue;
        }
        auto& h = *_hosts[host_index(address, port)];
        h.dc = column_text(row, "data_center");
        h.rack = column_text(row, "rack");
        h.tokens = parse_tokens(row);
        h.removed = false;
    }
}

void session::rebuild_ring() {
    token_ring ring;
    for (size_t i = 0; i < _hosts.size(); ++i) {
        if (_hosts[i]->removed) {
            continue;
        }
        for (auto t : _hosts[i]->tokens) {
            ring.add(t, i);
        }
    }
    _ring = std::move(ring);
}

// Drops closed connections, opens missing ones (hosts that failed wait an
// exponentially longer time, up to 30 s), replaces a lost control
// connection; runs every reconnect_every.
void session::maintain() {
    if (_stopped) {
        return;
    }
    auto now = std::chrono::steady_clock::now();
    for (size_t i = 0; i < _hosts.size(); ++i) {
        auto& h = *_hosts[i];
        std::erase_if(h.pool, [](const auto& c) { return !c->is_open(); });
        h.up = !h.pool.empty();
        if (h.removed) {
            continue;
        }
        while (h.pool.size() + h.connecting < _opts.connections_per_host && now >= h.next_try) {
            open_connection(i);
        }
    }
    if ((!_control || !_control->is_open()) && !_refreshing) {
        _refreshing = true;
        connect_control(0, [this](result<void> r) {
            _refreshing = false;
            if (!r) {
                spdlog::warn("Cassandra control connection: {}", r.error().what());
            }
        });
    }
    _maintenance.expires_after(_opts.reconnect_every);
    _maintenance.async_wait([this](boost::system::error_code ec) {
        if (!ec) {
            maintain();
        }
    });
}

// The connection options for a host: the session's, asking first for the
// protocol version the host spoke last (a forced one still wins).
connection_options session::options_for(const std::string& address, uint16_t port) {
    auto o = _opts.conn;
    o.host = address;
    o.port = port;
    for (const auto& h : _hosts) {
        if (h->address == address && h->port == port && h->version) {
            o.protocol_hint = *h->version;
        }
    }
    return o;
}

// After a connection to address:port started (ok) or failed: the host
// remembers the version it agreed, and says so at info when it is new; a
// failure forgets it, so the next connection asks for v5 again (a node
// restarted after an upgrade to Cassandra 4+ gets its v5).
void session::learned_version(const std::string& address, uint16_t port, const connection& c, bool ok) {
    for (auto& h : _hosts) {
        if (h->address != address || h->port != port) {
            continue;
        }
        if (!ok) {
            h->version.reset();
        } else if (h->version != c.protocol_version()) {
            h->version = c.protocol_version();
            spdlog::info("Cassandra host {} speaks CQL native protocol v{}", h->endpoint(),
                         int(c.protocol_version()));
        }
    }
}

void session::open_connection(size_t i) {
    auto& h = *_hosts[i];
    ++h.connecting;
    auto o = options_for(h.address, h.port);
    auto c = connection::create(_io.get_executor(), o, h.probe.get());
    c->start([this, i, c](result<void> r) {
        auto& h = *_hosts[i];
        --h.connecting;
        learned_version(h.address, h.port, *c, bool(r));
        if (_stopped) {
            return c->close();
        }
        if (r) {
            h.pool.push_back(c);
            h.up = true;
            h.failures = 0;
            return;
        }
        ++h.failures;
        auto wait = std::min<int64_t>(30'000, _opts.reconnect_every.count() << std::min(h.failures - 1, 4));
        h.next_try = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait);
        h.up = !h.pool.empty();
        if (h.failures == 1) {
            spdlog::warn("Cassandra host {} is unreachable: {} (trying again in the background)",
                         h.endpoint(), r.error().what());
        }
    });
}

void session::on_event(const event& e) {
    if (_stopped) {
        return;
    }
    if (e.type == "TOPOLOGY_CHANGE") {
        if (e.change == "REMOVED_NODE") {
            for (auto& h : _hosts) {
                if (h->address == e.address) {
                    h->removed = true;
                    for (auto& c : h->pool) {
                        c->close();
                    }
                }
            }
            rebuild_ring();
        }
        if (!_refreshing) {
            refresh([](result<void> r) {
                if (!r) {
                    spdlog::warn("Cassandra topology refresh failed: {}", r.error().what());
                }
            });
        }
        return;
    }
    if (e.type == "STATUS_CHANGE" && e.change == "UP") {
        for (auto& h : _hosts) {
            if (h->address == e.address) {
                h->next_try = {};
                h->failures = 0;
            }
        }
        maintain();
    }
}

// Each host is asked for its own schema version (system.local over its own
// connection), not the control node's gossip view in system.peers: gossip
// can report a version a node has not applied yet, and a statement
// prepared there next finds no table. A host not known to be unreachable
// but with no open connection yet (its pool still connecting) means "not
// yet".
result<void> session::wait_for_schema_agreement(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string last;
    while (true) {
        std::promise<std::pair<std::vector<std::shared_ptr<connection>>, std::vector<std::string>>> p;
        asio::post(_io, [this, &p] {
            std::vector<std::shared_ptr<connection>> conns;
            std::vector<std::string> waiting;
            for (size_t h = 0; h < _hosts.size(); ++h) {
                const auto& host = *_hosts[h];
                if (host.removed || (!host.up && host.failures > 0)) {
                    continue;
                }
                if (auto c = pick(h)) {
                    conns.push_back(std::move(c));
                } else {
                    waiting.push_back(host.endpoint());
                }
            }
            p.set_value({std::move(conns), std::move(waiting)});
        });
        auto [conns, waiting] = p.get_future().get();
        std::set<std::string> versions;
        if (!waiting.empty()) {
            last = fmt::format("no connection yet to {}", fmt::join(waiting, ", "));
        } else if (conns.empty()) {
            last = "no host is up";
        } else {
            query_params q;
            q.cl = consistency::one;
            last.clear();
            for (const auto& c : conns) {
                auto local = c->query_sync("SELECT schema_version FROM system.local WHERE key = 'local'", q);
                if (!local) {
                    last = local.error().what();
                    continue;
                }
                auto v = local->rows.size() == 1 ? local->rows.row(0).raw(0)
                                                 : result<std::optional<std::string_view>>(std::nullopt);
                if (!v || !*v) {
                    last = "a host has no schema version yet";
                } else {
                    versions.emplace(**v);
                }
            }
            if (last.empty() && versions.size() == 1) {
                return ok();
            }
            if (last.empty()) {
                last = fmt::format("{} schema versions among the {} hosts that are up", versions.size(),
                                   conns.size());
            }
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            return make_error(errc::timeout,
                              "the Cassandra hosts did not agree on the schema within {} ms ({})",
                              timeout.count(), last);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
}

} // namespace mdsp::cql
