// The forms a replayed value may take (internal/forms.h), as tables: each
// row is a CSV header and line, or a JSON line, and the tick it must give, or
// the message it must be refused with. What the README's replay section
// promises is what these tables check.
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "feed/internal/line_parser.h"

namespace mdsp::feed::internal {
namespace {

constexpr int64_t t0 = 1'704'164'645'123'456; // 2024-01-02T03:04:05.123456Z
constexpr int64_t t0_s = 1'704'164'645'000'000;
constexpr int64_t t0_ms = 1'704'164'645'123'000;

// The fields a replay line sets.
struct want {
    want(int64_t t, std::string sym = "X", double p = 1.5, std::optional<double> sz = std::nullopt)
      : time(t)
      , symbol(std::move(sym))
      , price(p)
      , size(sz) {}
    int64_t time;
    std::string symbol;
    double price;
    std::optional<double> size;
};

std::string show(const model::tick& t) {
    return fmt::format("time {} symbol '{}' price {} size {}", t.event_time(), t.symbol, t.price,
                       t.size ? fmt::format("{}", *t.size) : "none");
}

void expect_tick(const model::tick& t, const want& w, const std::string& row) {
    EXPECT_EQ(t.event_time(), w.time) << row << " gave " << show(t);
    EXPECT_EQ(t.symbol, w.symbol) << row;
    EXPECT_EQ(t.price, w.price) << row;
    EXPECT_EQ(t.size, w.size) << row;
}

struct csv_row {
    std::string header;
    std::string line;
    want tick;
};

void run_csv(const std::vector<csv_row>& table) {
    for (const auto& r : table) {
        const std::string row = r.header + " / " + r.line;
        std::string why;
        auto cols = parse_generic_header(r.header, &why);
        ASSERT_TRUE(cols) << row << ": " << why;
        model::tick t;
        std::string error;
        ASSERT_EQ(parse_generic_line(r.line, *cols, t, error), line_outcome::tick) << row << ": " << error;
        if (cols->symbol < 0) {
            t.symbol = "X"; // what the replay does with --symbol X
        }
        expect_tick(t, r.tick, row);
    }
}

struct refusal {
    std::string header; // CSV only
    std::string line;
    std::string error;
};

TEST(forms, times) {
    // Header "time": the unit of a bare number by its size.
    const std::string h = "time,symbol,price";
    run_csv({
        // ISO 8601 / RFC 3339: any number of fraction digits (cut to us),
        // any UTC offset, or none (UTC).
        {h, "2024-01-02T03:04:05Z,X,1.5", {t0_s}},
        {h, "2024-01-02T03:04:05.1Z,X,1.5", {t0_s + 100'000}},
        {h, "2024-01-02T03:04:05.123Z,X,1.5", {t0_ms}},
        {h, "2024-01-02T03:04:05.123456Z,X,1.5", {t0}},
        {h, "2024-01-02T03:04:05.123456789Z,X,1.5", {t0}},
        {h, "2024-01-02T03:04:05.123456999999999Z,X,1.5", {t0}},
        {h, "2024-01-02 03:04:05.123456,X,1.5", {t0}},
        {h, "2024-01-02t03:04:05.123456z,X,1.5", {t0}},
        {h, "2024-01-02T05:04:05.123456+02:00,X,1.5", {t0}},
        {h, "2024-01-02T05:34:05.123456+0230,X,1.5", {t0}},
        {h, "2024-01-01T22:04:05.123456-05,X,1.5", {t0}},
        {h, "2024-01-02T03:04:05.123456-00:00,X,1.5", {t0}},
        {h, "2024-01-02,X,1.5", {1'704'153'600'000'000}},
        // Unix seconds (up to 11 digits), ms (12-14), us (15-17), ns (18+),
        // integer or with a fraction, plain or in exponent notation.
        {h, "1704164645,X,1.5", {t0_s}},
        {h, "1704164645.123456,X,1.5", {t0}},
        {h, "1704164645.1234569,X,1.5", {t0}},
        {h, "1704164645123,X,1.5", {t0_ms}},
        {h, "1704164645123.456,X,1.5", {t0}},
        {h, "1704164645123456,X,1.5", {t0}},
        {h, "1704164645123456.9,X,1.5", {t0}},
        {h, "1704164645123456789,X,1.5", {t0}},
        {h, "1.704164645123456e9,X,1.5", {t0}},
        {h, "1.704164645123456E+15,X,1.5", {t0}},
        {h, "1704164645123456789e-9,X,1.5", {t0}},
        {h, "+1704164645,X,1.5", {t0_s}},
        {h, "0,X,1.5", {0}},
        {h, "99999999999,X,1.5", {99'999'999'999'000'000}},     // 11 digits: seconds (year 5138)
        {h, "100000000000,X,1.5", {100'000'000'000'000}},       // 12 digits: ms (1973-03-03)
        {h, "100000000000000000,X,1.5", {100'000'000'000'000}}, // 18 digits: ns
        // A unit in the column's name overrides the size rule.
        {"time_ms,symbol,price", "1704164645123,X,1.5", {t0_ms}},
        {"time_ms,symbol,price", "1704164645123.456,X,1.5", {t0}},
        {"time_ms,symbol,price", "86400000,X,1.5", {86'400'000'000}}, // not 86400000 s
        {"ts_ns,symbol,price", "1704164645123456789,X,1.5", {t0}},
        {"ts_ns,symbol,price", "5,X,1.5", {0}},
        {"timestamp_us,symbol,price", "1704164645123456,X,1.5", {t0}},
        {"TIME_S,symbol,price", "1704164645.123456,X,1.5", {t0}},
        {"time_seconds,symbol,price", "1704164645,X,1.5", {t0_s}},
        {"time_millis,symbol,price", "1704164645,X,1.5", {1'704'164'645'000}},
        {"time_ms,symbol,price", "2024-01-02T03:04:05.123456Z,X,1.5", {t0}}, // text is text
    });
}

TEST(forms, numbers) {
    const std::string h = "time,symbol,price,size";
    run_csv({
        {h, "0,X,0.00141342,23.00000000", {0, "X", 0.00141342, 23.0}},
        {h, "0,X,1e-5,2.5E+3", {0, "X", 1e-5, 2500.0}},
        {h, "0,X,2.5e3,1E2", {0, "X", 2500.0, 100.0}},
        {h, "0,X,+3,+0", {0, "X", 3.0, 0.0}},
        {h, "0,X,.5,5.", {0, "X", 0.5, 5.0}},
        {h, "0,X,00012.5,1e0", {0, "X", 12.5, 1.0}},
        {h, "0,X,\"7.25\",\"1.5e-3\"", {0, "X", 7.25, 0.0015}},
        {h, "0,X,1.5,", {0, "X", 1.5, std::nullopt}}, // an empty size is none
        {h, "0,X,1.5", {0, "X", 1.5, std::nullopt}},  // and so is a missing last one
    });
}

TEST(forms, column_names) {
    const std::string line_end = "1704164645,X,1.5,2";
    run_csv({
        {"time,symbol,price,size", line_end, {t0_s, "X", 1.5, 2.0}},
        {"Timestamp,Pair,P,Qty", line_end, {t0_s, "X", 1.5, 2.0}},
        {"ts,instrument,PRICE,quantity", line_end, {t0_s, "X", 1.5, 2.0}},
        {"TIME,SYMBOL,price,amount", line_end, {t0_s, "X", 1.5, 2.0}},
        {"time,symbol,price,Volume", line_end, {t0_s, "X", 1.5, 2.0}},
        {" time , symbol , price , size ", line_end, {t0_s, "X", 1.5, 2.0}},
        {"\"time\",\"symbol\",\"price\",\"size\"", line_end, {t0_s, "X", 1.5, 2.0}},
        // Any order, other columns ignored, no symbol column (the replay's --symbol).
        {"id,price,qty,quote_qty,time,is_buyer_maker",
         "7,1.5,2,3,1704164645123,true",
         {t0_ms, "X", 1.5, 2.0}},
        {"p,ts_ns,pair,venue,volume", "1.5,1704164645123456789,Y,Z,2", {t0, "Y", 1.5, 2.0}},
    });
}

TEST(forms, json_lines) {
    json_line_parser p(json_objects::any);
    const std::vector<std::pair<std::string, want>> table = {
        {R"({"time":"2024-01-02T03:04:05.123456Z","symbol":"X","price":1.5,"size":2})", {t0, "X", 1.5, 2.0}},
        {R"({"ts":1704164645123456789,"pair":"X","p":"1.5","qty":"2"})", {t0, "X", 1.5, 2.0}},
        {R"({"timestamp":1704164645.123456,"instrument":"X","price":1.5e0,"amount":2e0})",
         {t0, "X", 1.5, 2.0}},
        {R"({"time":1.704164645123456e15,"symbol":"X","price":1.5})", {t0, "X", 1.5, std::nullopt}},
        {R"({"Time_MS":1704164645123,"SYMBOL":"X","Price":"1.5","Volume":2})", {t0_ms, "X", 1.5, 2.0}},
        {R"({"time_ns":"1704164645123456789","symbol":"X","price":"1e-5","quantity":"2.5E+3"})",
         {t0, "X", 1e-5, 2500.0}},
        {R"({"time":"2024-01-02T05:04:05.123456789+02:00","symbol":"X","price":1.5,"extra":[1,{}]})",
         {t0, "X", 1.5, std::nullopt}},
        {R"({"time":1704164645,"price":1.5,"size":null})",
         {t0_s, "", 1.5, std::nullopt}}, // --symbol fills it
        // TwelveData events, as before.
        {R"({"event":"price","symbol":"X","timestamp":1704164645,"price":1.5})",
         {t0_s, "X", 1.5, std::nullopt}},
        {R"({"event":"price","symbol":"X","timestamp":"2024-01-02T03:04:05.123456Z","price":"1.5"})",
         {t0, "X", 1.5, std::nullopt}},
    };
    for (const auto& [line, w] : table) {
        model::tick t;
        std::string error;
        ASSERT_EQ(p.parse(line, t, error), line_outcome::tick) << line << ": " << error;
        expect_tick(t, w, line);
    }
}

TEST(forms, refusals_say_why) {
    const std::vector<refusal> csv = {
        {"time,symbol,price", "-1,X,1", "time '-1' is before 1970"},
        {"time,symbol,price", "1969-12-31T23:59:59Z,X,1", "time '1969-12-31T23:59:59Z' is before 1970"},
        {"time_s,symbol,price", "1e12,X,1",
         "time '1e12' is after the year 9999 (or in a smaller unit than the column says)"},
        {"time,symbol,price", "yesterday,X,1",
         "time 'yesterday' is not a time (ISO 8601, or a Unix time in s, ms, us or ns)"},
        {"time,symbol,price", "2024-01-02T03:04:05+2,X,1",
         "time '2024-01-02T03:04:05+2' is not a time (ISO 8601, or a Unix time in s, ms, us or ns)"},
        {"time,symbol,price", "1e,X,1",
         "time '1e' is not a time (ISO 8601, or a Unix time in s, ms, us or ns)"},
        {"time,symbol,price", "0x10,X,1",
         "time '0x10' is not a time (ISO 8601, or a Unix time in s, ms, us or ns)"},
        {"time,symbol,price", ",X,1", "time '' is not a time (ISO 8601, or a Unix time in s, ms, us or ns)"},
        {"time,symbol,price", "1,X,0x1p3", "price '0x1p3' is not a number"},
        {"time,symbol,price", "1,X,1e999", "price '1e999' is out of range"},
        {"time,symbol,price", "1,X,nan", "price 'nan' is not a finite number"},
        {"time,symbol,price", "1,X,-1", "price '-1' is not positive"},
        {"time,symbol,price", "1,X,++1", "price '++1' is not a number"},
        {"time,symbol,price", "1,X,1.5.2", "price '1.5.2' is not a number"},
        {"time,symbol,price,size", "1,X,1,-2e-3", "size '-2e-3' is negative"},
        {"time,symbol,price", "1,,1", "symbol is empty"},
    };
    for (const auto& r : csv) {
        auto cols = parse_generic_header(r.header);
        ASSERT_TRUE(cols) << r.header;
        model::tick t;
        std::string error;
        EXPECT_EQ(parse_generic_line(r.line, *cols, t, error), line_outcome::malformed) << r.line;
        EXPECT_EQ(error, r.error) << r.line;
    }

    const std::vector<std::pair<std::string, std::string>> headers = {
        {"time,price,qty,volume", "columns 'qty' and 'volume' both name the size; rename or drop one"},
        {"timestamp,ts,price", "columns 'timestamp' and 'ts' both name the time; rename or drop one"},
        {"symbol,pair,time,price", "columns 'symbol' and 'pair' both name the symbol; rename or drop one"},
        {"symbol,price",
         "no time column (expected one named time, timestamp or ts, and one named price or p)"},
        {"time,symbol,cost",
         "no price column (expected one named time, timestamp or ts, and one named price or p)"},
    };
    for (const auto& [header, error] : headers) {
        std::string why;
        EXPECT_FALSE(parse_generic_header(header, &why)) << header;
        EXPECT_EQ(why, error) << header;
    }

    json_line_parser p(json_objects::any);
    const std::vector<std::pair<std::string, std::string>> json = {
        {R"({"time":"x","price":1})", "time 'x' is not a time (ISO 8601, or a Unix time in s, ms, us or ns)"},
        {R"({"time":-5,"price":1})", "time '-5' is before 1970"},
        {R"({"time_s":1e12,"price":1})",
         "time_s '1e+12' is after the year 9999 (or in a smaller unit than the column says)"},
        {R"({"time":true,"price":1})", "time is not a number or a string"},
        {R"({"price":1,"symbol":"X"})", "no time (a key named time, timestamp or ts)"},
        {R"({"time":1,"symbol":"X"})", "no price (a key named price or p)"},
        {R"({"time":1,"price":"1e-5x"})", "price '1e-5x' is not a number"},
        {R"({"time":1,"price":1,"qty":1,"volume":2})",
         "keys \"qty\" and \"volume\" both give the size; keep one"},
        {R"({"time":1,"price":1,"symbol":""})", "symbol is empty"},
        {R"({"time":1,"price":1,"symbol":5})", "symbol is not a string"},
    };
    for (const auto& [line, error] : json) {
        model::tick t;
        std::string e;
        EXPECT_EQ(p.parse(line, t, e), line_outcome::malformed) << line;
        EXPECT_EQ(e, error) << line;
    }
    // The live connector's parser takes TwelveData events only.
    json_line_parser events(json_objects::twelvedata);
    model::tick t;
    std::string e;
    EXPECT_EQ(events.parse(R"({"time":1,"price":1,"symbol":"X"})", t, e), line_outcome::malformed);
    EXPECT_EQ(e, "no \"event\" field (expected a TwelveData event such as {\"event\":\"price\",...})");
}

TEST(forms, field_names) {
    struct row {
        std::string_view name;
        field_role role;
        time_unit unit;
    };
    const row table[] = {
        {"time", field_role::time, time_unit::automatic},
        {"Timestamp", field_role::time, time_unit::automatic},
        {"TS", field_role::time, time_unit::automatic},
        {"time_s", field_role::time, time_unit::seconds},
        {"ts_sec", field_role::time, time_unit::seconds},
        {"time_ms", field_role::time, time_unit::millis},
        {"timestamp_millis", field_role::time, time_unit::millis},
        {"ts_us", field_role::time, time_unit::micros},
        {"time_micros", field_role::time, time_unit::micros},
        {"ts_ns", field_role::time, time_unit::nanos},
        {"TIMESTAMP_NANOS", field_role::time, time_unit::nanos},
        {"symbol", field_role::symbol, time_unit::automatic},
        {"PAIR", field_role::symbol, time_unit::automatic},
        {"instrument", field_role::symbol, time_unit::automatic},
        {"price", field_role::price, time_unit::automatic},
        {"P", field_role::price, time_unit::automatic},
        {"size", field_role::size, time_unit::automatic},
        {"qty", field_role::size, time_unit::automatic},
        {"Quantity", field_role::size, time_unit::automatic},
        {"amount", field_role::size, time_unit::automatic},
        {"volume", field_role::size, time_unit::automatic},
        // Not ours: near misses stay other columns.
        {"time_x", field_role::other, time_unit::automatic},
        {"_ms", field_role::other, time_unit::automatic},
        {"open_time_ms", field_role::other, time_unit::automatic},
        {"day_volume", field_role::other, time_unit::automatic},
        {"prices", field_role::other, time_unit::automatic},
        {"", field_role::other, time_unit::automatic},
    };
    for (const auto& r : table) {
        const auto f = classify_field(r.name);
        EXPECT_EQ(f.role, r.role) << r.name;
        EXPECT_EQ(f.unit, r.unit) << r.name;
    }
}

} // namespace
} // namespace mdsp::feed::internal
