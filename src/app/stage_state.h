#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "app/config.h"
#include "model/tick.h"
#include "stream/candle_engine.h"

namespace mdsp::app {

// What the processing stages (embedded and Kafka) share about their state in
// the store: offsets as 8-byte big-endian values, the engine's settings, and
// which of two ticks is the newer for the latest table.

inline std::string be64(int64_t v) {
    std::string s(8, '\0');
    auto u = static_cast<uint64_t>(v);
    for (int i = 7; i >= 0; --i) {
        s[static_cast<size_t>(i)] = static_cast<char>(u & 0xff);
        u >>= 8;
    }
    return s;
}

inline int64_t from_be64(std::string_view s) {
    uint64_t u = 0;
    for (char c : s.substr(0, 8)) {
        u = (u << 8) | static_cast<uint8_t>(c);
    }
    return static_cast<int64_t>(u);
}

inline stream::engine_config engine_cfg(const config& c) {
    stream::engine_config e;
    e.intervals = c.engine.intervals;
    e.out_of_orderness_us = c.engine.out_of_orderness_us;
    e.allowed_lateness_us = c.engine.allowed_lateness_us;
    e.fill_gaps = c.engine.fill_gaps;
    return e;
}

// By (event_time, seq): the order open/close and the latest table use.
inline bool newer(const model::tick& a, const model::tick& b) {
    return a.event_time != b.event_time ? a.event_time > b.event_time : a.seq > b.seq;
}

// Keeps in latest the newest tick of each symbol, for the latest table.
inline void keep_newest(std::unordered_map<std::string, model::tick>& latest, const model::tick& t) {
    auto it = latest.find(t.symbol);
    if (it == latest.end()) {
        latest.emplace(t.symbol, t);
    } else if (newer(t, it->second)) {
        it->second = t;
    }
}

} // namespace mdsp::app
