#include "pipeline/internal/rebuild_anchors.h"

#include <algorithm>
#include <charconv>
#include <climits>
#include <functional>

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

void rebuild_anchors::push(min_heap& h, int64_t key, symbol_anchors* s) {
    h.emplace_back(key, s);
    std::push_heap(h.begin(), h.end(), std::greater<>());
}

rebuild_anchors::symbol_anchors& rebuild_anchors::at(std::string_view symbol) {
    auto it = _symbols.find(std::string(symbol));
    if (it == _symbols.end()) {
        it = _symbols.emplace(std::string(symbol), symbol_anchors{}).first;
        it->second.name = &it->first;
    }
    return it->second;
}

void rebuild_anchors::changed(symbol_anchors& s) {
    if (!s.dirty) {
        s.dirty = true;
        _dirty.push_back(&s);
    }
    if (s.a.size() >= 2) {
        push(_closing, s.a[1].first, &s);
    }
    if (!s.a.empty()) {
        push(_oldest, s.a.front().second, &s);
    }
}

void rebuild_anchors::note(const std::string& symbol, int64_t event_us, int64_t offset) {
    int64_t w = floor_div(event_us, _largest_us);
    auto& s = at(symbol);
    auto& a = s.a;
    auto it = std::lower_bound(a.begin(), a.end(), w, [](const auto& e, int64_t x) { return e.first < x; });
    if (it != a.end() && it->first == w) {
        if (offset < it->second) {
            it->second = offset;
            changed(s);
        }
    } else {
        a.insert(it, {w, offset});
        changed(s);
    }
}

void rebuild_anchors::take(int64_t watermark_us, int64_t allowed_lateness_us, const std::string& prefix,
                           std::vector<store::state_change>& out) {
    auto closed = [&](int64_t w) {
        return watermark_us != INT64_MIN && watermark_us >= (w + 1) * _largest_us + allowed_lateness_us;
    };
    while (!_closing.empty() && closed(_closing.front().first)) {
        auto [w, s] = _closing.front();
        std::pop_heap(_closing.begin(), _closing.end(), std::greater<>());
        _closing.pop_back();
        if (s->a.size() < 2 || s->a[1].first != w) {
            continue; // stale
        }
        while (s->a.size() >= 2 && closed(s->a[1].first)) {
            s->a.pop_front();
        }
        changed(*s);
    }
    for (auto* s : _dirty) {
        s->dirty = false;
        out.emplace_back(prefix + "a/" + *s->name, encode(s->a));
    }
    _dirty.clear();
}

int64_t rebuild_anchors::safe_offset(int64_t written) {
    while (!_oldest.empty()) {
        auto [o, s] = _oldest.front();
        if (!s->a.empty() && s->a.front().second == o) {
            return std::min(written, o);
        }
        std::pop_heap(_oldest.begin(), _oldest.end(), std::greater<>());
        _oldest.pop_back();
    }
    return written;
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
    auto& s = at(symbol);
    s.a = std::move(out);
    if (s.a.size() >= 2) {
        push(_closing, s.a[1].first, &s);
    }
    if (!s.a.empty()) {
        push(_oldest, s.a.front().second, &s);
    }
    return true;
}

} // namespace mdsp::pipeline::internal
