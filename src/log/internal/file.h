#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

#include "base/result.h"
#include "log/errc.h"

// Thin POSIX file helpers: every failure becomes an errc::io_error naming the
// file and the errno text.
namespace mdsp::log::internal {

// An owned file descriptor, closed on destruction.
class file {
public:
    file() = default;
    file(int fd, std::filesystem::path path)
      : _fd(fd)
      , _path(std::move(path)) {}
    file(file&& o) noexcept;
    file& operator=(file&& o) noexcept;
    file(const file&) = delete;
    file& operator=(const file&) = delete;
    ~file();

    // Opens read-write, creating the file when create is true.
    static result<file> open(const std::filesystem::path& p, bool create);

    int fd() const noexcept { return _fd; }
    const std::filesystem::path& path() const noexcept { return _path; }
    bool is_open() const noexcept { return _fd >= 0; }

    result<uint64_t> size() const;
    // Reads up to out.size() bytes at pos; fewer only at the end of the file.
    result<size_t> pread(uint64_t pos, std::span<char> out) const;
    // Writes all of data at pos.
    result<void> pwrite(uint64_t pos, std::span<const char> data) const;
    result<void> truncate(uint64_t size) const;
    result<void> datasync() const;

private:
    int _fd = -1;
    std::filesystem::path _path;
};

// fsyncs a directory so that file creations, renames and deletions in it survive a
// crash (base/atomic_file.h's sync_directory, failing with errc::io_error).
result<void> sync_dir(const std::filesystem::path& dir);

// base/atomic_file.h's write_file_atomically (temporary "<path>.tmp", fsync,
// rename, fsync of the directory), failing with the log's errc::io_error.
result<void> write_file_atomic(const std::filesystem::path& path, std::string_view contents);

// Reads a whole small file, refusing ones above max_bytes.
result<std::string> read_small_file(const std::filesystem::path& path, size_t max_bytes);

mdsp::error io_error(std::string_view what, const std::filesystem::path& p, int err);

} // namespace mdsp::log::internal
