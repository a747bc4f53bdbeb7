// Golden-file tests (DuckDB style): every folder under golden/ is a case with
//   config        key = value lines: intervals, out_of_orderness, lateness, fill_gaps
//   ticks.csv     event_time,symbol,price,size,seq[,partition][,source][,expect]
//                 (size empty = no size; partition 0 and source "golden" by
//                 default; expect = accepted|duplicate|late, checked when set);
//                 a row "finish" calls finish() there (the end of a replayed
//                 file, with more input after it)
//   expected.csv  the final state of every candle after the closing finish(),
//                 sorted by (symbol, interval, window_start)
//   emissions.csv optional: take_updates() is then called after every row and
//                 after the closing finish(); each batch, sorted by (symbol,
//                 interval, window_start), tagged with the row (1-based) or "finish"
// Expected files are written by hand from DESIGN.md "Candle semantics".
#include <algorithm>
#include <filesystem>

#include "stream/tests/test_util.h"

namespace mdsp::stream {
namespace {

namespace fs = std::filesystem;
using test::csv;

const char* golden_dir = MDSP_TESTDATA_DIR "/tests/golden";

std::vector<std::string> case_names() {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(golden_dir)) {
        if (e.is_directory()) {
            out.push_back(e.path().filename().string());
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

model::candle parse_candle(const csv& c, const std::vector<std::string>& r) {
    model::candle k;
    k.symbol = c.get(r, "symbol");
    k.interval = model::interval::parse(c.get(r, "interval")).value_or(model::interval());
    k.window_start = event_time(test::to_time(c.get(r, "window_start")));
    k.open = test::to_double(c.get(r, "open"));
    k.high = test::to_double(c.get(r, "high"));
    k.low = test::to_double(c.get(r, "low"));
    k.close = test::to_double(c.get(r, "close"));
    k.volume = test::to_double(c.get(r, "volume"));
    k.vwap = test::to_double(c.get(r, "vwap"));
    k.trade_count = test::to_int(c.get(r, "trade_count"));
    k.first_event_time = event_time(test::to_time(c.get(r, "first_event_time")));
    k.last_event_time = event_time(test::to_time(c.get(r, "last_event_time")));
    k.final = c.get(r, "final") == "true";
    k.revision = test::to_int(c.get(r, "revision"));
    return k;
}

// Exact, except vwap: the expected files hold it in (rounded) decimal.
bool same(const model::candle& a, const model::candle& b) {
    auto vwap_eq = std::abs(a.vwap - b.vwap) <= 1e-9 * std::max(1.0, std::abs(b.vwap));
    auto a2 = a;
    a2.vwap = b.vwap;
    return vwap_eq && a2 == b;
}

void expect_same_list(const std::vector<model::candle>& got, const std::vector<model::candle>& want,
                      const std::vector<std::string>& got_tags, const std::vector<std::string>& want_tags) {
    size_t n = std::max(got.size(), want.size());
    for (size_t i = 0; i < n; ++i) {
        std::string g = i < got.size() ? got_tags[i] + ": " + test::describe(got[i]) : "(nothing)";
        std::string w = i < want.size() ? want_tags[i] + ": " + test::describe(want[i]) : "(nothing)";
        bool ok = i < got.size() && i < want.size() && got_tags[i] == want_tags[i] && same(got[i], want[i]);
        EXPECT_TRUE(ok) << "row " << i + 1 << "\n  got:  " << g << "\n  want: " << w;
    }
}

class golden : public ::testing::TestWithParam<std::string> {};

TEST_P(golden, matches_expected) {
    const std::string dir = std::string(golden_dir) + "/" + GetParam();
    auto cfg = test::read_golden_config(dir + "/config");
    ASSERT_TRUE(candle_engine::validate(cfg).has_value());
    candle_engine engine(cfg);

    const bool track = fs::exists(dir + "/emissions.csv");
    std::vector<model::candle> emitted;
    std::vector<std::string> emitted_tags;
    std::map<test::candle_key, model::candle> latest;
    auto take = [&](const std::string& tag) {
        std::vector<model::candle> batch;
        test::take_expanded(engine, batch);
        std::sort(batch.begin(), batch.end(),
                  [](const auto& a, const auto& b) { return test::key_of(a) < test::key_of(b); });
        std::set<test::candle_key> seen;
        for (const auto& c : batch) {
            EXPECT_TRUE(seen.insert(test::key_of(c)).second)
                << "emitted twice in one batch: " << test::describe(c);
            emitted.push_back(c);
            emitted_tags.push_back(tag);
        }
        test::fold(latest, batch);
    };

    auto ticks = test::read_golden_ticks(dir + "/ticks.csv");
    engine_stats want_stats;
    for (size_t i = 0; i < ticks.size(); ++i) {
        const auto& [t, part, want, fin] = ticks[i];
        if (fin) {
            engine.finish();
            if (track) {
                take(std::to_string(i + 1));
            }
            continue;
        }
        auto outcome = engine.add(t, part);
        const char* names[] = {"accepted", "duplicate", "late"};
        const std::string got = names[static_cast<int>(outcome)];
        if (!want.empty()) {
            EXPECT_EQ(got, want) << "tick row " << i + 1;
        }
        (got == "accepted"    ? want_stats.accepted
         : got == "duplicate" ? want_stats.duplicates
                              : want_stats.late)++;
        if (track) {
            take(std::to_string(i + 1));
        }
    }
    engine.finish();
    take("finish");

    auto st = engine.stats();
    EXPECT_EQ(st.accepted, want_stats.accepted);
    EXPECT_EQ(st.duplicates, want_stats.duplicates);
    EXPECT_EQ(st.late, want_stats.late);
    EXPECT_EQ(st.open_windows, 0u);

    auto exp = test::read_csv(dir + "/expected.csv");
    std::vector<model::candle> want_final;
    for (const auto& r : exp.rows) {
        want_final.push_back(parse_candle(exp, r));
    }
    std::vector<model::candle> got_final;
    for (const auto& [k, c] : latest) {
        got_final.push_back(c);
    }
    {
        SCOPED_TRACE("expected.csv (final state after finish)");
        expect_same_list(got_final, want_final, std::vector<std::string>(got_final.size(), "final"),
                         std::vector<std::string>(want_final.size(), "final"));
    }
    if (track) {
        SCOPED_TRACE("emissions.csv (take_updates after every tick)");
        auto em = test::read_csv(dir + "/emissions.csv");
        std::vector<model::candle> want;
        std::vector<std::string> tags;
        for (const auto& r : em.rows) {
            want.push_back(parse_candle(em, r));
            tags.push_back(em.get(r, "after"));
        }
        expect_same_list(emitted, want, emitted_tags, tags);
    }
}

INSTANTIATE_TEST_SUITE_P(cases, golden, ::testing::ValuesIn(case_names()),
                         [](const auto& info) { return info.param; });

TEST(golden_cases, cover_the_required_behaviours) {
    auto names = case_names();
    for (const char* required :
         {"in_order", "out_of_order_within_allowance", "later_than_lateness", "duplicates", "empty_windows",
          "late_within_lateness", "multiple_partitions", "ties_in_event_time", "finish_then_new_window",
          "finish_then_within_lateness", "finish_then_beyond_lateness"}) {
        EXPECT_NE(std::find(names.begin(), names.end(), required), names.end()) << required;
    }
}

} // namespace
} // namespace mdsp::stream
