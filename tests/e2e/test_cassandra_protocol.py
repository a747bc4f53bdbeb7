"""mdsp's own CQL client and the suite's real Cassandra 5.0: it negotiates
native protocol v5 (frames in CRC-checked segments) when nothing is said,
and protocol_version=4 in the cassandra:// URI still works, with LZ4 too
(v5 compresses segments, v4 frames). Candles written over one version read
back the same over the other, and each host's version shows in /metrics
(mdsp_cql_protocol_version) and in the log; the node lists mdsp's
connections in system_views.clients by their DRIVER_NAME and version."""
import os

import mdsp_cassandra
import cql_wire  # on the path mdsp_cassandra sets  # isort: skip
from mdsp_e2e import all_candles, check, main, run, server, tempdir
from test_quality import T0, crafted


def setup():
    c = mdsp_cassandra.cluster()
    check(c.auth is not None, "the suite's Cassandra runs with authentication")
    env = dict(os.environ, MDSP_CASSANDRA_PASSWORD=c.auth["password"])
    return c, env


def uri(c, keyspace, version=None, lz4=False):
    u = f"cassandra://{c.contact_points}/{keyspace}?user={c.auth['username']}"
    return u + (f"&protocol_version={version}" if version else "") + ("&compression=lz4" if lz4 else "")


def versions(s):
    """mdsp_cql_protocol_version of each host, from /metrics."""
    return {k: v for k, v in s.metrics().items() if k.startswith("mdsp_cql_protocol_version{")}


def serve_and_check(c, env, store_uri, want):
    with server(["serve", "--store", store_uri], env=env) as s:
        s.wait_for(lambda: versions(s) and all(v > 0 for v in versions(s).values()), timeout=60,
                   what="a protocol version for every host")
        got = versions(s)
        check(len(got) == len(c.nodes) and set(got.values()) == {want},
              f"every host speaks v{want}: {got}")
        log = "".join(s.lines)
        check(f"speaks CQL native protocol v{want}" in log, f"the log says v{want}: {log[-1500:]}")
        with cql_wire.cql_connection(c.nodes[0]["host"], c.port) as w:
            w.startup(c.auth["username"], c.auth["password"])
            clients = [r for r in w.query("SELECT driver_name, driver_version, protocol_version "
                                          "FROM system_views.clients") if r["driver_name"] == "mdsp"]
        check(clients and all(r["driver_version"] and r["protocol_version"] == want for r in clients),
              f"the node lists mdsp's connections as driver 'mdsp' speaking v{want}: {clients}")
        return all_candles(s, "AAA", "1m", start=str(T0)), all_candles(s, "BBB", "1m", start=str(T0))


def test_v5_by_default_and_v4_when_forced():
    c, env = setup()
    ks = mdsp_cassandra.keyspace_name("protocol")
    rf = mdsp_cassandra.replication_factor(c)
    d = tempdir("cassandra-protocol")
    path = os.path.join(d, "ticks.csv")
    crafted(path)
    # Written over a forced v4 (schema statements, prepared writes, batches).
    _, _, err = run(["replay", path, "-d", os.path.join(d, "data-v4"), "--store", uri(c, ks, 4), "--set",
                     "store.cassandra_init=true", "--set",
                     f"store.cassandra_replication={{'class': 'SimpleStrategy', 'replication_factor': {rf}}}"],
                    env=env)
    check("speaks CQL native protocol v4" in err, f"the replay spoke v4: {err[-1500:]}")
    check("native protocol v5" not in err, f"nothing spoke v5: {err[-1500:]}")

    # Read over v5, negotiated, then over v4 with LZ4 frames: the same candles.
    v5 = serve_and_check(c, env, uri(c, ks), 5)
    check(len(v5[0]) == 2 and v5[1], f"2 minutes of AAA, and BBB, over v5: {v5}")
    v4 = serve_and_check(c, env, uri(c, ks, 4, lz4=True), 4)
    check(v4 == v5, "v4 reads what v5 reads")

    # Written again over v5 with LZ4 segments (idempotent upserts): nothing changes.
    _, _, err = run(["replay", path, "-d", os.path.join(d, "data-v5"), "--store", uri(c, ks, lz4=True)], env=env)
    check("speaks CQL native protocol v5" in err, f"the second replay spoke v5: {err[-1500:]}")
    check(serve_and_check(c, env, uri(c, ks, 5, lz4=True), 5) == v5, "a replay over v5 changes nothing")


if __name__ == "__main__":
    main([test_v5_by_default_and_v4_when_forced])
