#!/usr/bin/python3
"""The Python baseline of `mdsp bench --only cassandra`.

What a Python writer of candles and ticks does with the DataStax Python
driver (cassandra-driver from PyPI): prepare the INSERT statements mdsp's
store prepares (src/store/cassandra.cc, prepare_all; the bench passes their
texts) and write the rows with cassandra.concurrent.execute_concurrent_with_args,
one row per request, token-aware, at LOCAL_QUORUM as mdsp writes. mdsp
writes the same rows in the same run, into a keyspace of the same schema.

    cassandra_python.py SPEC

SPEC is a JSON file:
    {"hosts": ["127.0.0.1:9042"], "dc": "", "user": "", "tls": false, "ca_file": "",
     "keyspace": "k", "concurrency": 256, "seconds": 5, "max_rows": 200000,
     "jobs": [{"name": "candles", "cql": "INSERT ...", "rows": "candles.jsonl"}, ...]}
with the password in MDSP_CASSANDRA_PASSWORD when user is set. Each rows
file has one JSON array per line: the values mdsp's store binds, in the
statement's order, read back from the bytes it sends: `date` columns as
days since 1970-01-01, `timestamp` ones as ms, a value left unset (a
missing optional field: no tombstone) as {}.

For each job: reads at most max_rows rows and makes them the driver's
values first (untimed), then writes them in chunks until they are all
written or SECONDS have passed; times only the writes. Prints one JSON
object:
    {"driver": "3.30.1", "connection": "LibevConnection", "protocol_version": 4,
     "concurrency": 256, "jobs": {"candles": {"rows": n, "seconds": s}, ...}}
Exits 3 when cassandra-driver is missing, saying what to do.

Runs itself with the .venv python of the source tree (scripts/setup makes
it; Debian has no cassandra-driver), as tests/interop/cassandra does.
"""
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
VENV_PY = os.path.join(ROOT, ".venv", "bin", "python")
if os.path.realpath(sys.prefix) != os.path.realpath(os.path.join(ROOT, ".venv")) and os.path.exists(VENV_PY):
    os.execv(VENV_PY, [VENV_PY, os.path.abspath(__file__)] + sys.argv[1:])

try:
    import cassandra
    from cassandra import ConsistencyLevel
    from cassandra.auth import PlainTextAuthProvider
    from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile
    from cassandra.concurrent import execute_concurrent_with_args
    from cassandra.policies import DCAwareRoundRobinPolicy, TokenAwarePolicy
    from cassandra.query import UNSET_VALUE
    from cassandra.util import Date
except ImportError:
    print("cassandra-driver is missing: run scripts/setup (it makes .venv with the DataStax Python driver "
          "from tests/requirements.txt)", file=sys.stderr)
    sys.exit(3)


def connect(spec):
    hosts, port = [], 9042
    for hp in spec["hosts"]:
        host, _, p = hp.rpartition(":")
        hosts.append(host or hp)
        port = int(p) if host else port
    auth = None
    if spec.get("user"):
        auth = PlainTextAuthProvider(spec["user"], os.environ.get("MDSP_CASSANDRA_PASSWORD", ""))
    ssl_context = None
    if spec.get("tls"):
        import ssl
        ssl_context = ssl.create_default_context(cafile=spec.get("ca_file") or None)
    policy = TokenAwarePolicy(DCAwareRoundRobinPolicy(spec.get("dc") or None))
    profile = ExecutionProfile(load_balancing_policy=policy, request_timeout=30,
                               consistency_level=ConsistencyLevel.LOCAL_QUORUM)
    # Protocol v4, pinned. mdsp's own client speaks v5 to Cassandra 4+ unless
    # its URI says protocol_version=4: set that for the same framing on both sides.
    cluster = Cluster(hosts, port=port, auth_provider=auth, ssl_context=ssl_context, protocol_version=4,
                      execution_profiles={EXEC_PROFILE_DEFAULT: profile})
    return cluster, cluster.connect(spec["keyspace"])


def load_rows(path, prepared, max_rows):
    """The rows as the driver binds them: `date` columns as cassandra.util.Date, {} as UNSET_VALUE."""
    dates = {i for i, c in enumerate(prepared.column_metadata) if c.type.typename == "date"}
    rows = []
    with open(path) as f:
        for line in f:
            if len(rows) >= max_rows:
                break
            row = json.loads(line)
            rows.append(tuple(UNSET_VALUE if v == {} else Date(v) if i in dates and v is not None else v
                              for i, v in enumerate(row)))
    return rows


def write(session, prepared, rows, concurrency, seconds):
    """(rows written, seconds): chunks of rows until all are written or time is up."""
    chunk = max(concurrency * 20, 1000)
    done = 0
    t0 = time.perf_counter()
    while done < len(rows) and time.perf_counter() - t0 < seconds:
        part = rows[done:done + chunk]
        execute_concurrent_with_args(session, prepared, part, concurrency=concurrency, raise_on_first_error=True)
        done += len(part)
    return done, time.perf_counter() - t0


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: cassandra_python.py SPEC (a JSON file; see the docstring). `mdsp bench --only cassandra` "
                 "writes one and runs this")
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    cluster, session = connect(spec)
    out = {"driver": cassandra.__version__, "connection": cluster.connection_class.__name__,
           "protocol_version": cluster.protocol_version, "concurrency": spec["concurrency"], "jobs": {}}
    try:
        for job in spec["jobs"]:
            prepared = session.prepare(job["cql"])
            prepared.is_idempotent = True  # upserts, as mdsp marks them
            rows = load_rows(job["rows"], prepared, spec["max_rows"])
            n, secs = write(session, prepared, rows, spec["concurrency"], spec["seconds"])
            out["jobs"][job["name"]] = {"rows": n, "seconds": secs}
    finally:
        cluster.shutdown()
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
