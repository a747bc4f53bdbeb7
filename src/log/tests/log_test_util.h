#pragma once

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "log/log.h"
#include "testing/temp_dir.h"

namespace mdsp::log::testing {

using mdsp::testing::temp_dir;

// A decoded record with owned bytes, for comparisons.
struct owned_record {
    int64_t offset = 0;
    std::string key;
    std::string value;
    int64_t timestamp_ms = 0;
    bool operator==(const owned_record&) const = default;
};

// Reads every record of the partition from `from` to its end offset, in
// small reads, decoding each batch with CRC checks.
inline std::vector<owned_record> read_all(const partition& p, int64_t from = -1, size_t max_bytes = 1000) {
    std::vector<owned_record> out;
    mdsp::offset pos(from < 0 ? p.start_offset()() : from);
    while (pos < p.end_offset()) {
        std::string buf;
        auto r = p.read(pos, max_bytes, buf);
        EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().what());
        if (!r || r->bytes == 0) {
            break;
        }
        batch_iterator it(buf, default_max_batch_bytes);
        batch_header h;
        std::span<const char> one;
        while (true) {
            auto more = it.next(h, one);
            EXPECT_TRUE(more.has_value());
            if (!more || !*more) {
                break;
            }
            auto rr = record_reader::open(one, default_max_batch_bytes);
            EXPECT_TRUE(rr.has_value()) << (rr ? "" : rr.error().what());
            if (!rr) {
                return out;
            }
            record_view v;
            while (true) {
                auto n = rr->next(v);
                EXPECT_TRUE(n.has_value());
                if (!n || !*n) {
                    break;
                }
                if (v.offset >= pos) {
                    out.push_back({v.offset(), std::string(v.key.value_or("")),
                                   std::string(v.value.value_or("")), v.timestamp_ms});
                }
            }
        }
        EXPECT_GT(r->next_offset, pos);
        pos = r->next_offset;
    }
    return out;
}

inline std::string value_for(int64_t i) {
    return "value-" + std::to_string(i) + std::string(size_t(i % 40), 'x');
}

// Appends n single-record-per-call batches of `per_batch` records with
// predictable keys and values, starting the numbering at first.
inline void append_numbered(partition& p, int64_t first, int64_t batches, int64_t per_batch = 1) {
    std::vector<std::string> keys, values;
    std::vector<record> recs;
    for (int64_t b = 0; b < batches; ++b) {
        keys.clear();
        values.clear();
        recs.clear();
        for (int64_t i = 0; i < per_batch; ++i) {
            int64_t n = first + b * per_batch + i;
            keys.push_back("key-" + std::to_string(n % 10));
            values.push_back(value_for(n));
        }
        for (int64_t i = 0; i < per_batch; ++i) {
            int64_t n = first + b * per_batch + i;
            recs.push_back(
                {std::string_view(keys[size_t(i)]), std::string_view(values[size_t(i)]), 1000 + n});
        }
        auto r = p.append(recs);
        ASSERT_TRUE(r.has_value()) << r.error().what();
        ASSERT_EQ((*r)(), first + b * per_batch);
    }
}

inline void expect_numbered(const std::vector<owned_record>& recs, int64_t first, int64_t count) {
    ASSERT_EQ(int64_t(recs.size()), count);
    for (int64_t i = 0; i < count; ++i) {
        const auto& r = recs[size_t(i)];
        int64_t n = first + i;
        ASSERT_EQ(r.offset, n);
        ASSERT_EQ(r.key, "key-" + std::to_string(n % 10));
        ASSERT_EQ(r.value, value_for(n));
        ASSERT_EQ(r.timestamp_ms, 1000 + n);
    }
}

} // namespace mdsp::log::testing
