// rocks_store's reads (rocks_store.h): candle and tick ranges, the latest
// prices, the symbols and the engine state; on any thread, beside writes.
#include <algorithm>

#include <rocksdb/db.h>
#include <rocksdb/iterator.h>

#include "store/internal/codec.h"
#include "store/internal/rocks_common.h"
#include "store/rocks_store.h"

namespace mdsp::store {

using internal::bad_symbol;
using internal::corrupt;
using internal::slice;
using internal::status_error;
using internal::tick_less;
using internal::valid_symbol;
using internal::view;

result<std::vector<model::candle>> rocks_store::candles(std::string_view symbol, model::interval iv,
                                                        const range& r) {
    if (auto c = check_open(); !c) {
        return c.error();
    }
    if (!valid_symbol(symbol)) {
        return bad_symbol(symbol);
    }
    if (iv.micros() <= 0) {
        return make_error(errc::bad_query, "interval {} us is not positive", iv.micros());
    }
    std::vector<model::candle> out;
    if (r.limit == 0 || r.from >= r.to) {
        return out;
    }
    const std::string lower = internal::candle_key(symbol, iv.micros(), r.from());
    const std::string upper = internal::candle_key(symbol, iv.micros(), r.to());
    rocksdb::Slice lo = slice(lower);
    rocksdb::Slice up = slice(upper);
    rocksdb::ReadOptions ro;
    ro.iterate_lower_bound = &lo;
    ro.iterate_upper_bound = &up;
    std::unique_ptr<rocksdb::Iterator> it(_db->NewIterator(ro, _candles));
    auto take = [&]() -> bool {
        auto parts = internal::parse_candle_key(view(it->key()));
        if (!parts) {
            return false;
        }
        model::candle& c = out.emplace_back();
        c.symbol = symbol;
        c.interval = iv;
        c.window_start = mdsp::event_time(parts->window_start);
        return internal::decode_candle(view(it->value()), c);
    };
    if (r.tail) {
        for (it->SeekToLast(); it->Valid() && out.size() < r.limit; it->Prev()) {
            if (!take()) {
                return corrupt("a candle of " + std::string(symbol), _dir);
            }
        }
        std::reverse(out.begin(), out.end());
    } else {
        for (it->Seek(lo); it->Valid() && out.size() < r.limit; it->Next()) {
            if (!take()) {
                return corrupt("a candle of " + std::string(symbol), _dir);
            }
        }
    }
    if (!it->status().ok()) {
        return status_error(it->status(), "reading candles", _dir);
    }
    return out;
}

result<std::vector<model::tick>> rocks_store::ticks(std::string_view symbol, const range& r) {
    if (auto c = check_open(); !c) {
        return c.error();
    }
    if (!valid_symbol(symbol)) {
        return bad_symbol(symbol);
    }
    std::vector<model::tick> out;
    if (r.limit == 0 || r.from >= r.to) {
        return out;
    }
    const int64_t first_bucket = internal::tick_bucket(r.from());
    const int64_t last_bucket = internal::tick_bucket(r.to() - 1);
    const std::string lower = internal::tick_bucket_prefix(symbol, first_bucket);
    // Above every chunk key of the last bucket (their suffix is 8 bytes).
    const std::string upper = internal::tick_bucket_prefix(symbol, last_bucket) + std::string(9, '\xff');
    rocksdb::Slice lo = slice(lower);
    rocksdb::Slice up = slice(upper);
    rocksdb::ReadOptions ro;
    ro.iterate_lower_bound = &lo;
    ro.iterate_upper_bound = &up;
    std::unique_ptr<rocksdb::Iterator> it(_db->NewIterator(ro, _ticks));

    // Whole buckets are read until the limit is met; within a bucket chunks are
    // decoded oldest write first, and of rows with the same (event_time, seq)
    // (a rewrite, as after a replay) the last written wins, as an upsert
    // keyed by the primary key would.
    std::vector<std::string> chunk_values;
    int64_t bucket = 0;
    std::string_view sym = symbol;
    auto finish_bucket = [&]() -> bool {
        if (r.tail) {
            std::reverse(chunk_values.begin(), chunk_values.end());
        }
        const size_t begin = out.size();
        for (const auto& v : chunk_values) {
            if (!internal::decode_ticks(v, internal::tick_bucket_base(bucket), sym, out)) {
                return false;
            }
        }
        chunk_values.clear();
        auto first = out.begin() + static_cast<ptrdiff_t>(begin);
        auto kept = std::remove_if(first, out.end(), [&](const model::tick& t) {
            return t.event_time < r.from || t.event_time >= r.to;
        });
        out.erase(kept, out.end());
        first = out.begin() + static_cast<ptrdiff_t>(begin);
        std::stable_sort(first, out.end(), tick_less);
        // Keep the last of each run of equal keys.
        auto w = first;
        for (auto i = first; i != out.end(); ++i) {
            auto next = i + 1;
            if (next != out.end() && !tick_less(*i, *next)) {
                continue;
            }
            if (w != i) {
                *w = std::move(*i);
            }
            ++w;
        }
        out.erase(w, out.end());
        return true;
    };
    bool have = false;
    for (r.tail ? it->SeekToLast() : it->Seek(lo); it->Valid(); r.tail ? it->Prev() : it->Next()) {
        auto parts = internal::parse_tick_chunk_key(view(it->key()));
        if (!parts) {
            return corrupt("a tick chunk key of " + std::string(symbol), _dir);
        }
        if (have && parts->bucket != bucket) {
            if (!finish_bucket()) {
                return corrupt("a tick chunk of " + std::string(symbol), _dir);
            }
            if (out.size() >= r.limit) {
                break;
            }
        }
        bucket = parts->bucket;
        have = true;
        chunk_values.emplace_back(view(it->value()));
    }
    if (!it->status().ok()) {
        return status_error(it->status(), "reading ticks", _dir);
    }
    if (!chunk_values.empty() && !finish_bucket()) {
        return corrupt("a tick chunk of " + std::string(symbol), _dir);
    }
    std::stable_sort(out.begin(), out.end(), tick_less);
    if (out.size() > r.limit) {
        if (r.tail) {
            out.erase(out.begin(), out.end() - static_cast<ptrdiff_t>(r.limit));
        } else {
            out.resize(r.limit);
        }
    }
    return out;
}

result<std::vector<model::tick>> rocks_store::latest() {
    if (auto c = check_open(); !c) {
        return c.error();
    }
    std::vector<model::tick> out;
    std::unique_ptr<rocksdb::Iterator> it(_db->NewIterator({}, _latest));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
        if (!internal::decode_ticks(view(it->value()), 0, view(it->key()), out)) {
            return corrupt("the latest tick of " + it->key().ToString(), _dir);
        }
    }
    if (!it->status().ok()) {
        return status_error(it->status(), "reading the latest ticks", _dir);
    }
    return out;
}

result<std::optional<model::tick>> rocks_store::latest(std::string_view symbol) {
    if (auto c = check_open(); !c) {
        return c.error();
    }
    if (!valid_symbol(symbol)) {
        return bad_symbol(symbol);
    }
    std::string value;
    auto s = _db->Get({}, _latest, slice(symbol), &value);
    if (s.IsNotFound()) {
        return std::optional<model::tick>();
    }
    if (!s.ok()) {
        return status_error(s, "reading the latest tick", _dir);
    }
    std::vector<model::tick> one;
    if (!internal::decode_ticks(value, 0, symbol, one) || one.size() != 1) {
        return corrupt("the latest tick of " + std::string(symbol), _dir);
    }
    return std::optional<model::tick>(std::move(one.front()));
}

result<std::vector<std::string>> rocks_store::symbols() {
    if (auto c = check_open(); !c) {
        return c.error();
    }
    std::vector<std::string> out;
    std::unique_ptr<rocksdb::Iterator> it(_db->NewIterator({}, _latest));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
        out.push_back(it->key().ToString());
    }
    if (!it->status().ok()) {
        return status_error(it->status(), "reading the symbols", _dir);
    }
    return out;
}

result<std::vector<std::pair<std::string, std::string>>> rocks_store::load_state(std::string_view prefix) {
    if (auto c = check_open(); !c) {
        return c.error();
    }
    std::vector<std::pair<std::string, std::string>> out;
    std::unique_ptr<rocksdb::Iterator> it(_db->NewIterator({}, _state));
    for (it->Seek(slice(prefix)); it->Valid() && view(it->key()).starts_with(prefix); it->Next()) {
        out.emplace_back(it->key().ToString(), it->value().ToString());
    }
    if (!it->status().ok()) {
        return status_error(it->status(), "reading the state", _dir);
    }
    return out;
}

} // namespace mdsp::store
