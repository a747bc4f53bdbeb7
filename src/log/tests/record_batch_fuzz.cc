// Decodes arbitrary bytes as concatenated RecordBatch v2 batches. The first
// byte chooses whether CRCs are checked (random bytes rarely match one, so
// without this the record decoder would be out of reach). Every record's
// headers are read as well.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "log/record_batch.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace mdsp::log;
    if (size == 0) {
        return 0;
    }
    const bool verify_crc = (data[0] & 1) != 0;
    std::span<const char> bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
    constexpr size_t max_batch = 1 << 20;
    batch_iterator it(bytes, max_batch);
    batch_header h;
    std::span<const char> one;
    size_t sink = 0;
    while (true) {
        auto more = it.next(h, one);
        if (!more || !*more) {
            break;
        }
        auto reader = record_reader::open(one, max_batch, verify_crc);
        if (!reader) {
            continue;
        }
        record_view v;
        while (true) {
            auto n = reader->next(v);
            if (!n || !*n) {
                break;
            }
            sink += v.key ? v.key->size() : 0;
            sink += v.value ? v.value->size() : 0;
            // The headers the record reader validated, decoded again (bounded).
            std::vector<header_view> hs;
            read_headers(v, hs, 64);
            sink += hs.size();
        }
    }
    return sink == SIZE_MAX ? 1 : 0;
}
