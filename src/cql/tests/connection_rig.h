#pragma once

// What the connection tests share: the client's io thread, options that
// point a connection at a fake server, and a server handler that echoes.
#include <chrono>
#include <string>
#include <string_view>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "cql/connection.h"
#include "cql/tests/fake_server.h"

namespace mdsp::cql::testing {

// The client's io thread.
struct io_thread {
    boost::asio::io_context io;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard{io.get_executor()};
    std::thread t{[this] { io.run(); }};
    ~io_thread() {
        guard.reset();
        io.stop();
        t.join();
    }
};

inline connection_options opts_for(const fake_server& s) {
    connection_options o;
    o.port = s.port();
    o.connect_timeout = std::chrono::seconds(5);
    return o;
}

// One row, column q (varchar), holding text.
inline std::string echo_rows(std::string_view text) {
    return rows_body({{"q", type_id::varchar}}, {{std::string(text)}});
}

// Answers every QUERY with one row holding the query text.
inline void echo(fake_server::session& s, const frame_header& h, const std::string& body) {
    auto q = parse_request(h, body);
    EXPECT_TRUE(q.ok) << "a request the server cannot parse in v" << int(s.version());
    s.reply(h.stream, opcode::result, echo_rows(q.text));
}

} // namespace mdsp::cql::testing
