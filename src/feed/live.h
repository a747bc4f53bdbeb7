#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "base/metrics.h"
#include "feed/source.h"

namespace mdsp::feed {

// Counters of one live connector, exposed in /metrics with {source="..."}.
struct feed_metrics {
    explicit feed_metrics(const std::string& source);
    metrics::gauge& connected;    // mdsp_feed_connected: 1 while a connection is open
    metrics::counter& connects;   // mdsp_feed_connects_total: connections opened
    metrics::counter& reconnects; // mdsp_feed_reconnects_total: by cause, summed
    metrics::counter& messages;   // mdsp_feed_messages_total: server messages read
    metrics::counter& ticks;      // mdsp_feed_ticks_total: ticks handed to the pipeline
    metrics::counter& rejected;   // mdsp_feed_rejected_total: malformed, dead-lettered
    metrics::counter& duplicates; // mdsp_feed_duplicates_total: dropped as repeats
    metrics::counter& future;     // mdsp_feed_future_timestamps_total: beyond the tolerance
    metrics::counter& watchdog;   // mdsp_feed_watchdog_total: silent connections dropped
    metrics::counter& heartbeats; // mdsp_feed_heartbeats_sent_total
    metrics::counter& pings;      // mdsp_feed_pings_total: server pings answered
    metrics::counter& failed;     // mdsp_feed_symbols_failed_total
    metrics::gauge& queue_depth;  // mdsp_feed_queue_depth
};

// The part every live connector shares: an io thread that the subclass runs
// (run_io), and a bounded queue from it to the polling thread. When the queue
// is full the io thread waits (back-pressure); nothing is dropped.
//
// Threads: poll/position/resume/progress on the polling thread; push() on the
// io thread. The first poll() (or start()) spawns the io thread, after any
// resume(); stop() (also in the destructor of
// the subclass) asks run_io to return and joins it.
class live_source : public source {
public:
    live_source(std::string name, size_t capacity, dead_letter_sink sink);
    ~live_source() override;

    result<poll_status> poll(std::vector<model::tick>& out, size_t max) override;
    std::string id() const override { return _name; }
    std::string position() const override;
    result<void> resume(std::string_view position) override;
    std::optional<double> progress() const override { return std::nullopt; }
    std::optional<std::string> not_ready_reason() const override;
    std::optional<double> connections_open() const override { return _metrics.connected.value(); }

    void start();
    void stop();

    feed_metrics& stats() { return _metrics; }

protected:
    // The io thread's body; returns once stopping() is true (checking at least
    // every 100 ms).
    virtual void run_io() = 0;
    bool stopping() const { return _stop.load(std::memory_order_relaxed); }
    // Why the feed cannot deliver now, for /readyz; empty = ready. Any thread.
    void set_not_ready(std::string reason);
    // From the io thread. Returns false when stopping while waiting for room.
    bool push(model::tick t);
    bool push(model::dead_letter d);
    // The seq after which resume() continues (0 before any resume).
    int64_t resumed_seq() const { return _resumed_seq; }
    // Waits ms before a reconnect, returning early when stopping.
    void wait_unless_stopping(int64_t ms) const;

private:
    bool push_item(std::variant<model::tick, model::dead_letter> item);

    std::string _name;
    size_t _capacity;
    dead_letter_sink _sink;
    feed_metrics _metrics;
    std::mutex _mu;
    std::condition_variable _cv_items;
    std::condition_variable _cv_room;
    std::deque<std::variant<model::tick, model::dead_letter>> _q;
    std::atomic<bool> _stop{false};
    std::thread _io;
    mutable std::mutex _ready_mu;
    std::string _not_ready; // under _ready_mu
    bool _started = false;  // polling thread
    int64_t _last_seq = 0;  // polling thread
    int64_t _resumed_seq = 0;
};

// Exponential backoff with full jitter between attempts: the n-th retry waits
// a uniform time in [base/2, base] with base = min(max, min * 2^n).
class backoff {
public:
    backoff(int64_t min_ms, int64_t max_ms, uint64_t seed);
    int64_t next_ms();
    void reset() { _attempt = 0; }
    int attempts() const { return _attempt; }

private:
    int64_t _min, _max;
    int _attempt = 0;
    uint64_t _state;
};

} // namespace mdsp::feed
