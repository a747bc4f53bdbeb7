#include <gtest/gtest.h>

#include "model/text.h"

namespace mdsp::model {
namespace {

TEST(text, utf8_sequence_lengths) {
    EXPECT_EQ(utf8_sequence_length(""), 0u);
    EXPECT_EQ(utf8_sequence_length("a"), 1u);
    EXPECT_EQ(utf8_sequence_length("\xc3\xa9x"), 2u);
    EXPECT_EQ(utf8_sequence_length("\xe2\x82\xac"), 3u);
    EXPECT_EQ(utf8_sequence_length("\xf0\x9f\x92\xb9"), 4u);
    for (std::string_view bad : {"\xff", "\x80", "\xc0\xaf", "\xc3", "\xe2\x82", "\xed\xa0\x80",
                                 "\xf4\x90\x80\x80", "\xf0\x8f\xbf\xbf", "\xe0\x9f\xbf"}) {
        EXPECT_EQ(utf8_sequence_length(bad), 0u) << testing::PrintToString(bad);
    }
}

TEST(text, valid_symbols) {
    for (std::string_view ok : {"BTC/USD", "XRPETH", "BRK.B", "^GSPC", "\xe2\x82\xac/USD", "600519.SS"}) {
        EXPECT_EQ(valid_symbol(ok), std::nullopt) << ok;
    }
    EXPECT_EQ(valid_symbol(std::string(64, 'A')), std::nullopt);
}

TEST(text, invalid_symbols_say_why) {
    EXPECT_NE(valid_symbol("")->find("1 to 64 bytes"), std::string::npos);
    EXPECT_NE(valid_symbol(std::string(65, 'A'))->find("1 to 64 bytes"), std::string::npos);
    EXPECT_NE(valid_symbol(std::string_view("A\0B", 3))->find("control character"), std::string::npos);
    EXPECT_NE(valid_symbol("A\x1b[2J")->find("control character"), std::string::npos);
    EXPECT_NE(valid_symbol("A\x7f")->find("control character"), std::string::npos);
    EXPECT_NE(valid_symbol("A\xc2\x85")->find("U+0085"), std::string::npos); // C1 NEL
    EXPECT_NE(valid_symbol("A B")->find("space"), std::string::npos);
    EXPECT_NE(valid_symbol("\xff\xfe")->find("byte 0 (0xff) is not valid UTF-8"), std::string::npos);
    EXPECT_NE(valid_symbol("AB\xed\xa0\x80")->find("byte 2"), std::string::npos); // a surrogate
    EXPECT_TRUE(valid_symbol("\xe2\x82"));                                        // cut short
}

TEST(text, labels_may_have_spaces_but_no_controls) {
    for (std::string_view ok : {"", "USD", "Common Stock", "Physical Currency", "B\xc3\xb6rse Frankfurt"}) {
        EXPECT_EQ(valid_label(ok), std::nullopt) << ok;
    }
    EXPECT_EQ(valid_label(std::string(max_label_bytes, 'x')), std::nullopt);
    EXPECT_NE(valid_label(std::string(max_label_bytes + 1, 'x'))->find("at most 128 bytes"),
              std::string::npos);
    EXPECT_NE(valid_label(std::string_view("NAS\0DAQ", 7))->find("control character"), std::string::npos);
    EXPECT_NE(valid_label("A\tB")->find("control character"), std::string::npos);
    EXPECT_NE(valid_label("A\xc2\x85")->find("U+0085"), std::string::npos);
    EXPECT_NE(valid_label("US\xff")->find("not valid UTF-8"), std::string::npos);
}

} // namespace
} // namespace mdsp::model
