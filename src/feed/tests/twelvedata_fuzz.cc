// libFuzzer target: the TwelveData JSON line parser on arbitrary bytes. A
// price event that parses must give a usable tick; anything else is skipped
// or reported with a reason.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "feed/internal/line_parser.h"

namespace {
void check(bool ok) {
    if (!ok) {
        std::abort();
    }
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace mdsp::feed::internal;
    static twelvedata_parser parser; // reused, as the replay does
    const std::string_view line(reinterpret_cast<const char*>(data), size);
    mdsp::model::tick t;
    std::string error;
    switch (parser.parse(line, t, error)) {
    case line_outcome::tick:
        check(std::isfinite(t.price) && t.price > 0 && !t.symbol.empty());
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
    return 0;
}
