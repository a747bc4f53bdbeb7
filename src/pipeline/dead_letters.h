#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"
#include "bus/bus.h"
#include "model/dead_letter.h"

namespace mdsp::pipeline {

// The one way anything reaches market.deadletter: a DeadLetter record (Avro,
// Confluent framing), its raw bytes and text cut to
// model::dead_letter_raw_keep_bytes and dead_letter_text_keep_bytes so that
// one huge input cannot make a letter too large for the bus, its text fields
// made valid UTF-8 (model::echo_text) so that every letter decodes, keyed as
// given.
//
// Threads: used by the thread that owns the producer (the stage's).
class dead_letter_writer {
public:
    explicit dead_letter_writer(bus::producer& out, std::string topic = std::string(bus::deadletter_topic))
      : _out(out)
      , _topic(std::move(topic)) {}

    // Queues d (raw cut to the bound). Failing to queue is logged and
    // returned; the caller's stage decides whether that stops it.
    result<void> write(model::dead_letter d, std::string_view key);
    // A record of topic/partition/offset that could not be used, and why.
    result<void> write(const bus::record_view& r, std::string_view source_topic, std::string_view kind,
                       std::string why);

    // Letters queued since construction; the producer's flush() makes them durable.
    uint64_t written() const noexcept { return _written; }

private:
    bus::producer& _out;
    std::string _topic;
    std::string _buf;
    uint64_t _written = 0;
};

} // namespace mdsp::pipeline
