// The wire side of a connection: connect, TLS, connecting again with an
// older protocol version, stream ids, the write queue, the frame reader (v4
// frames, or v5 segments), request deadlines. The messages are in
// connection_ops.cc.
#include "cql/connection.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

namespace mdsp::cql {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {
constexpr size_t max_stream_ids = 32768;
constexpr auto sweep_every = std::chrono::milliseconds(50);
constexpr size_t read_chunk = size_t{64} * 1024;
} // namespace

std::shared_ptr<connection> connection::create(asio::any_io_executor ex, connection_options opts,
                                               host_probe* probe) {
    return std::shared_ptr<connection>(new connection(std::move(ex), std::move(opts), probe));
}

connection::connection(asio::any_io_executor ex, connection_options opts, host_probe* probe)
  : _strand(asio::make_strand(ex))
  , _opts(std::move(opts))
  , _probe(probe)
  , _resolver(_strand)
  , _socket(_strand)
  , _timer(_strand)
  , _version(_opts.protocol_version.value_or(_opts.protocol_hint)) {
    _opts.max_in_flight = std::clamp<size_t>(_opts.max_in_flight, 1, max_stream_ids);
    _pending.resize(_opts.max_in_flight);
    _free_ids.reserve(_opts.max_in_flight);
    for (size_t i = _opts.max_in_flight; i > 0; --i) {
        _free_ids.push_back(int16_t(i - 1));
    }
}

connection::~connection() = default;

std::string connection::endpoint() const {
    return fmt::format("{}:{}", _opts.host, _opts.port);
}

void connection::start(callback<void> on_ready) {
    asio::post(_strand, [self = shared_from_this(), cb = std::move(on_ready)]() mutable {
        self->do_connect(std::move(cb));
    });
}

result<void> connection::start_sync() {
    return wait<void>([this](callback<void> cb) { start(std::move(cb)); });
}

void connection::close() {
    asio::post(_strand, [self = shared_from_this()] {
        self->fail(
            make_error(errc::closed, "the connection to {} was closed by its owner", self->endpoint()));
    });
}

void connection::do_connect(callback<void> on_ready) {
    auto self = shared_from_this();
    _timer.expires_after(_opts.connect_timeout);
    _timer.async_wait([this, self](boost::system::error_code ec) {
        if (!ec && !_ready && !_closed) {
            fail(make_error(errc::connect_failed, "connecting to {} took longer than {} ms (connect_timeout)",
                            endpoint(), _opts.connect_timeout.count()));
        }
    });
    // fail() completes on_ready through the pending list only once requests
    // exist; before that the handshake's callbacks carry the error.
    _resolver.async_resolve(
        _opts.host, std::to_string(_opts.port),
        [this, self, on_ready](boost::system::error_code ec, tcp::resolver::results_type r) mutable {
            if (_closed) {
                return on_ready(_close_reason);
            }
            if (ec) {
                auto e = make_error(errc::connect_failed, "cannot resolve Cassandra host {}: {}", _opts.host,
                                    ec.message());
                fail(e);
                return on_ready(e);
            }
            asio::async_connect(
                _socket, r,
                [this, self, on_ready](boost::system::error_code ec, const tcp::endpoint&) mutable {
                    if (_closed) {
                        return on_ready(_close_reason);
                    }
                    if (ec) {
                        auto e = make_error(errc::connect_failed, "cannot connect to Cassandra at {}: {}",
                                            endpoint(), ec.message());
                        fail(e);
                        return on_ready(e);
                    }
                    on_connected(std::move(on_ready));
                });
        });
}

void connection::on_connected(callback<void> on_ready) {
    boost::system::error_code ignored;
    _socket.set_option(tcp::no_delay(true), ignored);
    _open = true;
    if (!_opts.tls.enabled) {
        read_more();
        return handshake(std::move(on_ready));
    }
    if (!_ssl_ctx) { // made once: a stream given up by restart() still points at it
        _ssl_ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
        boost::system::error_code ec;
        _ssl_ctx->set_default_verify_paths(ec);
        if (!ec && !_opts.tls.ca_file.empty()) {
            _ssl_ctx->load_verify_file(_opts.tls.ca_file, ec);
        }
        if (!ec && !_opts.tls.cert_file.empty()) {
            _ssl_ctx->use_certificate_chain_file(_opts.tls.cert_file, ec);
            if (!ec) {
                _ssl_ctx->use_private_key_file(_opts.tls.key_file, asio::ssl::context::pem, ec);
            }
        }
        if (ec) {
            auto e = make_error(errc::tls_error,
                                "cannot load the TLS files (ca_file, cert_file, key_file): {}", ec.message());
            fail(e);
            return on_ready(e);
        }
        SSL_CTX_set_min_proto_version(_ssl_ctx->native_handle(), TLS1_2_VERSION);
    }
    _tls = std::make_unique<asio::ssl::stream<tcp::socket>>(std::move(_socket), *_ssl_ctx);
    const std::string& name = _opts.tls.server_name.empty() ? _opts.host : _opts.tls.server_name;
    if (_opts.tls.verify) {
        _tls->set_verify_mode(asio::ssl::verify_peer);
        _tls->set_verify_callback(asio::ssl::host_name_verification(name));
    } else {
        _tls->set_verify_mode(asio::ssl::verify_none);
    }
    SSL_set_tlsext_host_name(_tls->native_handle(), name.c_str());
    _tls->async_handshake(asio::ssl::stream_base::client, [this, self = shared_from_this(), on_ready,
                                                           name](boost::system::error_code ec) mutable {
        if (_closed) {
            return on_ready(_close_reason);
        }
        if (ec) {
            auto e = make_error(errc::tls_error,
                                "TLS handshake with {} failed: {} (is the certificate "
                                "valid for '{}' and signed by a trusted CA? see ca_file)",
                                endpoint(), ec.message(), name);
            fail(e);
            return on_ready(e);
        }
        read_more();
        handshake(std::move(on_ready));
    });
}

// Gives this attempt's socket up and connects again, speaking v: the server
// refused the version asked for. Only the handshake was on the wire, and its
// answer has been read; the handlers of the old socket see _attempt changed
// and leave the new one alone.
void connection::restart(protocol v, callback<void> on_ready) {
    MDSP_ASSERT(v < protocol_version(), "restart with v{} from v{}", int(v), int(protocol_version()));
    ++_attempt;
    boost::system::error_code ignored;
    if (tls()) {
        _tls->lowest_layer().close(ignored);
        _retired_tls = std::move(_tls);
    } else {
        _socket.close(ignored);
    }
    _open = false;
    _in.clear();
    _out.clear();
    _segments_in.reset();
    _segments_out.reset();
    _negotiating = true;
    _version.store(v, std::memory_order_release);
    do_connect(std::move(on_ready));
}

void connection::send(opcode op, std::string body, raw_callback cb) {
    asio::post(_strand,
               [self = shared_from_this(), op, body = std::move(body), cb = std::move(cb)]() mutable {
                   self->dispatch(op, std::move(body), std::move(cb));
               });
}

// On the strand: a stream id and onto the wire, or into the bounded wait
// queue, or refused.
void connection::dispatch(opcode op, std::string body, raw_callback cb) {
    if (_closed) {
        return cb(_close_reason);
    }
    if (_free_ids.empty()) {
        if (_waiting.size() >= _opts.max_queued) {
            return cb(make_error(errc::busy,
                                 "{} requests in flight and {} waiting on the connection to {}: slow down "
                                 "(max_in_flight, max_queued)",
                                 _opts.max_in_flight - _free_ids.size(), _waiting.size(), endpoint()));
        }
        _waiting.push_back({op, std::move(body), std::move(cb)});
        return;
    }
    int16_t id = _free_ids.back();
    _free_ids.pop_back();
    _pending[size_t(id)] = pending{std::move(cb), std::chrono::steady_clock::now() + _opts.request_timeout};
    _in_flight_count.store(_opts.max_in_flight - _free_ids.size(), std::memory_order_relaxed);
    uint8_t flags = 0;
    if (_compress && body.size() >= _opts.compress_min_bytes) { // v4; v5 compresses segments
        body = lz4_compress(body);
        flags |= flag_compression;
    }
    if (_segments_out) {
        _segments_out->add(encode_frame(op, id, body, flags, false, protocol_version()));
    } else {
        _out += encode_frame(op, id, body, flags, false, protocol_version());
    }
    if (_probe) {
        _probe->request();
    }
    flush();
}

// Writes what is queued, one write at a time; in v5 the frames queued while
// the last write was on the wire go out packed in as few segments as fit.
void connection::flush() {
    if (_write_busy || _closed) {
        return;
    }
    if (_segments_out && !_segments_out->empty()) {
        _out += _segments_out->take();
    }
    if (_out.empty()) {
        return;
    }
    _write_busy = true;
    _writing.swap(_out);
    _out.clear();
    auto done = [this, self = shared_from_this(), attempt = _attempt](boost::system::error_code ec, size_t) {
        _write_busy = false;
        _writing.clear();
        if (attempt != _attempt) {
            return flush(); // the socket given up by restart(): what waits goes on the new one
        }
        if (ec) {
            return fail(make_error(errc::closed, "writing to {} failed: {}", endpoint(), ec.message()));
        }
        flush();
    };
    if (tls()) {
        asio::async_write(*_tls, asio::buffer(_writing), std::move(done));
    } else {
        asio::async_write(_socket, asio::buffer(_writing), std::move(done));
    }
}

void connection::read_more() {
    size_t have = _in.size();
    _in.resize(have + read_chunk);
    auto done = [this, self = shared_from_this(), have, attempt = _attempt](boost::system::error_code ec,
                                                                            size_t n) {
        if (attempt != _attempt) {
            return; // the socket given up by restart()
        }
        _in.resize(have + n);
        if (_closed) {
            return;
        }
        _last_read = std::chrono::steady_clock::now();
        if (ec) {
            return fail(
                make_error(errc::closed, "the connection to {} was lost: {}", endpoint(), ec.message()));
        }
        if (read_frames(attempt)) {
            read_more();
        }
    };
    auto buf = asio::buffer(_in.data() + have, read_chunk);
    if (tls()) {
        _tls->async_read_some(buf, std::move(done));
    } else {
        _socket.async_read_some(buf, std::move(done));
    }
}

// Hands each whole frame read to on_frame: frames one after the other (v4,
// and v5 until STARTUP is answered), then, from the moment the handshake
// turns segments on, the envelopes out of segments. False when a frame
// closed the connection or restarted it (its bytes are gone then).
bool connection::read_frames(unsigned attempt) {
    auto gone = [&] { return _closed || attempt != _attempt; };
    size_t at = 0;
    while (!gone()) {
        auto rest = std::string_view(_in).substr(at);
        if (_segments_in) {
            std::vector<envelope> envelopes;
            auto n = _segments_in->read(rest, envelopes);
            if (!n) {
                fail(make_error(errc(n.error().code.value()), "from {}: {}; closing the connection",
                                endpoint(), n.error().what()));
                return false;
            }
            at += *n;
            for (auto& e : envelopes) {
                on_frame(e.h, std::move(e.body));
                if (gone()) {
                    return false;
                }
            }
            break;
        }
        if (rest.size() < header_size) {
            break;
        }
        auto h = decode_header(rest.substr(0, header_size), _opts.lim);
        if (!h) {
            fail(make_error(errc(h.error().code.value()), "from {}: {}", endpoint(), h.error().what()));
            return false;
        }
        if (rest.size() - header_size < h->length) {
            break;
        }
        at += header_size + h->length;
        on_frame(*h, std::string(rest.substr(header_size, h->length)));
    }
    if (gone()) {
        return false;
    }
    _in.erase(0, at);
    return true;
}

void connection::on_frame(const frame_header& h, std::string body) {
    if (!(h.version & response_bit)) {
        return fail(make_error(errc::malformed_frame, "{} sent a request frame (version byte 0x{:02x})",
                               endpoint(), h.version));
    }
    // A server that refuses the version asked for answers the first request
    // with an ERROR in its own (the handshake reads it); anything else must
    // be in the connection's version.
    if (version_of(h) != uint8_t(protocol_version()) && !(_negotiating && h.op == opcode::error)) {
        return fail(
            make_error(errc::malformed_frame,
                       "{} answered in CQL native protocol v{} on a v{} connection (version byte 0x{:02x})",
                       endpoint(), version_of(h), int(protocol_version()), h.version));
    }
    _negotiating = false;
    // Once LZ4 is asked for at STARTUP the server may compress any frame
    // after it (the authentication exchange included); ours go compressed
    // only once the connection is ready.
    auto m = open_body(h, std::move(body), _opts.lim, _opts.lz4);
    if (!m) {
        return fail(make_error(errc(m.error().code.value()), "from {}: {}", endpoint(), m.error().what()));
    }
    for (const auto& w : m->warnings) {
        spdlog::warn("Cassandra {} warns: {}", endpoint(), w);
    }
    if (h.stream < 0) {
        if (h.op == opcode::event && _on_event) {
            if (auto ev = decode_event(m->bytes)) {
                _on_event(*ev);
            } else {
                spdlog::warn("ignoring an event from {}: {}", endpoint(), ev.error().what());
            }
        }
        return;
    }
    if (size_t(h.stream) >= _pending.size() || !_pending[size_t(h.stream)]) {
        return fail(make_error(errc::malformed_frame, "{} answered on stream {}, which has no request",
                               endpoint(), h.stream));
    }
    auto p = std::move(*_pending[size_t(h.stream)]);
    _pending[size_t(h.stream)].reset();
    _free_ids.push_back(h.stream);
    if (!p.cb) {
        --_orphans;
    }
    // A freed id goes to the oldest waiting request first.
    if (!_waiting.empty()) {
        auto w = std::move(_waiting.front());
        _waiting.pop_front();
        dispatch(w.op, std::move(w.body), std::move(w.cb));
    }
    _in_flight_count.store(_opts.max_in_flight - _free_ids.size(), std::memory_order_relaxed);
    if (p.cb) {
        p.cb(response{h, std::move(*m)});
    }
}

// Fails every pending and waiting request with e and closes the socket.
void connection::fail(const mdsp::error& e) {
    if (_closed) {
        return;
    }
    _closed = true;
    _open = false;
    _close_reason = e;
    if (_ready && e.code != errc::closed) {
        spdlog::warn("CQL connection to {} closed: {}", endpoint(), e.what());
    }
    boost::system::error_code ignored;
    _timer.cancel();
    _resolver.cancel();
    if (tls()) {
        _tls->lowest_layer().close(ignored);
    } else {
        _socket.close(ignored);
    }
    std::vector<raw_callback> cbs;
    for (auto& p : _pending) {
        if (p && p->cb) {
            cbs.push_back(std::move(p->cb));
        }
        p.reset();
    }
    for (auto& w : _waiting) {
        cbs.push_back(std::move(w.cb));
    }
    _waiting.clear();
    _in_flight_count = 0;
    for (auto& cb : cbs) {
        cb(e);
    }
}

// Every sweep_every: requests past their deadline fail with errc::timeout.
void connection::sweep() {
    _timer.expires_after(sweep_every);
    _timer.async_wait([this, self = shared_from_this()](boost::system::error_code ec) {
        if (ec || _closed) {
            return;
        }
        auto now = std::chrono::steady_clock::now();
        std::vector<raw_callback> expired;
        for (auto& p : _pending) {
            if (p && p->cb && p->deadline <= now) {
                expired.push_back(std::move(p->cb));
                p->cb = nullptr;
                ++_orphans;
            }
        }
        for (auto& cb : expired) {
            if (_probe) {
                _probe->timeout();
            }
            cb(make_error(errc::timeout, "{} did not answer within {} ms (request_timeout)", endpoint(),
                          _opts.request_timeout.count()));
        }
        if (_opts.heartbeat_every.count() > 0 && !_heartbeat_out
            && now - _last_read >= _opts.heartbeat_every) {
            heartbeat();
        }
        if (_orphans > _opts.max_in_flight / 2) {
            return fail(make_error(
                errc::timeout, "{} left {} requests unanswered past their timeout; closing the connection",
                endpoint(), _orphans));
        }
        sweep();
    });
}

// An OPTIONS on an idle connection; its failure (a timeout) closes the
// connection, so the pool opens a fresh one instead of waiting on a dead one.
void connection::heartbeat() {
    _heartbeat_out = true;
    dispatch(opcode::options, {}, [this, self = shared_from_this()](result<response> r) {
        _heartbeat_out = false;
        if (!r && r.error().code == errc::timeout) {
            fail(make_error(errc::timeout,
                            "{} did not answer a heartbeat within {} ms; closing the connection", endpoint(),
                            _opts.request_timeout.count()));
        }
    });
}

} // namespace mdsp::cql
