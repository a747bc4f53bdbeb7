#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/result.h"
#include "feed/twelvedata_rest.h"
#include "pipeline/config.h"
#include "store/store.h"

namespace mdsp::pipeline {

// The REST client's settings from the config, with the key from
// TWELVEDATA_API_KEY (empty when unset: create() then names the variable).
feed::twelvedata_rest_config twelvedata_rest_settings(const config& cfg);

// Repairs the gaps of the live TwelveData feed: after a restart or a
// reconnect the connector reports the time it missed (on_gap), and this
// fetches the minutes in between as 1m bars from the REST API and stores them
// as candles marked backfilled. The gap starts after the minute of the last
// tick seen (after a restart: of the symbol's newest tick stored by the
// earlier run) and ends before the minute of the reconnect, so the
// minutes with live ticks at either edge stay as the ticks made them; and
// the store never lets a bar replace a candle built from ticks
// (store::write_backfill), so nothing is counted twice. Wider intervals
// (engine.intervals) are rolled up from the bars for the windows wholly
// inside the gap; windows the gap cuts keep what the ticks made.
//
// Threads: on_gap from any thread; one worker thread does the requests
// (paced by the plan's credits) so the feed never waits. A gap is recorded in
// the store's state table when reported and deleted once repaired, so gaps
// that a stop or a crash interrupts are repaired after the restart.
class gap_repair {
public:
    static result<std::unique_ptr<gap_repair>> start(const config& cfg, store::store& st);
    ~gap_repair();
    gap_repair(const gap_repair&) = delete;
    gap_repair& operator=(const gap_repair&) = delete;

    void on_gap(int64_t from_us, int64_t to_us);

private:
    gap_repair(const config& cfg, store::store& st);
    void run();
    void enqueue(int64_t from_us, int64_t to_us, std::string key);
    bool repair(int64_t from_us, int64_t to_us); // false when stopped midway

    std::vector<std::string> _symbols;
    std::vector<model::interval> _wider;           // engine intervals rolled up from the 1m bars
    std::map<std::string, int64_t> _stored_before; // newest stored tick per symbol at start
    int64_t _max_us;
    store::store& _store;
    std::unique_ptr<feed::twelvedata_rest> _rest;
    std::mutex _mu;
    std::condition_variable _cv;
    struct gap {
        int64_t from_us = 0, to_us = 0;
        std::vector<std::string> keys; // their records in the state table
    };
    std::deque<gap> _gaps;
    bool _stop = false;
    std::atomic<bool> _stopping{false}; // ends the REST client's waits
    std::thread _thread;
};

} // namespace mdsp::pipeline
