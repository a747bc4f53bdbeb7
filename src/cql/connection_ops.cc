// The messages of a connection: the handshake (OPTIONS and the protocol
// version, STARTUP, authentication), QUERY, PREPARE, EXECUTE, BATCH,
// REGISTER, preparing again on UNPREPARED, and v5's changed result metadata.
#include <algorithm>
#include <cctype>

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "cql/connection.h"

namespace mdsp::cql {

namespace asio = boost::asio;

namespace {
// An ERROR body as a value, or the reason it could not be read.
mdsp::error error_of(std::string_view body, protocol v, server_error* out = nullptr) {
    auto e = decode_error(body, v);
    if (!e) {
        return e.error();
    }
    if (out) {
        *out = *e;
    }
    return to_error(*e);
}

mdsp::error unexpected(opcode op, std::string_view during) {
    return make_error(errc::malformed_frame, "unexpected opcode 0x{:02x} in answer to {}", int(op), during);
}

bool contains_nocase(std::string_view text, std::string_view what) {
    auto it = std::search(text.begin(), text.end(), what.begin(), what.end(), [](char a, char b) {
        return std::tolower(uint8_t(a)) == std::tolower(uint8_t(b));
    });
    return it != text.end();
}
} // namespace

void connection::handshake(callback<void> on_ready) {
    send(opcode::options, {}, [this, self = shared_from_this(), on_ready](result<response> r) mutable {
        if (!r) {
            return on_ready(r.error());
        }
        if (refused_version(*r, on_ready)) {
            return;
        }
        if (r->h.op != opcode::supported) {
            auto e = r->h.op == opcode::error ? error_of(r->body.bytes, protocol_version())
                                              : unexpected(r->h.op, "OPTIONS");
            fail(e);
            return on_ready(e);
        }
        auto s = decode_supported(r->body.bytes);
        if (!s) {
            fail(s.error());
            return on_ready(s.error());
        }
        _supported = std::move(*s);
        if (_opts.lz4) {
            const auto& algos = _supported["COMPRESSION"];
            if (std::find(algos.begin(), algos.end(), "lz4") == algos.end()) {
                auto e =
                    make_error(errc::unsupported,
                               "{} does not offer LZ4 compression; turn compression off for it", endpoint());
                fail(e);
                return on_ready(e);
            }
        }
        startup(std::move(on_ready));
    });
}

// The answer to the first request of an attempt, when it is the server
// refusing the version asked for (Cassandra: "Invalid or unsupported
// protocol version (5); supported versions are (3/v3, 4/v4)", in a v4
// frame; 3.x: "Beta version of the protocol used"; 2.1 answers
// SERVER_ERROR): connects again with v4 when v5 was asked for and not
// forced, fails with errc::unsupported otherwise. True when it took the
// answer.
bool connection::refused_version(const response& r, callback<void>& on_ready) {
    if (r.h.op != opcode::error) {
        return false;
    }
    auto e = decode_error(r.body.bytes, protocol::v4); // the same in every version for these codes
    if (!e || (e->code != 0x000A && e->code != 0x0000)) {
        return false;
    }
    bool older = version_of(r.h) < uint8_t(protocol_version());
    if (!older && !contains_nocase(e->message, "unsupported protocol version")
        && !contains_nocase(e->message, "beta version of the protocol")) {
        return false;
    }
    auto asked = protocol_version();
    if (asked == protocol::v5 && !_opts.protocol_version) {
        spdlog::debug("Cassandra at {} refuses CQL native protocol v5 ({}); connecting again with v4",
                      endpoint(), e->message);
        restart(protocol::v4, std::move(on_ready));
        return true;
    }
    auto err = make_error(
        errc::unsupported, "Cassandra at {} refuses CQL native protocol v{}{}: {} ({})", endpoint(),
        int(asked), _opts.protocol_version ? " (protocol_version set)" : "", e->message,
        asked == protocol::v5 ? "leave protocol_version unset to fall back to v4, or set it to 4"
                              : "this client needs v4 at least: Cassandra 2.2 or later, or ScyllaDB");
    fail(err);
    on_ready(err);
    return true;
}

// v5 (section 2.3.1): from the answer to STARTUP on (READY or AUTHENTICATE),
// frames travel in segments both ways, LZ4-compressed when it was agreed.
void connection::start_segments() {
    if (protocol_version() == protocol::v4) {
        return;
    }
    _segments_in.emplace(_opts.lz4, _opts.lim);
    _segments_out.emplace(_opts.lz4, _opts.compress_min_bytes);
}

void connection::startup(callback<void> on_ready) {
    auto ready = [this, on_ready](result<void> r) mutable {
        if (!r) {
            fail(r.error());
            return on_ready(r);
        }
        _ready = true;
        _compress = _opts.lz4 && protocol_version() == protocol::v4;
        if (_probe) {
            _probe->protocol_version(protocol_version());
        }
        spdlog::debug("CQL connection to {} ready, native protocol v{}", endpoint(), int(protocol_version()));
        sweep();
        on_ready(ok());
    };
    send(opcode::startup, encode_startup(_opts.lz4),
         [this, self = shared_from_this(), ready](result<response> r) mutable {
             if (!r) {
                 return ready(r.error());
             }
             switch (r->h.op) {
             case opcode::ready:
                 start_segments();
                 return ready(ok());
             case opcode::authenticate: {
                 start_segments();
                 auto name = decode_authenticate(r->body.bytes);
                 if (!name) {
                     return ready(name.error());
                 }
                 return authenticate(*name, std::move(ready));
             }
             case opcode::error:
                 return ready(error_of(r->body.bytes, protocol_version()));
             default:
                 return ready(unexpected(r->h.op, "STARTUP"));
             }
         });
}

void connection::authenticate(const std::string& authenticator, callback<void> ready) {
    if (!_opts.auth) {
        return ready(make_error(errc::auth_required,
                                "Cassandra at {} requires authentication ({}): give a user name (cassandra "
                                "user setting) and its password in MDSP_CASSANDRA_PASSWORD",
                                endpoint(), authenticator));
    }
    if (!is_plain_authenticator(authenticator)) {
        return ready(
            make_error(errc::unsupported,
                       "Cassandra at {} uses the authenticator {}; this client speaks only SASL PLAIN "
                       "(PasswordAuthenticator)",
                       endpoint(), authenticator));
    }
    send(opcode::auth_response, encode_plain_auth_response(_opts.auth->user, _opts.auth->password),
         [this, self = shared_from_this(), ready](result<response> r) mutable {
             if (!r) {
                 return ready(r.error());
             }
             if (r->h.op == opcode::auth_success) {
                 return ready(ok());
             }
             if (r->h.op == opcode::error) {
                 auto e = error_of(r->body.bytes, protocol_version());
                 if (e.code == errc::bad_credentials) {
                     e.message = fmt::format(
                         "Cassandra at {} refused the credentials of user '{}': {}; check the user name "
                         "setting and MDSP_CASSANDRA_PASSWORD",
                         endpoint(), _opts.auth->user, e.message);
                 }
                 return ready(e);
             }
             if (r->h.op == opcode::auth_challenge) {
                 return ready(make_error(errc::unsupported,
                                         "Cassandra at {} sent a further SASL challenge; PLAIN has one step",
                                         endpoint()));
             }
             return ready(unexpected(r->h.op, "AUTH_RESPONSE"));
         });
}

// Sends a request whose answer is a RESULT. An UNPREPARED error is answered
// by preparing the statement again on this host and sending the request once
// more (attempt 1); a second UNPREPARED is an error.
void connection::send_result(opcode op, std::string body, std::shared_ptr<const prepared> stmt, int attempt,
                             callback<result_message> cb) {
    auto again = body;
    send(op, std::move(body),
         [this, self = shared_from_this(), op, again = std::move(again), stmt, attempt,
          cb = std::move(cb)](result<response> r) mutable {
             if (!r) {
                 if (_probe) {
                     _probe->error();
                 }
                 return cb(r.error());
             }
             if (r->h.op == opcode::result) {
                 auto known = stmt ? stmt->result() : nullptr;
                 auto m = decode_result(r->body.bytes, _opts.lim, protocol_version(),
                                        known ? &known->meta : nullptr);
                 if (m && stmt && m->kind == result_kind::rows && m->rows.meta.new_metadata_id) {
                     metadata meta = m->rows.meta;
                     meta.has_more_pages = false;
                     meta.paging_state.reset();
                     meta.new_metadata_id.reset();
                     spdlog::debug("{}: the result metadata of a prepared statement changed ({} columns)",
                                   endpoint(), meta.column_count);
                     stmt->set_result(*m->rows.meta.new_metadata_id, std::move(meta));
                 }
                 return cb(std::move(m));
             }
             if (r->h.op != opcode::error) {
                 return cb(unexpected(r->h.op, "a request"));
             }
             server_error se;
             auto e = error_of(r->body.bytes, protocol_version(), &se);
             if (e.code == errc::unprepared && attempt == 0 && _known.count(se.unprepared_id)) {
                 return reprepare(se.unprepared_id, [this, self, op, again = std::move(again), stmt,
                                                     cb = std::move(cb)](result<void> p) mutable {
                     if (!p) {
                         return cb(p.error());
                     }
                     send_result(op, std::move(again), stmt, 1, std::move(cb));
                 });
             }
             if (_probe) {
                 _probe->error();
             }
             cb(e);
         });
}

void connection::reprepare(const std::string& id, std::function<void(result<void>)> then) {
    const std::string& cql = _known[id];
    spdlog::debug("preparing again on {} a statement it has forgotten", endpoint());
    auto body = encode_prepare(cql, protocol_version());
    if (!body) {
        return then(body.error());
    }
    send(opcode::prepare, std::move(*body), [this, id, then = std::move(then)](result<response> r) {
        if (!r) {
            return then(r.error());
        }
        if (r->h.op == opcode::error) {
            return then(error_of(r->body.bytes, protocol_version()));
        }
        auto m = decode_result(r->body.bytes, _opts.lim, protocol_version());
        if (!m) {
            return then(m.error());
        }
        if (m->kind != result_kind::prepared || m->prepared.id != id) {
            return then(make_error(errc::unprepared,
                                   "{} prepared the statement again under another id (its schema changed?)",
                                   endpoint()));
        }
        then(ok());
    });
}

void connection::query(std::string cql, query_params p, callback<result_message> cb) {
    auto body = encode_query(cql, p, protocol_version());
    if (!body) {
        return cb(body.error());
    }
    send_result(opcode::query, std::move(*body), nullptr, 0, std::move(cb));
}

void connection::prepare(std::string cql, callback<std::shared_ptr<const prepared>> cb) {
    auto body = encode_prepare(cql, protocol_version());
    if (!body) {
        return cb(body.error());
    }
    send_result(opcode::prepare, std::move(*body), nullptr, 0,
                [this, self = shared_from_this(), cql = std::move(cql),
                 cb = std::move(cb)](result<result_message> r) mutable {
                    if (!r) {
                        return cb(r.error());
                    }
                    if (r->kind != result_kind::prepared) {
                        return cb(make_error(errc::malformed_frame,
                                             "PREPARE was answered by a result of kind {}", int(r->kind)));
                    }
                    auto s = std::make_shared<prepared>();
                    s->id = std::move(r->prepared.id);
                    s->cql = std::move(cql);
                    s->bind = std::move(r->prepared.bind);
                    s->set_result(std::move(r->prepared.result_metadata_id),
                                  std::move(r->prepared.result_meta));
                    _known[s->id] = s->cql;
                    cb(std::shared_ptr<const prepared>(std::move(s)));
                });
}

void connection::execute(std::shared_ptr<const prepared> stmt, query_params p, callback<result_message> cb) {
    if (!stmt) {
        return cb(make_error(errc::invalid_argument, "execute() needs a prepared statement, got none"));
    }
    auto body = encode_execute(stmt->id, stmt->result()->metadata_id, p, protocol_version());
    if (!body) {
        return cb(body.error());
    }
    asio::post(_strand,
               [self = shared_from_this(), stmt, body = std::move(*body), cb = std::move(cb)]() mutable {
                   self->_known.emplace(stmt->id, stmt->cql);
                   self->send_result(opcode::execute, std::move(body), stmt, 0, std::move(cb));
               });
}

void connection::batch(std::vector<std::shared_ptr<const prepared>> stmts,
                       std::vector<std::vector<value>> values, batch_params p, callback<result_message> cb) {
    if (stmts.size() != values.size()
        || std::any_of(stmts.begin(), stmts.end(), [](const auto& s) { return !s; })) {
        return cb(make_error(errc::invalid_argument, "a batch of {} statements was given {} value lists",
                             stmts.size(), values.size()));
    }
    std::vector<batch_entry> entries;
    entries.reserve(stmts.size());
    for (size_t i = 0; i < stmts.size(); ++i) {
        entries.push_back({stmts[i]->id, true, std::move(values[i])});
    }
    auto body = encode_batch(entries, p, protocol_version());
    if (!body) {
        return cb(body.error());
    }
    asio::post(_strand, [self = shared_from_this(), stmts = std::move(stmts), body = std::move(*body),
                         cb = std::move(cb)]() mutable {
        for (const auto& s : stmts) {
            self->_known.emplace(s->id, s->cql);
        }
        self->send_result(opcode::batch, std::move(body), nullptr, 0, std::move(cb));
    });
}

void connection::register_events(std::vector<std::string> events, std::function<void(const event&)> on_event,
                                 callback<void> cb) {
    auto body = encode_register(events);
    if (!body) {
        return cb(body.error());
    }
    asio::post(_strand, [self = shared_from_this(), body = std::move(*body), on_event = std::move(on_event),
                         cb = std::move(cb)]() mutable {
        self->_on_event = std::move(on_event);
        self->send(opcode::register_, std::move(body), [cb = std::move(cb)](result<response> r) {
            if (!r) {
                return cb(r.error());
            }
            if (r->h.op == opcode::ready) {
                return cb(ok());
            }
            cb(r->h.op == opcode::error ? error_of(r->body.bytes, protocol(version_of(r->h)))
                                        : unexpected(r->h.op, "REGISTER"));
        });
    });
}

result<result_message> connection::query_sync(std::string cql, query_params p) {
    return wait<result_message>(
        [&](callback<result_message> cb) { query(std::move(cql), std::move(p), std::move(cb)); });
}

result<std::shared_ptr<const prepared>> connection::prepare_sync(std::string cql) {
    return wait<std::shared_ptr<const prepared>>(
        [&](callback<std::shared_ptr<const prepared>> cb) { prepare(std::move(cql), std::move(cb)); });
}

result<result_message> connection::execute_sync(std::shared_ptr<const prepared> stmt, query_params p) {
    return wait<result_message>(
        [&](callback<result_message> cb) { execute(std::move(stmt), std::move(p), std::move(cb)); });
}

} // namespace mdsp::cql
