#include "pipeline/dead_letters.h"

#include <spdlog/spdlog.h>

#include "base/time.h"
#include "model/codec.h"
#include "model/framing.h"

namespace mdsp::pipeline {

result<void> dead_letter_writer::write(model::dead_letter d, std::string_view key) {
    if (d.raw.size() > model::max_dead_letter_raw_bytes) {
        d.raw.resize(model::max_dead_letter_raw_bytes);
    }
    _buf.clear();
    model::write_frame_header(model::dead_letter_schema_id, _buf);
    model::encode(d, _buf);
    if (auto r = _out.send(_topic, key, _buf, d.time / 1000); !r) {
        spdlog::error("cannot write a dead letter ({}: {}): {}", d.error_kind, d.message, r.error().what());
        return r;
    }
    ++_written;
    return ok();
}

result<void> dead_letter_writer::write(const bus::record_view& r, std::string_view source_topic,
                                       std::string_view kind, std::string why) {
    model::dead_letter d;
    d.source_topic = std::string(source_topic);
    d.source_partition = r.partition();
    d.source_offset = r.offset();
    d.error_kind = std::string(kind);
    d.message = std::move(why);
    d.raw = std::string(r.value.substr(0, model::max_dead_letter_raw_bytes));
    d.time = now_micros();
    return write(std::move(d), r.key);
}

} // namespace mdsp::pipeline
