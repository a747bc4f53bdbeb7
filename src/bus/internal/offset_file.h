#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>

#include "base/named_type.h"
#include "base/result.h"

// Committed consumer offsets, one small text file per group, topic and
// partition: <data_dir>/__consumer_offsets/<group>/<topic>-<partition>
// holding the next offset to read in decimal.
namespace mdsp::bus::internal {

// Replaces the file atomically and durably (base/atomic_file.h: temp file,
// fsync, rename, fsync of the directory). Creates the directories it needs.
result<void> write_offset(const std::filesystem::path& file, mdsp::offset next);
// nullopt when nothing was committed; errc::corrupt for a file that is not an offset.
result<std::optional<mdsp::offset>> read_offset(const std::filesystem::path& file);

} // namespace mdsp::bus::internal
