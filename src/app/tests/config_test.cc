#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "app/config.h"

namespace mdsp::app {

namespace {
std::string write_file(const std::string& name, const std::string& text) {
    auto p = std::filesystem::temp_directory_path() / name;
    std::ofstream(p) << text;
    return p.string();
}
} // namespace

TEST(config, file_env_and_set_apply_in_order) {
    config c;
    auto path =
        write_file("mdsp_cfg_ok.toml", "data_dir = \"/tmp/x\"\n[http]\nport = 9000\n"
                                       "[engine]\nintervals = [\"1m\", \"1h\"]\nallowed_lateness = \"5m\"\n");
    ASSERT_TRUE(load_file(c, path));
    EXPECT_EQ(c.data_dir, "/tmp/x");
    EXPECT_EQ(c.http.port, 9000);
    ASSERT_EQ(c.engine.intervals.size(), 2u);
    EXPECT_EQ(c.engine.intervals[1].name(), "1h");
    EXPECT_EQ(c.engine.allowed_lateness_us, 300'000'000);
    setenv("MDSP_HTTP_PORT", "9001", 1);
    ASSERT_TRUE(load_env(c));
    unsetenv("MDSP_HTTP_PORT");
    EXPECT_EQ(c.http.port, 9001);
    ASSERT_TRUE(set(c, "http.port", "9002"));
    EXPECT_EQ(c.http.port, 9002);
}

TEST(config, errors_name_the_key_line_and_fix) {
    config c;
    auto path = write_file("mdsp_cfg_bad.toml", "[http]\nport = 9000\nprot = 1\n");
    auto r = load_file(c, path);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().what().find(":3: unknown setting 'http.prot'"), std::string::npos)
        << r.error().what();
    auto r2 = set(c, "engine.out_of_orderness", "2 seconds");
    ASSERT_FALSE(r2);
    EXPECT_NE(r2.error().what().find("like 500ms, 2s"), std::string::npos) << r2.error().what();
    auto r3 = set(c, "http.port", "70000");
    ASSERT_FALSE(r3);
    EXPECT_NE(r3.error().what().find("from 0 to 65535"), std::string::npos) << r3.error().what();
    auto r4 = set(c, "source.spec", "kafka");
    ASSERT_FALSE(r4);
    auto r5 = load_file(c, "/nonexistent/mdsp.toml");
    ASSERT_FALSE(r5);
    EXPECT_NE(r5.error().what().find("/nonexistent/mdsp.toml"), std::string::npos);
}

TEST(config, quality_defaults_and_overrides_by_symbol_and_asset_type) {
    config c;
    auto path = write_file("mdsp_cfg_quality.toml",
                           "[quality]\nmax_jump = 0.2\nstall_min = \"5m\"\nmax_skew = \"off\"\n"
                           "[quality.asset_types.\"Digital Currency\"]\nspike_k = 20\n"
                           "[quality.symbols.\"BRK.B\"]\nmax_jump = 0.05\nwarmup = 8\n");
    auto r = load_file(c, path);
    ASSERT_TRUE(r) << r.error().what();
    EXPECT_EQ(c.quality.defaults.max_jump, 0.2);
    EXPECT_EQ(c.quality.defaults.stall_min_us, 300'000'000);
    EXPECT_EQ(c.quality.defaults.max_skew_us, 0);
    // An override starts from the file's [quality] values; a dot in a name is a dot.
    ASSERT_EQ(c.quality.asset_types.count("Digital Currency"), 1u);
    EXPECT_EQ(c.quality.asset_types.at("Digital Currency").spike_k, 20);
    EXPECT_EQ(c.quality.asset_types.at("Digital Currency").max_jump, 0.2);
    ASSERT_EQ(c.quality.symbols.count("BRK.B"), 1u);
    EXPECT_EQ(c.quality.symbols.at("BRK.B").max_jump, 0.05);
    EXPECT_EQ(c.quality.symbols.at("BRK.B").warmup, 8);
    EXPECT_EQ(c.quality.symbols.at("BRK.B").stall_min_us, 300'000'000);
    ASSERT_TRUE(set(c, "quality.spike_k", "8"));
    EXPECT_EQ(c.quality.defaults.spike_k, 8);

    auto bad = write_file("mdsp_cfg_quality_bad.toml", "[quality.symbols.\"X\"]\nspike = 3\n");
    config d;
    r = load_file(d, bad);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().what().find(":2: quality.symbols.\"X\".spike: unknown quality setting"),
              std::string::npos)
        << r.error().what();
    auto r2 = set(d, "quality.max_jump", "-1");
    ASSERT_FALSE(r2);
    EXPECT_NE(r2.error().what().find("at least 0"), std::string::npos) << r2.error().what();
}

TEST(config, describe_lists_every_setting_with_its_variable) {
    config c;
    auto all = describe(c);
    bool found = false;
    for (const auto& s : all) {
        if (s.path == "engine.allowed_lateness") {
            found = true;
            EXPECT_EQ(s.env, "MDSP_ENGINE_ALLOWED_LATENESS");
            EXPECT_EQ(s.value, "1m");
        }
    }
    EXPECT_TRUE(found);
}

TEST(config, schema_registry_url_must_be_an_http_url) {
    config c;
    ASSERT_TRUE(set(c, "schema_registry.url", "http://127.0.0.1:8081"));
    EXPECT_EQ(c.schema_registry.url, "http://127.0.0.1:8081");
    auto bad = set(c, "schema_registry.url", "127.0.0.1:8081");
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().what().find("http://HOST:PORT"), std::string::npos) << bad.error().what();
    EXPECT_EQ(c.schema_registry.url, "http://127.0.0.1:8081");
    ASSERT_TRUE(set(c, "schema_registry.url", ""));
    EXPECT_TRUE(c.schema_registry.url.empty());
}

} // namespace mdsp::app
