#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "cql/errc.h"
#include "cql/frame.h"

// The outer framing of protocol v5 (native_protocol_v5.spec, section 2):
// once STARTUP is answered by READY or AUTHENTICATE, every envelope (what
// v4 calls a frame: the 9-byte header and its body) travels inside
// segments, in both directions.
//
//   uncompressed: 3 bytes little-endian (17-bit payload length, 1 bit
//                 self-contained), CRC24 of those 3 bytes (3 bytes LE),
//                 payload, CRC32 of the payload (4 bytes LE)
//   LZ4:          5 bytes LE (17-bit compressed length, 17-bit uncompressed
//                 length, 1 bit self-contained), CRC24 of those 5 bytes,
//                 payload (a raw LZ4 block, or as is when the uncompressed
//                 length is 0), CRC32 of the payload as sent
//
// A self-contained segment holds one or more whole envelopes; an envelope
// too large for one is split over consecutive segments that are not. Pure
// functions and classes over bytes; no I/O.
namespace mdsp::cql {

// 128 KiB - 1: what 17 bits can count.
inline constexpr size_t max_segment_payload = (size_t{1} << 17) - 1;
inline constexpr size_t segment_header_size = 6;
inline constexpr size_t lz4_segment_header_size = 8;
inline constexpr size_t segment_trailer_size = 4;

// CRC24 of a segment header's first 3 (or 5) bytes as they are on the wire:
// initial value 0x875060, polynomial 0x1974F0B, most significant bit first,
// no reflection, no final xor.
uint32_t segment_crc24(std::string_view header_bytes);
// CRC32 (IEEE, as zlib's crc32) of a payload, seeded with the four bytes
// FA 2D 55 CA that the specification puts before every payload.
uint32_t segment_crc32(std::string_view payload);

// One segment of at most max_segment_payload bytes of payload. With lz4 the
// payload goes compressed when it is at least compress_min bytes and LZ4
// makes it smaller, as is otherwise (uncompressed length 0).
std::string encode_segment(std::string_view payload, bool self_contained, bool lz4, size_t compress_min = 0);

// Packs whole envelopes into segments, in order: consecutive envelopes share
// a self-contained segment while they fit; an envelope larger than a
// segment is split over segments that are not self-contained. What is added
// between two take() calls goes out together, so a connection that adds
// while a write is on the wire batches its requests into few segments.
//
// Threads: none of its own; owned by one connection, used on its strand.
class segment_writer {
public:
    explicit segment_writer(bool lz4, size_t compress_min = 0)
      : _lz4(lz4)
      , _compress_min(compress_min) {}

    void add(std::string_view envelope);
    // The segments of everything added since the last call.
    std::string take();
    bool empty() const noexcept { return _open.empty() && _out.empty(); }

private:
    void close_open();

    bool _lz4;
    size_t _compress_min;
    std::string _open; // whole envelopes of the next self-contained segment
    std::string _out;  // finished segments
};

// An envelope read out of segments: its header (decode_header's checks
// done) and its body.
struct envelope {
    frame_header h;
    std::string body;
};

// Reads segments off a byte stream and gives back the envelopes they carry.
// Every segment's header CRC24 and payload CRC32 are checked before its
// payload is used; a self-contained segment must hold whole envelopes; a
// split envelope is reassembled up to the length its header declares,
// which decode_header bounds by limits::max_frame_bytes, and never past it.
// Any error leaves the stream unusable: the connection must close.
//
// Threads: none of its own; owned by one connection, used on its strand.
class segment_reader {
public:
    segment_reader(bool lz4, const limits& lim)
      : _lz4(lz4)
      , _lim(lim) {}

    // Consumes the whole segments at the front of in, appending the
    // envelopes they complete to out; returns the bytes consumed (a partial
    // segment at the end is left for the next call, with more bytes).
    result<size_t> read(std::string_view in, std::vector<envelope>& out);
    // Bytes of a split envelope received so far.
    size_t pending() const noexcept { return _partial.size(); }
    // Segments read that came LZ4-compressed (not sent as is).
    size_t compressed_segments() const noexcept { return _compressed; }

private:
    result<void> on_payload(std::string_view payload, bool self_contained, std::vector<envelope>& out);

    bool _lz4;
    limits _lim;
    std::string _partial;  // a split envelope, header included, as far as received
    uint64_t _want = 0;    // its whole size; 0 when none is under way
    std::string _inflated; // the decompressed payload of the last LZ4 segment
    size_t _compressed = 0;
};

} // namespace mdsp::cql
