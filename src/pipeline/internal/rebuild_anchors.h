#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "store/store.h"

namespace mdsp::pipeline::internal {

// Where a partition can be rebuilt from, for the offset a group commits:
// per symbol, the first offset of a tick in each window of the largest
// interval that a rebuild still needs, i.e. the newest closed window (its
// close seeds later fillers) and every later one. Smaller intervals nest in
// it. The commit is never past the oldest of them, so another replica
// rebuilding from the commit re-emits every open window exactly.
//
// Threads: owned by the processing thread.
class rebuild_anchors {
public:
    explicit rebuild_anchors(int64_t largest_us)
      : _largest_us(largest_us) {}

    // A tick of symbol at event_us was read at offset.
    void note(const std::string& symbol, int64_t event_us, int64_t offset);
    // Drops the windows the watermark has closed for good (keeping the newest
    // closed one) and appends the symbols that changed as state changes under
    // prefix ("<prefix>a/<symbol>").
    void take(int64_t watermark_us, int64_t allowed_lateness_us, const std::string& prefix,
              std::vector<store::state_change>& out);
    // The offset a commit may name: written, or the oldest anchor below it.
    int64_t safe_offset(int64_t written) const;
    // Restores a symbol's anchors from a take()n value; false when malformed.
    bool restore(std::string_view symbol, std::string_view value);

private:
    struct symbol_anchors {
        std::deque<std::pair<int64_t, int64_t>> a; // window index, first offset
        bool dirty = false;
    };
    int64_t _largest_us;
    std::unordered_map<std::string, symbol_anchors> _symbols;
};

} // namespace mdsp::pipeline::internal
