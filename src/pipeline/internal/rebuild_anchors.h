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
// The work of take() and safe_offset() follows what changed, not the number
// of symbols: changed symbols are listed, and two lazy min-heaps hold when
// each symbol's oldest anchor may be dropped and its oldest offset.
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
    int64_t safe_offset(int64_t written);
    // Restores a symbol's anchors from a take()n value; false when malformed.
    bool restore(std::string_view symbol, std::string_view value);

private:
    struct symbol_anchors {
        const std::string* name = nullptr;         // the map's key
        std::deque<std::pair<int64_t, int64_t>> a; // window index, first offset
        bool dirty = false;
    };
    // (window of the second anchor, or the first anchor's offset; symbol).
    // An entry is stale once the symbol's value moved on; checked on pop.
    using entry = std::pair<int64_t, symbol_anchors*>;
    using min_heap = std::vector<entry>;
    static void push(min_heap& h, int64_t key, symbol_anchors* s);
    symbol_anchors& at(std::string_view symbol);
    // After a change to s.a: listed for take(), its heap entries renewed.
    void changed(symbol_anchors& s);

    int64_t _largest_us;
    std::unordered_map<std::string, symbol_anchors> _symbols;
    std::vector<symbol_anchors*> _dirty;
    min_heap _closing; // by the window of a[1]: a[0] goes once it is closed
    min_heap _oldest;  // by a[0]'s offset
};

} // namespace mdsp::pipeline::internal
