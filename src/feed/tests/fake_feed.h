#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

// A local stand-in for TwelveData's and Binance's servers, for tests: one
// TLS port (a self-signed certificate made with the openssl CLI at start)
// that speaks the TwelveData price WebSocket (/v1/quotes/price), Binance's
// combined stream (/stream?streams=...) and TwelveData's REST /time_series.
// Every 20 ms it sends a price event per subscribed TwelveData symbol and a
// trade per Binance stream (trade ids shared by all connections, as on the
// real exchange). Controls break it on purpose: drop connections, stall,
// refuse symbols, send raw (malformed) messages, answer REST with 429.
//
// Threads: one io thread inside; every method may be called from any thread.
namespace mdsp::feed::testing {

class fake_feed {
public:
    // Writes key.pem and cert.pem into dir (which must exist).
    explicit fake_feed(const std::string& dir, bool tls = true);
    ~fake_feed();

    uint16_t port() const;
    std::string ca_file() const;
    std::string ws_url(const std::string& path) const; // wss://localhost:PORT/path

    void refuse_symbol(const std::string& s);
    void drop_all();                        // closes every WebSocket abruptly (no close frame)
    void stall(bool on);                    // sends nothing and answers nothing while on
    void send_raw(const std::string& text); // to every TwelveData connection
    void ping_all(const std::string& payload);
    void answer_429(int n);             // the next n REST requests get HTTP 429
    void rest_error_200(int n);         // the next n REST requests get {"status":"error"} with 200
    void set_future_seconds(int64_t s); // TwelveData timestamps this far ahead

    // Observations.
    int ws_connections() const;                       // WebSocket handshakes accepted so far
    std::vector<std::string> client_messages() const; // TwelveData client texts, in order
    int heartbeats() const;
    std::vector<std::string> pongs() const;    // pong payloads received
    std::vector<std::string> api_keys() const; // X-TD-APIKEY / Authorization values seen
    std::vector<std::string> rest_targets() const;
    std::vector<std::string> everything_sent() const; // every byte sequence we sent, for secret scans

private:
    struct impl;
    std::shared_ptr<impl> _impl;
};

} // namespace mdsp::feed::testing
