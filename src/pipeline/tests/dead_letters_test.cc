#include <gtest/gtest.h>

#include "model/codec.h"
#include "model/framing.h"
#include "pipeline/dead_letters.h"
#include "pipeline/tests/memory.h"

namespace mdsp::pipeline {
namespace {

// A writer over the memory bus; written() is the one letter it wrote.
struct rig {
    testing::journal j;
    testing::memory_topics topics;
    testing::memory_producer out{topics, j};
    dead_letter_writer w{out};

    const std::string& written() {
        const auto& recs = topics.topics.at(std::string(bus::deadletter_topic)).at(0);
        EXPECT_EQ(recs.size(), 1u);
        return recs.at(0).value;
    }
};

// A letter whose text holds outside bytes (a file name that is not UTF-8, a
// message quoting them) must still decode: otherwise the bad record it
// keeps is lost after all.
TEST(dead_letter_writer, text_that_is_not_utf8_is_escaped_so_the_letter_decodes) {
    rig r;
    model::dead_letter d;
    d.source_topic = "file:/tmp/odd-\xff\x1b/f.csv";
    d.source_offset = 3;
    d.error_kind = "malformed";
    d.message = "f.csv:3: price '\xc3' is not a number";
    d.raw = "\xff\xfe raw bytes stay bytes";
    d.time = 1;
    ASSERT_TRUE(r.w.write(d, "key"));
    auto got = model::decode_framed_dead_letter(r.written());
    ASSERT_TRUE(got) << got.error().what();
    EXPECT_EQ(got->source_topic, "file:/tmp/odd-\\xFF\\x1B/f.csv");
    EXPECT_EQ(got->message, "f.csv:3: price '\\xC3' is not a number");
    EXPECT_EQ(got->error_kind, "malformed");
    EXPECT_EQ(got->raw, d.raw);
}

// A huge record must not make a letter too large for Kafka's default
// message.max.bytes: then the letter itself would be lost.
TEST(dead_letter_writer, raw_and_text_are_cut_to_fit_one_kafka_message) {
    rig r;
    model::dead_letter d;
    d.source_topic = "feed:replay:/tmp/big.csv";
    d.error_kind = "invalid";
    d.message = std::string(100'000, 'm');
    d.raw = std::string(1'000'000, 'S');
    ASSERT_TRUE(r.w.write(d, "key"));
    const auto& value = r.written();
    EXPECT_LT(value.size(), 1'000'000u);
    auto got = model::decode_framed_dead_letter(value);
    ASSERT_TRUE(got) << got.error().what();
    EXPECT_EQ(got->raw, d.raw.substr(0, model::dead_letter_raw_keep_bytes));
    EXPECT_LE(got->message.size(), model::dead_letter_text_keep_bytes);
    EXPECT_EQ(got->message.substr(0, 100), d.message.substr(0, 100));
}

} // namespace
} // namespace mdsp::pipeline
