"""What the local clusters of real JVM services have in common: the nodes'
processes, their state in DIR/cluster.json, their logs, and the command-line
verbs every cluster script takes (stop, kill, terminate, restart, status).

kafka_cluster.py and cassandra_cluster.py subclass `jvm_cluster` with what is
their own: each node's configuration and command line, and what "ready" means.
The test helpers in tests/e2e find the suite's cluster with `suite_cluster`
and start a test's own with `own_cluster`. Standard library only; runs with
Debian's /usr/bin/python3.
"""
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time


class cluster_error(Exception):
    pass


def java():
    home = os.environ.get("JAVA_HOME")
    exe = os.path.join(home, "bin", "java") if home else shutil.which("java")
    if not exe or not os.path.exists(exe):
        raise cluster_error("no java: install a JDK 17 (Debian's openjdk-17-jre-headless) or set JAVA_HOME")
    return exe


def classpath(lib, jar_prefix, product, setup_hint):
    """The classpath of the jars in lib, once the product's main jar is there."""
    if not os.path.isdir(lib) or not any(f.startswith(jar_prefix) for f in os.listdir(lib)):
        raise cluster_error(f"{product}'s jars are not in {lib}: {setup_hint}")
    return os.path.join(lib, "*")


class jvm_cluster:
    """Nodes under `root`, one JVM each, in their own sessions so that a
    cluster outlives the process that started it (`attach(root)` takes it up
    again from cluster.json). A subclass gives:
      TOOL           the script's name, in messages and restart marks;
      STOP_SIGNAL    what `stop` sends (SIGKILL when a clean shutdown would
                     only do work on data about to be removed);
      STATE_EXTRAS   files or folders under root that `stop` removes with the state;
      READY_TIMEOUT  how long a restart waits for wait_ready by default;
      state()        what cluster.json holds; attach() reads it back;
      _command(node) the node's command line, which names _marker(node);
      wait_ready(timeout) until the running nodes serve."""

    TOOL = "local_cluster.py"
    STOP_SIGNAL = signal.SIGTERM
    STATE_EXTRAS = ()
    READY_TIMEOUT = 240

    def __init__(self, root, lib, heap):
        self.root = os.path.abspath(root)
        self.lib = lib
        self.heap = heap
        self.nodes = []

    # Files
    @property
    def state_file(self):
        return os.path.join(self.root, "cluster.json")

    def node_dir(self, node):
        return os.path.join(self.root, f"node-{node['id']}")

    def log_file(self, node):
        return os.path.join(self.node_dir(node), "server.log")

    def save(self):
        tmp = self.state_file + ".tmp"
        with open(tmp, "w") as f:
            json.dump(self.state(), f, indent=2)
        os.replace(tmp, self.state_file)

    @classmethod
    def read_state(cls, root):
        """cluster.json of the cluster in root."""
        path = os.path.join(os.path.abspath(root), "cluster.json")
        try:
            with open(path) as f:
                return json.load(f)
        except FileNotFoundError:
            raise cluster_error(f"no cluster in {root} ({path} is missing): start one with "
                                f"tests/cluster/{cls.TOOL} start --dir {root}")

    def _fresh_root(self, replace):
        """An empty root for a new cluster; one left there (an earlier run
        that was not stopped) is stopped first when replace is true."""
        if os.path.exists(self.state_file):
            if not replace:
                raise cluster_error(f"{self.root} already has a cluster (stop it first: "
                                    f"tests/cluster/{self.TOOL} stop --dir {self.root}, or start with --replace)")
            type(self).attach(self.root).stop()
        shutil.rmtree(self.root, ignore_errors=True)
        os.makedirs(self.root)

    # Processes
    def _launch(self, node):
        with open(self.log_file(node), "a") as log:
            p = subprocess.Popen(self._command(node), stdout=log, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL, start_new_session=True, cwd=self.node_dir(node))
        node["pid"] = p.pid

    def node(self, node_id):
        for n in self.nodes:
            if n["id"] == int(node_id):
                return n
        raise cluster_error(f"no node {node_id}: the nodes are {[n['id'] for n in self.nodes]}")

    def alive(self, node):
        """True while the node's own java process runs (not a reused pid)."""
        pid = node.get("pid")
        if not pid:
            return False
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().split(b"\0")
            with open(f"/proc/{pid}/stat") as f:
                zombie = f.read().rsplit(")", 1)[1].split()[0] == "Z"
        except OSError:
            return False
        # An empty command line: the process is between fork and exec.
        return (cmd == [b""] or self._marker(node).encode() in cmd) and not zombie

    def rss(self, node):
        """The node's resident memory in bytes (0 when it does not run)."""
        try:
            with open(f"/proc/{node['pid']}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) * 1024
        except (OSError, TypeError):
            pass
        return 0

    def _reap(self, pid):
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass

    def _end(self, nodes, sig, timeout):
        """Sends sig to each running node, waits until they exit (SIGKILL after timeout)."""
        running = [n for n in nodes if self.alive(n)]
        for n in running:
            os.kill(n["pid"], sig)
        deadline = time.time() + timeout
        for n in running:
            while self.alive(n):
                if time.time() > deadline:
                    os.kill(n["pid"], signal.SIGKILL)
                self._reap(n["pid"])
                time.sleep(0.05)
        for n in nodes:
            n["pid"] = None

    # Lifecycle
    def kill(self, node_id, sig=signal.SIGKILL, timeout=60):
        """Stops one node: SIGKILL (a crash) by default, SIGTERM for a clean
        shutdown (then SIGKILL after timeout)."""
        self._end([self.node(node_id)], sig, timeout)
        self.save()

    def restart(self, node_id=None, timeout=None):
        """Starts a stopped node again (every stopped node when node_id is
        None) on its address, ports and data; waits until the cluster is ready
        (READY_TIMEOUT seconds at most unless told)."""
        nodes = [self.node(node_id)] if node_id is not None else [n for n in self.nodes if not self.alive(n)]
        for node in nodes:
            if self.alive(node):
                raise cluster_error(f"node {node['id']} is running (pid {node['pid']})")
            with open(self.log_file(node), "a") as log:
                log.write(f"\n===== restarted by {self.TOOL} at {time.ctime()} =====\n")
            self._launch(node)
        self.save()
        self.wait_ready(timeout or self.READY_TIMEOUT)

    def stop(self, keep_logs=False, timeout=30):
        """Stops every node (STOP_SIGNAL, SIGKILL after timeout) and removes
        the cluster's data. The logs stay (root/logs/) when keep_logs is true
        or a node had died on its own: those are what a failed run needs.
        Returns the ids of the nodes that had died."""
        died = [n["id"] for n in self.nodes if n.get("pid") and not self.alive(n)]
        self._end(self.nodes, self.STOP_SIGNAL, timeout)
        keep = keep_logs or bool(died)
        if keep:
            logs = os.path.join(self.root, "logs")
            os.makedirs(logs, exist_ok=True)
            for n in self.nodes:
                if os.path.exists(self.log_file(n)):
                    shutil.copy(self.log_file(n), os.path.join(logs, f"node-{n['id']}.log"))
        for n in self.nodes:
            shutil.rmtree(self.node_dir(n), ignore_errors=True)
        for name in ("cluster.json", *self.STATE_EXTRAS):
            path = os.path.join(self.root, name)
            if os.path.isdir(path):
                shutil.rmtree(path, ignore_errors=True)
            elif os.path.exists(path):
                os.remove(path)
        if not keep:
            shutil.rmtree(self.root, ignore_errors=True)
        return died

    def _check_running(self, running):
        """Raises with the end of its log when a node that should run has exited."""
        for n in running:
            if not self.alive(n):
                raise cluster_error(f"node {n['id']} exited while starting; its log "
                                    f"({self.log_file(n)}) ends:\n{self.tail(n)}")

    def tail(self, node, lines=40):
        try:
            with open(self.log_file(node), errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return "(no log)"


# --- The command line ---------------------------------------------------------

def add_lifecycle_commands(sub):
    """The verbs every cluster script has besides start (whose options are its own)."""
    sp = sub.add_parser("stop", help="stop every node and remove the data (logs kept with --keep-logs)")
    sp.add_argument("--keep-logs", action="store_true")
    for name, what in (("kill", "kill -9 one node"), ("terminate", "stop one node cleanly (SIGTERM)"),
                       ("restart", "start a stopped node (every stopped one without NODE) and wait until ready")):
        p = sub.add_parser(name, help=what)
        p.add_argument("node", type=int, nargs="?" if name == "restart" else None)
    sub.add_parser("status", help="print cluster.json and each node's state")


def run_lifecycle_command(c, args, redact):
    """Runs one of add_lifecycle_commands' verbs on c: its exit status, or
    None for a verb of the script's own. redact(state) hides the secrets of
    what `status` prints."""
    if args.cmd == "stop":
        died = c.stop(keep_logs=args.keep_logs)
        if died:
            print(f"nodes {died} had died before the stop; their logs are in {os.path.join(c.root, 'logs')}",
                  file=sys.stderr)
            return 1
    elif args.cmd == "kill":
        c.kill(args.node)
    elif args.cmd == "terminate":
        c.kill(args.node, signal.SIGTERM)
    elif args.cmd == "restart":
        c.restart(args.node)
    elif args.cmd == "status":
        st = c.state()
        for n in st["nodes"]:
            n["alive"] = c.alive(n)
            n["rss_mib"] = round(c.rss(n) / 2**20)
        print(json.dumps(redact(st), indent=2))
    else:
        return None
    return 0


# --- For tests ----------------------------------------------------------------

def suite_cluster(cls, env, product, start_hint):
    """The suite's running cluster, whose folder ctest's fixture names in the
    environment variable env; exits with what to do when there is none."""
    d = os.environ.get(env)
    if not d:
        sys.exit(f"{env} is not set: run this test through ctest, whose fixture starts a real {product} "
                 f"(its jars come from scripts/setup), or start one yourself with {start_hint} and set {env}=DIR")
    try:
        c = cls.attach(d)
    except cluster_error as e:
        sys.exit(f"no {product} for this test: {e} (the jars come from scripts/setup)")
    down = [n["id"] for n in c.nodes if not c.alive(n)]
    if down:
        sys.exit(f"the suite's {product} in {d} has nodes {down} down; see {d}/node-*/server.log")
    return c


@contextlib.contextmanager
def own_cluster(make, name, product):
    """A cluster of a test's own (make(root) builds it), for tests that stop
    nodes: started under the test folder, stopped at the end; its logs stay
    there after a failure."""
    root = tempfile.mkdtemp(prefix=f"mdsp-{name}-", dir=os.environ.get("MDSP_TEST_TMP"))
    try:
        c = make(root).start(replace=True)
    except cluster_error as e:
        raise AssertionError(f"cannot start {product}: {e} (the jars come from scripts/setup)")
    failed = True
    try:
        yield c
        failed = False
    finally:
        c.stop(keep_logs=failed)
        if failed:
            print(f"the nodes' logs: {root}/logs", flush=True)
