#include "feed/internal/input.h"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

namespace mdsp::feed::internal {

namespace {
constexpr size_t compressed_chunk = 64 * 1024;
// Compressed reads per read() call that produce nothing (a run of empty
// blocks): bounds the time one call takes, like the replay's skip budget.
constexpr int max_refills_per_read = 16;
constexpr unsigned char gzip_magic[2] = {0x1f, 0x8b};
} // namespace

struct input_file::zstate {
    z_stream s{};
    bool live = false;        // inflateInit2 succeeded, inflateEnd is due
    bool member_done = false; // at the end of a gzip member
    bool any_output = false;  // of the current member, for the error text
    int64_t members = 0;      // started since the start of the file
    ~zstate() {
        if (live) {
            inflateEnd(&s);
        }
    }
};

input_file::input_file()
  : _in(compressed_chunk) {}

input_file::~input_file() {
    if (_fd >= 0) {
        ::close(_fd);
    }
}

bool input_file::open(const std::string& path, std::string& error) {
    _path = path;
    // O_NONBLOCK: opening a FIFO does not wait for a writer, and no read
    // blocks (raw_read() waits with poll() and a timeout instead).
    _fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (_fd < 0) {
        error = std::strerror(errno);
        return false;
    }
    if (!stat()) {
        error = _error;
        return false;
    }
    return true;
}

bool input_file::stat() {
    struct stat st {};
    if (::fstat(_fd, &st) != 0) {
        _error = fmt::format("cannot stat it: {}", std::strerror(errno));
        return false;
    }
    _size = st.st_size;
    return true;
}

input_file::status input_file::fail(std::string why) {
    _error = std::move(why);
    _failed = true;
    return status::error;
}

input_file::status input_file::raw_read(char* dst, size_t room, int wait_ms, size_t& got) {
    got = 0;
    if (_raw_eof) {
        return status::eof;
    }
    pollfd p{};
    p.fd = _fd;
    p.events = POLLIN;
    const int ready = ::poll(&p, 1, wait_ms);
    if (ready < 0) {
        return errno == EINTR ? status::would_block : fail(std::strerror(errno));
    }
    if (ready == 0) {
        // Also a FIFO that no writer has opened yet (Linux reports POLLHUP
        // only once a writer has come and gone), where read() would say EOF.
        return status::would_block;
    }
    const ssize_t n = ::read(_fd, dst, room);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
            return status::would_block;
        }
        return fail(std::strerror(errno));
    }
    if (n == 0) {
        _raw_eof = true;
        return status::eof;
    }
    got = static_cast<size_t>(n);
    _raw_offset += n;
    return status::data;
}

bool input_file::reset_inflate() {
    if (!_z) {
        _z = std::make_unique<zstate>();
    }
    _z->member_done = false;
    _z->any_output = false;
    if (_z->live) {
        if (inflateReset(&_z->s) != Z_OK) {
            fail("cannot reset the gzip decoder");
            return false;
        }
        ++_z->members;
        return true;
    }
    // 16 + MAX_WBITS: a gzip wrapper (header and CRC-32 trailer), no other.
    if (inflateInit2(&_z->s, 16 + MAX_WBITS) != Z_OK) {
        fail("cannot start the gzip decoder (out of memory?)");
        return false;
    }
    _z->live = true;
    _z->members = 1;
    return true;
}

// Reads until the first two bytes are in (or the input ends), then picks the
// mode. The bytes read stay in _in for whichever mode reads them.
input_file::status input_file::decide(int wait_ms) {
    for (int reads = 0; _in_end < 2; ++reads) {
        size_t n = 0;
        const auto st = raw_read(reinterpret_cast<char*>(_in.data()) + _in_end, _in.size() - _in_end,
                                 reads == 0 ? wait_ms : 0, n);
        if (st == status::data) {
            _in_end += n;
        } else if (st == status::eof) {
            break;
        } else {
            return st;
        }
    }
    const bool gz = _in_end >= 2 && _in[0] == gzip_magic[0] && _in[1] == gzip_magic[1];
    if (gz && !reset_inflate()) {
        return status::error;
    }
    _mode = gz ? mode::gzip : mode::plain;
    return status::data;
}

input_file::status input_file::inflate_into(char* dst, size_t room, int wait_ms, size_t& got) {
    z_stream& s = _z->s;
    int refills = 0;
    while (got < room) {
        if (_in_begin == _in_end && !_raw_eof) {
            if (refills++ == max_refills_per_read) {
                break;
            }
            // Only the first read may wait: a trickle of bytes that inflate to
            // nothing must not make one call wait many times.
            size_t n = 0;
            const int wait = got == 0 && refills == 1 ? wait_ms : 0;
            const auto st = raw_read(reinterpret_cast<char*>(_in.data()), _in.size(), wait, n);
            if (st == status::error) {
                return got > 0 ? status::data : st; // the error is sticky: it comes next time
            }
            if (st == status::would_block) {
                break;
            }
            _in_begin = 0;
            _in_end = n; // 0 at eof
            continue;
        }
        if (_z->member_done) {
            if (_in_begin == _in_end) {
                break; // the input ended after a whole member: the end
            }
            // Another member follows (concatenated gzip files).
            if (!reset_inflate()) {
                return got > 0 ? status::data : status::error;
            }
        }
        s.next_in = _in.data() + _in_begin;
        s.avail_in = static_cast<uInt>(_in_end - _in_begin);
        s.next_out = reinterpret_cast<Bytef*>(dst + got);
        s.avail_out = static_cast<uInt>(std::min<size_t>(room - got, UINT32_MAX));
        const uInt out_before = s.avail_out;
        const int rc = ::inflate(&s, Z_NO_FLUSH);
        _in_begin = _in_end - s.avail_in;
        got += out_before - s.avail_out;
        _z->any_output = _z->any_output || out_before != s.avail_out;
        if (rc == Z_STREAM_END) {
            _z->member_done = true;
        } else if (rc == Z_BUF_ERROR) {
            // No progress: more input is needed, or room is full.
            if (_in_begin == _in_end && _raw_eof) {
                fail(fmt::format("the gzip data ends in the middle of a stream, after {} bytes of the file "
                                 "(is the file cut short?)",
                                 _raw_offset));
                return got > 0 ? status::data : status::error;
            }
        } else if (rc != Z_OK) {
            const int64_t at = _raw_offset - static_cast<int64_t>(_in_end - _in_begin);
            if (rc == Z_DATA_ERROR && _z->members > 1 && !_z->any_output) {
                fail(fmt::format(
                    "bytes after the end of the gzip data, at byte {} of the file, are not gzip ({})", at,
                    s.msg ? s.msg : "not a gzip header"));
            } else {
                fail(fmt::format("the gzip data is corrupt near byte {} of the file ({})", at,
                                 s.msg ? s.msg : zError(rc)));
            }
            return got > 0 ? status::data : status::error; // the error is sticky: it comes next time
        }
    }
    if (got > 0) {
        return status::data;
    }
    if (_raw_eof && _in_begin == _in_end) {
        if (!_z->member_done) {
            return fail(
                fmt::format("the gzip data ends in the middle of a stream, after {} bytes of the file "
                            "(is the file cut short?)",
                            _raw_offset));
        }
        return status::eof;
    }
    return status::would_block;
}

input_file::status input_file::read(char* dst, size_t room, int wait_ms, size_t& got) {
    got = 0;
    if (_failed) {
        return status::error; // once broken, broken: _error says why
    }
    if (room == 0) {
        return status::would_block;
    }
    if (_mode == mode::undecided) {
        if (const auto st = decide(wait_ms); st != status::data) {
            return st;
        }
    }
    if (_pushback) {
        dst[0] = *_pushback;
        _pushback.reset();
        got = 1;
        return status::data;
    }
    if (_mode == mode::gzip) {
        return inflate_into(dst, room, wait_ms, got);
    }
    if (_in_begin < _in_end) {
        // The bytes read while deciding, then whatever is ready: one read
        // gives as much as one read of the file would have.
        got = std::min(room, _in_end - _in_begin);
        std::memcpy(dst, _in.data() + _in_begin, got);
        _in_begin += got;
        size_t more = 0;
        if (got < room && raw_read(dst + got, room - got, 0, more) == status::data) {
            got += more;
        }
        return status::data;
    }
    return raw_read(dst, room, wait_ms, got);
}

input_file::seek_status input_file::seek(int64_t offset, char& before, bool& at_end) {
    at_end = false;
    if (!stat()) {
        return seek_status::error;
    }
    _pushback.reset();
    _failed = false;
    _error.clear();
    if (_mode != mode::gzip) {
        if (offset > _size) {
            return seek_status::past_end;
        }
        if (offset > 0 && ::pread(_fd, &before, 1, offset - 1) != 1) {
            _error = std::strerror(errno);
            return seek_status::error;
        }
        if (::lseek(_fd, offset, SEEK_SET) < 0) {
            _error = fmt::format("cannot seek: {}", std::strerror(errno));
            return seek_status::error;
        }
        _in_begin = _in_end = 0; // a later undecided read decides again from here: not gzip
        _mode = mode::plain;
        _raw_offset = offset;
        _raw_eof = false;
        at_end = offset == _size;
        return seek_status::ok;
    }
    // Gzip: decompress again from the start, dropping offset bytes.
    if (::lseek(_fd, 0, SEEK_SET) < 0) {
        _error = fmt::format("cannot seek: {}", std::strerror(errno));
        return seek_status::error;
    }
    _in_begin = _in_end = 0;
    _raw_offset = 0;
    _raw_eof = false;
    if (_z) {
        _z->members = 0; // counted again from the first
    }
    if (!reset_inflate()) {
        return seek_status::error;
    }
    std::vector<char> scratch(compressed_chunk);
    int64_t left = offset;
    char next = 0;
    int idle = 0;
    constexpr int max_idle = 100; // a regular file is always readable
    while (true) {
        const size_t want = left > 0 ? std::min<size_t>(scratch.size(), static_cast<size_t>(left)) : 1;
        size_t n = 0;
        const auto st = read(left > 0 ? scratch.data() : &next, want, 100, n);
        if (st == status::error) {
            return seek_status::error;
        }
        if (st == status::eof) {
            if (left > 0) {
                return seek_status::past_end;
            }
            at_end = true;
            return seek_status::ok;
        }
        if (st == status::would_block) {
            if (++idle == max_idle) {
                _error = "the file gives no data to seek through";
                return seek_status::error;
            }
            continue;
        }
        idle = 0;
        if (left == 0) {
            _pushback = next; // the byte read only to tell the end
            return seek_status::ok;
        }
        left -= static_cast<int64_t>(n);
        before = scratch[n - 1];
    }
}

} // namespace mdsp::feed::internal
