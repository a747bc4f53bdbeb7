#pragma once

#include <cstdint>
#include <string>

namespace mdsp::model {

// A message the pipeline could not use, kept with why. Mirrors
// schemas/deadletter.avsc. Nothing bad is dropped silently: it lands here.
struct dead_letter {
    std::string source_topic; // topic, or "file:<path>" / "feed:<name>" for pre-log input
    int32_t source_partition = -1;
    int64_t source_offset = -1; // log offset, line number for files, the tick's seq for "feed:" ones
    std::string error_kind;     // "malformed", "late", "decode", "invalid", ...
    std::string message;        // what was wrong, for people
    std::string raw;            // the original bytes
    int64_t time = 0;           // us since epoch, when it was dead-lettered

    bool operator==(const dead_letter&) const = default;
};

} // namespace mdsp::model
