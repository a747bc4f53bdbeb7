#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
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

// The machine's CPU time so far, all cores, from /proc/stat (in clock
// ticks): what was busy beside the bench, its own threads and its peers'
// (the JVMs of Kafka and Cassandra) alike. Zero where /proc is missing.
struct cpu_times {
    uint64_t busy = 0, total = 0;

    static cpu_times now() {
        cpu_times t;
        std::FILE* f = std::fopen("/proc/stat", "r");
        if (f == nullptr) {
            return t;
        }
        unsigned long long v[8] = {};
        if (std::fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4],
                        &v[5], &v[6], &v[7])
            == 8) {
            for (auto x : v) {
                t.total += x;
            }
            t.busy = t.total - v[3] - v[4]; // less idle and iowait
        }
        std::fclose(f);
        return t;
    }
};

// The share (0..1) of all cores busy between two samples; -1 when unknown.
inline double busy_share(const cpu_times& a, const cpu_times& b) {
    if (b.total <= a.total) {
        return -1;
    }
    return static_cast<double>(b.busy - a.busy) / static_cast<double>(b.total - a.total);
}

} // namespace mdsp::bench
