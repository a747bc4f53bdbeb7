#include "cql/errc.h"

namespace mdsp::cql {
namespace {
std::string errc_message(errc e) {
    switch (e) {
    case errc::malformed_frame:
        return "malformed CQL frame";
    case errc::frame_too_large:
        return "CQL frame too large";
    case errc::invalid_argument:
        return "invalid argument";
    case errc::type_mismatch:
        return "CQL type mismatch";
    case errc::connect_failed:
        return "cannot connect to the CQL server";
    case errc::tls_error:
        return "TLS error";
    case errc::closed:
        return "CQL connection closed";
    case errc::timeout:
        return "CQL request timed out";
    case errc::busy:
        return "too many CQL requests in flight";
    case errc::auth_required:
        return "the server requires authentication";
    case errc::unsupported:
        return "unsupported by this client";
    case errc::no_host_available:
        return "no Cassandra host available";
    case errc::corrupt_segment:
        return "corrupt CQL v5 segment";
    case errc::server_error:
        return "server error";
    case errc::protocol_error:
        return "protocol error reported by the server";
    case errc::bad_credentials:
        return "bad credentials";
    case errc::unavailable:
        return "not enough replicas alive";
    case errc::overloaded:
        return "coordinator overloaded";
    case errc::is_bootstrapping:
        return "coordinator is bootstrapping";
    case errc::truncate_error:
        return "truncate failed";
    case errc::write_timeout:
        return "write timed out on the replicas";
    case errc::read_timeout:
        return "read timed out on the replicas";
    case errc::read_failure:
        return "read failed on a replica";
    case errc::function_failure:
        return "function failed";
    case errc::write_failure:
        return "write failed on a replica";
    case errc::syntax_error:
        return "CQL syntax error";
    case errc::unauthorized:
        return "unauthorized";
    case errc::invalid:
        return "invalid query";
    case errc::config_error:
        return "configuration error";
    case errc::already_exists:
        return "already exists";
    case errc::unprepared:
        return "statement not prepared on this host";
    case errc::cdc_write_failure:
        return "write refused: CDC space exhausted";
    case errc::cas_write_unknown:
        return "contended CAS write: outcome unknown";
    case errc::unknown_server_error:
        return "unknown server error code";
    }
    return "unknown CQL error";
}
} // namespace
} // namespace mdsp::cql

MDSP_DEFINE_ERRC_CATEGORY(mdsp::cql, "mdsp.cql", mdsp::cql::errc_message)
