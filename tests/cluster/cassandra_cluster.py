#!/usr/bin/python3
"""A real Apache Cassandra 5.0 cluster on this machine, without containers: 1
node on 127.0.0.1 or 3 nodes on 127.0.0.1, 127.0.0.2 and 127.0.0.3 (Linux
routes all of 127.0.0.0/8 to the loopback device, so no set-up is needed), run
from the jars that `scripts/setup` fetches with Maven
(tests/cluster/cassandra/lib/).

Used by the test suite (a ctest fixture starts one cluster per run) and by
users who want a real Cassandra on one machine:

    tests/cluster/cassandra_cluster.py start --dir /tmp/cassandra --nodes 3
    tests/cluster/cassandra_cluster.py contact-points --dir /tmp/cassandra
    tests/cluster/cassandra_cluster.py kill 2 --dir /tmp/cassandra      # kill -9 one node
    tests/cluster/cassandra_cluster.py restart 2 --dir /tmp/cassandra
    tests/cluster/cassandra_cluster.py stop --dir /tmp/cassandra

Every node listens for CQL on the same port of its own address (9042 when it
is free on every address, another free port otherwise; --port chooses).
`--auth` turns on PasswordAuthenticator and CassandraAuthorizer with a super
user `mdsp` whose generated password is in DIR/cluster.json (the built-in
`cassandra` role is left unable to log in). Everything the cluster has
(addresses, port, process ids, credentials) is in DIR/cluster.json. Standard
library only; runs with Debian's /usr/bin/python3.
"""
import argparse
import json
import os
import secrets
import signal
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cql_wire import CL_ALL, CL_ONE, cql_connection, cql_error  # noqa: E402
from local_cluster import (add_lifecycle_commands, cluster_error, java, jvm_cluster,  # noqa: E402,F401
                           run_lifecycle_command)
import local_cluster  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_LIB = os.environ.get("MDSP_CASSANDRA_LIB", os.path.join(HERE, "cassandra", "lib"))
SETUP_HINT = "run scripts/setup (it fetches Apache Cassandra's jars with Maven into tests/cluster/cassandra/lib)"
AUTH_USER = "mdsp"  # a super user; `cassandra` is left without login
DATACENTER = "dc1"  # as deploy/cassandra/schema.cql names it
HOSTS = ("127.0.0.1", "127.0.0.2", "127.0.0.3")
VNODES = 16  # tokens per node, Cassandra 4.0+'s default

# The module access CassandraDaemon needs on Java 17: the JPMS part of
# Cassandra 5.0's conf/jvm17-server.options (its GC part is in _command below,
# sized for a test node).
JVM17_MODULE_OPTIONS = [
    "-Djdk.attach.allowAttachSelf=true",
    *(f"--add-exports={m}=ALL-UNNAMED" for m in (
        "java.base/jdk.internal.misc", "java.management.rmi/com.sun.jmx.remote.internal.rmi",
        "java.rmi/sun.rmi.registry", "java.rmi/sun.rmi.server", "java.sql/java.sql", "java.base/java.lang.ref",
        "jdk.unsupported/sun.misc", "jdk.compiler/com.sun.tools.javac.file", "jdk.attach/sun.tools.attach")),
    *(f"--add-opens={m}=ALL-UNNAMED" for m in (
        "java.base/java.lang.module", "java.base/jdk.internal.loader", "java.base/jdk.internal.ref",
        "java.base/jdk.internal.reflect", "java.base/jdk.internal.math", "java.base/jdk.internal.module",
        "java.base/jdk.internal.util.jar", "jdk.management/com.sun.management.internal", "java.base/sun.nio.ch",
        "java.base/java.io", "java.base/java.lang.reflect", "jdk.compiler/com.sun.tools.javac",
        "java.base/java.lang", "java.base/java.util")),
    # Netty's direct buffers through Unsafe, and its pre-4.1.75 allocator defaults.
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Dio.netty.allocator.useCacheForAllThreads=true",
    "-Dio.netty.allocator.maxOrder=11",
]


def port_free(host, port):
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
            return True
        except OSError:
            return False


def common_free_port(hosts, preferred=None, taken=()):
    """A TCP port free on every host: preferred when it is, else one the
    kernel picks on the first host that the others have free too."""
    if preferred and preferred not in taken and all(port_free(h, preferred) for h in hosts):
        return preferred
    for _ in range(100):
        with socket.socket() as s:
            s.bind((hosts[0], 0))
            port = s.getsockname()[1]
        if port not in taken and all(port_free(h, port) for h in hosts):
            return port
    raise cluster_error(f"no TCP port is free on all of {', '.join(hosts)}")


def classpath(lib):
    return local_cluster.classpath(lib, "cassandra-all-", "Apache Cassandra", SETUP_HINT)


# --- The cluster --------------------------------------------------------------

LOGBACK = """<configuration scan="false">
  <appender name="stdout" class="ch.qos.logback.core.ConsoleAppender">
    <encoder><pattern>%-5level [%thread] %date{ISO8601} %logger{0} - %msg%n</pattern></encoder>
  </appender>
  <root level="INFO"><appender-ref ref="stdout"/></root>
</configuration>
"""


def _yaml(value):
    """A scalar or a flat list/dict of scalars in YAML flow style (JSON is YAML)."""
    return json.dumps(value)


class cluster(jvm_cluster):
    """A cluster of 1 or 3 nodes under `root`, every one a seed (a new, empty
    cluster: nothing to bootstrap, so they start together). `start()` writes
    each node's cassandra.yaml, starts them and waits until every node serves
    CQL, knows the others and agrees on the schema; `state()` is what
    cluster.json holds (local_cluster.jvm_cluster: the nodes' processes)."""

    TOOL = "cassandra_cluster.py"
    # A clean shutdown would drain each node (flush every table, announce
    # itself down) only for the data to be removed; `terminate N` stops one
    # node cleanly.
    STOP_SIGNAL = signal.SIGKILL
    READY_TIMEOUT = 240

    def __init__(self, root, nodes=1, auth=False, lib=DEFAULT_LIB, heap="512m", port=None):
        if nodes not in (1, 3):
            raise cluster_error(f"a cluster here has 1 or 3 nodes, not {nodes}")
        super().__init__(root, lib, heap)
        self.auth = None
        self.port = port
        self.storage_port = None
        self._want = (nodes, auth)

    def yaml_file(self, node):
        return os.path.join(self.node_dir(node), "cassandra.yaml")

    @property
    def contact_points(self):
        return ",".join(f"{n['host']}:{n['port']}" for n in self.nodes)

    def state(self):
        return {"contact_points": self.contact_points, "port": self.port, "storage_port": self.storage_port,
                "datacenter": DATACENTER, "nodes": self.nodes, "auth": self.auth, "lib": self.lib, "heap": self.heap}

    @classmethod
    def attach(cls, root):
        """The cluster whose cluster.json is in root."""
        st = cls.read_state(root)
        c = cls(root, len(st["nodes"]), bool(st["auth"]), st["lib"], st["heap"], st["port"])
        c.nodes, c.auth, c.storage_port = st["nodes"], st["auth"], st["storage_port"]
        return c

    # Configuration
    def tokens(self, node):
        """The node's VNODES Murmur3 tokens: the ring cut in VNODES * nodes
        equal arcs, dealt to the nodes in turn, so each owns a third of the
        data (on three nodes) and no two nodes share a token."""
        n, k = len(self.nodes), node["id"] - 1
        step = 2**64 // (VNODES * n)
        # Half an arc in: -2**63 is the partitioner's minimum, no node's token.
        return [-2**63 + step // 2 + (i * n + k) * step for i in range(VNODES)]

    def _config(self, node):
        d = self.node_dir(node)
        seeds = ",".join(f"{n['host']}:{self.storage_port}" for n in self.nodes)
        conf = {
            "cluster_name": "mdsp test",
            "num_tokens": VNODES,
            # Given, not allocated: nodes that start together each see an
            # empty ring, and the allocator would give them the same tokens.
            "initial_token": ",".join(str(t) for t in self.tokens(node)),
            "partitioner": "org.apache.cassandra.dht.Murmur3Partitioner",
            "endpoint_snitch": "GossipingPropertyFileSnitch",
            "listen_address": node["host"],
            "rpc_address": node["host"],
            "storage_port": self.storage_port,
            "native_transport_port": node["port"],
            "start_native_transport": True,
            "data_file_directories": [os.path.join(d, "data")],
            "commitlog_directory": os.path.join(d, "commitlog"),
            "hints_directory": os.path.join(d, "hints"),
            "saved_caches_directory": os.path.join(d, "saved_caches"),
            "cdc_raw_directory": os.path.join(d, "cdc_raw"),
            "commitlog_sync": "periodic",
            "commitlog_sync_period": "10000ms",
            "commitlog_segment_size": "16MiB",
            # Two cores for the whole machine: few threads, small caches.
            "concurrent_reads": 8,
            "concurrent_writes": 16,
            "concurrent_counter_writes": 4,
            "concurrent_compactors": 1,
            "memtable_flush_writers": 1,
            # Memtable cells off the heap, as production nodes run: on the
            # heap, a write-heavy minute filled a 1 GB old generation and
            # G1 paused 250-370 ms every few seconds (the p99 of every
            # request in flight then).
            "memtable_allocation_type": "offheap_objects",
            "file_cache_size": "64MiB",
            "networking_cache_size": "32MiB",
            "key_cache_size": "16MiB",
            # Tests drop and truncate tables often: no snapshot each time.
            "auto_snapshot": False,
            "snapshot_before_compaction": False,
            "incremental_backups": False,
            "hinted_handoff_enabled": True,
            "max_hint_window": "3h",
        }
        if self.auth:
            conf.update({
                "authenticator": "PasswordAuthenticator",
                "authorizer": "CassandraAuthorizer",
                "role_manager": "CassandraRoleManager",
                # Roles are made at start on every replica (see _set_up_auth);
                # reads at LOCAL_QUORUM then find them with one node down.
                "auth_write_consistency_level": "ALL",
                "auth_read_consistency_level": "LOCAL_QUORUM",
            })
        lines = [f"{k}: {_yaml(v)}" for k, v in conf.items()]
        lines += ["seed_provider:", "  - class_name: org.apache.cassandra.locator.SimpleSeedProvider",
                  "    parameters:", f"      - seeds: {_yaml(seeds)}"]
        return "\n".join(lines) + "\n"

    def _marker(self, node):
        return f"-Dcassandra.config=file://{self.yaml_file(node)}"

    def _command(self, node):
        d = self.node_dir(node)
        return [java(), f"-Xms{self.heap}", f"-Xmx{self.heap}", "-Xss256k",
                # The G1 settings of jvm17-server.options.
                "-XX:+UseG1GC", "-XX:+ParallelRefProcEnabled", "-XX:MaxTenuringThreshold=1",
                "-XX:G1RSetUpdatingPauseTimePercent=5", "-XX:MaxGCPauseMillis=300",
                "-XX:+ExitOnOutOfMemoryError", "-XX:+PerfDisableSharedMem", "-Djava.net.preferIPv4Stack=true",
                *JVM17_MODULE_OPTIONS,
                f"-javaagent:{self._jamm()}",
                self._marker(node),
                f"-Dcassandra-rackdc.properties=file://{os.path.join(d, 'cassandra-rackdc.properties')}",
                f"-Dlogback.configurationFile={os.path.join(self.root, 'logback.xml')}",
                f"-Dcassandra.logdir={d}", f"-Dcassandra.storagedir={d}", f"-Dcassandra.triggers_dir={d}",
                "-Dcassandra-foreground=yes",  # else the daemon closes stdout, our log
                f"-Dcassandra.jmx.local.port={node['jmx_port']}",
                # A new test cluster: no gossip to wait for, no ring to learn.
                "-Dcassandra.skip_wait_for_gossip_to_settle=0", "-Dcassandra.ring_delay_ms=1000",
                "-Dcassandra.superuser_setup_delay_ms=500",
                # More JVM options for a run, e.g. -XX:NativeMemoryTracking=summary.
                *os.environ.get("MDSP_CASSANDRA_JVM_OPTS", "").split(),
                "-cp", classpath(self.lib), "org.apache.cassandra.service.CassandraDaemon"]

    def _jamm(self):
        """Cassandra measures objects with jamm, loaded as an agent."""
        for f in sorted(os.listdir(self.lib)):
            if f.startswith("jamm-") and f.endswith(".jar"):
                return os.path.join(self.lib, f)
        raise cluster_error(f"jamm's jar is not in {self.lib}: {SETUP_HINT}")

    # Lifecycle
    def start(self, timeout=240, replace=False):
        """Writes the configuration and starts a new cluster; returns once it is
        ready. A cluster left in root (an earlier run that was not stopped) is
        stopped first when replace is true. On a failure the nodes are stopped
        and their logs kept in root/logs."""
        count, auth = self._want
        classpath(self.lib)
        self._fresh_root(replace)
        with open(os.path.join(self.root, "logback.xml"), "w") as f:
            f.write(LOGBACK)
        hosts = HOSTS[:count]
        # port None: 9042 when free; 0: any free port (what tests ask for, so
        # that two clusters starting at once never both take 9042).
        self.port = common_free_port(hosts, 9042 if self.port is None else self.port)
        self.storage_port = common_free_port(hosts, None, taken={self.port})
        jmx = []
        for _ in hosts:
            jmx.append(common_free_port(("127.0.0.1",), None, taken={self.port, self.storage_port, *jmx}))
        self.nodes = [{"id": i + 1, "host": h, "port": self.port, "jmx_port": jmx[i], "pid": None}
                      for i, h in enumerate(hosts)]
        if auth:
            self.auth = {"username": AUTH_USER, "password": secrets.token_urlsafe(18)}
        self.save()
        try:
            for node in self.nodes:
                os.makedirs(self.node_dir(node), exist_ok=True)
                with open(self.yaml_file(node), "w") as f:
                    f.write(self._config(node))
                with open(os.path.join(self.node_dir(node), "cassandra-rackdc.properties"), "w") as f:
                    f.write(f"dc={DATACENTER}\nrack=rack1\n")
                self._launch(node)
            self.save()
            self.wait_ready(timeout, login=False)
            if auth:
                self._set_up_auth(timeout)
            self.wait_ready(timeout)
        except BaseException:
            self.stop(keep_logs=True)
            raise
        return self

    def _set_up_auth(self, timeout):
        """Makes the mdsp super user with the built-in cassandra/cassandra one,
        on every node: system_auth gets one replica per node first, then a
        read at ALL repairs the rows Cassandra wrote with one replica, and the
        role is written at ALL (auth_write_consistency_level)."""
        deadline = time.time() + timeout
        n, pw = len(self.nodes), self.auth["password"]
        steps = [
            f"ALTER KEYSPACE system_auth WITH replication = "
            f"{{'class': 'NetworkTopologyStrategy', '{DATACENTER}': {n}}}",
            ("SELECT role FROM system_auth.roles", CL_ALL),
            f"CREATE ROLE IF NOT EXISTS {AUTH_USER} WITH SUPERUSER = true AND LOGIN = true AND PASSWORD = '{pw}'",
        ]
        last = None
        while time.time() < deadline:
            try:
                with cql_connection(self.nodes[0]["host"], self.port) as c:
                    c.startup("cassandra", "cassandra")
                    for step in steps:
                        cql, cl = step if isinstance(step, tuple) else (step, CL_ONE)
                        c.query(cql, cl)
                break
            except (OSError, cql_error, struct.error) as e:
                last = e
                time.sleep(0.5)
        else:
            raise cluster_error(f"could not make the {AUTH_USER} role within {timeout} s: {last}")
        with cql_connection(self.nodes[0]["host"], self.port) as c:
            c.startup(AUTH_USER, pw)
            c.query(f"ALTER ROLE cassandra WITH PASSWORD = '{secrets.token_urlsafe(18)}' AND LOGIN = false")
            for table in ("roles", "role_members", "role_permissions"):
                c.query(f"SELECT * FROM system_auth.{table}", CL_ALL)

    # Readiness
    def connect(self, node, login=True, timeout=5.0):
        """A cql_connection to the node, past STARTUP. On a cluster with
        authentication it logs in with the cluster's user when login is true,
        else with the built-in cassandra one (before the cluster's user exists)."""
        c = cql_connection(node["host"], node["port"], timeout)
        try:
            user = password = None
            if self.auth and login:
                user, password = self.auth["username"], self.auth["password"]
            elif self.auth:
                user, password = "cassandra", "cassandra"
            c.startup(user, password)
        except BaseException:
            c.close()
            raise
        return c

    def probe(self, node, login=True):
        """What the node says of the cluster: (its schema version, the peers it
        knows). Raises OSError or cql_error while it does not serve CQL."""
        with self.connect(node, login) as c:
            local = c.query("SELECT schema_version FROM system.local")[0]["schema_version"]
            peers = c.query("SELECT peer, schema_version FROM system.peers_v2")
            return local, {(p["peer"], p["schema_version"]) for p in peers}

    def wait_ready(self, timeout=240, login=True):
        """Until every running node serves CQL (answers OPTIONS and STARTUP,
        and a login: see connect()), and each knows every other running node
        with the same schema version as its own. Before the first schema
        change too: one made while a node is still joining can miss it for
        good (the 3-node suite cluster once stayed split for 240 s after
        system_auth's ALTER)."""
        deadline = time.time() + timeout
        last = "no answer yet"
        while time.time() < deadline:
            running = [n for n in self.nodes if n.get("pid")]
            self._check_running(running)
            try:
                ready = True
                for n in running:
                    local, peers = self.probe(n, login)
                    others = {m["host"] for m in running if m is not n}
                    agreed = {p for p, v in peers if v == local}
                    if not others <= agreed:
                        ready = False
                        last = f"node {n['id']} has peers {sorted(peers)}, schema {local}"
                        break
                if ready:
                    return
            except (OSError, cql_error, struct.error, IndexError, KeyError) as e:
                last = str(e)
            time.sleep(0.5)
        raise cluster_error(f"the cluster was not ready within {timeout} s ({last}); logs in {self.root}")

    def nodetool(self, node_id, *args, timeout=300):
        """Runs Cassandra's nodetool (from the same jars) against one node over its local JMX port."""
        node = self.node(node_id)
        cmd = [java(), "-Xmx128m", *JVM17_MODULE_OPTIONS, "-cp", classpath(self.lib),
               f"-Dlogback.configurationFile={self.root}/logback.xml",
               "org.apache.cassandra.tools.NodeTool", "-h", "127.0.0.1", "-p", str(node["jmx_port"]), *args]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def _redact(st):
    if st["auth"]:
        st["auth"] = dict(st["auth"], password="***")
    return st


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    st = sub.add_parser("start", help="configure and start a new cluster, wait until it is ready")
    st.add_argument("--nodes", type=int, choices=(1, 3), default=1)
    st.add_argument("--port", type=int, default=None,
                    help="the CQL port of every node (default: 9042 when free on every address, else a free one; "
                         "0: any free one)")
    st.add_argument("--auth", action="store_true", help="PasswordAuthenticator, with a generated user in cluster.json")
    st.add_argument("--heap", default="512m", help="each node's -Xms and -Xmx (default 512m)")
    st.add_argument("--lib", default=DEFAULT_LIB, help="the folder of Cassandra's jars")
    st.add_argument("--replace", action="store_true", help="stop a cluster left in --dir first")
    add_lifecycle_commands(sub)
    sub.add_parser("contact-points", help="print host:port,... of every node")
    nt = sub.add_parser("nodetool", help="run nodetool against a node: nodetool N --dir DIR -- status")
    nt.add_argument("node", type=int)
    nt.add_argument("args", nargs="*", help="nodetool's arguments, after --")
    argv = sys.argv[1:] if argv is None else argv
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    argv = argv[:argv.index("--")] if "--" in argv else argv
    for p in sub.choices.values():
        p.add_argument("--dir", required=True, help="the cluster's folder")
    args = ap.parse_args(argv)
    try:
        if args.cmd == "start":
            t0 = time.time()
            c = cluster(args.dir, args.nodes, args.auth, args.lib, args.heap, args.port)
            c.start(replace=args.replace)
            rss = sum(c.rss(n) for n in c.nodes) / 2**20
            print(f"cassandra_cluster: {len(c.nodes)} node(s) ready in {time.time() - t0:.1f} s, "
                  f"RSS {rss:.0f} MiB", file=sys.stderr)
            print(c.contact_points, flush=True)
            return 0
        c = cluster.attach(args.dir)
        if args.cmd == "contact-points":
            print(c.contact_points)
            return 0
        if args.cmd == "nodetool":
            p = c.nodetool(args.node, *args.args, *extra)
            sys.stdout.write(p.stdout)
            sys.stderr.write(p.stderr)
            return p.returncode
        return run_lifecycle_command(c, args, _redact)
    except cluster_error as e:
        print(f"cassandra_cluster: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
