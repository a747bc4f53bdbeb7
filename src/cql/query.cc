// QUERY (section 4.1.4) and the <query_parameters> EXECUTE shares.
#include "cql/internal/params.h"

namespace mdsp::cql {
namespace internal {

void write_value(writer& w, const value& v) {
    switch (v.kind()) {
    case value::state::null:
        w.i32(-1);
        return;
    case value::state::unset:
        w.i32(-2);
        return;
    case value::state::set:
        w.long_string(v.bytes());
        return;
    }
}

void write_values(writer& w, const std::vector<value>& values) {
    w.count16(values.size(), "bound values");
    for (const auto& v : values) {
        write_value(w, v);
    }
}

void write_flags(writer& w, uint32_t flags, protocol v) {
    if (v == protocol::v4) {
        w.u8(uint8_t(flags));
    } else {
        w.i32(int32_t(flags));
    }
}

void write_query_params(writer& w, const query_params& p, protocol v) {
    enum : uint8_t {
        values = 0x01,
        skip_metadata = 0x02,
        page_size = 0x04,
        paging_state = 0x08,
        serial = 0x10,
        timestamp = 0x20
    };
    uint8_t flags = 0;
    flags |= p.values.empty() ? 0 : values;
    flags |= p.skip_metadata ? skip_metadata : 0;
    flags |= p.page_size ? page_size : 0;
    flags |= p.paging_state ? paging_state : 0;
    flags |= p.serial_cl ? serial : 0;
    flags |= p.default_timestamp_us ? timestamp : 0;
    w.u16(uint16_t(p.cl));
    write_flags(w, flags, v);
    if (!p.values.empty()) {
        write_values(w, p.values);
    }
    if (p.page_size) {
        if (*p.page_size <= 0) {
            w.fail(fmt::format("page_size must be positive, got {}", *p.page_size));
        }
        w.i32(*p.page_size);
    }
    if (p.paging_state) {
        w.bytes(*p.paging_state);
    }
    if (p.serial_cl) {
        if (*p.serial_cl != consistency::serial && *p.serial_cl != consistency::local_serial) {
            w.fail(fmt::format("serial consistency must be SERIAL or LOCAL_SERIAL, got {}",
                               to_string(*p.serial_cl)));
        }
        w.u16(uint16_t(*p.serial_cl));
    }
    if (p.default_timestamp_us) {
        if (*p.default_timestamp_us < 0) {
            w.fail(fmt::format("a default timestamp must not be negative, got {}", *p.default_timestamp_us));
        }
        w.i64(*p.default_timestamp_us);
    }
}

result<std::string> finish(writer& w, std::string_view what) {
    if (w.failed()) {
        return make_error(errc::invalid_argument, "cannot encode {}: {}", what, w.failure());
    }
    return w.take();
}

} // namespace internal

result<std::string> encode_query(std::string_view cql, const query_params& p, protocol v) {
    internal::writer w;
    w.long_string(cql);
    internal::write_query_params(w, p, v);
    return internal::finish(w, "QUERY");
}

} // namespace mdsp::cql
