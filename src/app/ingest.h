#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "bus/bus.h"
#include "feed/source.h"
#include "model/dead_letter.h"
#include "model/tick.h"

namespace mdsp::app {

// Moves ticks from a source into market.ticks as framed Avro, keyed by
// symbol. Owned by the ingest thread: source, producer and this stage are all
// used from it alone.
//
// Resume contract: after every flush the source's position is written to the
// checkpoint file (temp + rename), so a restart resumes at or before the last
// acknowledged tick. Ticks re-sent after a crash carry the same seq and the
// engine drops them as duplicates.
class ingest_stage {
public:
    ingest_stage(feed::source& src, bus::producer& out, std::string checkpoint_path);

    // Reads the checkpoint, if any, and resumes the source after it.
    result<void> resume();
    // One poll of the source: encode, send, flush, checkpoint. Returns
    // poll_status::end once a bounded source is exhausted and all is flushed.
    result<feed::poll_status> step();
    // Flushes what was sent and writes the checkpoint.
    result<void> flush();

    // Publishes a dead letter (from the source's sink) to market.deadletter.
    void dead_letter(const model::dead_letter& d);

    // Flush (wait for acknowledgements) and checkpoint at most this often
    // instead of after every poll of the source; 0 = after every poll. A
    // remote bus (Kafka) uses 100 ms so one round trip does not pace the feed.
    void set_flush_every(int64_t ns) noexcept { _flush_every_ns = ns; }

    uint64_t ticks_sent() const noexcept { return _sent; }
    uint64_t dead_letters() const noexcept { return _dead; }

private:
    result<void> write_checkpoint();

    feed::source& _src;
    bus::producer& _out;
    std::string _checkpoint_path;
    std::vector<model::tick> _ticks;
    std::string _buf;
    uint64_t _sent = 0;
    uint64_t _dead = 0;
    int64_t _last_checkpoint_ns = 0;
    std::string _last_position;
    int64_t _flush_every_ns = 0;
    int64_t _last_flush_ns = 0;
};

// The checkpoint file of a source id inside data_dir.
std::string checkpoint_path_for(const std::string& data_dir, const std::string& source_id);

} // namespace mdsp::app
