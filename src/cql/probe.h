#pragma once

#include <string>

#include "base/metrics.h"
#include "cql/types.h"

namespace mdsp::cql {

// The CQL client's series for one host (Redpanda's *_probe.h): registered
// once per host in the registry the session is given, and the only place
// that names them. Counters are atomics: any thread may bump them.
//   mdsp_cql_requests_total{host}   requests sent (retries and re-prepares included)
//   mdsp_cql_errors_total{host}     requests answered by an error or failed locally
//   mdsp_cql_timeouts_total{host}   requests that got no answer within their timeout
//   mdsp_cql_retries_total{host}    idempotent requests tried again (on this host)
//   mdsp_cql_protocol_version{host} native protocol version of the last connection
//                                   opened to it (5 or 4; 0 before the first)
class host_probe {
public:
    host_probe(metrics::registry& reg, const std::string& host);

    void request() { _requests.inc(); }
    void error() { _errors.inc(); }
    void timeout() { _timeouts.inc(); }
    void retry() { _retries.inc(); }
    void protocol_version(protocol v) { _version.set(double(uint8_t(v))); }

    uint64_t requests() const { return _requests.value(); }
    uint64_t errors() const { return _errors.value(); }
    uint64_t timeouts() const { return _timeouts.value(); }
    uint64_t retries() const { return _retries.value(); }
    int protocol_version() const { return int(_version.value()); }

private:
    metrics::counter& _requests;
    metrics::counter& _errors;
    metrics::counter& _timeouts;
    metrics::counter& _retries;
    metrics::gauge& _version;
};

} // namespace mdsp::cql
