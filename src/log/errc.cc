#include "log/errc.h"

#include "log/config.h"

namespace mdsp::log {
namespace {
std::string errc_message(errc e) {
    switch (e) {
    case errc::io_error:
        return "log I/O error";
    case errc::corrupt:
        return "corrupt record batch";
    case errc::unsupported:
        return "unsupported record batch";
    case errc::too_large:
        return "batch or record too large";
    case errc::invalid_argument:
        return "invalid argument";
    case errc::unknown_topic:
        return "unknown topic";
    case errc::unknown_partition:
        return "unknown partition";
    case errc::offset_out_of_range:
        return "offset out of range";
    case errc::closed:
        return "log closed";
    }
    return "unknown log error";
}
} // namespace

result<void> config::validate() const {
    if (fsync.kind == fsync_policy::mode::interval && fsync.every.count() <= 0) {
        return make_error(errc::invalid_argument, "log fsync interval must be positive, got {} ms",
                          fsync.every.count());
    }
    if (max_batch_bytes < batch_header_size + 16 || max_batch_bytes > (1u << 30)) {
        return make_error(errc::invalid_argument, "log max_batch_bytes must be in [77, 1 GiB], got {}",
                          max_batch_bytes);
    }
    // Index positions are int32.
    if (segment_max_bytes == 0 || segment_max_bytes > uint64_t(INT32_MAX) - max_batch_bytes) {
        return make_error(errc::invalid_argument,
                          "log segment_max_bytes must be in [1, 2 GiB - max_batch_bytes], got {}",
                          segment_max_bytes);
    }
    if (index_interval_bytes == 0) {
        return make_error(errc::invalid_argument, "log index_interval_bytes must be positive");
    }
    if (retention_ms < -1 || retention_bytes < -1) {
        return make_error(errc::invalid_argument,
                          "log retention must be -1 (keep) or >= 0, got {} ms, {} bytes", retention_ms,
                          retention_bytes);
    }
    if (retention_check_interval.count() < 0) {
        return make_error(errc::invalid_argument, "log retention_check_interval must not be negative");
    }
    return ok();
}

} // namespace mdsp::log

MDSP_DEFINE_ERRC_CATEGORY(mdsp::log, "mdsp.log", mdsp::log::errc_message)
