#include "base/atomic_file.h"

#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>

#include <fcntl.h>
#include <unistd.h>

namespace mdsp {

namespace {

mdsp::error os_error(std::string_view what, const std::filesystem::path& p, int err) {
    return mdsp::error{std::error_code(err, std::system_category()),
                       fmt::format("{} {}: {}", what, p.string(), std::strerror(err))};
}

// Closes the descriptor and, unless released, removes the temporary file.
class temp_guard {
public:
    temp_guard(int fd, std::filesystem::path p)
      : _fd(fd)
      , _path(std::move(p)) {}
    temp_guard(const temp_guard&) = delete;
    temp_guard& operator=(const temp_guard&) = delete;
    ~temp_guard() {
        close();
        if (!_released) {
            ::unlink(_path.c_str());
        }
    }
    int fd() const noexcept { return _fd; }
    // Closes the descriptor; returns errno, or 0.
    int close() {
        int err = 0;
        if (_fd >= 0 && ::close(_fd) != 0) {
            err = errno;
        }
        _fd = -1;
        return err;
    }
    void release() { _released = true; }

private:
    int _fd;
    std::filesystem::path _path;
    bool _released = false;
};

} // namespace

result<void> sync_directory(const std::filesystem::path& dir) {
    int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return os_error("cannot open directory", dir, errno);
    }
    int rc = ::fsync(fd);
    int err = errno;
    ::close(fd);
    if (rc != 0) {
        return os_error("cannot fsync directory", dir, err);
    }
    return ok();
}

result<void> write_file_atomically(const std::filesystem::path& path, std::string_view contents) {
    auto tmp = path;
    tmp += ".tmp";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        return os_error("cannot create", tmp, errno);
    }
    temp_guard guard(fd, tmp);
    size_t done = 0;
    while (done < contents.size()) {
        ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return os_error("cannot write", tmp, errno);
        }
        done += size_t(n);
    }
    if (::fsync(fd) != 0) {
        return os_error("cannot fsync", tmp, errno);
    }
    if (int err = guard.close(); err != 0) {
        return os_error("cannot close", tmp, err);
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        return os_error("cannot rename onto", path, errno);
    }
    guard.release();
    // The new contents are in place; this makes the rename itself durable.
    return sync_directory(path.parent_path());
}

} // namespace mdsp
