#include "feed/clock.h"

#include <chrono>
#include <thread>

#include "base/time.h"

namespace mdsp::feed {

namespace {
class real_clock final : public clock {
public:
    int64_t mono_nanos() override { return mdsp::mono_nanos(); }
    int64_t wall_micros() override { return mdsp::now_micros(); }
    void sleep_until(int64_t deadline) override {
        // mdsp::mono_nanos() reads steady_clock, so its values are
        // steady_clock time points.
        std::this_thread::sleep_until(
            std::chrono::steady_clock::time_point(std::chrono::nanoseconds(deadline)));
    }
};
} // namespace

clock& system_clock() noexcept {
    static real_clock c;
    return c;
}

} // namespace mdsp::feed
