#pragma once

#include <system_error>

#include "base/result.h"

namespace mdsp::log {

// Expected failures of the log. Messages carry the details (paths, offsets,
// sizes) and what to do about them.
enum class errc {
    io_error = 1,        // a system call failed (disk full, permissions, ...)
    corrupt,             // bytes on disk or in a buffer are not a valid RecordBatch v2
    unsupported,         // a valid batch we cannot read (compressed, old magic)
    too_large,           // a batch or record above max_batch_bytes
    invalid_argument,    // bad topic name, partition count, config value
    unknown_topic,       // no such topic
    unknown_partition,   // partition outside [0, partition count)
    offset_out_of_range, // an offset below the log start or above its end
    closed,              // the log was closed
};

} // namespace mdsp::log

MDSP_DECLARE_ERRC(mdsp::log)
