// Decodes arbitrary bytes as each model record, plain and framed. A decode
// must fail cleanly (an error with a message) or give a record that
// re-encodes to bytes which decode to the same record and re-encode to the
// same bytes.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/assert.h"
#include "model/codec.h"
#include "model/framing.h"

namespace {
using namespace mdsp::model;

bool has_nan(const tick& t) {
    auto nan = [](const std::optional<double>& v) { return v && std::isnan(*v); };
    return std::isnan(t.price) || nan(t.size) || nan(t.day_volume) || nan(t.bid) || nan(t.ask);
}
bool has_nan(const candle& c) {
    for (double v : {c.open, c.high, c.low, c.close, c.volume, c.vwap}) {
        if (std::isnan(v)) {
            return true;
        }
    }
    return false;
}
bool has_nan(const dead_letter&) {
    return false;
}

// Bytes a record of an older schema version may lack: fields added since,
// with defaults, that re-encoding writes (Candle.spike, one boolean).
size_t added_since(const candle&) {
    return 1;
}
size_t added_since(const tick&) {
    return 0;
}
size_t added_since(const dead_letter&) {
    return 0;
}

template<typename T, typename Decode>
void check(std::string_view in, Decode decode_fn, const char* what) {
    auto first = decode_fn(in);
    if (!first) {
        MDSP_ASSERT(!first.error().message.empty() && first.error().code.category() == error_category(),
                    "{}: an error without a message or of another category", what);
        return;
    }
    std::string once;
    encode(*first, once);
    MDSP_ASSERT(once.size() <= in.size() + added_since(*first), "{}: re-encoding grew from {} to {} bytes",
                what, in.size(), once.size());
    auto second = decode_fn(once);
    MDSP_ASSERT(second.has_value(), "{}: our own encoding does not decode: {}", what,
                second ? std::string() : second.error().what());
    std::string twice;
    encode(*second, twice);
    MDSP_ASSERT(once == twice, "{}: re-encoding is not stable", what);
    // NaN != NaN; for those the byte comparison above is the equality check.
    MDSP_ASSERT(*first == *second || has_nan(*first), "{}: decodes differently after a round trip", what);
}

template<typename T, typename Decode>
void check_framed(std::string_view in, Decode decode_framed, const char* what) {
    auto r = decode_framed(in);
    if (!r) {
        return;
    }
    std::string f;
    encode_framed(*r, f);
    MDSP_ASSERT(f.substr(0, frame_header_size) == in.substr(0, frame_header_size),
                "{}: framed header changed", what);
    auto again = decode_framed(f);
    MDSP_ASSERT(again && (*again == *r || has_nan(*r)), "{}: framed round trip differs", what);
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    check<tick>(
        in, [](std::string_view b) { return decode_tick(b); }, "tick");
    check<candle>(
        in, [](std::string_view b) { return decode_candle(b); }, "candle");
    check<dead_letter>(
        in, [](std::string_view b) { return decode_dead_letter(b); }, "dead_letter");
    check_framed<tick>(
        in, [](std::string_view b) { return decode_framed_tick(b); }, "tick");
    check_framed<candle>(
        in, [](std::string_view b) { return decode_framed_candle(b); }, "candle");
    check_framed<dead_letter>(
        in, [](std::string_view b) { return decode_framed_dead_letter(b); }, "dead_letter");
    return 0;
}
