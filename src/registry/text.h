#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

// Checks of text that comes from outside (subjects in paths, lines of
// schemas.jsonl) before it is stored or echoed in a JSON answer.
namespace mdsp::registry {

// The code point of the well-formed UTF-8 sequence at the start of s and its
// length in bytes (RFC 3629: no overlong forms, no surrogates, nothing above
// U+10FFFF); nullopt when s does not start with one (or is empty).
struct code_point {
    uint32_t value = 0;
    size_t length = 0;
};
std::optional<code_point> utf8_at(std::string_view s) noexcept;

// s with every byte that is not part of a well-formed UTF-8 sequence replaced
// by U+FFFD, so that it can go into JSON; at most max_bytes of s are kept
// (cut at a code point boundary).
std::string printable_utf8(std::string_view s, size_t max_bytes = 256);

// Why s cannot be a subject, or nullopt when it can: empty, over
// max_subject_bytes, not well-formed UTF-8, or a control character (U+0000 to
// U+001F, U+007F to U+009F: Java's isISOControl, what Confluent refuses).
std::optional<std::string> subject_problem(std::string_view s);

} // namespace mdsp::registry
