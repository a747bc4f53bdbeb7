#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "cql/session.h"

namespace mdsp::cql {

// A cluster as users name it on the command line (DESIGN.md, --store):
//   cassandra://host1,host2:9042/market?dc=dc1&user=mdsp&tls=true&ca_file=/etc/ca.pem&compression=lz4
//   &protocol_version=4
// A host without a port takes the one given last (9042 when none is). The
// path is the keyspace. protocol_version is 4, 5 or auto (the default: v5,
// or v4 with servers that refuse it). The password is never part of a URI: the caller
// reads MDSP_CASSANDRA_PASSWORD and passes it here.
struct cluster_uri {
    session_options options;
    std::string keyspace;
};
result<cluster_uri> parse_cluster_uri(std::string_view uri, std::string_view password = {});

// A name Cassandra accepts unquoted for a keyspace or table: 1 to 48 of
// [A-Za-z0-9_], not starting with '_'.
bool valid_keyspace_name(std::string_view name);

} // namespace mdsp::cql
