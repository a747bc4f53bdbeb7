#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "model/dead_letter.h"
#include "model/tick.h"

namespace mdsp::feed {

enum class errc {
    not_found = 1,
    io_error,
    bad_format,
    bad_config,
    stopped, // a stop was requested while waiting for input
};

// Where input that cannot become a tick goes, with why (the caller publishes
// it to market.deadletter). Called on the source's own thread.
using dead_letter_sink = std::function<void(model::dead_letter)>;

enum class poll_status {
    ticks, // zero or more ticks were appended (zero: nothing yet, try again)
    end,   // a bounded input is exhausted; nothing more will come
};

// A producer of ticks: simulator, file replay, live connectors. Owned and
// polled by one thread.
class source {
public:
    virtual ~source() = default;
    // Appends up to max ticks to out, waiting (pacing) at most about 100 ms.
    virtual result<poll_status> poll(std::vector<model::tick>& out, size_t max) = 0;
    // A stable name: "sim", "replay:/abs/path/trades.csv", "twelvedata".
    virtual std::string id() const = 0;
    // Opaque resume point just after the last tick poll() returned.
    virtual std::string position() const = 0;
    // Resumes after a position() from an earlier run (the ticks up to it are
    // already in the log).
    virtual result<void> resume(std::string_view position) = 0;
    // For bounded inputs, 0..1 done; nullopt for endless ones.
    virtual std::optional<double> progress() const = 0;

    // The two below may be called from any thread (readiness, health panel).
    // Why the source cannot deliver now (connecting, disconnected, every
    // symbol refused); nullopt while it can.
    virtual std::optional<std::string> not_ready_reason() const { return std::nullopt; }
    // Open connections to a live feed; nullopt for sources without any.
    virtual std::optional<double> connections_open() const { return std::nullopt; }
};

} // namespace mdsp::feed

MDSP_DECLARE_ERRC(mdsp::feed)
