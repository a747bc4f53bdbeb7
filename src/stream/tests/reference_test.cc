// The reference check (DESIGN.md): Binance's 12,477 XRP/ETH aggregate trades
// straight through the engine give Binance's own 3,560 1-minute klines exactly,
// the 1,091 zero-volume filler minutes included.
#include "stream/tests/test_util.h"

namespace mdsp::stream {
namespace {

void check_against_klines(const std::vector<model::interval>& intervals) {
    auto ticks = test::binance_trades();
    ASSERT_EQ(ticks.size(), 12'477u);

    engine_config cfg;
    cfg.intervals = intervals;
    candle_engine engine(cfg);
    std::map<test::candle_key, model::candle> latest;
    std::vector<model::candle> batch;
    for (size_t i = 0; i < ticks.size(); ++i) {
        ASSERT_EQ(engine.add(ticks[i], partition_id(0)), tick_outcome::accepted) << "trade " << i;
        if (i % 500 == 499) {
            test::take_expanded(engine, batch);
            test::fold(latest, batch);
            batch.clear();
        }
    }
    engine.finish();
    test::take_expanded(engine, batch);
    test::fold(latest, batch);

    auto klines = test::read_csv(MDSP_SHARED_DIR "/data/binance-xrpeth/klines_1m.csv");
    ASSERT_EQ(klines.rows.size(), 3'560u);
    size_t ones = 0;
    for (const auto& [k, c] : latest) {
        ones += std::get<1>(k) == micros_per_minute ? 1 : 0;
    }
    EXPECT_EQ(ones, 3'560u) << "1m candles emitted";

    double total = 0;
    int fillers = 0;
    for (const auto& r : klines.rows) {
        int64_t start = test::to_int(klines.get(r, "open_time_ms")) * 1000;
        auto it = latest.find({"XRPETH", micros_per_minute, start});
        if (it == latest.end()) {
            ADD_FAILURE() << "no candle for " << format_iso8601(start);
            continue;
        }
        const auto& c = it->second;
        EXPECT_EQ(c.open, test::to_double(klines.get(r, "open"))) << test::describe(c);
        EXPECT_EQ(c.high, test::to_double(klines.get(r, "high"))) << test::describe(c);
        EXPECT_EQ(c.low, test::to_double(klines.get(r, "low"))) << test::describe(c);
        EXPECT_EQ(c.close, test::to_double(klines.get(r, "close"))) << test::describe(c);
        EXPECT_EQ(c.volume, test::to_double(klines.get(r, "volume"))) << test::describe(c);
        EXPECT_TRUE(c.final);
        EXPECT_EQ(c.revision, 0);
        total += c.volume;
        fillers += c.trade_count == 0 ? 1 : 0;
    }
    EXPECT_EQ(total, 5'545'735.0);
    EXPECT_EQ(fillers, 1'091);

    auto st = engine.stats();
    EXPECT_EQ(st.accepted, 12'477u);
    EXPECT_EQ(st.duplicates, 0u);
    EXPECT_EQ(st.late, 0u);
}

TEST(reference, binance_xrpeth_1m_klines) {
    check_against_klines({model::interval(micros_per_minute)});
}

TEST(reference, binance_xrpeth_1m_klines_among_default_intervals) {
    check_against_klines(model::default_intervals());
}

} // namespace
} // namespace mdsp::stream
