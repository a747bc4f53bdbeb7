#include "model/codec.h"

#include "model/avro.h"
#include "model/interval.h"

namespace mdsp::model {

namespace {
// Upper bound of a record's encoding apart from its strings: every long at
// its 10-byte maximum, every union index, every double. Generous on purpose.
constexpr size_t tick_fixed_bound = 16 * (avro::max_long_bytes + 8);
constexpr size_t candle_fixed_bound = 16 * (avro::max_long_bytes + 8);
constexpr size_t dead_letter_fixed_bound = 8 * (avro::max_long_bytes + 8);

size_t opt_size(const std::optional<std::string>& s) {
    return s ? s->size() : 0;
}

// The names of the widths the pipeline uses, without building a string.
std::string_view common_interval_name(interval iv) {
    switch (iv.micros()) {
    case 1'000'000:
        return "1s";
    case 60'000'000:
        return "1m";
    case 300'000'000:
        return "5m";
    case 900'000'000:
        return "15m";
    case 3'600'000'000:
        return "1h";
    case 86'400'000'000:
        return "1d";
    default:
        return {};
    }
}
} // namespace

void encode(const tick& t, std::string& out) {
    avro::writer w(out);
    w.reserve(tick_fixed_bound + t.symbol.size() + t.source.size() + opt_size(t.exchange)
              + opt_size(t.mic_code) + opt_size(t.asset_type) + opt_size(t.currency));
    w.write_string(t.symbol);
    w.write_string(t.source);
    w.write_optional_string(t.exchange);
    w.write_optional_string(t.mic_code);
    w.write_optional_string(t.asset_type);
    w.write_optional_string(t.currency);
    w.write_long(t.event_time());
    w.write_long(t.ingest_time());
    w.write_double(t.price);
    w.write_optional_double(t.size);
    w.write_optional_double(t.day_volume);
    w.write_optional_double(t.bid);
    w.write_optional_double(t.ask);
    w.write_optional_long(t.trade_id);
    w.write_long(t.seq());
}

void encode(const candle& c, std::string& out) {
    std::string other_name;
    std::string_view iv_name = common_interval_name(c.interval);
    if (iv_name.empty()) {
        other_name = c.interval.name();
        iv_name = other_name;
    }
    avro::writer w(out);
    w.reserve(candle_fixed_bound + c.symbol.size() + iv_name.size());
    w.write_string(c.symbol);
    w.write_string(iv_name);
    w.write_long(c.window_start());
    w.write_double(c.open);
    w.write_double(c.high);
    w.write_double(c.low);
    w.write_double(c.close);
    w.write_double(c.volume);
    w.write_double(c.vwap);
    w.write_long(c.trade_count);
    w.write_long(c.first_event_time());
    w.write_long(c.last_event_time());
    w.write_boolean(c.final);
    w.write_long(c.revision);
    w.write_boolean(c.backfilled);
    w.write_boolean(c.spike);
}

void encode(const dead_letter& d, std::string& out) {
    avro::writer w(out);
    w.reserve(dead_letter_fixed_bound + d.source_topic.size() + d.error_kind.size() + d.message.size()
              + d.raw.size());
    w.write_string(d.source_topic);
    w.write_int(d.source_partition);
    w.write_long(d.source_offset);
    w.write_string(d.error_kind);
    w.write_string(d.message);
    w.write_bytes(d.raw);
    w.write_long(d.time);
}

result<void> decode(std::string_view payload, tick& t) {
    avro::reader r(payload);
    int64_t event_us = 0;
    int64_t ingest_us = 0;
    int64_t seq = 0;
    bool good = r.read_string(t.symbol, "tick.symbol", max_string_bytes)
                && r.read_string(t.source, "tick.source", max_string_bytes)
                && r.read_optional_string(t.exchange, "tick.exchange", max_string_bytes)
                && r.read_optional_string(t.mic_code, "tick.mic_code", max_string_bytes)
                && r.read_optional_string(t.asset_type, "tick.asset_type", max_string_bytes)
                && r.read_optional_string(t.currency, "tick.currency", max_string_bytes)
                && r.read_long(event_us, "tick.event_time") && r.read_long(ingest_us, "tick.ingest_time")
                && r.read_double(t.price, "tick.price") && r.read_optional_double(t.size, "tick.size")
                && r.read_optional_double(t.day_volume, "tick.day_volume")
                && r.read_optional_double(t.bid, "tick.bid") && r.read_optional_double(t.ask, "tick.ask")
                && r.read_optional_long(t.trade_id, "tick.trade_id") && r.read_long(seq, "tick.seq")
                && r.expect_end("tick");
    if (!good) [[unlikely]] {
        return r.take_error();
    }
    t.event_time = mdsp::event_time(event_us);
    t.ingest_time = mdsp::ingest_time(ingest_us);
    t.seq = mdsp::sequence(seq);
    return mdsp::ok();
}

result<void> decode(std::string_view payload, candle& c) {
    avro::reader r(payload);
    std::string_view iv_name;
    int64_t window_start = 0;
    int64_t first_us = 0;
    int64_t last_us = 0;
    bool good = r.read_string(c.symbol, "candle.symbol", max_string_bytes)
                && r.read_string_view(iv_name, "candle.interval", max_string_bytes);
    if (!good) [[unlikely]] {
        return r.take_error();
    }
    size_t iv_end = r.position();
    auto iv = interval::parse(iv_name);
    if (!iv) [[unlikely]] {
        return make_error(
            errc::bad_value,
            "candle.interval: \"{}\" (ending at byte {}) is not an interval: expected a positive "
            "<n><us|ms|s|m|h|d> such as 1s, 1m, 5m, 1h, 1d",
            iv_name.substr(0, 64), iv_end);
    }
    c.interval = *iv;
    good = r.read_long(window_start, "candle.window_start") && r.read_double(c.open, "candle.open")
           && r.read_double(c.high, "candle.high") && r.read_double(c.low, "candle.low")
           && r.read_double(c.close, "candle.close") && r.read_double(c.volume, "candle.volume")
           && r.read_double(c.vwap, "candle.vwap") && r.read_long(c.trade_count, "candle.trade_count")
           && r.read_long(first_us, "candle.first_event_time")
           && r.read_long(last_us, "candle.last_event_time") && r.read_boolean(c.final, "candle.final")
           && r.read_long(c.revision, "candle.revision")
           && r.read_boolean(c.backfilled, "candle.backfilled")
           // spike came with a later version of the schema (default false):
           // a candle written before it ends here.
           && ((c.spike = false, r.at_end()) || r.read_boolean(c.spike, "candle.spike"))
           && r.expect_end("candle");
    if (!good) [[unlikely]] {
        return r.take_error();
    }
    c.window_start = mdsp::event_time(window_start);
    c.first_event_time = mdsp::event_time(first_us);
    c.last_event_time = mdsp::event_time(last_us);
    return mdsp::ok();
}

result<void> decode(std::string_view payload, dead_letter& d) {
    avro::reader r(payload);
    bool good = r.read_string(d.source_topic, "dead_letter.source_topic", max_string_bytes)
                && r.read_int(d.source_partition, "dead_letter.source_partition")
                && r.read_long(d.source_offset, "dead_letter.source_offset")
                && r.read_string(d.error_kind, "dead_letter.error_kind", max_string_bytes)
                && r.read_string(d.message, "dead_letter.message", max_string_bytes)
                && r.read_bytes(d.raw, "dead_letter.raw", max_dead_letter_raw_bytes)
                && r.read_long(d.time, "dead_letter.time") && r.expect_end("dead_letter");
    if (!good) [[unlikely]] {
        return r.take_error();
    }
    return mdsp::ok();
}

result<tick> decode_tick(std::string_view payload) {
    tick t;
    if (auto r = decode(payload, t); !r) [[unlikely]] {
        return r.error();
    }
    return t;
}

result<candle> decode_candle(std::string_view payload) {
    candle c;
    if (auto r = decode(payload, c); !r) [[unlikely]] {
        return r.error();
    }
    return c;
}

result<dead_letter> decode_dead_letter(std::string_view payload) {
    dead_letter d;
    if (auto r = decode(payload, d); !r) [[unlikely]] {
        return r.error();
    }
    return d;
}

} // namespace mdsp::model
