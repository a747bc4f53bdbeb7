"""Helpers for the tests of deploy/: paths, the Cassandra schema, the Grafana
files, PromQL metric names, and starting mdsp (through tests/e2e/mdsp_e2e.py)."""
import glob
import json
import os
import re
import socket
import subprocess
import sys
import tempfile

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
DEPLOY = os.path.join(ROOT, "deploy")
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))

import mdsp_e2e  # noqa: E402  (after the path is set)

PROMETHEUS_YML = os.path.join(DEPLOY, "prometheus", "prometheus.yml")
RULES_YML = os.path.join(DEPLOY, "prometheus", "rules", "mdsp.yml")
SCHEMA_CQL = os.path.join(DEPLOY, "cassandra", "schema.cql")
DATASOURCES = os.path.join(DEPLOY, "grafana", "provisioning", "datasources")
DASHBOARD_PROVIDERS = os.path.join(DEPLOY, "grafana", "provisioning", "dashboards")
DASHBOARDS = os.path.join(DEPLOY, "grafana", "dashboards")

# Metrics that come with issues still in progress (live feeds, Kafka bus):
# rules and dashboards may use them before mdsp exposes them.
PENDING_METRICS = {"mdsp_consumer_lag", "mdsp_feed_connected"}
# Series Prometheus makes itself for every target.
PROMETHEUS_SERIES = {"up", "scrape_duration_seconds", "scrape_samples_scraped"}

check = mdsp_e2e.check
main = mdsp_e2e.main


def tempdir(name):
    return mdsp_e2e.tempdir(name)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_mdsp(name):
    """`mdsp up` with the simulator on an ephemeral port and its own data folder."""
    return mdsp_e2e.server(["up", "-d", os.path.join(tempdir(name), "data"), "--rate", "200"])


def metric_families(metrics_text):
    """Names of the families in Prometheus text (from the # TYPE lines) -> type."""
    out = {}
    for line in metrics_text.splitlines():
        m = re.match(r"# TYPE (\S+) (\S+)", line)
        if m:
            out[m.group(1)] = m.group(2)
    return out


def promql_metric_names(expr):
    """Metric names an expression reads: identifiers in selector position (not
    functions, keywords, label names or label values)."""
    stripped = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # label values
    stripped = re.sub(r"\{[^}]*\}", "{}", stripped)      # label matchers
    stripped = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", stripped)
    stripped = re.sub(r"\[[^\]]*\]", "[]", stripped)     # ranges
    names = set()
    for m in re.finditer(r"[a-zA-Z_:][a-zA-Z0-9_:]*", stripped):
        rest = stripped[m.end():].lstrip()
        word = m.group(0)
        if rest.startswith("("):
            continue  # a function or aggregation
        if word in {"and", "or", "unless", "bool", "offset", "by", "without", "e", "Inf", "NaN", "inf", "nan"}:
            continue
        if re.fullmatch(r"\d.*", word):
            continue
        names.add(word)
    return names


def family_of(name, families):
    """The family a series name belongs to (histogram _bucket/_sum/_count)."""
    if name in families:
        return name
    for suffix in ("_bucket", "_sum", "_count"):
        if name.endswith(suffix) and families.get(name[: -len(suffix)]) == "histogram":
            return name[: -len(suffix)]
    return None


def check_metric_names(where, expr, families):
    for name in promql_metric_names(expr):
        if name in PROMETHEUS_SERIES or name in PENDING_METRICS:
            continue
        check(family_of(name, families) is not None,
              f"{where}: metric {name} in `{expr}` is not exposed by mdsp (exposed: {', '.join(sorted(families))})")


def rule_exprs():
    with open(RULES_YML) as f:
        rules = yaml.safe_load(f)
    return [(r.get("alert") or r.get("record"), r["expr"]) for g in rules["groups"] for r in g["rules"]]


def promtool(*args):
    return subprocess.run(["promtool", *args], capture_output=True, text=True, timeout=120)


# --- Cassandra schema ---------------------------------------------------------

def _strip_cql_comments(text):
    return re.sub(r"--[^\n]*", "", text)


def _balanced(text, start):
    """The text inside the parentheses opening at text[start]."""
    depth = 0
    for i in range(start, len(text)):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
            if depth == 0:
                return text[start + 1 : i]
    raise AssertionError(f"unbalanced parentheses in schema.cql after: {text[start:start + 60]!r}")


def _split_top(text):
    parts, depth, cur = [], 0, ""
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        parts.append(cur.strip())
    return parts


def parse_schema(path=SCHEMA_CQL):
    """{table: {"columns": {name: type}, "partition": [..], "clustering": [..]}} of keyspace market."""
    with open(path) as f:
        text = _strip_cql_comments(f.read())
    tables = {}
    for m in re.finditer(r"CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)\.(\w+)\s*\(", text, re.I):
        check(m.group(1) == "market", f"schema.cql: table {m.group(2)} is in keyspace {m.group(1)}, not market")
        body = _balanced(text, m.end() - 1)
        columns, partition, clustering = {}, None, []
        for item in _split_top(body):
            pk = re.match(r"PRIMARY\s+KEY\s*\(", item, re.I)
            if pk:
                keys = _split_top(_balanced(item, pk.end() - 1))
                first = keys[0]
                partition = [c.strip() for c in first.strip("()").split(",")] if first.startswith("(") else [first]
                clustering = keys[1:]
                continue
            words = item.split()
            columns[words[0]] = words[1].lower()
            if len(words) > 2 and " ".join(words[2:]).upper() == "PRIMARY KEY":
                partition = [words[0]]
        check(partition, f"schema.cql: table {m.group(2)} has no PRIMARY KEY")
        for c in partition + clustering:
            check(c in columns, f"schema.cql: key column {c} of {m.group(2)} is not a column")
        tables[m.group(2)] = {"columns": columns, "partition": partition, "clustering": clustering}
    return tables


def check_cql(where, query, tables):
    """A query names a table of schema.cql and columns it has, restricts the
    whole partition key with = or IN, ranges only over clustering columns in
    order, and never needs ALLOW FILTERING. SELECT DISTINCT of exactly the
    partition key (the list of partitions) needs no WHERE."""
    q = " ".join(query.split())
    check("ALLOW FILTERING" not in q.upper(), f"{where}: ALLOW FILTERING in `{q}`")
    m = re.match(r"SELECT\s+(DISTINCT\s+)?(.+?)\s+FROM\s+(\w+)\.(\w+)(?:\s+WHERE\s+(.+?))?"
                 r"(?:\s+(?:PER\s+PARTITION\s+LIMIT|LIMIT|ORDER\s+BY)\s+.*)?$", q, re.I)
    check(m, f"{where}: not a SELECT ... FROM market.table [WHERE ...] query: `{q}`")
    distinct, selected, keyspace, table, where_clause = m.groups()
    check(keyspace == "market", f"{where}: keyspace {keyspace} is not market: `{q}`")
    check(table in tables, f"{where}: table {table} is not in schema.cql ({', '.join(tables)}): `{q}`")
    t = tables[table]
    for c in _split_top(selected):
        check(c in t["columns"], f"{where}: column {c} is not in market.{table}: `{q}`")
    if distinct:
        check([c.strip() for c in _split_top(selected)] == t["partition"] and not where_clause,
              f"{where}: SELECT DISTINCT must list exactly the partition key {t['partition']} without WHERE: `{q}`")
        return
    check(where_clause, f"{where}: no WHERE: the query would scan every partition of {table}: `{q}`")
    restricted = {}
    for cond in re.split(r"\s+AND\s+", where_clause, flags=re.I):
        c = re.match(r"(\w+)\s*(=|<=|>=|<|>|\bIN\b)\s*(.+)$", cond.strip(), re.I)
        check(c, f"{where}: cannot read the condition `{cond}` of `{q}`")
        col, op = c.group(1), c.group(2).upper()
        check(col in t["columns"], f"{where}: column {col} is not in market.{table}: `{q}`")
        check(col in t["partition"] or col in t["clustering"],
              f"{where}: {col} is not a key column of {table}; restricting it needs ALLOW FILTERING: `{q}`")
        if col in t["partition"]:
            check(op in ("=", "IN"), f"{where}: partition key column {col} restricted with {op}, not = or IN: `{q}`")
        restricted.setdefault(col, set()).add(op)
    for col in t["partition"]:
        check(col in restricted, f"{where}: partition key column {col} of {table} is not restricted: `{q}`")
    seen_range = False
    for col in t["clustering"]:
        if col not in restricted:
            later = [c for c in t["clustering"][t["clustering"].index(col) + 1 :] if c in restricted]
            check(not later, f"{where}: {later} restricted but the earlier clustering column {col} is not: `{q}`")
            continue
        check(not seen_range, f"{where}: clustering column {col} restricted after a range: `{q}`")
        seen_range = bool(restricted[col] - {"=", "IN"})


# --- Grafana ------------------------------------------------------------------

def provisioned_datasources():
    """uid -> type of every provisioned datasource."""
    out = {}
    for path in sorted(glob.glob(os.path.join(DATASOURCES, "*.yaml"))):
        with open(path) as f:
            doc = yaml.safe_load(f)
        for ds in doc.get("datasources", []):
            check(ds.get("uid"), f"{path}: datasource {ds.get('name')} has no fixed uid")
            check(ds["uid"] not in out, f"{path}: uid {ds['uid']} provisioned twice")
            out[ds["uid"]] = ds["type"]
    return out


def load_dashboards():
    out = {}
    for path in sorted(glob.glob(os.path.join(DASHBOARDS, "*.json"))):
        with open(path) as f:
            out[os.path.basename(path)] = json.load(f)
    return out


def all_panels(dashboard):
    """Every panel, also those inside (collapsed) rows."""
    for p in dashboard.get("panels", []):
        yield p
        yield from p.get("panels", [])


def write_temp(name, text):
    fd, path = tempfile.mkstemp(prefix=name, dir=tempdir("deploy"))
    with os.fdopen(fd, "w") as f:
        f.write(text)
    return path
