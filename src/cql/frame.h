#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "cql/types.h"

// The frame envelope (v4 sections 2 and 5, v5 section 2.4): a 9-byte header
// and a body, the body prefixed by a tracing id, warnings and a custom
// payload, and in v4 optionally LZ4-compressed (v5 compresses whole segments
// instead, segment.h, and ignores the flag). In v4 frames follow each other
// on the wire; in v5 they do so only until the handshake, then travel in
// segments. Pure functions over bytes; no I/O.
namespace mdsp::cql {

inline constexpr size_t header_size = 9;

enum frame_flags : uint8_t {
    flag_compression = 0x01,
    flag_tracing = 0x02,
    flag_custom_payload = 0x04,
    flag_warning = 0x08,
    flag_beta = 0x10,
};

struct frame_header {
    uint8_t version = uint8_t(protocol::v4); // with response_bit on responses
    uint8_t flags = 0;
    int16_t stream = 0;
    opcode op = opcode::options;
    uint32_t length = 0; // of the body, as on the wire
};

// Decodes a 9-byte header. Refuses a version outside 3..5 (those whose
// header is 9 bytes; v3 only so that a v3 server's refusal of v4 can be
// read), an unknown opcode, and a body longer than max_frame_bytes (the
// length is a signed int on the wire: above 2^31 is negative, refused too),
// before a single body byte is buffered. Whether the version is the one the
// connection speaks is the connection's to check.
result<frame_header> decode_header(std::string_view nine_bytes, const limits& lim);

// The protocol version of a header's version byte (response_bit dropped).
inline uint8_t version_of(const frame_header& h) noexcept {
    return h.version & 0x7F;
}

// A whole frame: header then body. The version byte has response_bit when
// response is set (servers, and the fake server of the tests).
std::string encode_frame(opcode op, int16_t stream, std::string_view body, uint8_t flags = 0,
                         bool response = false, protocol v = protocol::v4);

// A response body with its envelope opened: decompressed when the compression
// flag is set in v4 (through the compressor named at STARTUP; the flag means
// nothing in v5), its tracing id, warnings and custom payload read off the
// front.
struct message_body {
    std::string bytes; // the message proper
    std::vector<std::string> warnings;
    bool traced = false;
};
result<message_body> open_body(const frame_header& h, std::string body, const limits& lim, bool lz4);

// LZ4 block compression of a v4 body: a 4-byte big-endian uncompressed length,
// then the block. decompress refuses a declared length above max_bytes.
std::string lz4_compress(std::string_view body);
result<std::string> lz4_decompress(std::string_view compressed, uint32_t max_bytes);

} // namespace mdsp::cql
