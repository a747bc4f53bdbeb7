#include <gtest/gtest.h>

#include "cql/uri.h"

namespace mdsp::cql {
namespace {

TEST(cql_uri, hosts_ports_keyspace_and_parameters) {
    auto u =
        parse_cluster_uri("cassandra://h1,h2:9142,h3/market?dc=dc1&user=mdsp&tls=true&compression=lz4", "pw");
    ASSERT_TRUE(u) << u.error().what();
    EXPECT_EQ(u->keyspace, "market");
    EXPECT_EQ(u->options.contact_points, (std::vector<std::string>{"h1:9142", "h2:9142", "h3:9042"}));
    EXPECT_EQ(u->options.local_dc, "dc1");
    ASSERT_TRUE(u->options.conn.auth);
    EXPECT_EQ(u->options.conn.auth->user, "mdsp");
    EXPECT_EQ(u->options.conn.auth->password, "pw");
    EXPECT_TRUE(u->options.conn.tls.enabled);
    EXPECT_TRUE(u->options.conn.tls.verify);
    EXPECT_TRUE(u->options.conn.lz4);
    EXPECT_FALSE(u->options.conn.protocol_version); // negotiated: v5, or v4 when refused
    auto plain = parse_cluster_uri("cassandra://127.0.0.1/market");
    ASSERT_TRUE(plain);
    EXPECT_FALSE(plain->options.conn.auth);
    auto v4 = parse_cluster_uri("cassandra://h/market?protocol_version=4");
    ASSERT_TRUE(v4) << v4.error().what();
    EXPECT_EQ(v4->options.conn.protocol_version, protocol::v4);
    EXPECT_EQ(parse_cluster_uri("cassandra://h/market?protocol_version=5")->options.conn.protocol_version,
              protocol::v5);
    EXPECT_FALSE(
        parse_cluster_uri("cassandra://h/market?protocol_version=auto")->options.conn.protocol_version);
    EXPECT_EQ(plain->options.contact_points, std::vector<std::string>{"127.0.0.1:9042"});
}

TEST(cql_uri, mistakes_say_what_to_write) {
    EXPECT_NE(parse_cluster_uri("http://h/market").error().what().find("cassandra://"), std::string::npos);
    EXPECT_NE(parse_cluster_uri("cassandra://h").error().what().find("keyspace"), std::string::npos);
    EXPECT_FALSE(parse_cluster_uri("cassandra://h/bad-name"));
    EXPECT_FALSE(parse_cluster_uri("cassandra://h:99999/market"));
    EXPECT_FALSE(parse_cluster_uri("cassandra://,h/market"));
    EXPECT_FALSE(parse_cluster_uri("cassandra://h/market?tls=maybe"));
    EXPECT_FALSE(parse_cluster_uri("cassandra://h/market?colour=blue"));
    auto v3 = parse_cluster_uri("cassandra://h/market?protocol_version=3");
    ASSERT_FALSE(v3);
    EXPECT_NE(v3.error().what().find("4, 5 or auto"), std::string::npos) << v3.error().what();
    auto pw = parse_cluster_uri("cassandra://h/market?password=secret");
    ASSERT_FALSE(pw);
    EXPECT_NE(pw.error().what().find("MDSP_CASSANDRA_PASSWORD"), std::string::npos);
    EXPECT_EQ(pw.error().what().find("secret"), std::string::npos);
    EXPECT_TRUE(valid_keyspace_name("market_2"));
    EXPECT_FALSE(valid_keyspace_name("_x"));
    EXPECT_FALSE(valid_keyspace_name(std::string(49, 'a')));
}

} // namespace
} // namespace mdsp::cql
