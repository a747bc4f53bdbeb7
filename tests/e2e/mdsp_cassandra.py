"""The test suite's real Apache Cassandra and each test's own keyspace in it.

ctest's cassandra_cluster fixture (tests/cluster/CMakeLists.txt) starts one
node per run (cassandra3_cluster: three, for the tests labelled cassandra3)
and names its folder in MDSP_CASSANDRA_CLUSTER; importing this module is what
makes a test script require the fixture. Tests share the cluster, so each one
works in a keyspace of its own (`keyspace_name`), made from
deploy/cassandra/schema.cql by `schema_statements`, never in another test's.

Standard library only; `driver_session` needs the DataStax driver
(cassandra-driver, in the .venv that scripts/setup makes)."""
import os
import re
import sys
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMA = os.path.join(HERE, "..", "..", "deploy", "cassandra", "schema.cql")
sys.path.insert(0, os.path.join(HERE, "..", "cluster"))
import cassandra_cluster  # noqa: E402
import local_cluster  # noqa: E402


def cluster():
    """The running suite cluster; exits with what to do when there is none."""
    return local_cluster.suite_cluster(cassandra_cluster.cluster, "MDSP_CASSANDRA_CLUSTER", "Cassandra",
                                       "tests/cluster/cassandra_cluster.py start --dir DIR --auth")


def own_cluster(name, auth=True):
    """A one-node cluster of the test's own, for tests that stop Cassandra:
    started under the test folder, stopped at the end; its logs stay there
    after a failure."""
    return local_cluster.own_cluster(lambda root: cassandra_cluster.cluster(root, 1, auth=auth),
                                     f"cassandra-{name}", "a Cassandra node")


def replication_factor(c):
    """What the schema's keyspace gets on this cluster: 3 copies, or one per node when there are fewer."""
    return min(3, len(c.nodes))


def keyspace_name(test):
    """A keyspace of the test's own: a CQL identifier (letters, digits, _; at most 48)."""
    base = re.sub(r"[^a-z0-9_]", "_", test.lower())[:30]
    return f"t_{base}_{uuid.uuid4().hex[:12]}"


def schema_statements(keyspace="market", replication_factor=3, path=SCHEMA):
    """The statements of deploy/cassandra/schema.cql, in order, with the
    keyspace renamed and its replication factor set: what `mdsp cassandra
    init` is to do with the keyspace and replication of its configuration.
    Each statement is idempotent (IF NOT EXISTS)."""
    with open(path) as f:
        text = re.sub(r"--[^\n]*", "", f.read())
    out = []
    for stmt in (s.strip() for s in text.split(";")):
        if not stmt:
            continue
        stmt = re.sub(r"\bKEYSPACE IF NOT EXISTS market\b", f"KEYSPACE IF NOT EXISTS {keyspace}", stmt)
        stmt = re.sub(r"\bmarket\.", f"{keyspace}.", stmt)
        stmt = re.sub(r"'replication_factor':\s*\d+", f"'replication_factor': {replication_factor}", stmt)
        out.append(" ".join(stmt.split()))
    return out


def driver_session(c, keyspace=None, credentials=None, consistency="LOCAL_QUORUM", **kw):
    """(Cluster, Session) of the DataStax Python driver on the cluster, logged
    in as credentials (user, password) or else with the cluster's user when
    it has one; LOCAL_QUORUM by default, the consistency mdsp writes with.
    kw go to the driver's Cluster."""
    from cassandra import ConsistencyLevel
    from cassandra.auth import PlainTextAuthProvider
    from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile
    from cassandra.policies import ConstantReconnectionPolicy, DCAwareRoundRobinPolicy, TokenAwarePolicy

    if credentials is None and c.auth:
        credentials = (c.auth["username"], c.auth["password"])
    auth = PlainTextAuthProvider(*credentials) if credentials else None
    policy = TokenAwarePolicy(DCAwareRoundRobinPolicy(cassandra_cluster.DATACENTER))
    profile = ExecutionProfile(load_balancing_policy=policy, request_timeout=30,
                               consistency_level=ConsistencyLevel.name_to_value[consistency])
    # A node restarted by a test is used again within a second, not after
    # the default exponential back-off.
    kw.setdefault("reconnection_policy", ConstantReconnectionPolicy(1.0))
    cl = Cluster([n["host"] for n in c.nodes], port=c.port, auth_provider=auth, protocol_version=5,
                 execution_profiles={EXEC_PROFILE_DEFAULT: profile}, **kw)
    return cl, cl.connect(keyspace)


def execute_idempotent(session, statement, params=None, tries=6):
    """session.execute of an idempotent statement (an upsert, a read), again
    after a server-side timeout or unavailable, with back-off: on a loaded
    2-core machine a replica can miss the 2 s write timeout, and a client
    retries only what is safe to repeat, as mdsp's is to."""
    from cassandra import OperationTimedOut, ReadTimeout, Unavailable, WriteTimeout

    for i in range(tries):
        try:
            return session.execute(statement, params)
        except (WriteTimeout, ReadTimeout, Unavailable, OperationTimedOut) as e:
            if i == tries - 1:
                raise
            print(f"retrying after {type(e).__name__}: {e}", flush=True)
            time.sleep(0.25 * 2**i)
