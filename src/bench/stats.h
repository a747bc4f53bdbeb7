#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

// Order statistics every benchmark phase reports the same way.
namespace mdsp::bench {

// The q-quantile (0..1) of v by the nearest-rank rule; reorders v. 0 when empty.
inline double percentile(std::vector<int64_t>& v, double q) {
    if (v.empty()) {
        return 0;
    }
    size_t k = std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())));
    std::nth_element(v.begin(), v.begin() + static_cast<long>(k), v.end());
    return static_cast<double>(v[k]);
}

inline double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

} // namespace mdsp::bench
