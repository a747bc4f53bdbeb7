#pragma once

#include <cstdint>

namespace mdsp::feed {

// Time as a paced source sees it. Sources take a clock* so tests can inject a
// fake one and check pacing without depending on wall-clock timing. Must be
// usable from the thread that polls the source; a clock outlives every source
// that uses it.
class clock {
public:
    virtual ~clock() = default;
    // Monotonic nanoseconds: pacing deadlines and rate limits.
    virtual int64_t mono_nanos() = 0;
    // Microseconds since the Unix epoch: event and ingest times.
    virtual int64_t wall_micros() = 0;
    // Blocks until mono_nanos() >= deadline (returns at once when it already is).
    virtual void sleep_until(int64_t mono_deadline_nanos) = 0;
};

// The process-wide real clock (steady_clock, system_clock, sleep_until).
clock& system_clock() noexcept;

} // namespace mdsp::feed
