#include <gtest/gtest.h>

#include "http/quality_route.h"
#include "testing/http_client.h"

namespace mdsp::http {
namespace {

TEST(quality_route, answers_the_checks_filters_by_one_and_names_a_bad_parameter) {
    server_config sc;
    sc.port = 0;
    server srv(sc);
    add_quality_route(srv, [] {
        quality_figures f;
        f.available = true;
        f.stalled_now = 1;
        f.checks.push_back({"spike", 3, {{"XRPETH", 2, 0, 1'570'752'011'620'000}, {"AAPL", 1, 0, 0}}});
        f.checks.push_back({"stall", 1, {{"AAPL", 1, 0, 1'570'752'000'000'000}}});
        return f;
    });
    ASSERT_TRUE(srv.start());

    auto all = testing::get(srv.port(), "/api/v1/quality");
    ASSERT_EQ(all.status, 200u) << all.body;
    auto j = all.json().as_object();
    EXPECT_EQ(j.at("available"), true);
    EXPECT_EQ(j.at("stalled_now").to_number<int>(), 1);
    const auto& checks = j.at("checks").as_array();
    ASSERT_EQ(checks.size(), 2u);
    const auto& spike = checks[0].as_object();
    EXPECT_EQ(spike.at("check"), "spike");
    EXPECT_EQ(spike.at("total").to_number<int>(), 3);
    const auto& top = spike.at("top").as_array()[0].as_object();
    EXPECT_EQ(top.at("symbol"), "XRPETH");
    EXPECT_EQ(top.at("count").to_number<int>(), 2);
    EXPECT_EQ(top.at("last_event_time"), "2019-10-11T00:00:11.620000Z");

    auto one = testing::get(srv.port(), "/api/v1/quality?check=stall").json().as_object();
    ASSERT_EQ(one.at("checks").as_array().size(), 1u);
    EXPECT_EQ(one.at("checks").as_array()[0].at("check"), "stall");

    auto bad = testing::get(srv.port(), "/api/v1/quality?check=bogus");
    EXPECT_EQ(bad.status, 400u);
    auto e = bad.json().as_object();
    EXPECT_EQ(e.at("parameter"), "check");
    EXPECT_NE(std::string(e.at("message").as_string()).find("spike, stall"), std::string::npos) << bad.body;
    srv.stop();
}

TEST(quality_route, says_when_no_processing_stage_runs_here) {
    server_config sc;
    sc.port = 0;
    server srv(sc);
    add_quality_route(srv, [] { return quality_figures{}; });
    ASSERT_TRUE(srv.start());
    auto j = testing::get(srv.port(), "/api/v1/quality").json().as_object();
    EXPECT_EQ(j.at("available"), false);
    EXPECT_TRUE(j.at("checks").as_array().empty());
    srv.stop();
}

} // namespace
} // namespace mdsp::http
