#pragma once

// Test-only: an in-process CQL server on 127.0.0.1 (Asio, its own thread)
// that speaks enough v4 for the connection tests. OPTIONS, STARTUP and
// authentication are answered by default; every other request goes to the
// test's handler, which answers at once or later, in any order (reply() is
// safe from the handler, which runs on the server's thread).
#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>

#include "cql/frame.h"
#include "cql/tests/builders.h"

namespace mdsp::cql::testing {

class fake_server {
public:
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
        // Sends a response frame (or raw bytes with raw_bytes).
        // Results (and AUTH_SUCCESS) go compressed once the client asked for LZ4.
        void reply(int16_t stream, opcode op, std::string_view body, uint8_t flags = 0) {
            if (lz4 && (op == opcode::result || op == opcode::auth_success)) {
                return raw_bytes(
                    encode_frame(op, stream, lz4_compress(body), flags | flag_compression, true));
            }
            raw_bytes(encode_frame(op, stream, body, flags, true));
        }
        // One write at a time (a TLS stream allows no more), in order.
        void raw_bytes(std::string bytes) {
            _outq.push_back(std::move(bytes));
            if (_outq.size() == 1) {
                write_next();
            }
        }
        void close() {
            boost::system::error_code ec;
            (_tls ? _tls->lowest_layer() : _sock).close(ec);
        }
        bool lz4 = false;

    private:
        void write_next() {
            with_stream([this](auto& st) {
                boost::asio::async_write(
                    st, boost::asio::buffer(_outq.front()),
                    [this, self = shared_from_this()](boost::system::error_code ec, size_t) {
                        _outq.pop_front();
                        if (!ec && !_outq.empty()) {
                            write_next();
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
            auto hdr = std::make_shared<std::string>(header_size, '\0');
            boost::asio::async_read(
                st, boost::asio::buffer(*hdr),
                [this, &st, hdr, self = shared_from_this()](boost::system::error_code ec, size_t) {
                    if (ec) {
                        return;
                    }
                    auto h = decode_header(*hdr, limits{});
                    if (!h) {
                        return close();
                    }
                    auto body = std::make_shared<std::string>(h->length, '\0');
                    boost::asio::async_read(st, boost::asio::buffer(*body),
                                            [this, h = *h, body, self](boost::system::error_code ec, size_t) {
                                                if (ec) {
                                                    return;
                                                }
                                                std::string b = *body;
                                                if (h.flags & flag_compression) {
                                                    auto d = lz4_decompress(b, 1 << 24);
                                                    if (!d) {
                                                        return close();
                                                    }
                                                    b = *d;
                                                    ++_srv.compressed_requests;
                                                }
                                                _srv.on_request(*this, h, b);
                                                read();
                                            });
                });
        }
        fake_server& _srv;
        boost::asio::ip::tcp::socket _sock;
        std::unique_ptr<boost::asio::ssl::stream<boost::asio::ip::tcp::socket>> _tls;
        std::deque<std::string> _outq;
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
    std::atomic<int> connections{0};
    std::atomic<int> compressed_requests{0};
    std::atomic<int> startups{0};

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
            ++startups;
            s.lz4 = body.find("lz4") != std::string::npos;
            if (user.empty()) {
                return s.reply(h.stream, opcode::ready, "");
            }
            w.string("org.apache.cassandra.auth.PasswordAuthenticator");
            return s.reply(h.stream, opcode::authenticate, w.out());
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
