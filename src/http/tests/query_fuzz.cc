// libFuzzer target: request targets through the same decoding and validation
// the API routes use. Checks the invariants of every accepted query.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/assert.h"
#include "http/query.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace mdsp::http;
    static const auto intervals = mdsp::model::default_intervals();
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    // Inputs are either a whole target or just a query string.
    auto t = parse_target(in.starts_with("/") ? std::string(in) : "/api/v1/candles?" + std::string(in));
    if (!t) {
        return 0;
    }
    auto check_range = [](const mdsp::store::range& r, bool has_from, bool has_to) {
        MDSP_ASSERT(r.limit >= 1 && r.limit <= max_limit, "limit {}", r.limit);
        MDSP_ASSERT(!(has_from && has_to) || r.from < r.to, "from {} to {}", r.from, r.to);
        MDSP_ASSERT(r.tail == !has_from, "tail without from");
    };
    const bool has_from = find_param(t->query, "from").has_value();
    const bool has_to = find_param(t->query, "to").has_value();
    auto c = parse_candles_query(t->query, intervals);
    if (auto* q = std::get_if<candles_query>(&c)) {
        MDSP_ASSERT(!q->symbol.empty() && q->symbol.size() <= max_symbol_bytes, "symbol '{}'", q->symbol);
        bool known = false;
        for (const auto& iv : intervals) {
            known = known || iv == q->interval;
        }
        MDSP_ASSERT(known, "interval {}", q->interval.micros());
        check_range(q->range, has_from, has_to);
    } else {
        const auto& e = std::get<bad_parameter>(c);
        MDSP_ASSERT(!e.parameter.empty() && !e.message.empty(), "an error without a name or message");
    }
    auto tk = parse_ticks_query(t->query);
    if (auto* q = std::get_if<ticks_query>(&tk)) {
        check_range(q->range, has_from, has_to);
    }
    auto l = parse_latest_query(t->query);
    if (auto* s = std::get_if<std::optional<std::string>>(&l); s && *s) {
        MDSP_ASSERT(!(*s)->empty(), "empty latest symbol");
    }
    return 0;
}
