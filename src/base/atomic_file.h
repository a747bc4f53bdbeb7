#pragma once

#include <filesystem>
#include <string_view>

#include "base/result.h"

namespace mdsp {

// Replaces `path` with `contents` so that a crash at any moment leaves
// either the old file or the new one, never a mix or a torn file, and the
// new one survives a machine crash once this returns: write to
// "<path>.tmp" beside it, fsync it, rename it over `path`, fsync the
// directory.
//
// The directory must exist. On failure the old file is untouched and the
// temporary is removed (a crash can still leave a "<path>.tmp"; the next
// call truncates it, and readers should ignore *.tmp). Errors carry the
// errno as a std::system_category code and name the file. Concurrent calls
// for the same path must be serialised by the caller (they share the
// temporary's name); for different paths they are independent.
result<void> write_file_atomically(const std::filesystem::path& path, std::string_view contents);

// fsyncs a directory so that creations, renames and deletions in it
// survive a machine crash.
result<void> sync_directory(const std::filesystem::path& dir);

} // namespace mdsp
