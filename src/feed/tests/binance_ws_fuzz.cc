// libFuzzer target: the Binance trade-stream message parser on arbitrary
// bytes. A trade that parses must give a usable tick; anything else is
// skipped or reported with a reason.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "feed/internal/ws_messages.h"

namespace {
void check(bool ok) {
    if (!ok) {
        std::abort();
    }
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace mdsp::feed::internal;
    static binance_parser parser;
    const std::string_view msg(reinterpret_cast<const char*>(data), size);
    mdsp::model::tick t;
    bool maker = false;
    std::string error;
    switch (parser.parse(msg, t, maker, error)) {
    case line_outcome::tick:
        check(std::isfinite(t.price) && t.price > 0 && !t.symbol.empty());
        check(t.size && std::isfinite(*t.size) && *t.size >= 0);
        check(t.trade_id && *t.trade_id >= 0 && t.seq() == *t.trade_id);
        check(t.event_time() >= 0);
        break;
    case line_outcome::malformed:
        check(!error.empty());
        break;
    case line_outcome::skip:
        break;
    }
    return 0;
}
