#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

namespace mdsp::http {

// JSON text of v, like boost::json::serialize but with doubles in their
// shortest round-trip decimal form ("61487.6", "0.00141342", "1482"), which
// is what people and charting code expect; NaN and infinities become null.
// The text is always valid JSON in UTF-8: a byte of a string (or key) that
// begins no well-formed UTF-8 sequence becomes U+FFFD, so outside bytes that
// reach an answer cannot make it unreadable to strict parsers.
std::string to_json(const boost::json::value& v);

// Outside input for echoing in a message: cut to at most max_bytes (never
// inside a character, "..." appended when cut), with bytes that are not
// well-formed UTF-8 and control characters shown as the text "\xNN", so the
// user sees what they sent and the message stays valid text.
std::string echo_input(std::string_view s, size_t max_bytes = 80);

} // namespace mdsp::http
