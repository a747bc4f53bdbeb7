#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"
#include "model/candle.h"
#include "model/dead_letter.h"
#include "model/errc.h"
#include "model/tick.h"

// Confluent wire framing of Kafka message values: magic byte 0, the schema id
// as a 4-byte big-endian unsigned integer, then the Avro binary payload. This
// is what Confluent's (and Redpanda's) serializers write and expect.
namespace mdsp::model {

inline constexpr uint8_t frame_magic = 0;
inline constexpr size_t frame_header_size = 5;

// The schema ids the embedded pipeline (and its schema registry API) uses.
// A distributed deployment registering the schemas in its own registry gets
// other ids; the embedded pipeline pins these.
inline constexpr uint32_t tick_schema_id = 1;
inline constexpr uint32_t candle_schema_id = 2;
inline constexpr uint32_t dead_letter_schema_id = 3;

// A frame's parts; payload points into the bytes given to unframe().
struct framed {
    uint32_t schema_id = 0;
    std::string_view payload;
};

// Appends the 5-byte header; the caller appends the payload after it.
void write_frame_header(uint32_t schema_id, std::string& out);
// Splits a frame. Fails with errc::truncated when shorter than the header,
// errc::bad_magic when the first byte is not 0.
result<framed> unframe(std::string_view frame);

// Header with the pinned id, then the record's Avro encoding; appends to out.
void encode_framed(const tick& t, std::string& out);
void encode_framed(const candle& c, std::string& out);
void encode_framed(const dead_letter& d, std::string& out);

// unframe(), a check that the id is the record's pinned id
// (errc::unexpected_schema_id otherwise), then the record's decode.
result<tick> decode_framed_tick(std::string_view frame);
result<candle> decode_framed_candle(std::string_view frame);
result<dead_letter> decode_framed_dead_letter(std::string_view frame);

} // namespace mdsp::model
