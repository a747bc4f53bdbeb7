#pragma once

// Checks on text that comes from outside (symbols, messages): what every
// module applies where such text enters, so that nothing downstream (Avro,
// JSON answers, the log) is handed bytes it cannot represent.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace mdsp::model {

// The length (1 to 4) of the well-formed UTF-8 sequence s starts with; 0 when
// s is empty or starts with a byte that begins no well-formed sequence
// (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF).
size_t utf8_sequence_length(std::string_view s) noexcept;

// The same rule for HTTP queries, WebSocket subscriptions and ingest.
constexpr size_t max_symbol_bytes = 64;

// Why s cannot be a symbol, in words for the user (without echoing s); nullopt
// when it can: 1 to max_symbol_bytes bytes of well-formed UTF-8 with no space
// and no control character (C0, DEL or C1). Thread-safe, no allocation when s
// is valid.
std::optional<std::string> valid_symbol(std::string_view s);

} // namespace mdsp::model
