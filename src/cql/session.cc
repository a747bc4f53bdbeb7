// The session's request path: query plans (token-aware, local data centre
// first), the choice of a connection, retries of idempotent statements.
#include "cql/session.h"

#include <algorithm>
#include <future>

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "cql/internal/host.h"

namespace mdsp::cql {

namespace asio = boost::asio;

session::session(session_options opts)
  : _opts(std::move(opts))
  , _metrics(_opts.metrics ? *_opts.metrics : metrics::global())
  , _maintenance(_io) {}

session::~session() {
    stop();
}

void session::stop() {
    if (!_thread.joinable()) {
        return;
    }
    asio::post(_io, [this] {
        _stopped = true;
        _maintenance.cancel();
        if (_control) {
            _control->close();
        }
        for (auto& h : _hosts) {
            for (auto& c : h->pool) {
                c->close();
            }
        }
    });
    // The loop ends by itself once the closes have run and every pending
    // request has had its callback (with errc::closed).
    _guard.reset();
    _thread.join();
}

consistency session::default_cl(std::string_view cql) const {
    auto start = cql.find_first_not_of(" \t\r\n(");
    auto word = start == std::string_view::npos ? std::string_view{} : cql.substr(start, 6);
    bool select = word.size() == 6 && std::equal(word.begin(), word.end(), "SELECT", [](char a, char b) {
                      return std::toupper(static_cast<unsigned char>(a)) == b;
                  });
    return select ? _opts.read_cl : _opts.write_cl;
}

// Hosts to try in order: the replicas of the request's partition (when the
// statement names its key), then the other hosts, each group local data
// centre first; down and removed hosts last.
std::vector<size_t> session::plan(const request& r) {
    std::vector<size_t> order;
    const prepared* stmt = r.k == request::kind::execute                     ? r.stmt.get()
                           : r.k == request::kind::batch && !r.stmts.empty() ? r.stmts[0].get()
                                                                             : nullptr;
    const auto& values =
        r.k == request::kind::batch && !r.batch_values.empty() ? r.batch_values[0] : r.values;
    if (stmt && !stmt->bind.pk_indexes.empty() && !_ring.empty()) {
        std::vector<std::string_view> parts;
        for (auto i : stmt->bind.pk_indexes) {
            if (i >= values.size() || values[i].kind() != value::state::set) {
                parts.clear();
                break;
            }
            parts.push_back(values[i].bytes());
        }
        if (!parts.empty()) {
            order = _ring.walk(murmur3_token(partition_key(parts)), _hosts.size());
        }
    }
    size_t n = _hosts.size();
    for (size_t k = 0; k < n; ++k) {
        size_t h = (_round_robin + k) % n;
        if (std::find(order.begin(), order.end(), h) == order.end()) {
            order.push_back(h);
        }
    }
    ++_round_robin;
    auto rank = [&](size_t h) {
        const auto& x = *_hosts[h];
        if (x.removed || !x.up) {
            return 2;
        }
        return x.dc == _opts.local_dc || _opts.local_dc.empty() ? 0 : 1;
    };
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return rank(a) < rank(b); });
    return order;
}

std::shared_ptr<connection> session::pick(size_t h) {
    std::shared_ptr<connection> best;
    for (const auto& c : _hosts[h]->pool) {
        if (c->is_open() && (!best || c->in_flight() < best->in_flight())) {
            best = c;
        }
    }
    return best;
}

std::chrono::milliseconds session::backoff(int retry) {
    auto cap = std::min<int64_t>(_opts.retry.max_backoff.count(), _opts.retry.base_backoff.count()
                                                                      << std::min(retry, 20));
    if (cap <= 0) {
        return std::chrono::milliseconds(0);
    }
    return std::chrono::milliseconds(std::uniform_int_distribution<int64_t>(0, cap)(_rng));
}

// Whether to try again. A request refused before it was sent (busy) may go
// to the next host whatever it is; anything that may have reached a replica
// is tried again only when the statement is idempotent, and only for
// failures that say nothing was wrong with the statement itself.
bool session::should_retry(const request& r, const mdsp::error& e, bool& next_host) const {
    next_host = true;
    if (e.code == errc::busy) {
        return true;
    }
    if (!r.o.idempotent || r.retries >= _opts.retry.max_retries) {
        return false;
    }
    if (e.code.category() != error_category()) {
        return false;
    }
    switch (errc(e.code.value())) {
    case errc::read_timeout:
    case errc::write_timeout:
        next_host = false; // the coordinator was fine; the replicas were slow
        return true;
    case errc::unavailable:
    case errc::overloaded:
    case errc::is_bootstrapping:
    case errc::timeout:
    case errc::closed:
        return true;
    default:
        return false;
    }
}

void session::run(std::shared_ptr<request> r) {
    if (!_thread.joinable()) {
        return r->cb(make_error(errc::closed, "the Cassandra session is not started"));
    }
    asio::post(_io, [this, r = std::move(r)]() mutable {
        if (_stopped) {
            return r->cb(make_error(errc::closed, "the Cassandra session is stopped"));
        }
        r->plan = plan(*r);
        attempt(std::move(r));
    });
}

void session::attempt(std::shared_ptr<request> r) {
    std::shared_ptr<connection> c;
    size_t h = 0;
    while (r->next < r->plan.size() && !c) {
        h = r->plan[r->next];
        c = pick(h);
        if (!c) {
            ++r->next;
        }
    }
    if (!c) {
        if (r->last) {
            return r->cb(*r->last);
        }
        if (!r->waited && reachable()) {
            r->waited = true;
            auto until = std::chrono::steady_clock::now() + _opts.conn.request_timeout;
            return when_connected(until, [this, r](bool) mutable {
                if (_stopped) {
                    return r->cb(make_error(errc::closed, "the Cassandra session is stopped"));
                }
                r->plan = plan(*r);
                r->next = 0;
                attempt(std::move(r));
            });
        }
        return r->cb(make_error(errc::no_host_available,
                                "no connection to any of the {} Cassandra hosts is open; check that they run "
                                "and are reachable (contact points: {})",
                                _hosts.size(), fmt::join(_opts.contact_points, ",")));
    }
    auto done = [this, r, h](result<result_message> res) mutable {
        if (res) {
            return r->cb(std::move(res));
        }
        bool next_host = true;
        if (_stopped || !should_retry(*r, res.error(), next_host)) {
            return r->cb(std::move(res));
        }
        r->last = res.error();
        if (res.error().code != errc::busy) {
            ++r->retries;
            _hosts[h]->probe->retry();
        }
        if (next_host) {
            ++r->next;
            if (r->next >= r->plan.size() && res.error().code != errc::busy) {
                r->next = 0; // around the plan again, after a backoff
            }
        }
        if (res.error().code == errc::busy) {
            return attempt(std::move(r));
        }
        auto t = std::make_shared<asio::steady_timer>(_io, backoff(r->retries));
        t->async_wait([this, r, t](boost::system::error_code) mutable { attempt(std::move(r)); });
    };
    query_params p;
    p.cl = r->cl;
    p.page_size = r->o.page_size;
    p.paging_state = r->o.paging_state;
    p.default_timestamp_us = r->o.timestamp_us;
    switch (r->k) {
    case request::kind::query:
        p.values = r->values;
        return c->query(r->cql, std::move(p), std::move(done));
    case request::kind::execute:
        p.values = r->values;
        p.skip_metadata = !r->stmt->result()->meta.columns.empty();
        return c->execute(r->stmt, std::move(p), std::move(done));
    case request::kind::batch: {
        batch_params b;
        b.cl = r->cl;
        b.default_timestamp_us = r->o.timestamp_us;
        return c->batch(r->stmts, r->batch_values, b, std::move(done));
    }
    }
}

void session::prepare(std::string cql, callback<std::shared_ptr<const prepared>> cb) {
    if (!_thread.joinable()) {
        return cb(make_error(errc::closed, "the Cassandra session is not started"));
    }
    asio::post(_io, [this, cql = std::move(cql), cb = std::move(cb)]() mutable {
        prepare_on(std::move(cql), std::move(cb), false);
    });
}

// Prepared on one host; the others learn it on first UNPREPARED.
void session::prepare_on(std::string cql, callback<std::shared_ptr<const prepared>> cb, bool waited) {
    if (_stopped) {
        return cb(make_error(errc::closed, "the Cassandra session is stopped"));
    }
    request probe_plan;
    for (auto h : plan(probe_plan)) {
        if (auto c = pick(h)) {
            return c->prepare(std::move(cql), std::move(cb));
        }
    }
    if (waited || !reachable()) {
        return cb(make_error(errc::no_host_available, "no Cassandra host is up to prepare a statement on"));
    }
    auto until = std::chrono::steady_clock::now() + _opts.conn.request_timeout;
    when_connected(until, [this, cql = std::move(cql), cb = std::move(cb)](bool) mutable {
        prepare_on(std::move(cql), std::move(cb), true);
    });
}

// Whether a request that finds every pool empty should wait for one to
// reopen: only while the control connection is open, so the cluster answers
// and the pools are only starting or reconnecting (their first connection
// timed out on a loaded machine, a blip). With the control connection gone
// too (Cassandra down) requests fail at once, as callers that back off (the
// process stage) or answer users (the HTTP API) want. A host with no pool
// and no attempt under way is tried again now rather than after its backoff.
bool session::reachable() {
    if (!_control || !_control->is_open()) {
        return false;
    }
    for (size_t i = 0; i < _hosts.size(); ++i) {
        const auto& h = *_hosts[i];
        if (!h.removed && h.connecting == 0 && !pick(i)) {
            open_connection(i);
        }
    }
    return true;
}

// Calls then(true) on the session's thread as soon as some host has an open
// connection, then(false) at `until` or when the session stops. A request
// waits here once, at most request_timeout (see reachable()).
void session::when_connected(std::chrono::steady_clock::time_point until, std::function<void(bool)> then) {
    for (size_t h = 0; h < _hosts.size(); ++h) {
        if (pick(h)) {
            return then(true);
        }
    }
    if (_stopped || std::chrono::steady_clock::now() >= until) {
        return then(false);
    }
    auto t = std::make_shared<asio::steady_timer>(_io, std::chrono::milliseconds(10));
    t->async_wait([this, t, until, then = std::move(then)](boost::system::error_code) mutable {
        when_connected(until, std::move(then));
    });
}

void session::execute(std::shared_ptr<const prepared> stmt, std::vector<value> values, statement_options o,
                      callback<result_message> cb) {
    if (!stmt) {
        return cb(make_error(errc::invalid_argument, "execute() needs a prepared statement, got none"));
    }
    auto r = std::make_shared<request>();
    r->k = request::kind::execute;
    r->cl = o.cl.value_or(default_cl(stmt->cql));
    r->stmt = std::move(stmt);
    r->values = std::move(values);
    r->o = std::move(o);
    r->cb = std::move(cb);
    run(std::move(r));
}

void session::query(std::string cql, std::vector<value> values, statement_options o,
                    callback<result_message> cb) {
    auto r = std::make_shared<request>();
    r->k = request::kind::query;
    r->cl = o.cl.value_or(default_cl(cql));
    r->cql = std::move(cql);
    r->values = std::move(values);
    r->o = std::move(o);
    r->cb = std::move(cb);
    run(std::move(r));
}

void session::batch(std::vector<std::shared_ptr<const prepared>> stmts,
                    std::vector<std::vector<value>> values, statement_options o,
                    callback<result_message> cb) {
    auto r = std::make_shared<request>();
    r->k = request::kind::batch;
    r->cl = o.cl.value_or(_opts.write_cl);
    r->stmts = std::move(stmts);
    r->batch_values = std::move(values);
    r->o = std::move(o);
    r->cb = std::move(cb);
    run(std::move(r));
}

namespace {
template<typename T, typename F>
result<T> wait_for(F start) {
    auto p = std::make_shared<std::promise<result<T>>>();
    auto f = p->get_future();
    start([p](result<T> r) { p->set_value(std::move(r)); });
    return f.get();
}
} // namespace

result<std::shared_ptr<const prepared>> session::prepare_sync(std::string cql) {
    return wait_for<std::shared_ptr<const prepared>>([&](auto cb) { prepare(std::move(cql), cb); });
}

result<result_message> session::execute_sync(std::shared_ptr<const prepared> stmt, std::vector<value> values,
                                             statement_options o) {
    return wait_for<result_message>(
        [&](auto cb) { execute(std::move(stmt), std::move(values), std::move(o), cb); });
}

result<result_message> session::query_sync(std::string cql, std::vector<value> values, statement_options o) {
    return wait_for<result_message>(
        [&](auto cb) { query(std::move(cql), std::move(values), std::move(o), cb); });
}

result<result_message> session::batch_sync(std::vector<std::shared_ptr<const prepared>> stmts,
                                           std::vector<std::vector<value>> values, statement_options o) {
    return wait_for<result_message>(
        [&](auto cb) { batch(std::move(stmts), std::move(values), std::move(o), cb); });
}

std::vector<host_info> session::hosts() {
    if (!_thread.joinable()) {
        return {};
    }
    return wait_for<std::vector<host_info>>([&](callback<std::vector<host_info>> cb) {
               asio::post(_io, [this, cb] {
                   std::vector<host_info> out;
                   for (const auto& h : _hosts) {
                       out.push_back({h->address, h->port, h->dc, h->rack, h->up && !h->removed,
                                      h->tokens.size(), h->version ? int(*h->version) : 0});
                   }
                   cb(std::move(out));
               });
           })
        .value();
}

const host_probe* session::probe(const std::string& endpoint) {
    if (!_thread.joinable()) {
        return nullptr;
    }
    // Hosts are only ever appended and a probe never moves, so the pointer
    // stays valid for the session's life; the lookup runs on its thread.
    return wait_for<const host_probe*>([&](callback<const host_probe*> cb) {
               asio::post(_io, [this, endpoint, cb] {
                   for (const auto& h : _hosts) {
                       if (h->endpoint() == endpoint) {
                           return cb(h->probe.get());
                       }
                   }
                   cb(static_cast<const host_probe*>(nullptr));
               });
           })
        .value();
}

std::string session::local_dc() {
    if (!_thread.joinable()) {
        return _opts.local_dc;
    }
    return wait_for<std::string>(
               [&](callback<std::string> cb) { asio::post(_io, [this, cb] { cb(_opts.local_dc); }); })
        .value();
}

} // namespace mdsp::cql
