#include "log/record_batch.h"

#include <algorithm>
#include <cstring>

#include "log/crc32c.h"
#include "log/internal/bytes.h"

namespace mdsp::log {

using namespace internal;

std::string_view compression_name(int codec) noexcept {
    switch (codec) {
    case 0:
        return "none";
    case 1:
        return "gzip";
    case 2:
        return "snappy";
    case 3:
        return "lz4";
    case 4:
        return "zstd";
    default:
        return "unknown";
    }
}

result<batch_header> parse_batch_header(std::span<const char> bytes, size_t max_batch_bytes) {
    if (bytes.size() < batch_header_size) {
        return make_error(errc::corrupt, "record batch header needs {} bytes, only {} present",
                          batch_header_size, bytes.size());
    }
    const char* p = bytes.data();
    batch_header h;
    h.base_offset = int64_t(get_u64(p));
    h.batch_length = int32_t(get_u32(p + 8));
    h.partition_leader_epoch = int32_t(get_u32(p + 12));
    h.magic = int8_t(p[16]);
    h.crc = get_u32(p + 17);
    h.attributes = int16_t(get_u16(p + 21));
    h.last_offset_delta = int32_t(get_u32(p + 23));
    h.base_timestamp = int64_t(get_u64(p + 27));
    h.max_timestamp = int64_t(get_u64(p + 35));
    h.producer_id = int64_t(get_u64(p + 43));
    h.producer_epoch = int16_t(get_u16(p + 51));
    h.base_sequence = int32_t(get_u32(p + 53));
    h.record_count = int32_t(get_u32(p + 57));

    if (h.magic != magic_v2) {
        return make_error(errc::unsupported,
                          "record batch at offset {} has magic {}; only magic 2 (Kafka 0.11+) is supported",
                          h.base_offset, int(h.magic));
    }
    if (h.batch_length < int32_t(min_batch_length)
        || size_t(h.batch_length) + log_overhead > max_batch_bytes) {
        return make_error(errc::corrupt, "record batch at offset {} has batchLength {}, outside [{}, {}]",
                          h.base_offset, h.batch_length, min_batch_length, max_batch_bytes - log_overhead);
    }
    if (h.base_offset < 0 || h.last_offset_delta < 0 || h.record_count < 0
        || h.base_offset > INT64_MAX - h.last_offset_delta) {
        return make_error(
            errc::corrupt,
            "record batch has baseOffset {}, lastOffsetDelta {}, recordsCount {}; none may be negative",
            h.base_offset, h.last_offset_delta, h.record_count);
    }
    return h;
}

bool crc_matches(const batch_header& h, std::span<const char> batch) noexcept {
    if (batch.size() < batch_header_size || batch.size() != h.size_bytes()) {
        return false;
    }
    return crc32c(batch.data() + attributes_offset, batch.size() - attributes_offset) == h.crc;
}

void set_base_offset(std::span<char> batch, int64_t base_offset) noexcept {
    put_u64(batch.data(), uint64_t(base_offset));
}

result<record_reader> record_reader::open(std::span<const char> batch, size_t max_batch_bytes,
                                          bool verify_crc) {
    auto h = parse_batch_header(batch, max_batch_bytes);
    if (!h) {
        return h.error();
    }
    if (batch.size() != h->size_bytes()) {
        return make_error(errc::corrupt, "record batch at offset {} is {} bytes, its header says {}",
                          h->base_offset, batch.size(), h->size_bytes());
    }
    if (verify_crc && !crc_matches(*h, batch)) {
        return make_error(errc::corrupt,
                          "record batch at offset {} fails its CRC-32C check (stored {:#010x})",
                          h->base_offset, h->crc);
    }
    if (h->codec() != 0) {
        return make_error(errc::unsupported,
                          "record batch at offset {} is compressed with {}; the embedded log reads only "
                          "uncompressed batches (produce with compression.type=none)",
                          h->base_offset, compression_name(h->codec()));
    }
    // Each record takes at least 7 bytes; a count beyond that cannot be right.
    if (size_t(h->record_count) > (batch.size() - batch_header_size) / 7) {
        return make_error(errc::corrupt, "record batch at offset {} claims {} records in {} bytes",
                          h->base_offset, h->record_count, batch.size() - batch_header_size);
    }
    return record_reader(*h, batch);
}

result<bool> record_reader::next(record_view& out) {
    auto corrupt = [this](std::string_view what) -> mdsp::error {
        return make_error(errc::corrupt, "record {} of the batch at offset {}: {}", _read, _h.base_offset,
                          what);
    };
    if (_read == _h.record_count) {
        if (_pos != _end) {
            return corrupt("bytes left over after the last record");
        }
        return false;
    }
    int32_t length = 0;
    const char* p = get_varint(_pos, _end, length);
    if (p == nullptr || length < 0 || length > _end - p) {
        return corrupt("record length is malformed or runs past the batch");
    }
    const char* rec_end = p + length;
    if (p == rec_end) {
        return corrupt("empty record");
    }
    ++p; // attributes (unused in v2)
    int64_t ts_delta = 0;
    int32_t offset_delta = 0;
    if ((p = get_varlong(p, rec_end, ts_delta)) == nullptr
        || (p = get_varint(p, rec_end, offset_delta)) == nullptr) {
        return corrupt("malformed timestamp or offset delta");
    }
    if (offset_delta < 0 || offset_delta > _h.last_offset_delta) {
        return corrupt("offset delta outside [0, lastOffsetDelta]");
    }
    auto bytes_field = [&](std::optional<std::string_view>& f) {
        return (p = get_bytes(p, rec_end, f)) != nullptr;
    };
    if (!bytes_field(out.key) || !bytes_field(out.value)) {
        return corrupt("key or value length is malformed or runs past the record");
    }
    int32_t headers = 0;
    if ((p = get_varint(p, rec_end, headers)) == nullptr || headers < 0 || headers > rec_end - p) {
        return corrupt("malformed header count");
    }
    const char* headers_begin = p;
    for (int32_t i = 0; i < headers; ++i) {
        std::optional<std::string_view> hk, hv;
        if (!bytes_field(hk) || !hk || !bytes_field(hv)) {
            return corrupt("malformed header");
        }
    }
    if (p != rec_end) {
        return corrupt("record length does not match its fields");
    }
    out.offset = mdsp::offset(_h.base_offset + offset_delta);
    // With LogAppendTime every record carries the batch's maxTimestamp.
    out.timestamp_ms =
        _h.log_append_time() ? _h.max_timestamp : int64_t(uint64_t(_h.base_timestamp) + uint64_t(ts_delta));
    out.header_count = headers;
    out.header_bytes = std::string_view(headers_begin, size_t(rec_end - headers_begin));
    _pos = rec_end;
    ++_read;
    return true;
}

void read_headers(const record_view& r, std::vector<header_view>& out, size_t max) {
    const char* p = r.header_bytes.data();
    const char* end = p + r.header_bytes.size();
    auto field = [&](std::optional<std::string_view>& f) { return (p = get_bytes(p, end, f)) != nullptr; };
    for (int32_t i = 0; i < r.header_count && out.size() < max; ++i) {
        std::optional<std::string_view> k, v;
        if (!field(k) || !k || !field(v)) {
            return; // not a record_reader's view: nothing more to trust
        }
        out.push_back({*k, v});
    }
}

result<bool> batch_iterator::next(batch_header& h, std::span<const char>& batch) {
    size_t left = _bytes.size() - _pos;
    if (left < batch_header_size) {
        return false;
    }
    auto r = parse_batch_header(_bytes.subspan(_pos), _max);
    if (!r) {
        return r.error();
    }
    if (r->size_bytes() > left) {
        return false;
    }
    h = *r;
    batch = _bytes.subspan(_pos, h.size_bytes());
    _pos += h.size_bytes();
    return true;
}

batch_builder::batch_builder(size_t max_batch_bytes)
  : _max(std::max(max_batch_bytes, batch_header_size + 32)) {
    reserve(std::min<size_t>(_max, 64 * 1024));
}

namespace {
// Bytes of a record after its length prefix.
size_t record_body_size(std::optional<std::string_view> key, std::optional<std::string_view> value,
                        int64_t timestamp_delta, int32_t offset_delta) noexcept {
    size_t body = 1 + varlong_size(timestamp_delta) + varlong_size(offset_delta);
    body += key ? varlong_size(int64_t(key->size())) + key->size() : 1;
    body += value ? varlong_size(int64_t(value->size())) + value->size() : 1;
    return body + 1; // header count 0
}
} // namespace

size_t batch_builder::record_size(std::optional<std::string_view> key, std::optional<std::string_view> value,
                                  int64_t timestamp_delta, int32_t offset_delta) noexcept {
    size_t body = record_body_size(key, value, timestamp_delta, offset_delta);
    return varlong_size(int64_t(body)) + body;
}

void batch_builder::reserve(size_t n) {
    if (n <= _cap) {
        return;
    }
    size_t cap = std::max(n, std::min(_max, _cap * 2));
    auto fresh = std::make_unique<char[]>(cap);
    if (_buf) {
        std::memcpy(fresh.get(), _buf.get(), _size);
    }
    _buf = std::move(fresh);
    _cap = cap;
}

bool batch_builder::add(std::optional<std::string_view> key, std::optional<std::string_view> value,
                        int64_t timestamp_ms) {
    if ((key && key->size() > _max) || (value && value->size() > _max)) {
        return false;
    }
    int64_t base_ts = _count == 0 ? timestamp_ms : _base_ts;
    int64_t ts_delta = int64_t(uint64_t(timestamp_ms) - uint64_t(base_ts));
    size_t body_len = record_body_size(key, value, ts_delta, _count);
    size_t n = varlong_size(int64_t(body_len)) + body_len;
    if (_size + n > _max) {
        return false;
    }
    reserve(_size + n);
    char* p = _buf.get() + _size;
    p = put_varlong(p, int64_t(body_len));
    *p++ = 0; // attributes
    p = put_varlong(p, ts_delta);
    p = put_varlong(p, _count);
    if (key) {
        p = put_varlong(p, int64_t(key->size()));
        if (!key->empty()) {
            std::memcpy(p, key->data(), key->size());
        }
        p += key->size();
    } else {
        p = put_varlong(p, -1);
    }
    if (value) {
        p = put_varlong(p, int64_t(value->size()));
        if (!value->empty()) {
            std::memcpy(p, value->data(), value->size());
        }
        p += value->size();
    } else {
        p = put_varlong(p, -1);
    }
    *p++ = 0; // no headers
    _size += n;
    if (_count == 0) {
        _base_ts = timestamp_ms;
        _max_ts = timestamp_ms;
    } else {
        _max_ts = std::max(_max_ts, timestamp_ms);
    }
    ++_count;
    return true;
}

std::span<char> batch_builder::finish() noexcept {
    char* p = _buf.get();
    put_u64(p, 0);                                          // baseOffset: stamped by the log
    put_u32(p + 8, uint32_t(_size - log_overhead));         // batchLength
    put_u32(p + 12, 0);                                     // partitionLeaderEpoch
    p[16] = char(magic_v2);                                 // magic
    put_u16(p + 21, 0);                                     // attributes: no compression, CreateTime
    put_u32(p + 23, uint32_t(_count > 0 ? _count - 1 : 0)); // lastOffsetDelta
    put_u64(p + 27, uint64_t(_base_ts));                    // baseTimestamp
    put_u64(p + 35, uint64_t(_max_ts));                     // maxTimestamp
    put_u64(p + 43, uint64_t(int64_t(-1)));                 // producerId
    put_u16(p + 51, uint16_t(int16_t(-1)));                 // producerEpoch
    put_u32(p + 53, uint32_t(int32_t(-1)));                 // baseSequence
    put_u32(p + 57, uint32_t(_count));                      // recordsCount
    put_u32(p + crc_offset, crc32c(p + attributes_offset, _size - attributes_offset));
    return {p, _size};
}

void batch_builder::reset() noexcept {
    _size = batch_header_size;
    _count = 0;
    _base_ts = 0;
    _max_ts = -1;
}

} // namespace mdsp::log
