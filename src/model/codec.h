#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/result.h"
#include "model/candle.h"
#include "model/dead_letter.h"
#include "model/errc.h"
#include "model/tick.h"

// Avro binary encoding of the model records, exactly as schemas/*.avsc
// describe them (the schemas are in model/schemas.h). Plain payloads, no
// framing: model/framing.h adds the Confluent header.
//
// encode() appends to out and allocates only to grow out. decode_*() needs the
// whole payload: bytes left after the record are an error (errc::trailing_bytes),
// as are truncation, malformed varints, bad union indexes, lengths over the
// limits below, strings that are not UTF-8 and candle intervals that do not
// parse. Errors name the field ("tick.size: ...") and the byte offset.
// All functions are thread-safe (no shared state).
namespace mdsp::model {

// The longest string a decoder accepts in any field.
inline constexpr size_t max_string_bytes = size_t{1} << 20;
// The longest dead_letter::raw a decoder accepts; longer ones encode but do
// not decode.
inline constexpr size_t max_dead_letter_raw_bytes = size_t{8} << 20;
// What producers of dead letters keep of raw, and of each text field: small
// enough that a whole letter fits one Kafka message at the clients' default
// message.max.bytes (1,000,000), whatever bus carries it; large enough for
// any tick that a source can build (a replay line is at most 1 MiB).
inline constexpr size_t dead_letter_raw_keep_bytes = size_t{512} << 10;
inline constexpr size_t dead_letter_text_keep_bytes = size_t{16} << 10;

void encode(const tick& t, std::string& out);
void encode(const candle& c, std::string& out);
void encode(const dead_letter& d, std::string& out);

result<tick> decode_tick(std::string_view payload);
result<candle> decode_candle(std::string_view payload);
result<dead_letter> decode_dead_letter(std::string_view payload);

// Decode into an existing record, reusing its strings' capacity (the hot path
// of a consumer loop). On an error out holds a partly decoded record.
result<void> decode(std::string_view payload, tick& out);
result<void> decode(std::string_view payload, candle& out);
result<void> decode(std::string_view payload, dead_letter& out);

} // namespace mdsp::model
