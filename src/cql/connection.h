#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "base/result.h"
#include "cql/frame.h"
#include "cql/messages.h"
#include "cql/probe.h"
#include "cql/segment.h"

namespace mdsp::cql {

struct credentials {
    std::string user;
    // From the environment (MDSP_CASSANDRA_PASSWORD) by the caller; sent in
    // the SASL PLAIN token only, never logged nor put into an error.
    std::string password;
};

struct tls_options {
    bool enabled = false;
    std::string ca_file;   // extra trusted CAs (PEM); the system's are trusted too
    std::string cert_file; // client certificate (PEM), when the server asks for one
    std::string key_file;
    bool verify = true;      // certificate chain and host name; off only for tests
    std::string server_name; // the name to verify; empty: the host connected to
};

struct connection_options {
    std::string host = "127.0.0.1";
    uint16_t port = 9042;
    std::optional<credentials> auth;
    tls_options tls;
    bool lz4 = false; // ask for LZ4 compression at STARTUP (v4: of frames; v5: of segments)
    // The native protocol version. Unset: ask for protocol_hint and, when
    // the server refuses v5 (Cassandra before 4.0, ScyllaDB), connect again
    // with v4. Set: that version only; a server that refuses it fails the
    // connection.
    std::optional<protocol> protocol_version;
    // What to ask for first when protocol_version is unset: the session
    // passes the version the host spoke last, so that a v4 host is not asked
    // for v5 again on every new connection.
    protocol protocol_hint = newest_protocol;
    limits lim;
    // Requests on the wire at once (stream ids in use), at most 32768.
    size_t max_in_flight = 1024;
    // Requests waiting for a stream id; beyond this a request fails at once
    // with errc::busy: the caller's back-pressure signal.
    size_t max_queued = 4096;
    std::chrono::milliseconds connect_timeout{5000};
    std::chrono::milliseconds request_timeout{12000};
    // Bodies (v4) or segment payloads (v5) at least this long go compressed
    // when LZ4 was agreed.
    size_t compress_min_bytes = 512;
    // After this long without a frame from the server, an OPTIONS goes out;
    // no answer within request_timeout closes the connection (a half-open
    // socket, a NAT that dropped it). Zero turns heartbeats off.
    std::chrono::milliseconds heartbeat_every{30000};
};

// A statement prepared by the server: its id, its text (to prepare it again
// on a host that answers UNPREPARED), its bind metadata, and the metadata
// of its rows with, in v5, that metadata's id. A v5 server that finds the
// rows' metadata changed (an ALTER TABLE since) sends the new one with its
// rows (Metadata_changed); the io thread that reads it replaces the result
// part here while other threads may be executing the statement, so that
// part is read and replaced whole, under a mutex.
struct prepared {
    struct result_info {
        std::string metadata_id; // v5; empty when prepared over v4
        metadata meta;
    };

    std::string id;
    std::string cql;
    metadata bind;

    std::shared_ptr<const result_info> result() const {
        std::lock_guard lock(_mu);
        return _result;
    }
    void set_result(std::string metadata_id, metadata meta) const {
        auto r = std::make_shared<result_info>(result_info{std::move(metadata_id), std::move(meta)});
        std::lock_guard lock(_mu);
        _result = std::move(r);
    }

private:
    mutable std::mutex _mu;
    mutable std::shared_ptr<const result_info> _result = std::make_shared<const result_info>();
};

// One CQL native protocol connection (v5, or v4) to one host, pipelined: up
// to max_in_flight requests on the wire at once, answered in any order.
//
// Threads: it lives on the io_context whose executor it is created with, and
// every member is touched only on its strand. Public methods are safe from
// any thread (they post to the strand); completion callbacks run on the
// io_context's thread and must not block. The *_sync wrappers block the
// calling thread, so they must never be called from that io_context's thread.
//
// Lifecycle: create, start (connect, TLS, OPTIONS, STARTUP, authentication),
// requests, close. Start asks for v5 unless options say otherwise; when the
// server refuses it (a PROTOCOL_ERROR naming the version, in answer to the
// first request), the socket is closed and the same connection connects
// again with v4 before start completes. In v5, once STARTUP is answered by
// READY or AUTHENTICATE, frames travel in segments (segment.h) both ways.
// Requests may be made only once start has completed: they are encoded for
// the version agreed. Any I/O or protocol error closes it for good: every
// pending request fails with that error, and the owner (the session's pool)
// opens a new one. A request that times out fails at once, but its stream id
// stays reserved until the late answer arrives (so it cannot be mistaken for
// another's); too many of those and the connection is closed as unhealthy.
class connection : public std::enable_shared_from_this<connection> {
public:
    template<typename T>
    using callback = std::function<void(result<T>)>;

    static std::shared_ptr<connection> create(boost::asio::any_io_executor ex, connection_options opts,
                                              host_probe* probe = nullptr);
    ~connection();
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;

    void start(callback<void> on_ready);
    void close();

    // QUERY; values bound by position.
    void query(std::string cql, query_params p, callback<result_message> cb);
    void prepare(std::string cql, callback<std::shared_ptr<const prepared>> cb);
    // EXECUTE; on UNPREPARED the statement is prepared again on this host and
    // executed once more. Rows without metadata are typed from stmt.
    void execute(std::shared_ptr<const prepared> stmt, query_params p, callback<result_message> cb);
    // BATCH of prepared statements (entries' ids from stmts), re-prepared on UNPREPARED.
    void batch(std::vector<std::shared_ptr<const prepared>> stmts, std::vector<std::vector<value>> values,
               batch_params p, callback<result_message> cb);
    // REGISTER for events (TOPOLOGY_CHANGE, STATUS_CHANGE); on_event runs on
    // the io thread for each EVENT frame after that.
    void register_events(std::vector<std::string> events, std::function<void(const event&)> on_event,
                         callback<void> cb);

    // Blocking forms of the above.
    result<void> start_sync();
    result<result_message> query_sync(std::string cql, query_params p);
    result<std::shared_ptr<const prepared>> prepare_sync(std::string cql);
    result<result_message> execute_sync(std::shared_ptr<const prepared> stmt, query_params p);

    const connection_options& options() const noexcept { return _opts; }
    // Figures for the pool, read from any thread.
    size_t in_flight() const noexcept { return _in_flight_count.load(std::memory_order_relaxed); }
    bool is_open() const noexcept { return _open.load(std::memory_order_relaxed); }
    std::string endpoint() const;
    const supported_options& supported() const noexcept { return _supported; } // after start
    // The version agreed with the server (after start; before, the one being tried).
    protocol protocol_version() const noexcept { return _version.load(std::memory_order_acquire); }

private:
    struct response {
        frame_header h;
        message_body body;
    };
    using raw_callback = std::function<void(result<response>)>;
    struct pending {
        raw_callback cb; // empty once timed out: the slot waits for the late answer
        std::chrono::steady_clock::time_point deadline;
    };
    struct waiting {
        opcode op;
        std::string body;
        raw_callback cb;
    };

    connection(boost::asio::any_io_executor ex, connection_options opts, host_probe* probe);

    // connection.cc: the wire.
    void do_connect(callback<void> on_ready);
    void on_connected(callback<void> on_ready);
    void restart(protocol v, callback<void> on_ready);
    void send(opcode op, std::string body, raw_callback cb);
    void dispatch(opcode op, std::string body, raw_callback cb);
    void flush();
    void read_more();
    bool read_frames(unsigned attempt);
    void on_frame(const frame_header& h, std::string body);
    void fail(const mdsp::error& e);
    void sweep();
    void heartbeat();
    bool tls() const noexcept { return _tls != nullptr; }

    // connection_ops.cc: the messages.
    void handshake(callback<void> on_ready);
    bool refused_version(const response& r, callback<void>& on_ready);
    void startup(callback<void> on_ready);
    void start_segments();
    void authenticate(const std::string& authenticator, callback<void> on_ready);
    void send_result(opcode op, std::string body, std::shared_ptr<const prepared> stmt, int attempt,
                     callback<result_message> cb);
    void reprepare(const std::string& id, std::function<void(result<void>)> then);

    template<typename T, typename F>
    static result<T> wait(F start);

    boost::asio::strand<boost::asio::any_io_executor> _strand;
    connection_options _opts;
    host_probe* _probe;
    boost::asio::ip::tcp::resolver _resolver;
    boost::asio::ip::tcp::socket _socket;
    std::unique_ptr<boost::asio::ssl::context> _ssl_ctx;
    std::unique_ptr<boost::asio::ssl::stream<boost::asio::ip::tcp::socket>> _tls;
    // The TLS stream of the attempt given up for an older version: kept
    // until the connection goes, as its socket's handlers may still run.
    std::unique_ptr<boost::asio::ssl::stream<boost::asio::ip::tcp::socket>> _retired_tls;
    boost::asio::steady_timer _timer; // connect timeout, then the sweep of request deadlines

    std::vector<std::optional<pending>> _pending; // by stream id
    std::vector<int16_t> _free_ids;
    size_t _orphans = 0; // timed-out slots still waiting for their answer
    std::deque<waiting> _waiting;
    std::string _out;     // frames to write
    std::string _writing; // frames being written
    bool _write_busy = false;
    std::string _in; // bytes read, not yet a whole frame (v4) or segment (v5)
    // v5 after the handshake: segments in and out.
    std::optional<segment_reader> _segments_in;
    std::optional<segment_writer> _segments_out;
    std::atomic<protocol> _version{newest_protocol};
    bool _negotiating = true; // until the first answer of an attempt: it may come in an older version
    unsigned _attempt = 0;    // socket handlers of an earlier attempt (a fallback) see it changed
    bool _ready = false;
    bool _compress = false;
    bool _heartbeat_out = false;
    std::chrono::steady_clock::time_point _last_read{};
    bool _closed = false;
    std::atomic<bool> _open{false};
    std::atomic<size_t> _in_flight_count{0};
    mdsp::error _close_reason;
    supported_options _supported;
    std::function<void(const event&)> _on_event;
    std::map<std::string, std::string> _known; // prepared id -> text, to prepare again
};

template<typename T, typename F>
result<T> connection::wait(F start) {
    auto p = std::make_shared<std::promise<result<T>>>();
    auto f = p->get_future();
    start([p](result<T> r) { p->set_value(std::move(r)); });
    return f.get();
}

} // namespace mdsp::cql
