#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "base/time.h"
#include "model/candle.h"
#include "model/tick.h"
#include "stream/candle_engine.h"

namespace mdsp::stream::test {

// A CSV file with a header row; fields are not quoted in our test data.
struct csv {
    std::vector<std::string> header;
    std::vector<std::vector<std::string>> rows;

    int column(const std::string& name) const {
        for (size_t i = 0; i < header.size(); ++i) {
            if (header[i] == name) {
                return static_cast<int>(i);
            }
        }
        return -1;
    }
    // The field, or "" when the column is absent or the row is short.
    std::string get(const std::vector<std::string>& row, const std::string& name) const {
        int c = column(name);
        return c >= 0 && static_cast<size_t>(c) < row.size() ? row[static_cast<size_t>(c)] : std::string();
    }
};

inline std::vector<std::string> split(const std::string& line, char sep) {
    std::vector<std::string> out;
    std::string cur;
    std::istringstream in(line);
    while (std::getline(in, cur, sep)) {
        auto b = cur.find_first_not_of(" \t\r");
        auto e = cur.find_last_not_of(" \t\r");
        out.push_back(b == std::string::npos ? std::string() : cur.substr(b, e - b + 1));
    }
    if (!line.empty() && line.back() == sep) {
        out.emplace_back();
    }
    return out;
}

inline csv read_csv(const std::string& path) {
    csv c;
    std::ifstream in(path);
    EXPECT_TRUE(in.good()) << "cannot open " << path;
    std::string line;
    bool first = true;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') {
            continue;
        }
        if (first) {
            c.header = split(line, ',');
            first = false;
        } else {
            c.rows.push_back(split(line, ','));
        }
    }
    return c;
}

inline double to_double(const std::string& s) {
    char* end = nullptr;
    double d = std::strtod(s.c_str(), &end);
    EXPECT_TRUE(!s.empty() && end == s.c_str() + s.size()) << "not a number: '" << s << "'";
    return d;
}

inline int64_t to_int(const std::string& s) {
    char* end = nullptr;
    long long v = std::strtoll(s.c_str(), &end, 10);
    EXPECT_TRUE(!s.empty() && end == s.c_str() + s.size()) << "not an integer: '" << s << "'";
    return v;
}

inline int64_t to_time(const std::string& s) {
    auto t = parse_time_micros(s);
    EXPECT_TRUE(t.has_value()) << "not a time: '" << s << "'";
    return t.value_or(0);
}

inline engine_config read_golden_config(const std::string& path) {
    engine_config cfg;
    std::ifstream in(path);
    EXPECT_TRUE(in.good()) << "cannot open " << path;
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') {
            continue;
        }
        auto kv = split(line, '=');
        EXPECT_EQ(kv.size(), 2u) << "bad config line: " << line;
        if (kv.size() != 2) {
            continue;
        }
        const auto& k = kv[0];
        const auto& v = kv[1];
        if (k == "intervals") {
            cfg.intervals.clear();
            for (const auto& name : split(v, ',')) {
                auto i = model::interval::parse(name);
                EXPECT_TRUE(i.has_value()) << "bad interval " << name;
                cfg.intervals.push_back(i.value_or(model::interval()));
            }
        } else if (k == "out_of_orderness") {
            cfg.out_of_orderness_us = parse_duration_micros(v).value_or(-1);
        } else if (k == "lateness") {
            cfg.allowed_lateness_us = parse_duration_micros(v).value_or(-1);
        } else if (k == "fill_gaps") {
            cfg.fill_gaps = v == "true";
        } else {
            ADD_FAILURE() << "unknown config key " << k;
        }
    }
    return cfg;
}

struct golden_tick {
    model::tick tick;
    partition_id partition;
    std::string expect;  // accepted|duplicate|late, or empty
    bool finish = false; // not a tick: call finish() here (a row "finish")
};

// ticks.csv of a golden case: event_time,symbol,price,size,seq[,partition][,source][,expect],
// or a row with just "finish" where the input ends for a while (a replayed file).
inline std::vector<golden_tick> read_golden_ticks(const std::string& path) {
    auto c = read_csv(path);
    std::vector<golden_tick> out;
    for (const auto& r : c.rows) {
        golden_tick g;
        if (c.get(r, "event_time") == "finish") {
            g.finish = true;
            out.push_back(std::move(g));
            continue;
        }
        auto& t = g.tick;
        t.event_time = event_time(to_time(c.get(r, "event_time")));
        t.symbol = c.get(r, "symbol");
        t.price = to_double(c.get(r, "price"));
        if (auto s = c.get(r, "size"); !s.empty()) {
            t.size = to_double(s);
        }
        t.seq = sequence(to_int(c.get(r, "seq")));
        auto src = c.get(r, "source");
        t.source = src.empty() ? "golden" : src;
        auto part = c.get(r, "partition");
        g.partition = partition_id(part.empty() ? 0 : static_cast<int32_t>(to_int(part)));
        g.expect = c.get(r, "expect");
        out.push_back(std::move(g));
    }
    return out;
}

// Identity of a candle: (symbol, interval, window_start).
using candle_key = std::tuple<std::string, int64_t, int64_t>;
inline candle_key key_of(const model::candle& c) {
    return {c.symbol, c.interval.micros(), c.window_start()};
}

inline std::string describe(const model::candle& c) {
    return fmt::format("{} {} {} o={} h={} l={} c={} v={} vwap={} n={} first={} last={} final={} rev={}",
                       c.symbol, c.interval.name(), format_iso8601(c.window_start()), c.open, c.high, c.low,
                       c.close, c.volume, c.vwap, c.trade_count, format_iso8601(c.first_event_time()),
                       format_iso8601(c.last_event_time()), c.final, c.revision);
}

// take_updates with every filler run expanded into a candle per window (the
// golden files list fillers one by one), in no particular order.
inline void take_expanded(candle_engine& e, std::vector<model::candle>& out) {
    std::vector<model::filler_run> fillers;
    e.take_updates(out, fillers);
    for (const auto& r : fillers) {
        for (int64_t i = 0; i < r.count; ++i) {
            out.push_back(r.candle_at(i));
        }
    }
}

// The latest state of every candle emitted (take_updates output folded by key).
inline void fold(std::map<candle_key, model::candle>& into, const std::vector<model::candle>& updates) {
    for (const auto& c : updates) {
        into[key_of(c)] = c;
    }
}

// The engine state a store would hold after the changes (nullopt deletes).
inline void fold_state(std::map<std::string, std::string>& into,
                       std::vector<std::pair<std::string, std::optional<std::string>>>& changes) {
    for (auto& [k, v] : changes) {
        if (v) {
            into[k] = std::move(*v);
        } else {
            into.erase(k);
        }
    }
}

// The Binance reference trades, as ticks in the file's (trade id) order.
inline std::vector<model::tick> binance_trades() {
    auto c = read_csv(MDSP_SHARED_DIR "/data/binance-xrpeth/trades.csv");
    std::vector<model::tick> out;
    out.reserve(c.rows.size());
    for (const auto& r : c.rows) {
        model::tick t;
        t.symbol = "XRPETH";
        t.source = "binance";
        t.event_time = event_time(to_int(c.get(r, "time_ms")) * 1000);
        t.price = to_double(c.get(r, "price"));
        t.size = to_double(c.get(r, "qty"));
        t.trade_id = to_int(c.get(r, "agg_trade_id"));
        t.seq = sequence(*t.trade_id);
        out.push_back(std::move(t));
    }
    return out;
}

} // namespace mdsp::stream::test
