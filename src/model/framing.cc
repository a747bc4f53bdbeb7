#include "model/framing.h"

#include "model/codec.h"

namespace mdsp::model {

namespace {
// The payload of a frame that must carry schema id `want` (a `what` record).
result<std::string_view> expect_payload(std::string_view frame, uint32_t want, const char* what) {
    auto f = unframe(frame);
    if (!f) [[unlikely]] {
        return f.error();
    }
    if (f->schema_id != want) [[unlikely]] {
        return make_error(errc::unexpected_schema_id,
                          "{} frame: schema id {} where {} ({}) was expected; the message was written with "
                          "another schema or sent to the wrong topic",
                          what, f->schema_id, want, what);
    }
    return f->payload;
}
} // namespace

void write_frame_header(uint32_t schema_id, std::string& out) {
    const char header[frame_header_size] = {
        static_cast<char>(frame_magic),
        static_cast<char>((schema_id >> 24) & 0xff),
        static_cast<char>((schema_id >> 16) & 0xff),
        static_cast<char>((schema_id >> 8) & 0xff),
        static_cast<char>(schema_id & 0xff),
    };
    out.append(header, frame_header_size);
}

result<framed> unframe(std::string_view frame) {
    if (frame.size() < frame_header_size) [[unlikely]] {
        return make_error(
            errc::truncated,
            "frame: {} bytes are too short for the 5-byte Confluent header (magic 0, schema id)",
            frame.size());
    }
    auto b = [&](size_t i) { return static_cast<uint8_t>(frame[i]); };
    if (b(0) != frame_magic) [[unlikely]] {
        return make_error(errc::bad_magic,
                          "frame: first byte 0x{:02x} is not the Confluent magic byte 0; the value is not "
                          "schema-registry framed (plain Avro, JSON or another format?)",
                          b(0));
    }
    uint32_t id = (uint32_t{b(1)} << 24) | (uint32_t{b(2)} << 16) | (uint32_t{b(3)} << 8) | uint32_t{b(4)};
    return framed{id, frame.substr(frame_header_size)};
}

void encode_framed(const tick& t, std::string& out) {
    write_frame_header(tick_schema_id, out);
    encode(t, out);
}

void encode_framed(const candle& c, std::string& out) {
    write_frame_header(candle_schema_id, out);
    encode(c, out);
}

void encode_framed(const dead_letter& d, std::string& out) {
    write_frame_header(dead_letter_schema_id, out);
    encode(d, out);
}

result<tick> decode_framed_tick(std::string_view frame) {
    auto p = expect_payload(frame, tick_schema_id, "tick");
    if (!p) [[unlikely]] {
        return p.error();
    }
    return decode_tick(*p);
}

result<candle> decode_framed_candle(std::string_view frame) {
    auto p = expect_payload(frame, candle_schema_id, "candle");
    if (!p) [[unlikely]] {
        return p.error();
    }
    return decode_candle(*p);
}

result<dead_letter> decode_framed_dead_letter(std::string_view frame) {
    auto p = expect_payload(frame, dead_letter_schema_id, "dead_letter");
    if (!p) [[unlikely]] {
        return p.error();
    }
    return decode_dead_letter(*p);
}

} // namespace mdsp::model
