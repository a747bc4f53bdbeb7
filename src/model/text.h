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

// Outside text for a message or a log line: at most max_bytes of it (never
// cut inside a character, "..." appended when cut, and *cut set), with bytes
// that are not well-formed UTF-8 and control characters shown as the text
// "\xNN", so the reader sees what was sent and the message stays valid text.
std::string echo_text(std::string_view s, size_t max_bytes, bool* cut = nullptr);

// The same rule for HTTP queries, WebSocket subscriptions and ingest.
constexpr size_t max_symbol_bytes = 64;

// Why s cannot be a symbol, in words for the user (without echoing s); nullopt
// when it can: 1 to max_symbol_bytes bytes of well-formed UTF-8 with no space
// and no control character (C0, DEL or C1). Thread-safe, no allocation when s
// is valid.
std::optional<std::string> valid_symbol(std::string_view s);

// The same rule for the other short texts of a tick (exchange, MIC, asset
// type, currency): "Common Stock", "Physical Currency", "NASDAQ".
constexpr size_t max_label_bytes = 128;

// Why s cannot be such a label, in words for the user (without echoing s);
// nullopt when it can: at most max_label_bytes bytes of well-formed UTF-8
// with no control character (C0, DEL or C1); spaces and "" are fine.
std::optional<std::string> valid_label(std::string_view s);

} // namespace mdsp::model
