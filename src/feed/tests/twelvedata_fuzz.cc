// libFuzzer target: the JSON line parser on arbitrary bytes, as the replay
// (TwelveData events and plain trades) and as the live TwelveData connector
// (events only) use it. A line that parses must give a usable tick; anything
// else is skipped or reported with a reason.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "base/time.h"
#include "feed/internal/line_parser.h"

namespace {
void check(bool ok) {
    if (!ok) {
        std::abort();
    }
}
void check_one(mdsp::feed::internal::json_line_parser& parser, std::string_view line, bool events_only) {
    using namespace mdsp::feed::internal;
    mdsp::model::tick t;
    std::string error;
    switch (parser.parse(line, t, error)) {
    case line_outcome::tick:
        // A plain trade may leave the symbol to the caller (--symbol).
        check(std::isfinite(t.price) && t.price > 0 && (!events_only || !t.symbol.empty()));
        check(t.event_time() >= 0 && t.event_time() <= mdsp::max_time_micros);
        check(!t.size || (std::isfinite(*t.size) && *t.size >= 0));
        check(!t.bid || (std::isfinite(*t.bid) && *t.bid >= 0));
        check(!t.ask || (std::isfinite(*t.ask) && *t.ask >= 0));
        check(!t.day_volume || (std::isfinite(*t.day_volume) && *t.day_volume >= 0));
        break;
    case line_outcome::malformed:
        check(!error.empty());
        break;
    case line_outcome::skip:
        break;
    }
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace mdsp::feed::internal;
    // Reused, as the replay and the connector do.
    static json_line_parser any(json_objects::any);
    static json_line_parser events(json_objects::twelvedata);
    const std::string_view line(reinterpret_cast<const char*>(data), size);
    for (auto* parser : {&any, &events}) {
        check_one(*parser, line, parser == &events);
    }
    return 0;
}
