#pragma once
// What rocks_store.cc (open, writes, retention) and rocks_read.cc (range
// and point reads) share: slices, and the errors of a RocksDB store.
#include <filesystem>
#include <string_view>
#include <utility>

#include <rocksdb/slice.h>
#include <rocksdb/status.h>

#include "base/result.h"
#include "model/tick.h"
#include "store/store.h"

namespace mdsp::store::internal {

inline rocksdb::Slice slice(std::string_view s) {
    return {s.data(), s.size()};
}
inline std::string_view view(const rocksdb::Slice& s) {
    return {s.data(), s.size()};
}

inline mdsp::error status_error(const rocksdb::Status& s, std::string_view what,
                                const std::filesystem::path& dir) {
    return make_error(s.IsCorruption() ? errc::corrupt : errc::io_error, "{} in {}: {}", what, dir.string(),
                      s.ToString());
}

inline mdsp::error corrupt(std::string_view what, const std::filesystem::path& dir) {
    return make_error(errc::corrupt,
                      "{} in {} cannot be decoded; the data directory is damaged or was written by another "
                      "program",
                      what, dir.string());
}

inline mdsp::error bad_symbol(std::string_view symbol) {
    return make_error(errc::bad_query,
                      "symbol '{}' cannot be stored: a symbol is non-empty and has no NUL byte", symbol);
}

// Ticks in (event_time, seq) order, the order of the ticks table.
inline bool tick_less(const model::tick& a, const model::tick& b) {
    return std::pair(a.event_time, a.seq) < std::pair(b.event_time, b.seq);
}

} // namespace mdsp::store::internal
