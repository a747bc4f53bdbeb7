#pragma once

// Test-only: an in-process CQL server on 127.0.0.1 (Asio, its own thread)
// that speaks enough v5 and v4 for the connection tests (v5 with segments,
// as Cassandra 4+; max_version = 4 makes it refuse v5 as older servers do).
// OPTIONS, STARTUP and authentication are answered by default; every other
// request goes to the test's handler, which answers at once or later, in
// any order (reply() is safe from the handler, which runs on the server's
// thread); request bodies are parsed for the session's version().
#include <atomic>
#include <deque>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>

#include "cql/frame.h"
#include "cql/segment.h"
#include "cql/tests/builders.h"

namespace mdsp::cql::testing {

class fake_server {
public:
    // One client connection. Speaks the version of the client's first
    // request when the server allows it (max_version), refusing a newer one
    // as Cassandra does: an ERROR in its own version, then the socket closed.
    // In v5, from the answer to STARTUP on, frames go in segments both ways.
    class session : public std::enable_shared_from_this<session> {
    public:
        session(fake_server& s, boost::asio::ip::tcp::socket sock)
          : _srv(s)
          , _sock(std::move(sock)) {}
        void start() {
            if (!_srv._ssl) {
                return read();
            }
            _tls = std::make_unique<boost::asio::ssl::stream<boost::asio::ip::tcp::socket>>(std::move(_sock),
                                                                                            *_srv._ssl);
            _tls->async_handshake(boost::asio::ssl::stream_base::server,
                                  [this, self = shared_from_this()](boost::system::error_code ec) {
                                      if (!ec) {
                                          read();
                                      }
                                  });
        }
        // Sends a response frame. In v4, results (and AUTH_SUCCESS) go
        // compressed once the client asked for LZ4; in v5 frames go in
        // segments (LZ4 ones when asked), those of one handler call packed
        // together.
        void reply(int16_t stream, opcode op, std::string_view body, uint8_t flags = 0) {
            if (_segments_out) {
                _segments_out->add(encode_frame(op, stream, body, flags, true, _version));
                if (!_flush_posted) {
                    _flush_posted = true;
                    boost::asio::post(_srv._io, [this, self = shared_from_this()] {
                        _flush_posted = false;
                        flush_segments();
                    });
                }
                return;
            }
            if (lz4 && (op == opcode::result || op == opcode::auth_success)) {
                return raw_bytes(
                    encode_frame(op, stream, lz4_compress(body), flags | flag_compression, true, _version));
            }
            raw_bytes(encode_frame(op, stream, body, flags, true, _version));
        }
        // Bytes as they are, after the frames replied before them. One
        // write at a time (a TLS stream allows no more), in order.
        void raw_bytes(std::string bytes) {
            flush_segments();
            queue(std::move(bytes));
        }
        void close() {
            boost::system::error_code ec;
            (_tls ? _tls->lowest_layer() : _sock).close(ec);
        }
        protocol version() const { return _version; }
        // From the answer to STARTUP on, in v5 (the server calls it).
        void start_segments() {
            if (_version != protocol::v4) {
                _segments_in.emplace(lz4, limits{});
                _segments_out.emplace(lz4, 64);
            }
        }
        bool lz4 = false;

    private:
        void flush_segments() {
            if (_segments_out && !_segments_out->empty()) {
                queue(_segments_out->take());
            }
        }
        void queue(std::string bytes) {
            _outq.push_back(std::move(bytes));
            if (_outq.size() == 1) {
                write_next();
            }
        }
        void write_next() {
            with_stream([this](auto& st) {
                boost::asio::async_write(
                    st, boost::asio::buffer(_outq.front()),
                    [this, self = shared_from_this()](boost::system::error_code ec, size_t) {
                        _outq.pop_front();
                        if (!ec && !_outq.empty()) {
                            write_next();
                        } else if (_closing && _outq.empty()) {
                            close();
                        }
                    });
            });
        }
        template<typename F>
        void with_stream(F f) {
            if (_tls) {
                f(*_tls);
            } else {
                f(_sock);
            }
        }
        void read() {
            with_stream([this](auto& st) { read_on(st); });
        }
        template<typename Stream>
        void read_on(Stream& st) {
            auto buf = std::make_shared<std::string>(65536, '\0');
            st.async_read_some(boost::asio::buffer(*buf), [this, buf, self = shared_from_this()](
                                                              boost::system::error_code ec, size_t n) {
                if (ec) {
                    return;
                }
                _in.append(buf->data(), n);
                if (!consume()) {
                    return close();
                }
                if (!_closing) {
                    read();
                }
            });
        }
        // Every whole request read so far; false on bytes no server would take.
        bool consume() {
            while (!_closing) {
                if (_segments_in) {
                    std::vector<envelope> requests;
                    auto n = _segments_in->read(_in, requests);
                    if (!n) {
                        return false;
                    }
                    _srv.compressed_requests += int(_segments_in->compressed_segments() - _compressed_seen);
                    _compressed_seen = _segments_in->compressed_segments();
                    _in.erase(0, *n);
                    for (auto& e : requests) {
                        _srv.on_request(*this, e.h, e.body);
                    }
                    return true;
                }
                if (_in.size() < header_size) {
                    return true;
                }
                auto h = decode_header(_in, limits{});
                if (!h) {
                    return false;
                }
                if (_in.size() - header_size < h->length) {
                    return true;
                }
                std::string b = _in.substr(header_size, h->length);
                _in.erase(0, header_size + h->length);
                if (!on_frame(*h, std::move(b))) {
                    return false;
                }
            }
            return true;
        }
        // A request outside segments: before STARTUP is answered, or any in v4.
        bool on_frame(const frame_header& h, std::string b) {
            if (!_versioned) {
                _versioned = true;
                _srv.last_version = version_of(h);
                if (version_of(h) > _srv.max_version) {
                    ++_srv.refused_versions;
                    _version = protocol(_srv.max_version.load());
                    reply(h.stream, opcode::error,
                          error_body(0x000A,
                                     "Invalid or unsupported protocol version ("
                                         + std::to_string(version_of(h)) + "); supported versions are ("
                                         + std::string(_srv.max_version == 4 ? "3/v3, 4/v4" : "3/v3") + ")"));
                    _closing = true;
                    return true;
                }
                _version = protocol(version_of(h));
            }
            if ((h.flags & flag_compression) && _version == protocol::v4) {
                auto d = lz4_decompress(b, 1 << 24);
                if (!d) {
                    return false;
                }
                b = *d;
                ++_srv.compressed_requests;
            }
            _srv.on_request(*this, h, b);
            return true;
        }
        fake_server& _srv;
        boost::asio::ip::tcp::socket _sock;
        std::unique_ptr<boost::asio::ssl::stream<boost::asio::ip::tcp::socket>> _tls;
        std::deque<std::string> _outq;
        std::string _in;
        protocol _version = protocol::v4;
        bool _versioned = false; // the first request fixed the version
        bool _closing = false;   // refused the version: close once the answer is written
        bool _flush_posted = false;
        size_t _compressed_seen = 0;
        std::optional<segment_reader> _segments_in;
        std::optional<segment_writer> _segments_out;
    };

    using handler = std::function<void(session&, const frame_header&, const std::string& body)>;

    explicit fake_server(handler h, const std::string& address = "127.0.0.1", uint16_t port = 0)
      : _handler(std::move(h))
      , _acceptor(_io, {boost::asio::ip::make_address(address), port}) {
        accept();
        _thread = std::thread([this] { _io.run(); });
    }
    ~fake_server() {
        boost::asio::post(_io, [this] {
            boost::system::error_code ec;
            _acceptor.close(ec);
            for (auto& w : _sessions) {
                if (auto s = w.lock()) {
                    s->close();
                }
            }
        });
        _io.stop();
        _thread.join();
    }
    uint16_t port() const { return _acceptor.local_endpoint().port(); }

    // Closes every client connection (the listener stays), as a node's
    // restart or a network blip would.
    void drop_connections() {
        post([this] {
            for (auto& w : _sessions) {
                if (auto s = w.lock()) {
                    s->close();
                }
            }
        });
    }

    // Serves TLS from now on, with a self-signed certificate for localhost and
    // 127.0.0.1 made in dir (dir/cert.pem is the CA to trust). False when
    // openssl could not make it.
    bool enable_tls(const std::string& dir) {
        std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -keyout '" + dir + "/key.pem' -out '"
                          + dir
                          + "/cert.pem' -days 2 -subj /CN=localhost "
                            "-addext subjectAltName=DNS:localhost,IP:127.0.0.1 2>/dev/null";
        if (std::system(cmd.c_str()) != 0) {
            return false;
        }
        _ssl = std::make_unique<boost::asio::ssl::context>(boost::asio::ssl::context::tls_server);
        _ssl->use_certificate_chain_file(dir + "/cert.pem");
        _ssl->use_private_key_file(dir + "/key.pem", boost::asio::ssl::context::pem);
        return true;
    }

    // Authentication: when set, STARTUP is answered by AUTHENTICATE and the
    // PLAIN token must carry these.
    std::string user, password;
    bool offer_lz4 = true;
    std::atomic<bool> answer_options{true};
    // STARTUPs beyond this many (startups) get no answer, as on an overloaded node.
    std::atomic<int> startup_limit{std::numeric_limits<int>::max()};
    std::atomic<int> connections{0};
    std::atomic<int> compressed_requests{0};
    std::atomic<int> startups{0};
    // The newest version it speaks (5 or 4); a client asking for a newer one
    // is refused.
    std::atomic<int> max_version{5};
    std::atomic<int> refused_versions{0};
    std::atomic<int> last_version{0}; // of the last connection's first request

    // Runs f on the server's thread (to reply to stashed requests).
    void post(std::function<void()> f) { boost::asio::post(_io, std::move(f)); }

private:
    void accept() {
        _acceptor.async_accept([this](boost::system::error_code ec, boost::asio::ip::tcp::socket s) {
            if (ec) {
                return;
            }
            ++connections;
            auto sess = std::make_shared<session>(*this, std::move(s));
            _sessions.push_back(sess);
            sess->start();
            accept();
        });
    }

    void on_request(session& s, const frame_header& h, const std::string& body) {
        internal::writer w;
        switch (h.op) {
        case opcode::options:
            if (!answer_options) {
                return;
            }
            w.u16(1);
            w.string("COMPRESSION");
            w.string_list(offer_lz4 ? std::vector<std::string>{"snappy", "lz4"} : std::vector<std::string>{});
            return s.reply(h.stream, opcode::supported, w.out());
        case opcode::startup:
            if (startups >= startup_limit) {
                return;
            }
            ++startups;
            s.lz4 = body.find("lz4") != std::string::npos;
            if (user.empty()) {
                s.reply(h.stream, opcode::ready, "");
                return s.start_segments();
            }
            w.string("org.apache.cassandra.auth.PasswordAuthenticator");
            s.reply(h.stream, opcode::authenticate, w.out());
            return s.start_segments();
        case opcode::auth_response: {
            internal::reader r(body);
            auto token = r.bytes("token");
            std::string want = std::string(1, '\0') + user + std::string(1, '\0') + password;
            if (token && *token == want) {
                internal::writer ok;
                ok.bytes(std::nullopt);
                return s.reply(h.stream, opcode::auth_success, ok.out());
            }
            return s.reply(
                h.stream, opcode::error,
                error_body(0x0100, "Provided username " + user + " and/or password are incorrect"));
        }
        default:
            _handler(s, h, body);
        }
    }

    handler _handler;
    std::unique_ptr<boost::asio::ssl::context> _ssl;
    boost::asio::io_context _io;
    boost::asio::ip::tcp::acceptor _acceptor;
    std::vector<std::weak_ptr<session>> _sessions;
    std::thread _thread;
};

} // namespace mdsp::cql::testing
