#include "pipeline/dead_letters.h"

#include <spdlog/spdlog.h>

#include "base/time.h"
#include "model/avro.h"
#include "model/codec.h"
#include "model/framing.h"
#include "model/text.h"

namespace mdsp::pipeline {

result<void> dead_letter_writer::write(model::dead_letter d, std::string_view key) {
    if (d.raw.size() > model::dead_letter_raw_keep_bytes) {
        d.raw.resize(model::dead_letter_raw_keep_bytes);
    }
    // Text made of outside bytes would make a letter that no reader can
    // decode (Avro strings are UTF-8): such text is kept escaped instead.
    for (auto* text : {&d.source_topic, &d.error_kind, &d.message}) {
        if (text->size() > model::dead_letter_text_keep_bytes || !model::avro::is_valid_utf8(*text)) {
            *text = model::echo_text(*text, model::dead_letter_text_keep_bytes - 3); // 3: the "..." of a cut
        }
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
    d.raw = std::string(r.value.substr(0, model::dead_letter_raw_keep_bytes));
    d.time = now_micros();
    return write(std::move(d), r.key);
}

} // namespace mdsp::pipeline
