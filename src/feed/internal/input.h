#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

// The bytes of a replay input: a regular file, a FIFO or a device, plain or
// gzip-compressed. Gzip is told by its magic bytes (1f 8b) at the start of
// the input, whatever the file is called; concatenated gzip members (`cat
// a.gz b.gz`) are read as one stream. Nothing blocks: every read waits with
// poll() at most as long as its caller says. Memory is bounded: a fixed
// buffer of compressed bytes, and no read produces more than its caller's
// room, so a small file that inflates to terabytes costs time, not memory.
//
// Owned and used by one thread (the replay's).
namespace mdsp::feed::internal {

class input_file {
public:
    input_file();
    ~input_file();
    input_file(const input_file&) = delete;
    input_file& operator=(const input_file&) = delete;

    // Opens path read-only and non-blocking (a FIFO without a writer opens at
    // once). False with `error` set.
    bool open(const std::string& path, std::string& error);

    enum class status { data, would_block, eof, error };
    // At most room bytes of data (decompressed, for gzip) into dst, after
    // waiting at most wait_ms for the input to be readable. would_block: none
    // yet, try again; error: error() says what, and every later read fails
    // the same way (data decoded before a failure is returned first).
    status read(char* dst, size_t room, int wait_ms, size_t& got);

    enum class seek_status { ok, past_end, error };
    // Moves to byte `offset` of the data, sets `before` to the byte before it
    // (when offset > 0) and `at_end` when no data follows it. A plain file is
    // sought; a gzip file is decompressed again from its start up to offset
    // (time in proportion to offset; memory fixed). Not for FIFOs.
    seek_status seek(int64_t offset, char& before, bool& at_end);

    // The file's size on disk (compressed, for gzip; 0 for a FIFO), as of
    // open() or the last stat().
    int64_t size() const noexcept { return _size; }
    // Stats the file again (it may have grown). False with error() set.
    bool stat();
    // Whether the data is gzip; known once a read returned data or eof.
    bool gzip() const noexcept { return _mode == mode::gzip; }
    // Bytes of the file itself consumed so far (compressed, for gzip).
    int64_t raw_offset() const noexcept { return _raw_offset; }
    const std::string& error() const noexcept { return _error; }

private:
    enum class mode { undecided, plain, gzip };
    // One read() of the file itself, after waiting at most wait_ms.
    status raw_read(char* dst, size_t room, int wait_ms, size_t& got);
    status decide(int wait_ms);
    status inflate_into(char* dst, size_t room, int wait_ms, size_t& got);
    bool reset_inflate();
    status fail(std::string why);

    struct zstate;
    int _fd = -1;
    std::string _path;
    int64_t _size = 0;
    int64_t _raw_offset = 0;
    mode _mode = mode::undecided;
    bool _raw_eof = false;
    // Compressed bytes (gzip), or the first bytes read while deciding
    // (plain): [_in_begin, _in_end) are not consumed yet.
    std::vector<unsigned char> _in;
    size_t _in_begin = 0, _in_end = 0;
    std::unique_ptr<zstate> _z;
    std::optional<char> _pushback; // one byte seek() read ahead to tell the end
    bool _failed = false;          // every read fails from now on (until a seek)
    std::string _error;
};

} // namespace mdsp::feed::internal
