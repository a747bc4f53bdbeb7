#include <cmath>

#include <gtest/gtest.h>

#include "feed/internal/line_parser.h"

namespace mdsp::feed::internal {
namespace {

std::vector<std::string> split(std::string_view line) {
    csv_fields f;
    std::string error;
    EXPECT_TRUE(split_csv(line, f, error)) << error;
    return {f.f.begin(), f.f.begin() + static_cast<std::ptrdiff_t>(f.n)};
}

TEST(split_csv, fields_quotes_and_spaces) {
    EXPECT_EQ(split("a,b,c"), (std::vector<std::string>{"a", "b", "c"}));
    EXPECT_EQ(split(" a , b ,"), (std::vector<std::string>{"a", "b", ""}));
    EXPECT_EQ(split(""), (std::vector<std::string>{""}));
    EXPECT_EQ(split("\"x,y\",2"), (std::vector<std::string>{"x,y", "2"}));
    EXPECT_EQ(split("1,\"\""), (std::vector<std::string>{"1", ""}));
    csv_fields f;
    std::string error;
    EXPECT_FALSE(split_csv("\"open", f, error));
    EXPECT_EQ(error, "a quoted field has no closing quote");
    EXPECT_FALSE(split_csv("\"a\"\"b\"", f, error));
    EXPECT_FALSE(split_csv("\"a\"b,c", f, error));
    EXPECT_FALSE(split_csv(std::string(16, ','), f, error)); // 17 fields
    EXPECT_TRUE(split_csv(std::string(15, ','), f, error));
    EXPECT_EQ(f.n, 16u);
}

TEST(binance_line, parses_every_field) {
    model::tick t;
    std::string error;
    ASSERT_EQ(
        parse_binance_line("13519807,0.00141342,23.00000000,15373518,15373518,1570752011620,true", t, error),
        line_outcome::tick)
        << error;
    EXPECT_EQ(t.seq(), 13519807);
    EXPECT_EQ(t.trade_id, 13519807);
    EXPECT_EQ(t.price, 0.00141342);
    EXPECT_EQ(t.size, 23.0);
    EXPECT_EQ(t.event_time(), 1'570'752'011'620'000);
    EXPECT_TRUE(
        is_binance_header("agg_trade_id,price,qty,first_trade_id,last_trade_id,time_ms,is_buyer_maker"));
    EXPECT_TRUE(
        is_binance_header("Agg_Trade_Id,price,qty,first_trade_id,last_trade_id,time_ms,is_buyer_maker,"
                          "is_best_match"));
    EXPECT_FALSE(is_binance_header("agg_trade_id,price,qty"));
    EXPECT_TRUE(looks_like_binance_row("1,2,3,4,5,6,false"));
    EXPECT_FALSE(looks_like_binance_row("1,2,3,4,5,6,7"));
}

TEST(binance_line, says_what_is_wrong) {
    model::tick t;
    std::string e;
    auto bad = [&](std::string_view line) {
        e.clear();
        EXPECT_EQ(parse_binance_line(line, t, e), line_outcome::malformed) << line;
        return e;
    };
    EXPECT_EQ(bad("x,1,1,1,1,1,true"), "agg_trade_id 'x' is not a non-negative integer");
    EXPECT_EQ(bad("1,,1,1,1,1,true"), "price is empty");
    EXPECT_EQ(bad("1,0,1,1,1,1,true"), "price '0' is not positive");
    EXPECT_EQ(bad("1,nan,1,1,1,1,true"), "price 'nan' is not a finite number");
    EXPECT_EQ(bad("1,1e999,1,1,1,1,true"), "price '1e999' is out of range");
    EXPECT_EQ(bad("1,1.5x,1,1,1,1,true"), "price '1.5x' is not a number");
    EXPECT_EQ(bad("1,1,-1,1,1,1,true"), "qty '-1' is negative");
    EXPECT_EQ(bad("1,1,1,a,1,1,true"), "first_trade_id 'a' is not an integer");
    EXPECT_EQ(bad("1,1,1,1,1,-5,true"), "time_ms '-5' is negative");
    EXPECT_EQ(bad("1,1,1,1,1,1,true,yes"), "is_best_match 'yes' is not true or false");
    EXPECT_EQ(bad("1,2"), "expected 7 fields (agg_trade_id,price,qty,first_trade_id,last_trade_id,time_ms,"
                          "is_buyer_maker), got 2");
    const std::string long_field(100, '9');
    EXPECT_EQ(bad("1,1,1,1,1," + long_field + "x,true"),
              "time_ms '" + std::string(40, '9') + "...' (101 bytes) is not an integer");
}

TEST(binance_line, bytes_that_are_not_text_are_shown_escaped) {
    // Messages go to the log and into dead letters: never raw invalid UTF-8.
    model::tick t;
    std::string error;
    EXPECT_EQ(parse_binance_line("1,\xff\xfe"
                                 "1,1,1,1,1,true",
                                 t, error),
              line_outcome::malformed);
    EXPECT_EQ(error, "price '\\xFF\\xFE1' is not a number");
    std::string forty;
    for (int i = 0; i < 10; ++i) {
        forty += "\\x80";
    }
    EXPECT_EQ(quote_field(std::string(50, '\x80')), "'" + forty + "...' (50 bytes)");
    EXPECT_EQ(quote_field("tr\x1bue"), "'tr\\x1Bue'");
}

TEST(generic_line, header_and_rows) {
    auto cols = parse_generic_header("Symbol, TIME ,qty,price,extra");
    ASSERT_TRUE(cols);
    EXPECT_EQ(cols->symbol, 0);
    EXPECT_EQ(cols->time, 1);
    EXPECT_EQ(cols->size, 2);
    EXPECT_EQ(cols->price, 3);
    EXPECT_EQ(cols->count, 5u);
    EXPECT_FALSE(parse_generic_header("time,time,price"));
    EXPECT_FALSE(parse_generic_header("symbol,price"));
    model::tick t;
    std::string e;
    ASSERT_EQ(parse_generic_line("X,2019-10-11 00:00:01+01:00,2.5,3,zzz", *cols, t, e), line_outcome::tick)
        << e;
    EXPECT_EQ(t.symbol, "X");
    EXPECT_EQ(t.event_time(), 1'570'748'401'000'000);
    EXPECT_EQ(t.size, 2.5);
    EXPECT_EQ(t.price, 3);
    EXPECT_EQ(parse_generic_line("X,2019-10-11,1,2", *cols, t, e), line_outcome::malformed);
    EXPECT_EQ(e, "expected 5 fields as in the header, got 4");
}

TEST(twelvedata_line, events) {
    json_line_parser p(json_objects::any);
    model::tick t;
    std::string e;
    ASSERT_EQ(p.parse(R"({"price":"101.25","timestamp":"2024-01-01T00:00:00Z","symbol":"X","event":"price",)"
                      R"("bid":null,"extra":{"a":[1,2]}})",
                      t, e),
              line_outcome::tick)
        << e;
    EXPECT_EQ(t.price, 101.25);
    EXPECT_EQ(t.event_time(), 1'704'067'200'000'000);
    EXPECT_FALSE(t.bid);
    // A heartbeat with odd fields is still only a heartbeat.
    EXPECT_EQ(p.parse(R"({"price":"oops","event":"heartbeat"})", t, e), line_outcome::skip);
    auto bad = [&](std::string_view line) {
        e.clear();
        EXPECT_EQ(p.parse(line, t, e), line_outcome::malformed) << line;
        return e;
    };
    EXPECT_EQ(bad(R"([1,2])"), "not a JSON object");
    EXPECT_EQ(bad(R"({"event":1})"), "event is not a string");
    EXPECT_EQ(bad(R"({"event":"price","symbol":"X","timestamp":1})"), "price event without a price");
    EXPECT_EQ(bad(R"({"event":"price","symbol":"X","price":1})"), "price event without a timestamp");
    EXPECT_EQ(bad(R"({"event":"price","timestamp":1,"price":1})"), "price event without a symbol");
    EXPECT_EQ(bad(R"({"event":"price","symbol":"X","timestamp":-1,"price":1})"),
              "timestamp '-1' is before 1970");
    EXPECT_EQ(bad(R"({"event":"price","symbol":"X","timestamp":1,"price":-3})"), "price -3 is not positive");
    EXPECT_EQ(bad(R"({"event":"price","symbol":"X","timestamp":1,"price":1,"currency":5})"),
              "currency is not a string");
    EXPECT_EQ(bad(R"({"event":"price","symbol":"X","timestamp":1,"price":1} x)").substr(0, 14),
              "not valid JSON");
}

} // namespace
} // namespace mdsp::feed::internal
