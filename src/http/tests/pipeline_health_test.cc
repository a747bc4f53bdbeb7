#include <thread>

#include <gtest/gtest.h>

#include "base/metrics.h"
#include "http/pipeline_health.h"
#include "testing/http_client.h"

namespace mdsp::http {
namespace {

TEST(pipeline_health, reports_totals_rates_and_latency_quantiles_from_the_registry) {
    auto& reg = metrics::global();
    auto& ingest = reg.get_counter("mdsp_ingest_ticks_total", "Ticks appended to market.ticks");
    auto& lat = reg.get_histogram("mdsp_ingest_to_store_seconds",
                                  "From a tick's ingest to its candle being readable in the store");
    reg.get_gauge("mdsp_source_up", "1 while the source is producing").set(1);
    reg.get_counter("mdsp_dead_letters_total", "Messages sent to market.deadletter", {{"stage", "ingest"}})
        .inc(2);
    reg.get_counter("mdsp_dead_letters_total", "Messages sent to market.deadletter", {{"stage", "process"}})
        .inc(3);

    server_config sc;
    sc.port = 0;
    server srv(sc);
    // The figures as the pipeline module reports them from its probes.
    auto& up = reg.get_gauge("mdsp_source_up", "1 while the source is producing");
    add_pipeline_route(srv, [&]() {
        pipeline_figures f;
        f.ingest_ticks = static_cast<double>(ingest.value());
        f.source_up = up.value();
        f.dead_letters = 5;
        f.latency = &lat;
        return f;
    });
    ASSERT_TRUE(srv.start());

    auto first = testing::get(srv.port(), "/api/v1/pipeline").json().as_object();
    EXPECT_TRUE(first.at("ingest").at("per_second").is_null()); // no earlier sample yet
    EXPECT_EQ(first.at("feed").at("up"), true);
    EXPECT_GE(first.at("dead_letters_total").to_number<double>(), 5);

    ingest.inc(1000);
    for (int i = 0; i < 100; ++i) {
        lat.observe(i < 98 ? 0.0012 : 0.3); // p50 in (1 ms, 2.5 ms], p99 in (0.25 s, 0.5 s]
    }
    // The next sample is taken once a second has passed since the first.
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    auto second = testing::get(srv.port(), "/api/v1/pipeline").json().as_object();
    EXPECT_GT(second.at("ingest").at("per_second").to_number<double>(), 0);
    const auto& l = second.at("latency").as_object();
    EXPECT_EQ(l.at("observations").to_number<double>(), 100);
    double p50 = l.at("p50_seconds").to_number<double>();
    double p99 = l.at("p99_seconds").to_number<double>();
    EXPECT_GT(p50, 0.001);
    EXPECT_LE(p50, 0.0025);
    EXPECT_GT(p99, 0.25);
    EXPECT_LE(p99, 0.5);
}

} // namespace
} // namespace mdsp::http
