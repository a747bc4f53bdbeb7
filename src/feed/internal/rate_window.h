#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>

namespace mdsp::feed::internal {

// Client messages within the server's per-minute limit (sliding window).
class rate_window {
public:
    explicit rate_window(int per_minute)
      : _max(static_cast<size_t>(std::max(1, per_minute))) {}
    bool try_take(int64_t now_ns) {
        while (!_sent.empty() && now_ns - _sent.front() >= 60'000'000'000LL) {
            _sent.pop_front();
        }
        if (_sent.size() >= _max) {
            return false;
        }
        _sent.push_back(now_ns);
        return true;
    }

private:
    size_t _max;
    std::deque<int64_t> _sent;
};

} // namespace mdsp::feed::internal
