"""The test suite's real Apache Kafka cluster and each test's own corner of it.

ctest's kafka_cluster fixture (tests/cluster/CMakeLists.txt) starts one
3-node KRaft cluster per run and names its folder in MDSP_KAFKA_CLUSTER;
importing this module is what makes a test script require that fixture.
Tests share the cluster, so each one works in a `space`: its own topic
prefix (kafka.topic_prefix) and consumer groups, never another test's."""
import contextlib
import os
import sys
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cluster"))
import kafka_cluster  # noqa: E402
import local_cluster  # noqa: E402

PARTITIONS = 4


def cluster():
    """The running suite cluster; exits with what to do when there is none."""
    return local_cluster.suite_cluster(kafka_cluster.cluster, "MDSP_KAFKA_CLUSTER", "Kafka cluster",
                                       "tests/cluster/kafka_cluster.py start --dir DIR --sasl")


def own_cluster(name, nodes=3):
    """A cluster of the test's own, for tests that kill brokers: started under
    the test folder, stopped at the end; its logs stay there after a failure."""
    return local_cluster.own_cluster(lambda root: kafka_cluster.cluster(root, nodes), f"cluster-{name}",
                                     "a Kafka cluster")


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
