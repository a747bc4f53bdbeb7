"""The test suite's real Apache Kafka cluster and each test's own corner of it.

ctest's kafka_cluster fixture (tests/cluster/CMakeLists.txt) starts one
3-node KRaft cluster per run and names its folder in MDSP_KAFKA_CLUSTER;
importing this module is what makes a test script require that fixture.
Tests share the cluster, so each one works in a `space`: its own topic
prefix (kafka.topic_prefix) and consumer groups, never another test's."""
import contextlib
import os
import sys
import tempfile
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cluster"))
import kafka_cluster  # noqa: E402

PARTITIONS = 4


def cluster():
    """The running suite cluster; exits with what to do when there is none."""
    d = os.environ.get("MDSP_KAFKA_CLUSTER")
    if not d:
        sys.exit("MDSP_KAFKA_CLUSTER is not set: run this test through ctest, whose kafka_cluster fixture starts a "
                 "real Kafka cluster (Kafka's jars come from scripts/setup), or start one yourself with "
                 "tests/cluster/kafka_cluster.py start --dir DIR --sasl and set MDSP_KAFKA_CLUSTER=DIR")
    try:
        c = kafka_cluster.cluster.attach(d)
    except kafka_cluster.cluster_error as e:
        sys.exit(f"no Kafka cluster for this test: {e} (the jars come from scripts/setup)")
    down = [n["id"] for n in c.nodes if not c.alive(n)]
    if down:
        sys.exit(f"the suite's Kafka cluster in {d} has nodes {down} down; see {d}/node-*/server.log")
    return c


@contextlib.contextmanager
def own_cluster(name, nodes=3):
    """A cluster of the test's own, for tests that kill brokers: started under
    the test folder, stopped at the end; its logs stay there after a failure."""
    root = tempfile.mkdtemp(prefix=f"mdsp-cluster-{name}-", dir=os.environ.get("MDSP_TEST_TMP"))
    try:
        c = kafka_cluster.cluster(root, nodes).start(replace=True)
    except kafka_cluster.cluster_error as e:
        raise AssertionError(f"cannot start a Kafka cluster: {e}")
    failed = True
    try:
        yield c
        failed = False
    finally:
        c.stop(keep_logs=failed)
        if failed:
            print(f"the cluster's logs: {root}/logs", flush=True)


class space:
    """One test's topics and groups on the shared cluster: `args()` gives the
    mdsp flags that put a command there."""

    def __init__(self, name, partitions=PARTITIONS, c=None):
        self.cluster = c or cluster()
        self.prefix = f"{name}-{uuid.uuid4().hex[:8]}."
        self.partitions = partitions
        self.ticks = self.prefix + "market.ticks"
        self.candles = self.prefix + "market.candles"
        self.deadletter = self.prefix + "market.deadletter"

    @property
    def bootstrap(self):
        return self.cluster.bootstrap

    def group(self, name="process"):
        return self.prefix + name

    def args(self, group="process"):
        """--kafka and the settings of this space (the group is used by mdsp process only)."""
        return ["--kafka", self.bootstrap, "--set", f"kafka.group={self.group(group)}", "--set",
                f"kafka.topic_prefix={self.prefix}", "--set", f"kafka.partitions={self.partitions}"]


@contextlib.contextmanager
def reference_up(name):
    """`mdsp up` of the Binance reference in a space of its own, yielded as
    (space, server) once the whole replay is in the store."""
    from mdsp_e2e import TRADES, server, tempdir
    sp = space(name)
    with server(["up"] + sp.args() + ["--source", f"replay:{TRADES}", "-d", tempdir(f"kafka-{name}")]) as s:
        s.wait_for(lambda: s.metric("mdsp_pipeline_done") == 1, what="the reference replay through Kafka")
        yield sp, s
