#include "cql/probe.h"

namespace mdsp::cql {

host_probe::host_probe(metrics::registry& reg, const std::string& host)
  : _requests(reg.get_counter("mdsp_cql_requests_total", "CQL requests sent, per host", {{"host", host}}))
  , _errors(reg.get_counter("mdsp_cql_errors_total", "CQL requests that failed, per host", {{"host", host}}))
  , _timeouts(reg.get_counter("mdsp_cql_timeouts_total",
                              "CQL requests that timed out on the client, per host", {{"host", host}}))
  , _retries(reg.get_counter("mdsp_cql_retries_total", "idempotent CQL requests retried, per host",
                             {{"host", host}}))
  , _version(reg.get_gauge("mdsp_cql_protocol_version",
                           "CQL native protocol version the last connection to the host agreed (5 or 4)",
                           {{"host", host}})) {}

} // namespace mdsp::cql
