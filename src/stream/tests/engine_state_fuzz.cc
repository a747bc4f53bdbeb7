// libFuzzer target: candle_engine::restore() of a saved state that was
// changed. The state is real: symbol D has more 1s windows than its key
// holds (engine/w keys), S is sparse (its windows inside engine/y, see
// src/stream/README.md). The input is a list of edits of that state, 4 bytes
// each: op, key index, position, byte.
//   op % 4 == 0  set the value's byte at position
//           1    cut the value at position
//           2    set the key's byte at position (after "engine/")
//           3    add a copy of the key/value with the value cut at position
// What must hold, beyond no crash or undefined behaviour: a refused state
// leaves a fresh engine (it then restores the unchanged state), and a
// restored engine takes ticks, finishes and saves a state it restores again.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/assert.h"
#include "stream/candle_engine.h"

namespace {

using namespace mdsp;
using state = std::vector<std::pair<std::string, std::string>>;

constexpr int64_t t0 = 1'704'153'600'000'000; // 2024-01-02
constexpr int64_t second = 1'000'000;

model::tick tick(const char* symbol, int64_t et, double price, int64_t seq) {
    model::tick t;
    t.symbol = symbol;
    t.source = "fuzz";
    t.event_time = event_time(et);
    t.price = price;
    t.size = 1.0;
    t.seq = sequence(seq);
    return t;
}

void take(stream::candle_engine& e, state& into) {
    std::vector<model::candle> candles;
    std::vector<model::filler_run> runs;
    e.take_updates(candles, runs);
    std::vector<std::pair<std::string, std::optional<std::string>>> changes;
    e.take_state_changes(changes);
    std::map<std::string, std::string> all(into.begin(), into.end());
    for (auto& change : changes) {
        if (change.second) {
            all[change.first] = std::move(*change.second);
        } else {
            all.erase(change.first);
        }
    }
    into.assign(all.begin(), all.end());
}

const state& saved() {
    static const state s = [] {
        stream::candle_engine e{stream::engine_config{}};
        state out;
        for (int i = 0; i < 12; ++i) {
            (void)e.add(tick("D", t0 + i * second, 10.0 + i % 3, i + 1), partition_id(0));
        }
        (void)e.add(tick("S", t0 + 100, 5.0, 1), partition_id(1));
        (void)e.add(tick("S", t0 + 30 * second, 6.0, 2), partition_id(1));
        take(e, out);
        (void)e.add(tick("D", t0 + 40 * second, 9.0, 13), partition_id(0)); // a filler run, a revision below
        (void)e.add(tick("D", t0 + 39 * second + 5, 8.0, 14), partition_id(0));
        take(e, out);
        return out;
    }();
    return s;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    state st = saved();
    MDSP_ASSERT(st.size() > 4, "the seed state has {} keys", st.size());
    const size_t prefix = std::string_view(stream::candle_engine::state_prefix).size();
    for (size_t i = 0; i + 4 <= size && i < 4 * 64; i += 4) {
        auto& [k, v] = st[data[i + 1] % st.size()];
        const size_t pos = data[i + 2];
        const char byte = static_cast<char>(data[i + 3]);
        switch (data[i] % 4) {
        case 0:
            if (!v.empty()) {
                v[pos % v.size()] = byte;
            }
            break;
        case 1:
            v.resize(std::min(v.size(), pos));
            break;
        case 2:
            if (k.size() > prefix) {
                k[prefix + pos % (k.size() - prefix)] = byte;
            }
            break;
        default:
            st.emplace_back(k, v.substr(0, std::min(v.size(), pos)));
            break;
        }
    }
    std::sort(st.begin(), st.end());
    st.erase(
        std::unique(st.begin(), st.end(), [](const auto& a, const auto& b) { return a.first == b.first; }),
        st.end());

    stream::candle_engine e{stream::engine_config{}};
    if (!e.restore(st)) {
        MDSP_ASSERT(e.stats().accepted == 0, "a refused state left {} accepted ticks", e.stats().accepted);
        MDSP_ASSERT(e.restore(saved()).has_value(), "a refused state left an engine that restores nothing");
        return 0;
    }
    // Restored: it goes on, and what it saves restores again.
    for (const char* sym : {"D", "S", "N"}) {
        (void)e.add(tick(sym, t0 + 45 * second, 7.0, 1'000), partition_id(0));
    }
    (void)e.add(tick("S", t0 + 200 * second, 7.5, 1'001), partition_id(1));
    e.finish();
    take(e, st);
    stream::candle_engine again{stream::engine_config{}};
    auto r = again.restore(st);
    MDSP_ASSERT(r.has_value(), "a state the engine saved does not restore: {}", r ? "" : r.error().what());
    return 0;
}
