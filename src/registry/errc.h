#pragma once

#include <system_error>

#include "base/result.h"

namespace mdsp::registry {

// Expected failures of the schema registry, its Avro schema parser and its
// client. Messages carry the details (file and line, what the remote registry
// said) and what to do about them. Failures of a request are answered in
// Confluent's error format instead (registry_error, store.h).
enum class errc {
    io_error = 1,   // the registry file cannot be read or written
    invalid_schema, // not JSON, or JSON that is not a valid Avro schema
    too_large,      // a schema over the size or nesting bounds
    bad_url,        // client: not http://HOST[:PORT][/PATH]
    unreachable,    // client: connect, send or receive failed or timed out
    refused,        // client: the registry answered with an error (message has its error_code and text)
    bad_response,   // client: the answer is not what the API promises
    unexpected_ids, // a registry gave the model schemas other ids than the ones the records carry
    invalid_data,   // Avro binary data that its schema cannot read (avro_json.h)
};

} // namespace mdsp::registry

MDSP_DECLARE_ERRC(mdsp::registry)
