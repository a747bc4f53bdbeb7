#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "feed/internal/ws_messages.h"
#include "feed/live.h"
#include "feed/ws_client.h"

namespace mdsp::feed {

struct binance_config {
    std::vector<std::string> symbols; // any case; sent lowercase
    std::string ws_url = "wss://stream.binance.com:9443/stream";
    tls_options tls;
    int64_t watchdog_ms = 60'000; // no message and no ping for this long: reconnect
    int64_t backoff_min_ms = 1'000;
    int64_t backoff_max_ms = 60'000;
    // Binance closes connections at 24 h; a new one is opened before that and
    // the old one closed once the new one delivers (or after overlap_ms).
    int64_t max_connection_age_ms = 23 * 3600 * 1000LL;
    int64_t overlap_ms = 10'000;
    size_t queue_capacity = 100'000;
    size_t max_message_bytes = 1 << 20;
    uint64_t seed = 0;
};

// Binance's combined trade stream as a keyless source. Ticks carry price,
// size (q), trade_id and seq (t); the aggressor side (m = buyer was the maker,
// so the seller hit the bid) is counted in mdsp_feed_aggressor_total{side}.
// Trades are deduplicated per symbol by trade id, which makes the overlap of
// a planned reconnect gap-free and repeat-free.
class binance final : public live_source {
public:
    static result<std::unique_ptr<binance>> create(binance_config cfg, dead_letter_sink sink);
    ~binance() override;

private:
    binance(binance_config cfg, ws_url url, dead_letter_sink sink);
    struct connection;
    void run_io() override;
    std::shared_ptr<connection> open_connection(boost::asio::io_context& io,
                                                const std::shared_ptr<boost::asio::ssl::context>& tls);
    // Runs cur (and its successor during a planned reconnect, which then
    // becomes cur) until it closes or a stop request; both are closed after.
    void run_connections(boost::asio::io_context& io, const std::shared_ptr<boost::asio::ssl::context>& tls,
                         std::shared_ptr<connection>& cur);
    void on_message(std::string_view msg);

    binance_config _cfg;
    ws_url _url;
    internal::binance_parser _parser;
    std::map<std::string, int64_t, std::less<>> _last_id; // io thread
    int64_t _msg_index = 0;
    metrics::counter& _buys;
    metrics::counter& _sells;
};

} // namespace mdsp::feed
