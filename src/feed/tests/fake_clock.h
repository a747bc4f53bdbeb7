#pragma once

#include <cstdint>
#include <vector>

#include "feed/clock.h"

namespace mdsp::feed::test {

// A clock that moves only when told to or when slept on: sleep_until jumps
// straight to the deadline and records it, so pacing is checked exactly.
class fake_clock final : public feed::clock {
public:
    int64_t mono = 1'000'000'000;              // ns
    int64_t wall_base = 1'700'000'000'000'000; // us at mono == 0
    std::vector<int64_t> sleeps;               // deadlines asked for

    int64_t mono_nanos() override { return mono; }
    int64_t wall_micros() override { return wall_base + mono / 1000; }
    void sleep_until(int64_t deadline) override {
        sleeps.push_back(deadline);
        if (deadline > mono) {
            mono = deadline;
        }
    }
    void advance(int64_t ns) { mono += ns; }
};

} // namespace mdsp::feed::test
