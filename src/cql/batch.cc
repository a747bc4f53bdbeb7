// BATCH (section 4.1.7). Unlogged batches of one partition are what the
// store writes; logged and counter batches are encoded too.
#include "cql/internal/params.h"

namespace mdsp::cql {

result<std::string> encode_batch(const std::vector<batch_entry>& entries, const batch_params& p, protocol v) {
    if (entries.empty()) {
        return make_error(errc::invalid_argument, "a BATCH needs at least one statement");
    }
    internal::writer w;
    w.u8(uint8_t(p.type));
    w.count16(entries.size(), "batch statements");
    for (const auto& e : entries) {
        if (e.query_or_id.empty()) {
            w.fail("a batch statement has an empty query or prepared id");
        }
        w.u8(e.prepared ? 1 : 0);
        if (e.prepared) {
            w.short_bytes(e.query_or_id);
        } else {
            w.long_string(e.query_or_id);
        }
        internal::write_values(w, e.values);
    }
    w.u16(uint16_t(p.cl));
    uint32_t flags = (p.serial_cl ? 0x10 : 0) | (p.default_timestamp_us ? 0x20 : 0);
    internal::write_flags(w, flags, v);
    if (p.serial_cl) {
        w.u16(uint16_t(*p.serial_cl));
    }
    if (p.default_timestamp_us) {
        if (*p.default_timestamp_us < 0) {
            w.fail("a batch's default timestamp must not be negative");
        }
        w.i64(*p.default_timestamp_us);
    }
    return internal::finish(w, "BATCH");
}

} // namespace mdsp::cql
