#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "registry/store.h"

// Decoding of schema registry requests: pure functions over outside bytes
// (the request target and body), fuzzed by registry_fuzz.
namespace mdsp::registry {

inline constexpr size_t max_body_bytes = avro::max_schema_bytes + 64 * 1024;
inline constexpr size_t max_path_segments = 8;

// The path of a request target (before any '?'), split on '/' and each
// segment percent-decoded on its own, so a subject may contain an encoded
// "/" (%2F). Empty segments are dropped. nullopt for a bad escape, a target
// that is not a path, or more than max_path_segments segments.
std::optional<std::vector<std::string>> split_path(std::string_view target);

// The value of the first query parameter `name` of a request target
// ("?verbose=true"), percent-decoded ('+' stays '+', as Jersey reads it);
// nullopt when absent or badly escaped. A parameter without '=' is "".
std::optional<std::string> query_param(std::string_view target, std::string_view name);

// A register / lookup / compatibility body: {"schema": "...", "schemaType":
// "AVRO"?, "references": []?}. Other fields are ignored, as Confluent does.
struct schema_body {
    std::string schema;
};
// 400/400 for a body that is not a JSON object; 422/42201 for a missing
// schema, a schemaType other than AVRO, or references.
std::variant<schema_body, registry_error> parse_schema_body(std::string_view body);

// PUT /config body {"compatibility": "BACKWARD"}: the level's text (checked
// later), or 400/422 errors as above (42203 for a missing level).
std::variant<std::string, registry_error> parse_config_body(std::string_view body);

} // namespace mdsp::registry
