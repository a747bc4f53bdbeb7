#pragma once

#include <system_error>

#include "base/result.h"

namespace mdsp::cql {

// Expected failures of the CQL client. The first group is ours (the bytes, the
// socket, the caller's input); the second maps the server's ERROR codes one to
// one (from_server_code in error.cc). Messages carry the details and what to do.
enum class errc {
    // Client side.
    malformed_frame = 1, // the server sent bytes that are not valid CQL (v4 or v5)
    frame_too_large,     // a frame longer than the configured max_frame_bytes
    invalid_argument,    // the caller's input cannot be encoded (too many values, a key too long)
    type_mismatch,       // a column read as a type it does not have, or a value of the wrong size
    connect_failed,      // resolving or connecting failed
    tls_error,           // TLS handshake or certificate verification failed
    closed,              // the connection is closed (by us, the peer, or an earlier error)
    timeout,             // no response within the request timeout
    busy,                // the in-flight window and the wait queue are full: back off
    auth_required,       // the server asks for credentials and none were configured
    unsupported,         // the server wants something we do not do (an authenticator, a version)
    no_host_available,   // every host of the cluster failed or is down
    corrupt_segment,     // a v5 segment failed its CRC check: the stream cannot be trusted
    // Server ERROR codes (native protocol v4 section 9, v5 section 8).
    server_error,
    protocol_error,
    bad_credentials,
    unavailable,
    overloaded,
    is_bootstrapping,
    truncate_error,
    write_timeout,
    read_timeout,
    read_failure,
    function_failure,
    write_failure,
    syntax_error,
    unauthorized,
    invalid,
    config_error,
    already_exists,
    unprepared,
    cdc_write_failure,    // v5: the write was refused, the CDC space is full
    cas_write_unknown,    // v5: a contended CAS write may or may not have been applied
    unknown_server_error, // a code the specifications do not list
};

} // namespace mdsp::cql

MDSP_DECLARE_ERRC(mdsp::cql)
