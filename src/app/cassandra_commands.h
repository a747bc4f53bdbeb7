#pragma once

#include "app/config.h"

namespace mdsp::app {

// What `mdsp cassandra init` was asked beyond the config.
struct cassandra_options {
    bool print = false; // print the CQL instead of running it
};

// `mdsp cassandra init --store cassandra://HOSTS/KEYSPACE`: creates the
// keyspace (replication from store.cassandra_replication) and the tables of
// deploy/cassandra/schema.cql when missing, waits until the hosts agree on
// the schema and checks that every statement mdsp uses prepares.
// Idempotent. 0 done, 1 failed, 2 bad settings.
int cmd_cassandra_init(const config& cfg, const cassandra_options& o);

} // namespace mdsp::app
