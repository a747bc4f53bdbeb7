#include "pipeline/internal/rebuild_anchors.h"

#include <algorithm>
#include <charconv>
#include <climits>

#include <fmt/format.h>

namespace mdsp::pipeline::internal {

namespace {
int64_t floor_div(int64_t a, int64_t b) {
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

// Anchors as text: "window:offset,window:offset".
std::string encode(const std::deque<std::pair<int64_t, int64_t>>& a) {
    std::string s;
    for (const auto& [w, o] : a) {
        s += fmt::format("{}{}:{}", s.empty() ? "" : ",", w, o);
    }
    return s;
}

bool number(std::string_view t, int64_t& v) {
    auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    return ec == std::errc() && p == t.data() + t.size();
}
} // namespace

void rebuild_anchors::note(const std::string& symbol, int64_t event_us, int64_t offset) {
    int64_t w = floor_div(event_us, _largest_us);
    auto& s = _symbols[symbol];
    auto& a = s.a;
    auto it = std::lower_bound(a.begin(), a.end(), w, [](const auto& e, int64_t x) { return e.first < x; });
    if (it != a.end() && it->first == w) {
        if (offset < it->second) {
            it->second = offset;
            s.dirty = true;
        }
    } else {
        a.insert(it, {w, offset});
        s.dirty = true;
    }
}

void rebuild_anchors::take(int64_t watermark_us, int64_t allowed_lateness_us, const std::string& prefix,
                           std::vector<store::state_change>& out) {
    auto closed = [&](int64_t w) {
        return watermark_us != INT64_MIN && watermark_us >= (w + 1) * _largest_us + allowed_lateness_us;
    };
    for (auto& [sym, s] : _symbols) {
        while (s.a.size() >= 2 && closed(s.a[1].first)) {
            s.a.pop_front();
            s.dirty = true;
        }
        if (s.dirty) {
            s.dirty = false;
            out.emplace_back(prefix + "a/" + sym, encode(s.a));
        }
    }
}

int64_t rebuild_anchors::safe_offset(int64_t written) const {
    int64_t o = written;
    for (const auto& [_, s] : _symbols) {
        if (!s.a.empty()) {
            o = std::min(o, s.a.front().second);
        }
    }
    return o;
}

bool rebuild_anchors::restore(std::string_view symbol, std::string_view value) {
    std::deque<std::pair<int64_t, int64_t>> out;
    while (!value.empty()) {
        auto comma = value.find(',');
        auto item = value.substr(0, comma);
        auto colon = item.find(':');
        int64_t w = 0;
        int64_t o = 0;
        if (colon == std::string_view::npos || !number(item.substr(0, colon), w)
            || !number(item.substr(colon + 1), o)) {
            return false;
        }
        out.emplace_back(w, o);
        value = comma == std::string_view::npos ? std::string_view() : value.substr(comma + 1);
    }
    _symbols[std::string(symbol)].a = std::move(out);
    return true;
}

} // namespace mdsp::pipeline::internal
