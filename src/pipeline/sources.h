#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <stop_token>

#include "base/result.h"
#include "feed/source.h"
#include "pipeline/config.h"

namespace mdsp::pipeline {

// The source that config.source.spec names (sim, replay:FILE, twelvedata,
// binance), with dead letters going to sink (called on the thread that polls
// the source). on_gap, when given, hears of the time a live TwelveData feed
// missed (restart, reconnect), from its io thread. stop ends a source's
// waits for input (a replay of a FIFO nobody writes).
result<std::unique_ptr<feed::source>>
make_source(const config& cfg, feed::dead_letter_sink sink,
            std::function<void(int64_t from_us, int64_t to_us)> on_gap = {}, std::stop_token stop = {});

} // namespace mdsp::pipeline
