#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mdsp::metrics {

using labels = std::vector<std::pair<std::string, std::string>>;

// Monotonic count. Thread-safe, lock-free on the hot path.
class counter {
public:
    void inc(uint64_t n = 1) noexcept { _v.fetch_add(n, std::memory_order_relaxed); }
    uint64_t value() const noexcept { return _v.load(std::memory_order_relaxed); }

private:
    std::atomic<uint64_t> _v{0};
};

// A value that goes up and down. Thread-safe.
class gauge {
public:
    void set(double v) noexcept { _v.store(v, std::memory_order_relaxed); }
    void add(double d) noexcept {
        double cur = _v.load(std::memory_order_relaxed);
        while (!_v.compare_exchange_weak(cur, cur + d, std::memory_order_relaxed)) {
        }
    }
    double value() const noexcept { return _v.load(std::memory_order_relaxed); }

private:
    std::atomic<double> _v{0};
};

// Cumulative histogram with fixed upper bounds (seconds for latencies).
// observe() is lock-free; quantile() interpolates within a bucket, as
// Prometheus' histogram_quantile does.
class histogram {
public:
    explicit histogram(std::vector<double> bounds);
    void observe(double v) noexcept;
    uint64_t count() const noexcept { return _count.load(std::memory_order_relaxed); }
    double sum() const noexcept { return _sum.load(std::memory_order_relaxed); }
    double quantile(double q) const;
    const std::vector<double>& bounds() const noexcept { return _bounds; }
    // Count of observations <= bounds()[i] (cumulative).
    uint64_t cumulative(size_t i) const noexcept;

    // For hot loops that count locally and publish in bulk: the bucket a
    // value falls in (bounds().size() for +Inf), and adding such counts.
    size_t bucket_index(double v) const noexcept;
    void add_counts(const std::vector<uint64_t>& per_bucket, double sum) noexcept;

    // 50 us .. 10 s, roughly x2 apart: fits ingest-to-store latencies.
    static std::vector<double> latency_bounds();

    // Per-bucket counts right now (not cumulative; the last is +Inf), for
    // quantiles over a time window: the difference of two snapshots.
    std::vector<uint64_t> buckets() const;
    // quantile() over given per-bucket counts; NaN when they are all zero.
    static double quantile_of(const std::vector<double>& bounds, const std::vector<uint64_t>& per_bucket,
                              double q);

private:
    std::vector<double> _bounds;
    std::unique_ptr<std::atomic<uint64_t>[]> _buckets; // one per bound, plus +Inf
    std::atomic<uint64_t> _count{0};
    std::atomic<double> _sum{0};
};

// A set of named metrics and their exposition in the Prometheus text format
// (version 0.0.4). Registration takes a lock and returns a reference that
// stays valid for the registry's life; the same name and labels give the same
// metric. Callbacks compute gauges at scrape time (lag, queue depth).
class registry {
public:
    counter& get_counter(const std::string& name, const std::string& help, const labels& l = {});
    gauge& get_gauge(const std::string& name, const std::string& help, const labels& l = {});
    histogram& get_histogram(const std::string& name, const std::string& help, const labels& l = {},
                             std::vector<double> bounds = histogram::latency_bounds());

    // Registers a gauge whose value fn() gives at each scrape; returns an id for
    // remove_callback. fn runs on the scraping thread.
    uint64_t add_callback(const std::string& name, const std::string& help, const labels& l,
                          std::function<double()> fn);
    void remove_callback(uint64_t id);

    // Reading back, for the dashboard's pipeline panel: the sum of every
    // series of a counter or gauge family (callbacks included); nullopt when
    // nothing of that name is registered.
    std::optional<double> total(const std::string& name) const;
    // The histogram of that name and labels, or null. Valid for the
    // registry's life.
    const histogram* find_histogram(const std::string& name, const labels& l = {}) const;

    // The whole registry in the Prometheus text exposition format.
    std::string expose() const;

private:
    struct family {
        std::string help;
        std::string type; // counter, gauge, histogram
        std::map<std::string, std::unique_ptr<counter>> counters;
        std::map<std::string, std::unique_ptr<gauge>> gauges;
        std::map<std::string, std::unique_ptr<histogram>> histograms;
        std::map<uint64_t, std::pair<std::string, std::function<double()>>> callbacks;
    };
    family& fam(const std::string& name, const std::string& help, const char* type);

    mutable std::mutex _mu;
    std::map<std::string, family> _families;
    uint64_t _next_cb = 1;
};

// The process-wide registry that /metrics exposes.
registry& global();

// Renders labels as {a="x",b="y"} with Prometheus escaping ("" when empty).
std::string render_labels(const labels& l);

} // namespace mdsp::metrics
