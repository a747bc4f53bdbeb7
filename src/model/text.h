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

} // namespace mdsp::model
