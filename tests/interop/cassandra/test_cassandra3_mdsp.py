"""mdsp's Cassandra store on three real nodes (the suite's cassandra3 cluster):

- token-aware routing, checked by Cassandra itself: in a keyspace with one
  copy of each row, `mdsp up` replays the Binance reference; then on every
  node the writes it coordinated equal the writes it applied locally, table
  by table (system_views.coordinator_write_latency and local_write_latency):
  every write went straight to the replica of its partition. mdsp's own
  count of requests per host (mdsp_cql_requests_total in /metrics) is
  printed beside them.
- one node down, replication factor 3: with node 3 killed, `mdsp replay` of
  the reference writes at LOCAL_QUORUM, and `mdsp serve` gives all 3,560
  klines exactly.

Kills and restarts a node of the shared cluster: ctest runs it alone among
the cluster's tests (RESOURCE_LOCK). Runs itself with .venv's python."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..", "..")
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
from mdsp_e2e import in_venv  # noqa: E402
in_venv(__file__, "cassandra-driver")

import re  # noqa: E402

import mdsp_cassandra  # noqa: E402
from mdsp_e2e import TRADES, all_candles, check, main, run, server, tempdir  # noqa: E402
from test_reference import compare, klines  # noqa: E402

TABLES = ("candles", "ticks", "latest", "state")


def store_args(c, ks):
    return ["--store", f"cassandra://{c.contact_points}/{ks}?user={c.auth['username']}"]


def node_counts(c, ks):
    """{(host, table): (coordinated, applied locally)} of ks's writes, asked of each node alone."""
    from cassandra.auth import PlainTextAuthProvider
    from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile
    from cassandra.policies import WhiteListRoundRobinPolicy

    out = {}
    for node in c.nodes:
        host = node["host"]
        profile = ExecutionProfile(load_balancing_policy=WhiteListRoundRobinPolicy([host]), request_timeout=30)
        cl = Cluster([host], port=c.port, auth_provider=PlainTextAuthProvider(c.auth["username"], c.auth["password"]),
                     protocol_version=5, execution_profiles={EXEC_PROFILE_DEFAULT: profile})
        try:
            s = cl.connect()
            for view, i in (("coordinator_write_latency", 0), ("local_write_latency", 1)):
                for r in s.execute(f"SELECT table_name, count FROM system_views.{view} WHERE keyspace_name = %s",
                                   [ks]):
                    if r.table_name in TABLES:
                        pair = list(out.get((host, r.table_name), (0, 0)))
                        pair[i] = r.count
                        out[(host, r.table_name)] = tuple(pair)
        finally:
            cl.shutdown()
    return out


def test_every_write_goes_to_its_replica():
    c = mdsp_cassandra.cluster()
    check(len(c.nodes) == 3, f"this test needs the three-node cluster, not {len(c.nodes)} node(s)")
    env = dict(os.environ, MDSP_CASSANDRA_PASSWORD=c.auth["password"])
    ks = mdsp_cassandra.keyspace_name("routing")
    store = store_args(c, ks)
    run(["cassandra", "init", *store, "--replication", "{'class': 'SimpleStrategy', 'replication_factor': 1}"],
        env=env)
    with server(["up", "--source", f"replay:{TRADES}", "-d", tempdir("cassandra3-routing"), *store], env=env) as s:
        s.wait_for(lambda: s.metric("mdsp_pipeline_done") == 1, what="the replay to be in Cassandra")
        compare(all_candles(s, "XRPETH", "1m"), klines())
        requests = {m.group(1): v for k, v in s.metrics().items()
                    for m in [re.match(r'mdsp_cql_requests_total\{host="([^"]+)"', k)] if m}
        check(s.stop() == 0, "mdsp up exits 0")
    print(f"mdsp's requests per host: {requests}", flush=True)
    counts = node_counts(c, ks)
    for (host, table), (coordinated, local) in sorted(counts.items()):
        print(f"{host} {table}: coordinated {coordinated}, applied locally {local}", flush=True)
    written = {t: sum(v[1] for (h, tt), v in counts.items() if tt == t) for t in TABLES}
    check(all(written[t] > 0 for t in ("candles", "ticks", "latest")), f"writes reached every table: {written}")
    owners = {h for (h, t), v in counts.items() if t != "state" and v[1] > 0}
    check(len(owners) >= 2, f"the data's partitions are spread over at least two nodes: {owners}")
    wrong = {k: v for k, v in counts.items() if v[0] != v[1]}
    check(not wrong, f"every write was coordinated by the replica of its partition; these were not: {wrong}")
    got = [h for h, n in requests.items() if n > 0]
    check(len(got) == 3, f"mdsp talks to all three nodes: {requests}")


def test_writes_go_on_with_one_node_down():
    c = mdsp_cassandra.cluster()
    check(len(c.nodes) == 3, f"this test needs the three-node cluster, not {len(c.nodes)} node(s)")
    env = dict(os.environ, MDSP_CASSANDRA_PASSWORD=c.auth["password"])
    ks = mdsp_cassandra.keyspace_name("node_down_mdsp")
    store = store_args(c, ks)
    run(["cassandra", "init", *store, "--replication", "{'class': 'SimpleStrategy', 'replication_factor': 3}"],
        env=env)
    c.kill(3)
    try:
        run(["replay", TRADES, "-d", tempdir("cassandra3-node-down"), "--log-level", "warn", *store], env=env)
        with server(["serve", *store], env=env) as s:
            compare(all_candles(s, "XRPETH", "1m"), klines())
    finally:
        c.restart(3)  # the cluster's other tests need all three


if __name__ == "__main__":
    main([test_every_write_goes_to_its_replica, test_writes_go_on_with_one_node_down])
