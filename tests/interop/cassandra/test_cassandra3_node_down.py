"""Three real Cassandra nodes (the suite's cassandra3 cluster), replication
factor 3, and the DataStax Python driver: with one node killed (kill -9 by
tests/cluster/cassandra_cluster.py), LOCAL_QUORUM writes and reads go on and
logins still work (system_auth has a replica on every node); once the node is
restarted it serves CQL again, and reads at ALL (every replica answering) see
every row. What the cluster path of issue 13 relies on, shown with
the reference driver and the local-cluster tool.

Kills and restarts a node of the shared cluster: ctest runs it alone among
the cluster's tests (RESOURCE_LOCK). Runs itself with .venv's python."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..", "..")
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
from mdsp_e2e import in_venv  # noqa: E402
in_venv(__file__, "cassandra-driver")

import time  # noqa: E402

import mdsp_cassandra  # noqa: E402
from mdsp_e2e import check, main  # noqa: E402

from cassandra import ConsistencyLevel  # noqa: E402
from cassandra.query import SimpleStatement  # noqa: E402

c = mdsp_cassandra.cluster()
KS = mdsp_cassandra.keyspace_name("node_down")
ROWS = 200


def wait(cond, what, timeout=90):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return
        time.sleep(0.5)
    raise AssertionError(f"not within {timeout} s: {what}")


def count(session, consistency):
    """The rows of the test's table, None while the read times out or the replicas are unavailable."""
    from cassandra import OperationTimedOut, ReadTimeout, Unavailable

    q = SimpleStatement(f"SELECT count(*) FROM {KS}.latest", consistency_level=consistency)
    try:
        return session.execute(q).one()[0]
    except (ReadTimeout, Unavailable, OperationTimedOut) as e:
        print(f"count at {ConsistencyLevel.value_to_name[consistency]}: {e}", flush=True)
        return None


def test_one_node_down():
    check(len(c.nodes) == 3, f"this test needs the three-node cluster, not {len(c.nodes)} node(s)")
    cluster, session = mdsp_cassandra.driver_session(c)
    try:
        for s in mdsp_cassandra.schema_statements(KS, 3):
            session.execute(s)
        check(cluster.control_connection.wait_for_schema_agreement(), "the three nodes agree on the schema")
        ins = session.prepare(f"INSERT INTO {KS}.latest (symbol, event_time, seq, price) VALUES (?, ?, ?, ?)")
        for i in range(ROWS // 2):
            mdsp_cassandra.execute_idempotent(session, ins, [f"S{i:03d}", i, 0, float(i)])

        # No waiting for anyone to notice: the coordinators wait for 2 of
        # the 3 replicas whatever gossip says of node 3 yet, and the driver
        # sends nothing to a host whose connections dropped.
        c.kill(3)
        down = c.node(3)["host"]
        for i in range(ROWS // 2, ROWS):  # LOCAL_QUORUM: 2 of the 3 replicas are enough
            mdsp_cassandra.execute_idempotent(session, ins, [f"S{i:03d}", i, 0, float(i)])
        # A read asks only 2 of the 3 replicas: until gossip convicts node 3
        # (seconds after the kill) a coordinator may pick it and time out.
        wait(lambda: count(session, ConsistencyLevel.LOCAL_QUORUM) == ROWS,
             f"{ROWS} rows read at LOCAL_QUORUM with node 3 down")
        for node in c.nodes[:2]:
            with c.connect(node) as conn:  # a fresh login: the role is on the nodes that are up
                conn.query("SELECT release_version FROM system.local")

        t0 = time.time()
        c.restart(3)
        print(f"node 3 restarted and ready in {time.time() - t0:.1f} s", flush=True)
        wait(lambda: any(h.is_up for h in cluster.metadata.all_hosts() if h.address == down),
             f"the driver sees {down} up again")

        wait(lambda: count(session, ConsistencyLevel.ALL) == ROWS, f"{ROWS} rows at consistency ALL")
    finally:
        try:
            if not c.alive(c.node(3)):  # the cluster's other tests need all three
                c.restart(3)
            session.execute(f"DROP KEYSPACE IF EXISTS {KS}")
        finally:
            cluster.shutdown()


if __name__ == "__main__":
    main([test_one_node_down])
