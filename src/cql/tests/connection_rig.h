#pragma once

// What the connection tests share: the client's io thread, and options that
// point a connection at a fake server.
#include <chrono>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

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

} // namespace mdsp::cql::testing
