#include "base/metrics.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "base/assert.h"

namespace mdsp::metrics {

histogram::histogram(std::vector<double> bounds)
  : _bounds(std::move(bounds))
  , _buckets(new std::atomic<uint64_t>[_bounds.size() + 1]) {
    MDSP_ASSERT(std::is_sorted(_bounds.begin(), _bounds.end()), "histogram bounds must be sorted");
    for (size_t i = 0; i <= _bounds.size(); ++i) {
        _buckets[i].store(0, std::memory_order_relaxed);
    }
}

void histogram::observe(double v) noexcept {
    auto it = std::lower_bound(_bounds.begin(), _bounds.end(), v);
    _buckets[static_cast<size_t>(it - _bounds.begin())].fetch_add(1, std::memory_order_relaxed);
    _count.fetch_add(1, std::memory_order_relaxed);
    double cur = _sum.load(std::memory_order_relaxed);
    while (!_sum.compare_exchange_weak(cur, cur + v, std::memory_order_relaxed)) {
    }
}

size_t histogram::bucket_index(double v) const noexcept {
    return static_cast<size_t>(std::lower_bound(_bounds.begin(), _bounds.end(), v) - _bounds.begin());
}

void histogram::add_counts(const std::vector<uint64_t>& per_bucket, double sum) noexcept {
    uint64_t n = 0;
    for (size_t i = 0; i < per_bucket.size() && i <= _bounds.size(); ++i) {
        if (per_bucket[i]) {
            _buckets[i].fetch_add(per_bucket[i], std::memory_order_relaxed);
            n += per_bucket[i];
        }
    }
    _count.fetch_add(n, std::memory_order_relaxed);
    double cur = _sum.load(std::memory_order_relaxed);
    while (!_sum.compare_exchange_weak(cur, cur + sum, std::memory_order_relaxed)) {
    }
}

uint64_t histogram::cumulative(size_t i) const noexcept {
    uint64_t n = 0;
    for (size_t j = 0; j <= i && j <= _bounds.size(); ++j) {
        n += _buckets[j].load(std::memory_order_relaxed);
    }
    return n;
}

double histogram::quantile(double q) const {
    return quantile_of(_bounds, buckets(), q);
}

std::vector<uint64_t> histogram::buckets() const {
    std::vector<uint64_t> out(_bounds.size() + 1);
    for (size_t i = 0; i <= _bounds.size(); ++i) {
        out[i] = _buckets[i].load(std::memory_order_relaxed);
    }
    return out;
}

double histogram::quantile_of(const std::vector<double>& bounds, const std::vector<uint64_t>& per_bucket,
                              double q) {
    const size_t n = std::min(per_bucket.size(), bounds.size() + 1);
    uint64_t total = 0;
    for (size_t i = 0; i < n; ++i) {
        total += per_bucket[i];
    }
    if (total == 0) {
        return std::nan("");
    }
    double rank = q * static_cast<double>(total);
    uint64_t seen = 0;
    for (size_t i = 0; i < n; ++i) {
        uint64_t in_bucket = per_bucket[i];
        if (static_cast<double>(seen + in_bucket) >= rank && in_bucket > 0) {
            if (i == bounds.size()) {
                return bounds.empty() ? 0.0 : bounds.back();
            }
            double lo = i == 0 ? 0.0 : bounds[i - 1];
            double hi = bounds[i];
            double frac = (rank - static_cast<double>(seen)) / static_cast<double>(in_bucket);
            return lo + (hi - lo) * std::clamp(frac, 0.0, 1.0);
        }
        seen += in_bucket;
    }
    return bounds.empty() ? 0.0 : bounds.back();
}

std::vector<double> histogram::latency_bounds() {
    return {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
            0.05,    0.1,    0.25,    0.5,    1.0,   2.5,    5.0,   10.0};
}

namespace {
std::string escape(const std::string& s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        if (c == '\\' || c == '"') {
            out += '\\';
            out += c;
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

std::string fmt_double(double v) {
    if (std::isnan(v)) {
        return "NaN";
    }
    if (std::isinf(v)) {
        return v > 0 ? "+Inf" : "-Inf";
    }
    return fmt::format("{}", v);
}

// Adds le="x" to already-rendered labels.
std::string with_le(const std::string& rendered, const std::string& le) {
    if (rendered.empty()) {
        return fmt::format("{{le=\"{}\"}}", le);
    }
    return fmt::format("{},le=\"{}\"}}", rendered.substr(0, rendered.size() - 1), le);
}
} // namespace

std::string render_labels(const labels& l) {
    if (l.empty()) {
        return {};
    }
    std::string out = "{";
    for (size_t i = 0; i < l.size(); ++i) {
        if (i) {
            out += ',';
        }
        out += fmt::format("{}=\"{}\"", l[i].first, escape(l[i].second));
    }
    out += '}';
    return out;
}

registry::family& registry::fam(const std::string& name, const std::string& help, const char* type) {
    auto& f = _families[name];
    if (f.type.empty()) {
        f.type = type;
        f.help = help;
    }
    MDSP_ASSERT(f.type == type, "metric {} registered as {} and {}", name, f.type, type);
    return f;
}

counter& registry::get_counter(const std::string& name, const std::string& help, const labels& l) {
    std::lock_guard g(_mu);
    auto& slot = fam(name, help, "counter").counters[render_labels(l)];
    if (!slot) {
        slot = std::make_unique<counter>();
    }
    return *slot;
}

gauge& registry::get_gauge(const std::string& name, const std::string& help, const labels& l) {
    std::lock_guard g(_mu);
    auto& slot = fam(name, help, "gauge").gauges[render_labels(l)];
    if (!slot) {
        slot = std::make_unique<gauge>();
    }
    return *slot;
}

histogram& registry::get_histogram(const std::string& name, const std::string& help, const labels& l,
                                   std::vector<double> bounds) {
    std::lock_guard g(_mu);
    auto& slot = fam(name, help, "histogram").histograms[render_labels(l)];
    if (!slot) {
        slot = std::make_unique<histogram>(std::move(bounds));
    }
    return *slot;
}

uint64_t registry::add_callback(const std::string& name, const std::string& help, const labels& l,
                                std::function<double()> fn) {
    std::lock_guard g(_mu);
    uint64_t id = _next_cb++;
    fam(name, help, "gauge").callbacks[id] = {render_labels(l), std::move(fn)};
    return id;
}

void registry::remove_callback(uint64_t id) {
    std::lock_guard g(_mu);
    for (auto& [_, f] : _families) {
        f.callbacks.erase(id);
    }
}

std::optional<double> registry::total(const std::string& name) const {
    std::lock_guard g(_mu);
    auto it = _families.find(name);
    if (it == _families.end()) {
        return std::nullopt;
    }
    const auto& f = it->second;
    double sum = 0;
    for (const auto& [_, c] : f.counters) {
        sum += static_cast<double>(c->value());
    }
    for (const auto& [_, v] : f.gauges) {
        sum += v->value();
    }
    for (const auto& [_, cb] : f.callbacks) {
        sum += cb.second();
    }
    return sum;
}

const histogram* registry::find_histogram(const std::string& name, const labels& l) const {
    std::lock_guard g(_mu);
    auto it = _families.find(name);
    if (it == _families.end()) {
        return nullptr;
    }
    auto h = it->second.histograms.find(render_labels(l));
    return h == it->second.histograms.end() ? nullptr : h->second.get();
}

std::string registry::expose() const {
    std::lock_guard g(_mu);
    std::string out;
    for (const auto& [name, f] : _families) {
        out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, f.help, name, f.type);
        for (const auto& [l, c] : f.counters) {
            out += fmt::format("{}{} {}\n", name, l, c->value());
        }
        for (const auto& [l, v] : f.gauges) {
            out += fmt::format("{}{} {}\n", name, l, fmt_double(v->value()));
        }
        for (const auto& [_, cb] : f.callbacks) {
            out += fmt::format("{}{} {}\n", name, cb.first, fmt_double(cb.second()));
        }
        for (const auto& [l, h] : f.histograms) {
            const auto& b = h->bounds();
            for (size_t i = 0; i < b.size(); ++i) {
                out += fmt::format("{}_bucket{} {}\n", name, with_le(l, fmt_double(b[i])), h->cumulative(i));
            }
            out += fmt::format("{}_bucket{} {}\n", name, with_le(l, "+Inf"), h->count());
            out += fmt::format("{}_sum{} {}\n", name, l, fmt_double(h->sum()));
            out += fmt::format("{}_count{} {}\n", name, l, h->count());
        }
    }
    return out;
}

registry& global() {
    static registry r;
    return r;
}

} // namespace mdsp::metrics
