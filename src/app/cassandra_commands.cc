#include "app/cassandra_commands.h"

#include <cstdio>
#include <cstdlib>

#include <spdlog/spdlog.h>

#include "cql/uri.h"
#include "pipeline/data_folder.h"
#include "store/cassandra.h"

namespace mdsp::app {

int cmd_cassandra_init(const config& cfg, const cassandra_options& o) {
    if (!cfg.store.uri.starts_with("cassandra://")) {
        std::fprintf(stderr, "mdsp cassandra init: give the cluster and keyspace with --store "
                             "cassandra://HOST[,HOST][:PORT]/KEYSPACE (or store.uri); the password comes "
                             "from MDSP_CASSANDRA_PASSWORD\n");
        return 2;
    }
    const char* pw = std::getenv("MDSP_CASSANDRA_PASSWORD");
    auto u = cql::parse_cluster_uri(cfg.store.uri, pw != nullptr ? pw : "");
    if (!u) {
        std::fprintf(stderr, "mdsp cassandra init: store.uri: %s\n", u.error().what().c_str());
        return 2;
    }
    if (o.print) {
        for (const auto& stmt :
             store::cassandra_store::schema(u->keyspace, cfg.store.cassandra_replication)) {
            std::printf("%s;\n", stmt.c_str());
        }
        return 0;
    }
    config c = cfg;
    c.store.cassandra_init = true;
    auto st = pipeline::open_store(c);
    if (!st) {
        spdlog::error("mdsp cassandra init: {}", st.error().what());
        return 1;
    }
    std::fprintf(stderr,
                 "mdsp cassandra init: keyspace %s is ready (replication %s; tables ticks, candles, "
                 "latest, candle_buckets, tick_days, state)\n",
                 u->keyspace.c_str(), cfg.store.cassandra_replication.c_str());
    return 0;
}

} // namespace mdsp::app
