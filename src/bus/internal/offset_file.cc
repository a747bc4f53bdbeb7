#include "bus/internal/offset_file.h"

#include <cerrno>
#include <charconv>
#include <cstring>

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include "bus/bus.h"

namespace mdsp::bus::internal {

namespace {
mdsp::error io_error(std::string_view what, const std::filesystem::path& p, int err) {
    return make_error(errc::io_error, "{} {}: {}", what, p.string(), std::strerror(err));
}

result<void> sync_dir(const std::filesystem::path& dir) {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return io_error("cannot open directory", dir, errno);
    }
    int rc = ::fsync(fd);
    int err = errno;
    ::close(fd);
    if (rc != 0) {
        return io_error("cannot fsync directory", dir, err);
    }
    return ok();
}
} // namespace

result<void> write_offset(const std::filesystem::path& file, mdsp::offset next) {
    std::error_code ec;
    std::filesystem::create_directories(file.parent_path(), ec);
    if (ec) {
        return io_error("cannot create", file.parent_path(), ec.value());
    }
    std::string text = fmt::format("{}\n", next());
    auto tmp = file;
    tmp += ".tmp";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        return io_error("cannot create", tmp, errno);
    }
    ssize_t n = ::write(fd, text.data(), text.size());
    int err = errno;
    if (n != ssize_t(text.size()) || ::fdatasync(fd) != 0) {
        err = n < 0 ? err : errno;
        ::close(fd);
        return io_error("cannot write", tmp, err == 0 ? EIO : err);
    }
    ::close(fd);
    if (::rename(tmp.c_str(), file.c_str()) != 0) {
        return io_error("cannot rename onto", file, errno);
    }
    return sync_dir(file.parent_path());
}

result<std::optional<mdsp::offset>> read_offset(const std::filesystem::path& file) {
    int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) {
            return std::optional<mdsp::offset>();
        }
        return io_error("cannot open", file, errno);
    }
    char buf[32];
    ssize_t n = ::read(fd, buf, sizeof buf);
    int err = errno;
    ::close(fd);
    if (n < 0) {
        return io_error("cannot read", file, err);
    }
    int64_t v = -1;
    auto [end, ec] = std::from_chars(buf, buf + n, v);
    if (ec != std::errc{} || v < 0 || (end != buf + n && *end != '\n')) {
        return make_error(errc::corrupt, "committed offset file {} does not hold an offset; fix or delete it",
                          file.string());
    }
    return std::optional<mdsp::offset>(mdsp::offset(v));
}

} // namespace mdsp::bus::internal
