#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "app/config.h"

namespace mdsp::app {

TEST(kafka_config, properties_come_from_toml_set_and_env_and_secrets_are_masked) {
    config c;
    auto p = std::filesystem::temp_directory_path() / "mdsp_kafka_cfg.toml";
    std::ofstream(p) << "[kafka]\nbrokers = \"b1:9092,b2:9092\"\npartitions = 12\n"
                        "[kafka.properties]\n\"security.protocol\" = \"SASL_SSL\"\n\"linger.ms\" = 20\n";
    ASSERT_TRUE(load_file(c, p.string()));
    EXPECT_EQ(c.kafka.brokers, "b1:9092,b2:9092");
    EXPECT_EQ(c.kafka.partitions, 12);
    EXPECT_EQ(c.kafka.properties.at("security.protocol"), "SASL_SSL");
    EXPECT_EQ(c.kafka.properties.at("linger.ms"), "20");

    ASSERT_TRUE(set(c, "kafka.properties.sasl.mechanism", "PLAIN"));
    EXPECT_EQ(c.kafka.properties.at("sasl.mechanism"), "PLAIN");

    setenv("MDSP_KAFKA_PROPERTIES_SASL_PASSWORD", "hunter2", 1);
    ASSERT_TRUE(load_env(c));
    unsetenv("MDSP_KAFKA_PROPERTIES_SASL_PASSWORD");
    EXPECT_EQ(c.kafka.properties.at("sasl.password"), "hunter2");

    bool saw_password = false;
    for (const auto& s : describe(c)) {
        EXPECT_EQ(s.value.find("hunter2"), std::string::npos) << s.path;
        if (s.path == "kafka.properties.sasl.password") {
            saw_password = true;
            EXPECT_EQ(s.value, "***");
            EXPECT_EQ(s.env, "MDSP_KAFKA_PROPERTIES_SASL_PASSWORD");
        }
    }
    EXPECT_TRUE(saw_password);
    EXPECT_FALSE(set(c, "kafka.partitions", "0"));
}

} // namespace mdsp::app
