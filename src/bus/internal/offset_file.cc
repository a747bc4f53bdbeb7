#include "bus/internal/offset_file.h"

#include <cerrno>
#include <charconv>
#include <cstring>

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include "base/atomic_file.h"
#include "bus/bus.h"

namespace mdsp::bus::internal {

namespace {
mdsp::error io_error(std::string_view what, const std::filesystem::path& p, int err) {
    return make_error(errc::io_error, "{} {}: {}", what, p.string(), std::strerror(err));
}
} // namespace

result<void> write_offset(const std::filesystem::path& file, mdsp::offset next) {
    std::error_code ec;
    std::filesystem::create_directories(file.parent_path(), ec);
    if (ec) {
        return io_error("cannot create", file.parent_path(), ec.value());
    }
    if (auto r = write_file_atomically(file, fmt::format("{}\n", next())); !r) {
        return make_error(errc::io_error, "cannot commit offset {}: {}", next(), r.error().what());
    }
    return ok();
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
