#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "feed/internal/line_parser.h"
#include "feed/internal/rate_window.h"
#include "feed/live.h"
#include "feed/ws_client.h"

namespace mdsp::feed {

struct twelvedata_config {
    std::vector<std::string> symbols;
    std::string api_key; // from TWELVEDATA_API_KEY; sent as X-TD-APIKEY, never logged
    std::string ws_url = "wss://ws.twelvedata.com/v1/quotes/price";
    tls_options tls;
    int64_t heartbeat_ms = 10'000;   // TwelveData asks for one about every 10 s
    int64_t watchdog_ms = 30'000;    // no message for this long: reconnect
    int64_t backoff_min_ms = 1'000;  // first retry waits 0.5..1 s
    int64_t backoff_max_ms = 60'000; // retries wait at most this
    int64_t future_tolerance_us = 5'000'000;
    bool clamp_future = false;          // true: clamp to now; false: dead-letter
    int max_messages_per_minute = 100;  // the server's limit on client messages
    size_t symbols_per_subscribe = 100; // symbols in one subscribe message
    size_t queue_capacity = 100'000;    // ticks between the io thread and poll()
    size_t max_message_bytes = 1 << 20; // TwelveData's limit
    uint64_t seed = 0;                  // jitter; 0 = from the clock
    // Called on the io thread with [from, to) in us once a connection is
    // subscribed after a gap: after each reconnect (from the event time of
    // the last tick before the drop) and at a start that resumes an earlier
    // run (from = 0: since the newest data stored before, which only the
    // store knows).
    std::function<void(int64_t from_us, int64_t to_us)> on_gap;
};

// The TwelveData WebSocket price stream as a source. The connection runs on
// its own io thread (live_source): heartbeats, a watchdog, reconnects with
// backoff and resubscription; refused symbols are reported once and left out
// of later subscriptions. Ticks: event_time from the Unix-seconds timestamp,
// size = the positive day_volume delta from the previous tick of the symbol
// (a drop starts a new day, size = day_volume), seq = max(previous + 1, the
// wall clock in us) so it grows across restarts too.
class twelvedata final : public live_source {
public:
    static result<std::unique_ptr<twelvedata>> create(twelvedata_config cfg, dead_letter_sink sink);
    ~twelvedata() override;

    // Symbols the server refused (io thread writes, so a snapshot).
    std::vector<std::string> failed_symbols() const;

private:
    twelvedata(twelvedata_config cfg, ws_url url, dead_letter_sink sink);
    void run_io() override;
    // One connection from its start to its close or a stop request:
    // subscriptions paced by rate, heartbeats, the watchdog, gap reports.
    // True when it opened; why it ended goes to why.
    bool run_connection(boost::asio::io_context& io, const std::shared_ptr<boost::asio::ssl::context>& tls,
                        internal::rate_window& rate, std::string& why);
    // The configured symbols less those the server refused.
    std::vector<std::string> symbols_to_subscribe() const;
    void on_message(std::string_view msg);
    void on_price(model::tick& t, std::string_view raw);
    void on_control(std::string_view msg);
    void dead(std::string_view raw, std::string kind, std::string why);
    std::string scrub(std::string s) const;

    twelvedata_config _cfg;
    ws_url _url;
    internal::json_line_parser _parser{internal::json_objects::twelvedata};

    // io thread state
    struct last_t {
        int64_t et = 0;
        double price = 0;
        std::optional<double> dv, bid, ask;
    };
    std::map<std::string, last_t, std::less<>> _last;
    std::set<std::string, std::less<>> _subscribed;
    int64_t _seq = 0;
    int64_t _last_tick_us = 0;
    int64_t _last_msg_ns = 0;
    int64_t _msg_index = 0;
    bool _gap_pending = false;
    int64_t _gap_from_us = 0;
    std::string _last_error_logged;

    mutable std::mutex _failed_mu;
    std::set<std::string> _failed;
};

} // namespace mdsp::feed
