#include "store/internal/codec.h"

#include <algorithm>
#include <cstring>

namespace mdsp::store::internal {

namespace {

constexpr uint64_t sign_bit = uint64_t{1} << 63;

// Field presence bits of one encoded tick.
constexpr uint32_t has_size = 1U << 0;
constexpr uint32_t has_day_volume = 1U << 1;
constexpr uint32_t has_bid = 1U << 2;
constexpr uint32_t has_ask = 1U << 3;
constexpr uint32_t has_trade_id = 1U << 4;
constexpr uint32_t has_exchange = 1U << 5;
constexpr uint32_t has_mic_code = 1U << 6;
constexpr uint32_t has_asset_type = 1U << 7;
constexpr uint32_t has_currency = 1U << 8;
// source, exchange, mic_code, asset_type and currency equal the previous
// tick's in the chunk and are not repeated.
constexpr uint32_t same_strings = 1U << 9;

constexpr uint64_t zigzag(int64_t v) noexcept {
    return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
constexpr int64_t unzigzag(uint64_t v) noexcept {
    return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}
// Differences of int64 values wrap (two's complement) instead of overflowing.
constexpr int64_t wrap_sub(int64_t a, int64_t b) noexcept {
    return static_cast<int64_t>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
}
constexpr int64_t wrap_add(int64_t a, int64_t b) noexcept {
    return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}

// Writes into a caller's buffer with room for the worst case.
struct buf_writer {
    char* p;
    void varint(uint64_t v) noexcept {
        while (v >= 0x80) {
            *p++ = static_cast<char>(v | 0x80);
            v >>= 7;
        }
        *p++ = static_cast<char>(v);
    }
    void svarint(int64_t v) noexcept { varint(zigzag(v)); }
    void f64(double d) noexcept {
        std::memcpy(p, &d, 8);
        p += 8;
    }
};

struct reader {
    const char* p;
    const char* end;
    bool ok = true;

    uint64_t varint() noexcept {
        uint64_t v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (p == end) {
                ok = false;
                return 0;
            }
            auto b = static_cast<uint8_t>(*p++);
            v |= static_cast<uint64_t>(b & 0x7f) << shift;
            if (b < 0x80) {
                return v;
            }
        }
        ok = false;
        return 0;
    }
    int64_t svarint() noexcept { return unzigzag(varint()); }
    double f64() noexcept {
        double d = 0;
        if (end - p < 8) {
            ok = false;
            return 0;
        }
        std::memcpy(&d, p, 8);
        p += 8;
        return d;
    }
    std::string str() {
        uint64_t n = varint();
        if (!ok || static_cast<uint64_t>(end - p) < n) {
            ok = false;
            return {};
        }
        std::string s(p, n);
        p += n;
        return s;
    }
};

void put_str(std::string& out, const std::string& s) {
    char tmp[10];
    buf_writer w{tmp};
    w.varint(s.size());
    out.append(tmp, static_cast<size_t>(w.p - tmp));
    out.append(s);
}

bool strings_equal(const model::tick& a, const model::tick& b) {
    return a.source == b.source && a.exchange == b.exchange && a.mic_code == b.mic_code
           && a.asset_type == b.asset_type && a.currency == b.currency;
}

} // namespace

bool valid_symbol(std::string_view s) noexcept {
    return !s.empty() && std::memchr(s.data(), '\0', s.size()) == nullptr;
}

void put_ordered_i64(std::string& out, int64_t v) {
    put_be64(out, static_cast<uint64_t>(v) ^ sign_bit);
}

int64_t get_ordered_i64(const char* p) noexcept {
    return static_cast<int64_t>(get_be64(p) ^ sign_bit);
}

void put_be64(std::string& out, uint64_t v) {
    char b[8];
    for (int i = 7; i >= 0; --i) {
        b[i] = static_cast<char>(v & 0xff);
        v >>= 8;
    }
    out.append(b, 8);
}

uint64_t get_be64(const char* p) noexcept {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) {
        v = (v << 8) | static_cast<uint8_t>(p[i]);
    }
    return v;
}

std::string tick_bucket_prefix(std::string_view symbol, int64_t bucket) {
    std::string k;
    k.reserve(symbol.size() + 17);
    k.append(symbol);
    k.push_back('\0');
    put_ordered_i64(k, bucket);
    return k;
}

std::string tick_chunk_key(std::string_view symbol, int64_t bucket, uint64_t chunk_id) {
    std::string k = tick_bucket_prefix(symbol, bucket);
    put_be64(k, chunk_id);
    return k;
}

std::string candle_series_prefix(std::string_view symbol, int64_t interval_micros) {
    std::string k;
    k.reserve(symbol.size() + 17);
    k.append(symbol);
    k.push_back('\0');
    put_ordered_i64(k, interval_micros);
    return k;
}

void append_candle_key(std::string& out, std::string_view symbol, int64_t interval_micros,
                       int64_t window_start) {
    out.append(symbol);
    out.push_back('\0');
    put_ordered_i64(out, interval_micros);
    put_ordered_i64(out, window_start);
}

std::string candle_key(std::string_view symbol, int64_t interval_micros, int64_t window_start) {
    std::string k;
    k.reserve(symbol.size() + 17 + 8); // one allocation
    append_candle_key(k, symbol, interval_micros, window_start);
    return k;
}

std::optional<tick_chunk_key_parts> parse_tick_chunk_key(std::string_view key) noexcept {
    if (key.size() < 18 || key[key.size() - 17] != '\0') {
        return std::nullopt;
    }
    tick_chunk_key_parts parts;
    parts.symbol = key.substr(0, key.size() - 17);
    parts.bucket = get_ordered_i64(key.data() + key.size() - 16);
    parts.chunk_id = get_be64(key.data() + key.size() - 8);
    if (!valid_symbol(parts.symbol)) {
        return std::nullopt;
    }
    return parts;
}

std::optional<candle_key_parts> parse_candle_key(std::string_view key) noexcept {
    if (key.size() < 18 || key[key.size() - 17] != '\0') {
        return std::nullopt;
    }
    candle_key_parts parts;
    parts.symbol = key.substr(0, key.size() - 17);
    parts.interval_micros = get_ordered_i64(key.data() + key.size() - 16);
    parts.window_start = get_ordered_i64(key.data() + key.size() - 8);
    if (!valid_symbol(parts.symbol)) {
        return std::nullopt;
    }
    return parts;
}

void encode_ticks(std::string& out, int64_t base, std::span<const model::tick* const> ticks) {
    // Fixed part of one tick at most: flags 2 + 3 varints of 10 + 5 doubles + trade id 10.
    constexpr size_t max_fixed = 2 + 30 + 40 + 10;
    char tmp[max_fixed + 10];
    buf_writer w{tmp};
    w.varint(ticks.size());
    out.append(tmp, static_cast<size_t>(w.p - tmp));

    int64_t prev_time = base;
    int64_t prev_seq = 0;
    int64_t prev_trade = 0;
    const model::tick* prev = nullptr;
    for (const model::tick* tp : ticks) {
        const model::tick& t = *tp;
        uint32_t flags = 0;
        flags |= t.size ? has_size : 0;
        flags |= t.day_volume ? has_day_volume : 0;
        flags |= t.bid ? has_bid : 0;
        flags |= t.ask ? has_ask : 0;
        flags |= t.trade_id ? has_trade_id : 0;
        flags |= t.exchange ? has_exchange : 0;
        flags |= t.mic_code ? has_mic_code : 0;
        flags |= t.asset_type ? has_asset_type : 0;
        flags |= t.currency ? has_currency : 0;
        const bool same = prev != nullptr && strings_equal(t, *prev);
        flags |= same ? same_strings : 0;

        w.p = tmp;
        w.varint(flags);
        w.svarint(wrap_sub(t.event_time(), prev_time));
        w.svarint(wrap_sub(t.ingest_time(), t.event_time()));
        w.svarint(wrap_sub(t.seq(), prev_seq));
        w.f64(t.price);
        if (t.size) {
            w.f64(*t.size);
        }
        if (t.day_volume) {
            w.f64(*t.day_volume);
        }
        if (t.bid) {
            w.f64(*t.bid);
        }
        if (t.ask) {
            w.f64(*t.ask);
        }
        if (t.trade_id) {
            w.svarint(wrap_sub(*t.trade_id, prev_trade));
            prev_trade = *t.trade_id;
        }
        out.append(tmp, static_cast<size_t>(w.p - tmp));
        if (!same) {
            put_str(out, t.source);
            for (const auto* s : {&t.exchange, &t.mic_code, &t.asset_type, &t.currency}) {
                if (*s) {
                    put_str(out, **s);
                }
            }
        }
        prev_time = t.event_time();
        prev_seq = t.seq();
        prev = &t;
    }
}

namespace {
bool decode_ticks_into(std::string_view in, int64_t base, std::string_view symbol,
                       std::vector<model::tick>& out) {
    reader r{in.data(), in.data() + in.size()};
    const uint64_t n = r.varint();
    // Each tick takes at least 12 bytes; a larger count is corruption.
    if (!r.ok || n > in.size() / 12 + 1) {
        return false;
    }
    const size_t first = out.size();
    // Grow geometrically: an exact reserve per chunk would reallocate (and
    // move every tick so far) once per chunk of a range query.
    if (out.capacity() < first + n) {
        out.reserve(std::max<size_t>(first + n, out.capacity() * 2));
    }
    int64_t prev_time = base;
    int64_t prev_seq = 0;
    int64_t prev_trade = 0;
    for (uint64_t i = 0; i < n; ++i) {
        const uint64_t flags = r.varint();
        if (!r.ok || flags >= (same_strings << 1) || ((flags & same_strings) && i == 0)) {
            return false;
        }
        model::tick& t = out.emplace_back();
        t.symbol = symbol;
        const int64_t et = wrap_add(prev_time, r.svarint());
        t.event_time = mdsp::event_time(et);
        t.ingest_time = mdsp::ingest_time(wrap_add(et, r.svarint()));
        t.seq = mdsp::sequence(wrap_add(prev_seq, r.svarint()));
        t.price = r.f64();
        if (flags & has_size) {
            t.size = r.f64();
        }
        if (flags & has_day_volume) {
            t.day_volume = r.f64();
        }
        if (flags & has_bid) {
            t.bid = r.f64();
        }
        if (flags & has_ask) {
            t.ask = r.f64();
        }
        if (flags & has_trade_id) {
            prev_trade = wrap_add(prev_trade, r.svarint());
            t.trade_id = prev_trade;
        }
        if (flags & same_strings) {
            const model::tick& p = out[out.size() - 2];
            t.source = p.source;
            t.exchange = p.exchange;
            t.mic_code = p.mic_code;
            t.asset_type = p.asset_type;
            t.currency = p.currency;
            // The presence bits must agree with the strings they stand for.
            if (t.exchange.has_value() != bool(flags & has_exchange)
                || t.mic_code.has_value() != bool(flags & has_mic_code)
                || t.asset_type.has_value() != bool(flags & has_asset_type)
                || t.currency.has_value() != bool(flags & has_currency)) {
                return false;
            }
        } else {
            t.source = r.str();
            if (flags & has_exchange) {
                t.exchange = r.str();
            }
            if (flags & has_mic_code) {
                t.mic_code = r.str();
            }
            if (flags & has_asset_type) {
                t.asset_type = r.str();
            }
            if (flags & has_currency) {
                t.currency = r.str();
            }
        }
        if (!r.ok) {
            return false;
        }
        prev_time = et;
        prev_seq = t.seq();
    }
    return r.p == r.end;
}
} // namespace

bool decode_ticks(std::string_view in, int64_t base, std::string_view symbol, std::vector<model::tick>& out) {
    const size_t first = out.size();
    if (!decode_ticks_into(in, base, symbol, out)) {
        out.resize(first);
        return false;
    }
    return true;
}

void encode_candle(std::string& out, const model::candle& c) {
    char tmp[1 + 48 + 10 * 4 + 1];
    buf_writer w{tmp};
    w.f64(c.open);
    w.f64(c.high);
    w.f64(c.low);
    w.f64(c.close);
    w.f64(c.volume);
    w.f64(c.vwap);
    w.svarint(c.trade_count);
    w.svarint(wrap_sub(c.first_event_time(), c.window_start()));
    w.svarint(wrap_sub(c.last_event_time(), c.window_start()));
    w.svarint(c.revision);
    *w.p++ = static_cast<char>((c.final ? 1 : 0) | (c.backfilled ? 2 : 0) | (c.spike ? 4 : 0));
    out.append(tmp, static_cast<size_t>(w.p - tmp));
}

bool decode_candle(std::string_view in, model::candle& c) {
    reader r{in.data(), in.data() + in.size()};
    c.open = r.f64();
    c.high = r.f64();
    c.low = r.f64();
    c.close = r.f64();
    c.volume = r.f64();
    c.vwap = r.f64();
    c.trade_count = r.svarint();
    c.first_event_time = mdsp::event_time(wrap_add(c.window_start(), r.svarint()));
    c.last_event_time = mdsp::event_time(wrap_add(c.window_start(), r.svarint()));
    c.revision = r.svarint();
    if (!r.ok || r.end - r.p != 1 || static_cast<uint8_t>(*r.p) > 7) {
        return false;
    }
    c.final = (*r.p & 1) != 0;
    c.backfilled = (*r.p & 2) != 0;
    c.spike = (*r.p & 4) != 0;
    return true;
}

} // namespace mdsp::store::internal
