#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "http/server.h"
#include "model/candle.h"
#include "model/interval.h"
#include "model/tick.h"

namespace mdsp::http {

struct live_config {
    size_t max_clients = 256;          // more WebSocket clients are answered 503
    size_t max_message_bytes = 4096;   // a bigger client message closes it (1009, too big)
    size_t max_subscriptions = 64;     // candle series per client
    size_t max_pending_must = 1024;    // final candles and replies waiting per client
    size_t max_pending_updates = 1024; // coalesced forming candles and latest ticks per client
    std::vector<model::interval> intervals = model::default_intervals();
};

// What the hub has done since it was made; also exported as mdsp_live_* metrics.
struct live_stats {
    size_t clients = 0;
    uint64_t connected = 0;         // clients accepted in total
    uint64_t refused = 0;           // turned away at max_clients
    uint64_t closed_slow = 0;       // closed because their final candles piled up
    uint64_t messages_queued = 0;   // messages queued for clients
    uint64_t updates_coalesced = 0; // forming updates replaced by a newer one before being sent
    uint64_t updates_dropped = 0;   // forming updates dropped for room
    size_t max_pending_must = 0;    // the most must messages one client had waiting
    size_t max_pending_updates = 0; // the most updates one client had waiting
};

// The live push behind /api/v1/stream (WebSocket, JSON text frames). Clients
// subscribe to candle series and to the latest prices (http/live_protocol.h)
// and receive
//   {"type":"candle","symbol","interval","candle":{...as /api/v1/candles}}
//   {"type":"fillers","symbol","interval","from","time","count","close","final","revision"}
//        count empty windows from window start `from` (ISO; `time` in Unix
//        seconds), each a filler at close: one message for a gap of any length
//   {"type":"latest","tick":{...as /api/v1/latest}}
//   {"type":"subscribed"|"unsubscribed","channel","symbol"?,"interval"?}
//   {"type":"error","message"}                for a message it cannot take
// Forming candles (final=false) and latest ticks may skip intermediate states
// for a slow client; final candles are never skipped: a client with
// max_pending_must of them waiting is closed (1008, "too slow: ...") and the
// memory it held is freed at once (http/live_queue.h).
//
// Threads: publish() from any thread (the processing stage, after each
// committed store write): it serializes what some client wants, queues it
// and wakes the client's strand, never waiting for a socket. Sessions run on
// the HTTP server's threads. The hub's state is shared with its sessions, so
// the hub may go before the server stops them.
class live_hub {
public:
    explicit live_hub(live_config cfg = {});
    ~live_hub();
    live_hub(const live_hub&) = delete;
    live_hub& operator=(const live_hub&) = delete;

    // Serves the stream on path (before srv.start()): the WebSocket upgrade,
    // and a 426 JSON answer to a plain GET.
    void attach(server& srv, const std::string& path = "/api/v1/stream");

    void publish(std::span<const model::candle> candles, std::span<const model::filler_run> fillers,
                 std::span<const model::tick> latest);

    live_stats stats() const;

    struct state;

private:
    std::shared_ptr<state> _state;
};

} // namespace mdsp::http
