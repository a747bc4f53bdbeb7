#include "feed/live.h"

#include <algorithm>
#include <charconv>
#include <map>

#include <fmt/format.h>

#include "base/time.h"

namespace mdsp::feed {

namespace {

metrics::labels src_label(const std::string& s) {
    return {{"source", s}};
}

} // namespace

feed_metrics::feed_metrics(const std::string& s)
  : connected(metrics::global().get_gauge("mdsp_feed_connected", "1 while the feed's connection is open",
                                          src_label(s)))
  , connects(
        metrics::global().get_counter("mdsp_feed_connects_total", "Feed connections opened", src_label(s)))
  , reconnects(metrics::global().get_counter("mdsp_feed_reconnects_total",
                                             "Feed reconnections (drops, watchdog, planned)", src_label(s)))
  , messages(metrics::global().get_counter("mdsp_feed_messages_total", "Messages read from the feed",
                                           src_label(s)))
  , ticks(metrics::global().get_counter("mdsp_feed_ticks_total", "Ticks the feed handed to the pipeline",
                                        src_label(s)))
  , rejected(metrics::global().get_counter(
        "mdsp_feed_rejected_total", "Feed messages rejected as malformed (dead-lettered)", src_label(s)))
  , duplicates(metrics::global().get_counter("mdsp_feed_duplicates_total",
                                             "Feed events dropped as duplicates", src_label(s)))
  , future(metrics::global().get_counter("mdsp_feed_future_timestamps_total",
                                         "Feed events with a timestamp beyond the future tolerance",
                                         src_label(s)))
  , watchdog(metrics::global().get_counter("mdsp_feed_watchdog_total",
                                           "Connections dropped because the feed went silent", src_label(s)))
  , heartbeats(metrics::global().get_counter("mdsp_feed_heartbeats_sent_total", "Heartbeats sent to the feed",
                                             src_label(s)))
  , pings(metrics::global().get_counter("mdsp_feed_pings_total", "Server pings answered with a pong",
                                        src_label(s)))
  , failed(metrics::global().get_counter("mdsp_feed_symbols_failed_total",
                                         "Symbols the feed refused to subscribe", src_label(s)))
  , queue_depth(metrics::global().get_gauge("mdsp_feed_queue_depth",
                                            "Events waiting between the feed's io thread and the pipeline",
                                            src_label(s))) {}

std::optional<std::string> live_source::not_ready_reason() const {
    std::lock_guard g(_ready_mu);
    if (_not_ready.empty()) {
        return std::nullopt;
    }
    return _not_ready;
}

void live_source::wait_unless_stopping(int64_t ms) const {
    const int64_t until = mono_nanos() + ms * 1'000'000;
    while (!stopping() && mono_nanos() < until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(
            std::min<int64_t>(20, std::max<int64_t>(1, (until - mono_nanos()) / 1'000'000))));
    }
}

void live_source::set_not_ready(std::string reason) {
    std::lock_guard g(_ready_mu);
    _not_ready = std::move(reason);
}

live_source::live_source(std::string name, size_t capacity, dead_letter_sink sink)
  : _name(std::move(name))
  , _capacity(std::max<size_t>(1, capacity))
  , _sink(std::move(sink))
  , _metrics(_name) {}

live_source::~live_source() {
    stop();
}

void live_source::start() {
    if (!_io.joinable()) {
        _stop = false;
        set_not_ready("connecting");
        _io = std::thread([this] { run_io(); });
    }
}

void live_source::stop() {
    _stop = true;
    _cv_room.notify_all();
    if (_io.joinable()) {
        _io.join();
    }
    _metrics.connected.set(0);
}

bool live_source::push_item(std::variant<model::tick, model::dead_letter> item) {
    std::unique_lock lk(_mu);
    while (_q.size() >= _capacity) {
        if (_stop.load()) {
            return false;
        }
        _cv_room.wait_for(lk, std::chrono::milliseconds(100));
    }
    _q.push_back(std::move(item));
    _metrics.queue_depth.set(static_cast<double>(_q.size()));
    lk.unlock();
    _cv_items.notify_one();
    return true;
}

bool live_source::push(model::tick t) {
    return push_item(std::move(t));
}
bool live_source::push(model::dead_letter d) {
    return push_item(std::move(d));
}

result<poll_status> live_source::poll(std::vector<model::tick>& out, size_t max) {
    if (!_started) {
        // The first poll starts the connection, so that resume() (called
        // before it) is seen by the io thread.
        _started = true;
        start();
    }
    std::vector<model::dead_letter> dead;
    {
        std::unique_lock lk(_mu);
        if (_q.empty()) {
            _cv_items.wait_for(lk, std::chrono::milliseconds(100));
        }
        size_t n = 0;
        while (!_q.empty() && n < max) {
            auto& item = _q.front();
            if (auto* t = std::get_if<model::tick>(&item)) {
                _last_seq = t->seq();
                out.push_back(std::move(*t));
                ++n;
            } else {
                dead.push_back(std::move(std::get<model::dead_letter>(item)));
            }
            _q.pop_front();
        }
        _metrics.queue_depth.set(static_cast<double>(_q.size()));
    }
    _cv_room.notify_all();
    for (auto& d : dead) {
        if (_sink) {
            _sink(std::move(d));
        }
    }
    return poll_status::ticks;
}

std::string live_source::position() const {
    return std::to_string(_last_seq);
}

result<void> live_source::resume(std::string_view position) {
    int64_t v = 0;
    auto [p, ec] = std::from_chars(position.data(), position.data() + position.size(), v);
    if (ec != std::errc() || p != position.data() + position.size() || v < 0) {
        return make_error(errc::bad_format, "checkpoint '{}' of {} is not a sequence number", position,
                          _name);
    }
    _last_seq = v;
    _resumed_seq = v;
    return ok();
}

backoff::backoff(int64_t min_ms, int64_t max_ms, uint64_t seed)
  : _min(std::max<int64_t>(1, min_ms))
  , _max(std::max(_min, max_ms))
  , _state(seed | 1) {}

int64_t backoff::next_ms() {
    int64_t base = _min;
    for (int i = 0; i < _attempt && base < _max; ++i) {
        base *= 2;
    }
    base = std::min(base, _max);
    ++_attempt;
    // xorshift64*: jitter only, no need for more.
    _state ^= _state >> 12;
    _state ^= _state << 25;
    _state ^= _state >> 27;
    uint64_t r = _state * 2685821657736338717ULL;
    double u = static_cast<double>(r >> 11) / static_cast<double>(1ULL << 53);
    return base / 2 + static_cast<int64_t>(u * static_cast<double>(base - base / 2));
}

} // namespace mdsp::feed
