// libFuzzer target: client messages of /api/v1/stream. Every input gives a
// message or an error text; an accepted one satisfies the protocol's bounds.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/assert.h"
#include "http/live_protocol.h"
#include "http/query.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace mdsp::http;
    static const auto intervals = mdsp::model::default_intervals();
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    auto r = parse_client_message(in, intervals);
    if (auto* m = std::get_if<client_message>(&r)) {
        if (m->chan == client_message::channel::candles) {
            MDSP_ASSERT(!m->symbol.empty() && m->symbol.size() <= max_symbol_bytes, "symbol '{}'", m->symbol);
            bool known = false;
            for (const auto& i : intervals) {
                known = known || i == m->interval;
            }
            MDSP_ASSERT(known, "interval {}", m->interval.micros());
        }
    } else {
        MDSP_ASSERT(!std::get<std::string>(r).empty(), "an error without a message");
    }
    return 0;
}
