#!/usr/bin/python3
"""A real Apache Kafka cluster on this machine, without containers: 1 or 3
combined broker/controller nodes (KRaft) on free loopback ports, run from the
jars that `scripts/setup` fetches with Maven (tests/cluster/lib/).

Used by the test suite (a ctest fixture starts one cluster per run) and by
users who want a real cluster on one machine:

    tests/cluster/kafka_cluster.py start --dir /tmp/kafka --nodes 3
    mdsp up --kafka "$(tests/cluster/kafka_cluster.py bootstrap --dir /tmp/kafka)"
    tests/cluster/kafka_cluster.py kill 2 --dir /tmp/kafka      # kill -9 one node
    tests/cluster/kafka_cluster.py restart 2 --dir /tmp/kafka
    tests/cluster/kafka_cluster.py stop --dir /tmp/kafka

`--sasl` adds a SASL_SSL listener (SCRAM-SHA-512, a CA and a broker
certificate made here with openssl) beside the plaintext one. Everything the
cluster has (ports, process ids, the SASL user's password, the CA file) is in
DIR/cluster.json. Standard library only; runs with Debian's /usr/bin/python3.
"""
import argparse
import base64
import os
import secrets
import socket
import struct
import subprocess
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from local_cluster import (add_lifecycle_commands, cluster_error, java, jvm_cluster,  # noqa: E402,F401
                           run_lifecycle_command)
import local_cluster  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_LIB = os.environ.get("MDSP_KAFKA_LIB", os.path.join(HERE, "lib"))
SETUP_HINT = "run scripts/setup (it fetches Apache Kafka's jars with Maven into tests/cluster/lib)"
SASL_USER = "mdsp"              # may do anything (a super user)
LIMITED_USER = "mdsp-limited"   # governed by ACLs, none at first (everything allowed until a test adds some)


def free_ports(n):
    """n distinct free TCP ports on 127.0.0.1 (bound together, then released)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def classpath(lib):
    return local_cluster.classpath(lib, "kafka_2.13-", "Apache Kafka", SETUP_HINT)


# --- The Kafka protocol, just enough to ask a broker for its metadata ----------

def _string(s):
    b = s.encode()
    return struct.pack(">h", len(b)) + b


class _reader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, fmt):
        v = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += struct.calcsize(fmt)
        return v[0]

    def string(self):
        n = self.take(">h")
        if n < 0:
            return None
        s = self.data[self.pos:self.pos + n].decode()
        self.pos += n
        return s

    def array(self, item):
        n = self.take(">i")
        return [item() for _ in range(max(n, 0))]


def metadata(host, port, timeout=5.0):
    """Metadata v4 (the oldest Kafka 4 serves) from one broker:
    {"brokers": {id: port}, "controller": id, "topics": {name: {partition: (leader, replicas, isr)}}}."""
    body = struct.pack(">i", -1) + b"\x00"  # every topic; no auto-creation
    req = struct.pack(">hhi", 3, 4, 1) + _string("mdsp-kafka-cluster") + body
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.sendall(struct.pack(">i", len(req)) + req)
        head = _recv_exact(s, 4)
        data = _recv_exact(s, struct.unpack(">i", head)[0])
    r = _reader(data)
    r.take(">i")  # correlation id
    r.take(">i")  # throttle time
    brokers = {}
    for node, _host, bport, _rack in r.array(lambda: (r.take(">i"), r.string(), r.take(">i"), r.string())):
        brokers[node] = bport
    r.string()  # cluster id
    controller = r.take(">i")
    topics = {}

    def partition():
        err, idx, leader = r.take(">h"), r.take(">i"), r.take(">i")
        replicas = r.array(lambda: r.take(">i"))
        isr = r.array(lambda: r.take(">i"))
        return idx, (leader, replicas, isr, err)

    def topic():
        err, name, _internal = r.take(">h"), r.string(), r.take(">b")
        return name, err, dict(r.array(partition))

    for name, err, parts in r.array(topic):
        if err == 0:
            topics[name] = {p: v[:3] for p, v in parts.items()}
    return {"brokers": brokers, "controller": controller, "topics": topics}


def _recv_exact(s, n):
    out = b""
    while len(out) < n:
        chunk = s.recv(n - len(out))
        if not chunk:
            raise ConnectionError("the broker closed the connection")
        out += chunk
    return out


# --- Certificates for the SASL_SSL listener -----------------------------------

def make_certificates(folder):
    """A CA and a broker certificate for 127.0.0.1/localhost, made with openssl.
    Returns (ca.pem, broker.pem with the key and the chain) paths."""
    os.makedirs(folder, exist_ok=True)
    ca_key, ca, key = (os.path.join(folder, n) for n in ("ca.key", "ca.pem", "broker.key"))
    csr, crt, ext = (os.path.join(folder, n) for n in ("broker.csr", "broker.crt", "broker.ext"))
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.PIPE, "check": True}

    def openssl(*args):
        try:
            subprocess.run(["openssl", *args], **quiet)
        except FileNotFoundError:
            raise cluster_error("no openssl: install Debian's openssl (scripts/setup does)")
        except subprocess.CalledProcessError as e:
            raise cluster_error(f"openssl {args[0]} failed: {e.stderr.decode(errors='replace')}")

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key, "-out", ca, "-days", "30",
            "-subj", "/CN=mdsp test CA")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr, "-subj", "/CN=127.0.0.1")
    with open(ext, "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n")
    openssl("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial", "-out", crt, "-days", "30",
            "-extfile", ext)
    # Kafka's PEM key store: a PKCS#8 key, then the certificate chain.
    pk8 = os.path.join(folder, "broker.pk8")
    openssl("pkcs8", "-topk8", "-nocrypt", "-in", key, "-out", pk8)
    store = os.path.join(folder, "broker.pem")
    with open(store, "w") as out:
        for part in (pk8, crt, ca):
            with open(part) as f:
                out.write(f.read())
    return ca, store


# --- The cluster --------------------------------------------------------------

# Kafka's tools (a short JVM each) say only what went wrong, on stderr.
TOOL_LOG4J = """status = warn
appender.err.type = Console
appender.err.name = err
appender.err.target = SYSTEM_ERR
appender.err.layout.type = PatternLayout
appender.err.layout.pattern = %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.err.ref = err
"""

LOG4J = """status = warn
appender.out.type = Console
appender.out.name = out
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRefs = out
rootLogger.appenderRef.out.ref = out
logger.kafka.name = kafka
logger.kafka.level = INFO
logger.state.name = state.change.logger
logger.state.level = WARN
"""


class cluster(jvm_cluster):
    """A KRaft cluster of `nodes` combined broker/controller nodes under `root`.
    `start()` formats the storage and starts every node, then waits until each
    broker answers with all brokers in its metadata; `state()` is what
    cluster.json holds (local_cluster.jvm_cluster: the nodes' processes)."""

    TOOL = "kafka_cluster.py"
    STATE_EXTRAS = ("tls",)
    READY_TIMEOUT = 180

    def __init__(self, root, nodes=3, sasl=False, lib=DEFAULT_LIB, heap="512m"):
        if nodes < 1:
            raise cluster_error(f"a cluster has at least 1 node, not {nodes}")
        super().__init__(root, lib, heap)
        self.sasl = None
        self.cluster_id = None
        self._want = (nodes, sasl)

    @property
    def bootstrap(self):
        return ",".join(f"127.0.0.1:{n['port']}" for n in self.nodes)

    @property
    def sasl_bootstrap(self):
        return ",".join(f"127.0.0.1:{n['sasl_port']}" for n in self.nodes) if self.sasl else None

    def state(self):
        return {"cluster_id": self.cluster_id, "bootstrap": self.bootstrap, "nodes": self.nodes,
                "sasl": dict(self.sasl, bootstrap=self.sasl_bootstrap) if self.sasl else None,
                "lib": self.lib, "heap": self.heap}

    @classmethod
    def attach(cls, root):
        """The cluster whose cluster.json is in root."""
        st = cls.read_state(root)
        c = cls(root, len(st["nodes"]), bool(st["sasl"]), st["lib"], st["heap"])
        c.nodes, c.cluster_id = st["nodes"], st["cluster_id"]
        c.sasl = {k: v for k, v in st["sasl"].items() if k != "bootstrap"} if st["sasl"] else None
        return c

    # Configuration
    def _properties(self, node):
        n = len(self.nodes)
        voters = ",".join(f"{m['id']}@127.0.0.1:{m['controller_port']}" for m in self.nodes)
        listeners = [f"PLAINTEXT://127.0.0.1:{node['port']}"]
        if self.sasl:
            listeners.append(f"SASL_SSL://127.0.0.1:{node['sasl_port']}")
        props = {
            "process.roles": "broker,controller",
            "node.id": node["id"],
            "controller.quorum.voters": voters,
            "listeners": ",".join(listeners + [f"CONTROLLER://127.0.0.1:{node['controller_port']}"]),
            "advertised.listeners": ",".join(listeners),
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL",
            "log.dirs": os.path.join(self.node_dir(node), "data"),
            # Topics are made by their users (mdsp's Admin API calls), never by a fetch.
            "auto.create.topics.enable": "false",
            "num.partitions": 1,
            "default.replication.factor": n,
            "min.insync.replicas": min(2, n),
            "offsets.topic.replication.factor": n,
            "offsets.topic.num.partitions": 10,
            "transaction.state.log.replication.factor": n,
            "transaction.state.log.min.isr": min(2, n),
            "transaction.state.log.num.partitions": 4,
            "share.coordinator.state.topic.replication.factor": n,
            "share.coordinator.state.topic.min.isr": min(2, n),
            "group.initial.rebalance.delay.ms": 0,
            # Two cores on a test machine: few threads per node.
            "num.network.threads": 2,
            "num.io.threads": 2,
            "num.recovery.threads.per.data.dir": 1,
            "background.threads": 2,
            "log.cleaner.threads": 1,
            "log.cleaner.dedupe.buffer.size": 8 * 1024 * 1024,
            # A killed node's replicas leave the ISR in seconds, not 30 s.
            "replica.lag.time.max.ms": 10000,
            "broker.heartbeat.interval.ms": 1000,
            "broker.session.timeout.ms": 6000,
        }
        if self.sasl:
            # SCRAM-SHA-512 is what users run; PLAIN (over TLS) beside it serves
            # clients whose SCRAM Kafka 4 refuses (librdkafka before 2.6.1).
            users = " ".join(f'user_{u}="{pw}"' for u, pw in self.sasl["users"].items())
            plain = f"org.apache.kafka.common.security.plain.PlainLoginModule required {users};"
            props.update({
                "sasl.enabled.mechanisms": "SCRAM-SHA-512,PLAIN",
                "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config":
                    "org.apache.kafka.common.security.scram.ScramLoginModule required;",
                "listener.name.sasl_ssl.plain.sasl.jaas.config": plain,
                "listener.name.sasl_ssl.ssl.keystore.type": "PEM",
                "listener.name.sasl_ssl.ssl.keystore.location": self.sasl["keystore"],
                # ACLs for the limited user; the plaintext listener's and the
                # controllers' ANONYMOUS and the mdsp user may do anything.
                "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
                "allow.everyone.if.no.acl.found": "true",
                "super.users": f"User:ANONYMOUS;User:{SASL_USER}",
            })
        return "".join(f"{k}={v}\n" for k, v in props.items())

    def _java(self, main, *args, heap="256m", log4j="tools-log4j2.properties", server=False):
        # A broker gets the collector settings of Kafka's own start script
        # (kafka-run-class.sh): short G1 pauses, so that a collection does not
        # hold every record in flight for the default pause goal of 200 ms.
        gc = ["-XX:MaxGCPauseMillis=20", "-XX:InitiatingHeapOccupancyPercent=35",
              "-XX:+ExplicitGCInvokesConcurrent", f"-Xms{heap}"] if server else []
        return [java(), f"-Xmx{heap}", "-XX:+UseG1GC", *gc, "-XX:+ExitOnOutOfMemoryError",
                "-Djava.awt.headless=true", f"-Dlog4j2.configurationFile={os.path.join(self.root, log4j)}",
                "-cp", classpath(self.lib), main, *args]

    # Lifecycle
    def start(self, timeout=180, replace=False):
        """Formats and starts a new cluster; returns once every broker is ready.
        A cluster left in root (an earlier run that was not stopped) is stopped
        first when replace is true. On a failure the nodes are stopped and
        their logs kept in root/logs."""
        count, sasl = self._want
        classpath(self.lib)
        self._fresh_root(replace)
        for name, text in (("log4j2.properties", LOG4J), ("tools-log4j2.properties", TOOL_LOG4J)):
            with open(os.path.join(self.root, name), "w") as f:
                f.write(text)
        ports = free_ports(count * (3 if sasl else 2))
        self.nodes = [{"id": i + 1, "port": ports[i], "controller_port": ports[count + i],
                       "sasl_port": ports[2 * count + i] if sasl else None, "pid": None} for i in range(count)]
        if sasl:
            ca, store = make_certificates(os.path.join(self.root, "tls"))
            users = {u: secrets.token_urlsafe(18) for u in (SASL_USER, LIMITED_USER)}
            self.sasl = {"mechanism": "SCRAM-SHA-512", "username": SASL_USER, "password": users[SASL_USER],
                         "users": users, "ca": ca, "keystore": store}
        self.cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        self.save()
        try:
            for node in self.nodes:
                self._format(node)
            for node in self.nodes:
                self._launch(node)
            self.save()
            self.wait_ready(timeout)
        except BaseException:
            self.stop(keep_logs=True)
            raise
        return self

    def _format(self, node):
        os.makedirs(self.node_dir(node), exist_ok=True)
        props = os.path.join(self.node_dir(node), "server.properties")
        with open(props, "w") as f:
            f.write(self._properties(node))
        # "=": a cluster id may begin with "-" (base64url), which would read as an option.
        args = ["format", f"--cluster-id={self.cluster_id}", "-c", props]
        if self.sasl:
            for u, pw in self.sasl["users"].items():
                args += ["--add-scram", f"SCRAM-SHA-512=[name={u},password={pw}]"]
        p = subprocess.run(self._java("kafka.tools.StorageTool", *args), capture_output=True, text=True)
        if p.returncode != 0:
            raise cluster_error(f"formatting node {node['id']} failed ({p.returncode}):\n{p.stdout}{p.stderr}")

    def _marker(self, node):
        return os.path.join(self.node_dir(node), "server.properties")

    def _command(self, node):
        return self._java("kafka.Kafka", self._marker(node), heap=self.heap, log4j="log4j2.properties",
                          server=True)

    # Readiness
    def wait_ready(self, timeout=180):
        """Until every node runs and each answers Metadata naming every broker
        (so the quorum has a leader and every broker registered and unfenced)."""
        deadline = time.time() + timeout
        last = "no answer yet"
        want = {n["id"] for n in self.nodes if n.get("pid")}
        while time.time() < deadline:
            self._check_running([n for n in self.nodes if n.get("pid")])
            try:
                seen = [set(metadata("127.0.0.1", n["port"])["brokers"]) for n in self.nodes if n.get("pid")]
                if all(s >= want for s in seen):
                    if not self.sasl or all(_listening(n["sasl_port"]) for n in self.nodes if n.get("pid")):
                        return
                last = f"brokers seen by each node: {seen}"
            except (OSError, struct.error) as e:
                last = str(e)
            time.sleep(0.5)
        raise cluster_error(f"the cluster was not ready within {timeout} s ({last}); logs in {self.root}")

    def wait_isr_whole(self, topics=None, timeout=180):
        """Until every partition of the topics (all when None) has every replica in its ISR."""
        deadline = time.time() + timeout
        short = None
        while time.time() < deadline:
            try:
                md = self.metadata()
                short = [(t, p, isr, reps) for t, parts in md["topics"].items() if topics is None or t in topics
                         for p, (_leader, reps, isr) in parts.items() if set(isr) != set(reps)]
                if not short:
                    return md
            except (OSError, struct.error) as e:
                short = str(e)
            time.sleep(0.5)
        raise cluster_error(f"ISRs not whole within {timeout} s: {short}")

    def metadata(self):
        """The metadata of the first node that answers."""
        err = None
        for n in self.nodes:
            if n.get("pid") and self.alive(n):
                try:
                    return metadata("127.0.0.1", n["port"])
                except (OSError, struct.error) as e:
                    err = e
        raise cluster_error(f"no node answers: {err}")

    def tool(self, main, *args, timeout=300):
        """Runs one of Kafka's tools (a main class) with the cluster's jars; returns the CompletedProcess."""
        return subprocess.run(self._java(main, *args), capture_output=True, text=True, timeout=timeout)


def _listening(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return True
    except OSError:
        return False


def _redact(st):
    if st["sasl"]:
        st["sasl"]["password"] = "***"
        st["sasl"]["users"] = {u: "***" for u in st["sasl"]["users"]}
    return st


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    st = sub.add_parser("start", help="format and start a new cluster, wait until it is ready")
    st.add_argument("--nodes", type=int, default=3)
    st.add_argument("--sasl", action="store_true", help="add a SASL_SSL (SCRAM-SHA-512) listener")
    st.add_argument("--heap", default="512m", help="each node's -Xmx (default 512m)")
    st.add_argument("--lib", default=DEFAULT_LIB, help="the folder of Kafka's jars")
    st.add_argument("--replace", action="store_true", help="stop a cluster left in --dir first")
    add_lifecycle_commands(sub)
    sub.add_parser("bootstrap", help="print the plaintext bootstrap address")
    for p in sub.choices.values():
        p.add_argument("--dir", required=True, help="the cluster's folder")
    args = ap.parse_args(argv)
    try:
        if args.cmd == "start":
            c = cluster(args.dir, args.nodes, args.sasl, args.lib, args.heap).start(replace=args.replace)
            print(c.bootstrap, flush=True)
            return 0
        c = cluster.attach(args.dir)
        if args.cmd == "bootstrap":
            print(c.bootstrap)
            return 0
        return run_lifecycle_command(c, args, _redact)
    except cluster_error as e:
        print(f"kafka_cluster: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
