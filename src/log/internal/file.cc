#include "log/internal/file.h"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/atomic_file.h"

namespace mdsp::log::internal {

mdsp::error io_error(std::string_view what, const std::filesystem::path& p, int err) {
    return make_error(errc::io_error, "{} {}: {}", what, p.string(), std::strerror(err));
}

file::file(file&& o) noexcept
  : _fd(o._fd)
  , _path(std::move(o._path)) {
    o._fd = -1;
}

file& file::operator=(file&& o) noexcept {
    if (this != &o) {
        if (_fd >= 0) {
            ::close(_fd);
        }
        _fd = o._fd;
        _path = std::move(o._path);
        o._fd = -1;
    }
    return *this;
}

file::~file() {
    if (_fd >= 0) {
        ::close(_fd);
    }
}

result<file> file::open(const std::filesystem::path& p, bool create) {
    int flags = O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0);
    int fd = ::open(p.c_str(), flags, 0644);
    if (fd < 0) {
        return io_error("cannot open", p, errno);
    }
    return file(fd, p);
}

result<uint64_t> file::size() const {
    struct stat st {};
    if (::fstat(_fd, &st) != 0) {
        return io_error("cannot stat", _path, errno);
    }
    return uint64_t(st.st_size);
}

result<size_t> file::pread(uint64_t pos, std::span<char> out) const {
    size_t done = 0;
    while (done < out.size()) {
        ssize_t n = ::pread(_fd, out.data() + done, out.size() - done, off_t(pos + done));
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return io_error("cannot read", _path, errno);
        }
        if (n == 0) {
            break;
        }
        done += size_t(n);
    }
    return done;
}

result<void> file::pwrite(uint64_t pos, std::span<const char> data) const {
    size_t done = 0;
    while (done < data.size()) {
        ssize_t n = ::pwrite(_fd, data.data() + done, data.size() - done, off_t(pos + done));
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return io_error("cannot write", _path, errno);
        }
        done += size_t(n);
    }
    return ok();
}

result<void> file::truncate(uint64_t size) const {
    if (::ftruncate(_fd, off_t(size)) != 0) {
        return io_error("cannot truncate", _path, errno);
    }
    return ok();
}

result<void> file::datasync() const {
    if (::fdatasync(_fd) != 0) {
        return io_error("cannot fdatasync", _path, errno);
    }
    return ok();
}

namespace {
// The log's callers see its own errc::io_error, whatever base reports.
result<void> as_log_error(result<void> r) {
    if (!r) {
        return make_error(errc::io_error, "{}", r.error().what());
    }
    return ok();
}
} // namespace

result<void> sync_dir(const std::filesystem::path& dir) {
    return as_log_error(sync_directory(dir));
}

result<void> write_file_atomic(const std::filesystem::path& path, std::string_view contents) {
    return as_log_error(write_file_atomically(path, contents));
}

result<std::string> read_small_file(const std::filesystem::path& path, size_t max_bytes) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return io_error("cannot open", path, errno);
    }
    file f(fd, path);
    auto size = f.size();
    if (!size) {
        return size.error();
    }
    if (*size > max_bytes) {
        return make_error(errc::corrupt, "{} is {} bytes, more than the {} expected; remove or fix it",
                          path.string(), *size, max_bytes);
    }
    std::string s(size_t(*size), '\0');
    auto n = f.pread(0, {s.data(), s.size()});
    if (!n) {
        return n.error();
    }
    s.resize(*n);
    return s;
}

} // namespace mdsp::log::internal
