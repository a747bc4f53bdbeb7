// libFuzzer target: TwelveData's WebSocket control events (subscribe-status,
// heartbeat, errors) on arbitrary bytes. Lists stay within their bound and a
// malformed message always says why.
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
    const std::string_view msg(reinterpret_cast<const char*>(data), size);
    twelvedata_event ev;
    std::string error;
    switch (parse_twelvedata_event(msg, ev, error)) {
    case line_outcome::malformed:
        check(!error.empty());
        break;
    default:
        check(ev.success.size() <= max_status_symbols && ev.fails.size() <= max_status_symbols);
        check(ev.message.size() <= 500);
        break;
    }
    return 0;
}
