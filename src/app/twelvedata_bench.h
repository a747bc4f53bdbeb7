#pragma once

#include <string>

namespace mdsp::app {

// `mdsp bench --only twelvedata`: TwelveData price events parsed and encoded
// to Confluent-framed Avro ticks on one core, beside Debian's python3 (json +
// python3-avro) doing the same to the same events in the same run. Works in
// `dir` (created, left for the caller to remove); runs each side for about
// `seconds` (Python for at most 2 s). Prints its rows; returns 0, or 1 when
// mdsp's own side failed. A missing python3-avro is a printed line, not a
// failure.
int bench_twelvedata(const std::string& dir, double seconds);

} // namespace mdsp::app
