#include <gtest/gtest.h>

#include "base/metrics.h"

namespace mdsp::metrics {

TEST(metrics, exposes_prometheus_text) {
    registry r;
    r.get_counter("mdsp_ticks_total", "Ticks seen", {{"stage", "ingest"}}).inc(3);
    r.get_gauge("mdsp_up", "Up").set(1);
    auto& h = r.get_histogram("mdsp_latency_seconds", "Latency", {}, {0.001, 0.01});
    h.observe(0.0005);
    h.observe(0.005);
    h.observe(1);
    auto id = r.add_callback("mdsp_lag", "Lag", {{"partition", "0"}}, [] { return 42.0; });
    std::string text = r.expose();
    EXPECT_NE(text.find("# TYPE mdsp_ticks_total counter\nmdsp_ticks_total{stage=\"ingest\"} 3\n"),
              std::string::npos);
    EXPECT_NE(text.find("mdsp_up 1\n"), std::string::npos);
    EXPECT_NE(text.find("mdsp_latency_seconds_bucket{le=\"0.001\"} 1\n"), std::string::npos);
    EXPECT_NE(text.find("mdsp_latency_seconds_bucket{le=\"0.01\"} 2\n"), std::string::npos);
    EXPECT_NE(text.find("mdsp_latency_seconds_bucket{le=\"+Inf\"} 3\n"), std::string::npos);
    EXPECT_NE(text.find("mdsp_lag{partition=\"0\"} 42\n"), std::string::npos);
    r.remove_callback(id);
    EXPECT_EQ(r.expose().find("mdsp_lag{"), std::string::npos);
}

TEST(metrics, same_name_and_labels_is_same_metric) {
    registry r;
    auto& a = r.get_counter("c", "h", {{"x", "1"}});
    auto& b = r.get_counter("c", "h", {{"x", "1"}});
    EXPECT_EQ(&a, &b);
}

TEST(metrics, quantile_interpolates) {
    histogram h({1, 2, 3, 4});
    for (int i = 0; i < 100; ++i) {
        h.observe(1.5);
    }
    double p50 = h.quantile(0.5);
    EXPECT_GT(p50, 1.0);
    EXPECT_LE(p50, 2.0);
}

} // namespace mdsp::metrics

namespace mdsp::metrics {
TEST(metrics, bulk_counts_match_single_observations) {
    histogram a({1, 2, 3});
    histogram b({1, 2, 3});
    std::vector<uint64_t> local(4, 0);
    for (double v : {0.5, 1.5, 1.7, 2.5, 9.0}) {
        a.observe(v);
        local[b.bucket_index(v)]++;
    }
    b.add_counts(local, 0.5 + 1.5 + 1.7 + 2.5 + 9.0);
    for (size_t i = 0; i < 3; ++i) {
        EXPECT_EQ(a.cumulative(i), b.cumulative(i));
    }
    EXPECT_EQ(a.count(), b.count());
    EXPECT_DOUBLE_EQ(a.sum(), b.sum());
}
} // namespace mdsp::metrics
