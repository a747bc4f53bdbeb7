"""The DataStax Python driver (cassandra-driver from PyPI, in the .venv that
scripts/setup makes) against the suite's real Apache Cassandra 5.0, with the
schema and the dashboards mdsp ships:

- deploy/cassandra/schema.cql applies, and applies again, with the
  keyspace's replication taken from the cluster (3 copies, or one per node
  when there are fewer) as `mdsp cassandra init` is to take it from its
  configuration; the tables have the keys, TTL and compaction it says;
- a candle, a tick and a latest row written with prepared statements read
  back equal, the tick with the table's 30-day TTL;
- every Cassandra query of deploy/grafana/dashboards, also over the Binance
  reference as `mdsp replay --store cassandra://` writes it, with its variables
  filled in as Grafana and the hadesarchitect-cassandra-datasource plugin
  fill them, runs without ALLOW FILTERING and returns exactly the candles
  of the dashboard's time range, across a month boundary (two buckets) and
  within one month (the same bucket twice in the IN list), through a
  session opened as the provisioned datasource opens one (its consistency,
  and a role that may only SELECT, which cannot write).

Each run works in a keyspace of its own (the dashboards' `market.` is
renamed to it), so it can share the cluster with any other test. Runs itself
with .venv's python (Debian has no cassandra-driver)."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..", "..")
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
from mdsp_e2e import in_venv  # noqa: E402
in_venv(__file__, "cassandra-driver")

import contextlib  # noqa: E402
import csv  # noqa: E402
import datetime  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import secrets  # noqa: E402

import mdsp_cassandra  # noqa: E402
from mdsp_e2e import check, main  # noqa: E402

from cassandra import Unauthorized  # noqa: E402

DASHBOARDS = os.path.join(ROOT, "deploy", "grafana", "dashboards")
DATASOURCES = os.path.join(ROOT, "deploy", "grafana", "provisioning", "datasources", "mdsp.yaml")
PLUGIN = "hadesarchitect-cassandra-datasource"
UTC = datetime.timezone.utc
MINUTE = datetime.timedelta(minutes=1)

c = mdsp_cassandra.cluster()
RF = mdsp_cassandra.replication_factor(c)
KS = mdsp_cassandra.keyspace_name(f"driver{len(c.nodes)}")
cluster, session = mdsp_cassandra.driver_session(c)


def run(statement, params=None):
    """An idempotent statement (every one here but the schema's), retried after a timeout."""
    return mdsp_cassandra.execute_idempotent(session, statement, params)


def utc(*args):
    return datetime.datetime(*args, tzinfo=UTC)


def ms(t):
    return int(t.timestamp() * 1000)


def bucket(interval, t):
    """The schema's bucket of a candle's window_start (see schema.cql)."""
    if interval in ("1s",):
        return t.strftime("%Y-%m-%d")
    if interval in ("1m", "5m"):
        return t.strftime("%Y-%m")
    return t.strftime("%Y")


def candle(symbol, interval, start, i):
    """A candle whose every field depends on i, so a mix-up shows."""
    o = 0.5 + i / 1024  # exact in binary: equality below is exact
    return {"symbol": symbol, "interval": interval, "bucket": bucket(interval, start), "window_start": start,
            "open": o, "high": o + 0.25, "low": o - 0.125, "close": o + 0.0625, "volume": 1000.0 + i,
            "vwap": o + 0.03125, "trade_count": 10 + i, "first_event_time": ms(start) * 1000 + 17,
            "last_event_time": ms(start) * 1000 + 59_000_123, "final": True, "revision": i % 3,
            "backfilled": i % 2 == 1, "spike": i % 3 == 1}


CANDLE_COLUMNS = list(candle("X", "1m", utc(2026, 1, 1), 0))


def write_candles(rows):
    cols = ", ".join(CANDLE_COLUMNS)
    ins = session.prepare(f"INSERT INTO {KS}.candles ({cols}) VALUES ({', '.join('?' * len(CANDLE_COLUMNS))})")
    for r in rows:
        run(ins, [r[k] for k in CANDLE_COLUMNS])


def as_utc(t):
    """The driver gives timestamps as naive datetimes in UTC."""
    return t.replace(tzinfo=UTC)


def test_schema_applies_twice():
    stmts = mdsp_cassandra.schema_statements(KS, RF)
    check(len(stmts) == 8 and stmts[0].startswith(f"CREATE KEYSPACE IF NOT EXISTS {KS}"),
          f"schema.cql gives a keyspace, six tables (three of data, the store's two indexes and its state) "
          f"and the candles column added since (spike): "
          f"{stmts}")
    for _ in range(2):  # idempotent: the second time changes nothing and fails on nothing
        for s in stmts:
            session.execute(s)
    cluster.control_connection.wait_for_schema_agreement()
    ks = session.execute("SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = %s", [KS]).one()
    check(ks.replication == {"class": "org.apache.cassandra.locator.NetworkTopologyStrategy",
                             mdsp_cassandra.cassandra_cluster.DATACENTER: str(RF)},
          f"replication of {KS}: {ks.replication}, want {RF} copies in the data centre")
    keys = {}
    for r in session.execute("SELECT table_name, column_name, kind, position FROM system_schema.columns "
                             "WHERE keyspace_name = %s", [KS]):
        if r.kind != "regular":
            keys.setdefault(r.table_name, []).append((r.kind, r.position, r.column_name))
    want = {"ticks": [("clustering", 0, "event_time"), ("clustering", 1, "seq"), ("partition_key", 0, "symbol"),
                      ("partition_key", 1, "day")],
            "candles": [("clustering", 0, "window_start"), ("partition_key", 0, "symbol"),
                        ("partition_key", 1, "interval"), ("partition_key", 2, "bucket")],
            "latest": [("partition_key", 0, "symbol")],
            # The Cassandra store's own: bucket indexes and its state.
            "candle_buckets": [("clustering", 0, "bucket"), ("partition_key", 0, "symbol"),
                               ("partition_key", 1, "interval")],
            "tick_days": [("clustering", 0, "day"), ("partition_key", 0, "symbol")],
            "state": [("clustering", 0, "key"), ("partition_key", 0, "scope")]}
    check({t: sorted(k) for t, k in keys.items()} == want, f"keys of the tables: {keys}")
    ticks = session.execute("SELECT default_time_to_live, compaction FROM system_schema.tables "
                            "WHERE keyspace_name = %s AND table_name = 'ticks'", [KS]).one()
    check(ticks.default_time_to_live == 2592000, f"ticks' TTL: {ticks.default_time_to_live}")
    check(ticks.compaction["class"].endswith("TimeWindowCompactionStrategy"), f"ticks' compaction: {ticks.compaction}")


def test_rows_read_back_equal():
    start = utc(2026, 11, 21, 20, 25)
    row = candle("XRPBTC", "1m", start, 7)
    write_candles([row])
    got = run(f"SELECT * FROM {KS}.candles WHERE symbol = %s AND interval = %s AND bucket = %s AND window_start = %s",
              ["XRPBTC", "1m", "2026-11", start]).one()
    check(got is not None, "the candle written is read back")
    back = got._asdict()
    back["window_start"] = as_utc(back["window_start"])
    check(back == row, f"candle read back {back}, written {row}")

    tick = {"symbol": "XRPBTC", "day": datetime.date(2026, 11, 21), "event_time": ms(start) * 1000 + 1,
            "seq": 42, "source": "binance", "exchange": "Binance", "mic_code": None, "asset_type": "crypto",
            "currency": "ETH", "ingest_time": ms(start) * 1000 + 900, "price": 0.00021875, "size": 12.5,
            "day_volume": None, "bid": None, "ask": None, "trade_id": 123456789}
    cols = list(tick)
    run(session.prepare(f"INSERT INTO {KS}.ticks ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"),
        [tick[k] for k in cols])
    got = run(f"SELECT {', '.join(cols)}, TTL(price) AS ttl FROM {KS}.ticks WHERE symbol = %s AND day = %s",
              ["XRPBTC", tick["day"]]).one()._asdict()
    ttl = got.pop("ttl")
    got["day"] = datetime.date.fromisoformat(str(got["day"]))  # the driver's own Date type
    check(got == tick, f"tick read back {got}, written {tick}")
    check(2592000 - 600 < ttl <= 2592000, f"a tick lives the table's 30 days: TTL {ttl}")

    latest = {k: v for k, v in tick.items() if k != "day"}
    lcols = list(latest)
    run(session.prepare(f"INSERT INTO {KS}.latest ({', '.join(lcols)}) VALUES ({', '.join('?' * len(lcols))})"),
        [latest[k] for k in lcols])
    got = run(f"SELECT {', '.join(lcols)} FROM {KS}.latest WHERE symbol = 'XRPBTC'").one()._asdict()
    check(got == latest, f"latest read back {got}, written {latest}")


# --- Grafana -----------------------------------------------------------------

MOMENT = {"YYYY": "%Y", "MM": "%m", "DD": "%d", "HH": "%H", "mm": "%M", "ss": "%S"}


def moment_format(t, fmt):
    """Grafana's ${__from:date:FORMAT}: moment.js tokens, here in UTC (the
    browser's time zone in Grafana; schema.cql notes what that means)."""
    out = re.sub("|".join(MOMENT), lambda m: t.strftime(MOMENT[m.group(0)]), fmt)
    check(not re.search(r"[A-Za-z]", re.sub(r"\d", "", out).replace("T", "")),
          f"a moment format this test does not know: {fmt}")
    return out


def grafana_interpolate(query, variables, t_from, t_to):
    """The query as the plugin sends it to Cassandra: Grafana's template
    service replaces ${__from:date:F}/${__to:date:F} and each single-valued
    variable by its raw value (no quoting: the queries quote), and the
    plugin's front end adds $__timeFrom/$__timeTo, the range's bounds in
    milliseconds since the epoch (a timestamp literal to CQL)."""
    q = re.sub(r"\$\{__(from|to):date:([^}]+)\}",
               lambda m: moment_format(t_from if m.group(1) == "from" else t_to, m.group(2)), query)
    q = q.replace("$__timeFrom", str(ms(t_from))).replace("$__timeTo", str(ms(t_to)))
    q = re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: variables[m.group(1) or m.group(2)], q)
    check("$" not in q, f"a variable is left in {q}")
    return q


def dashboard_queries():
    """(where, raw CQL) of every query of the dashboards on the Cassandra datasource: panels' and variables'."""
    out = []

    def panels(ps, dash):
        for p in ps:
            ds = p.get("datasource") or {}
            for t in p.get("targets", []):
                if (t.get("datasource") or ds).get("type") == PLUGIN:
                    check(t.get("rawQuery"), f"{dash}/{p.get('title')}: the test reads raw CQL queries only")
                    out.append((f"{dash}: panel {p.get('title')!r}", t["target"]))
            panels(p.get("panels", []), dash)

    for f in sorted(os.listdir(DASHBOARDS)):
        with open(os.path.join(DASHBOARDS, f)) as fh:
            d = json.load(fh)
        panels(d.get("panels", []), f)
        for v in d.get("templating", {}).get("list", []):
            if (v.get("datasource") or {}).get("type") == PLUGIN:
                q = v["query"]["query"] if isinstance(v["query"], dict) else v["query"]
                out.append((f"{f}: variable {v['name']}", q))
    return out


@contextlib.contextmanager
def grafana_session():
    """A session as the provisioned datasource opens one: its keyspace (this
    run's in place of market) and consistency, and, on a cluster with
    authentication, its user: a role that may only SELECT in the keyspace,
    as the datasource's file asks for."""
    import yaml  # Debian's python3-yaml, seen from .venv

    with open(DATASOURCES) as f:
        ds = next(d for d in yaml.safe_load(f)["datasources"] if d["type"] == PLUGIN)
    check(ds["jsonData"]["keyspace"] == "market", f"the datasource's keyspace: {ds['jsonData']}")
    credentials = None
    # A role of its own each time: a role dropped and created again under
    # the same name can meet the node's credentials cache, which still holds
    # the old password for a few seconds ("Bad credentials").
    role = f"{KS}_{ds['jsonData']['user']}_{secrets.token_hex(4)}"
    if c.auth:
        credentials = (role, secrets.token_urlsafe(12))
        session.execute(f"CREATE ROLE {role} WITH LOGIN = true AND PASSWORD = '{credentials[1]}'")
        session.execute(f"GRANT SELECT ON KEYSPACE {KS} TO {role}")
    gcluster, gsession = mdsp_cassandra.driver_session(c, KS, credentials, ds["jsonData"]["consistency"])
    try:
        if c.auth:
            try:
                gsession.execute(f"INSERT INTO {KS}.latest (symbol) VALUES ('NOPE')")
                raise AssertionError(f"{role} could write: it may only read")
            except Unauthorized:
                pass
        yield gsession
    finally:
        gcluster.shutdown()
        if c.auth:
            session.execute(f"DROP ROLE IF EXISTS {role}")


def in_keyspace(query):
    """The dashboards name market.<table>; this run's tables are in KS."""
    return re.sub(r"\bmarket\.", f"{KS}.", query)


def test_grafana_queries_return_the_range():
    queries = dashboard_queries()
    check(len(queries) >= 5, f"the dashboards' Cassandra queries: {queries}")
    for where, q in queries:
        check("ALLOW FILTERING" not in q.upper(), f"{where} asks for ALLOW FILTERING: {q}")

    # 1m candles from 23:50 on 31 October to 00:10 on 1 November (two
    # buckets), another symbol's beside them, and 1s candles of the symbol.
    t0 = utc(2026, 10, 31, 23, 50)
    rows = [candle("BTCUSD", "1m", t0 + i * MINUTE, i) for i in range(20)]
    rows += [candle("ETHUSD", "1m", t0 + i * MINUTE, 100 + i) for i in range(20)]
    rows += [candle("BTCUSD", "1s", t0 + i * datetime.timedelta(seconds=1), 200 + i) for i in range(5)]
    write_candles(rows)
    latest = session.prepare(f"INSERT INTO {KS}.latest (symbol, event_time, seq, source, price, bid, ask, size) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
    run(latest, ["BTCUSD", 1, 1, "sim", 97000.5, 97000.0, 97001.0, 0.25])
    run(latest, ["ETHUSD", 1, 1, "sim", 3500.25, None, None, 1.5])

    with grafana_session() as grafana:
        check_dashboard_queries(grafana, queries, rows)


def check_dashboard_queries(grafana, queries, rows):
    def run(statement):
        return mdsp_cassandra.execute_idempotent(grafana, statement)

    symbols = None
    for where, q in queries:
        if "variable cluster_symbol" in where:
            symbols = sorted(r[0] for r in run(in_keyspace(q)))
    check({"BTCUSD", "ETHUSD"} <= set(symbols), f"the cluster_symbol variable's values: {symbols}")

    ranges = {"across a month boundary": (utc(2026, 10, 31, 23, 57), utc(2026, 11, 1, 0, 2)),
              "within a month": (utc(2026, 11, 1, 0, 1), utc(2026, 11, 1, 0, 4, 30))}
    for what, (t_from, t_to) in ranges.items():
        want = [r for r in rows if r["symbol"] == "BTCUSD" and r["interval"] == "1m"
                and t_from <= r["window_start"] <= t_to]
        for where, q in queries:
            if "variable" in where:
                continue
            cql = in_keyspace(grafana_interpolate(q, {"cluster_symbol": "BTCUSD"}, t_from, t_to))
            result = run(cql)
            got = [r._asdict() for r in result]
            check(got and all(g["symbol"] == "BTCUSD" for g in got), f"{where} {what}: {cql} gave {got}")
            if "FROM " + KS + ".latest" in cql:
                check(len(got) == 1 and got[0]["price"] == 97000.5, f"{where}: {got}")
                continue
            # Cassandra de-duplicates and sorts the IN list's partition keys
            # (by their bytes: 'YYYY-MM' sorts as time does) and reads each in
            # window_start order, so the rows come once each, in time order,
            # as the panel draws them (no ORDER BY: not with IN and paging).
            starts = [as_utc(g["window_start"]) for g in got]
            check(starts == [w["window_start"] for w in want],
                  f"{where} {what}: windows {[s.isoformat() for s in starts]}, want "
                  f"{[w['window_start'].isoformat() for w in want]}\n{cql}")
            for g, w in zip(got, want):
                check(all(g[k] == w[k] for k in g if k != "window_start"), f"{where} {what}: row {g}, want {w}")
        print(f"the dashboards' queries {what}: {len(want)} candles each", flush=True)


def test_grafana_queries_on_what_mdsp_wrote():
    """The dashboards' queries over the Binance reference as `mdsp replay
    --store cassandra://` writes it: half an hour of 1m candles equal
    Binance's klines (the minutes with trades: the tables hold no fillers),
    and latest is the reference's last trade."""
    from mdsp_e2e import TRADES, run as run_mdsp, tempdir
    from test_reference import klines

    env = dict(os.environ)
    user = ""
    if c.auth:
        env["MDSP_CASSANDRA_PASSWORD"] = c.auth["password"]
        user = f"?user={c.auth['username']}"
    run_mdsp(["replay", TRADES, "-d", tempdir("grafana-on-mdsp"), "--log-level", "warn", "--store",
              f"cassandra://{c.contact_points}/{KS}{user}"], env=env)
    rows = klines()
    t_from = datetime.datetime.fromtimestamp(int(rows[1000]["open_time_ms"]) / 1000, UTC)
    t_to = t_from + 30 * MINUTE
    want = [k for k in rows if float(k["volume"]) > 0
            and t_from <= datetime.datetime.fromtimestamp(int(k["open_time_ms"]) / 1000, UTC) <= t_to]
    check(len(want) > 5, f"the reference has minutes with trades from {t_from}: {len(want)}")
    with grafana_session() as grafana:
        for where, q in dashboard_queries():
            if "variable cluster_symbol" in where:
                symbols = [r[0] for r in mdsp_cassandra.execute_idempotent(grafana, in_keyspace(q))]
                check("XRPETH" in symbols, f"{where}: {symbols}")
                continue
            if "variable" in where:
                continue
            cql = in_keyspace(grafana_interpolate(q, {"cluster_symbol": "XRPETH"}, t_from, t_to))
            got = [r._asdict() for r in mdsp_cassandra.execute_idempotent(grafana, cql)]
            if f"FROM {KS}.latest" in cql:
                with open(TRADES) as f:
                    last = max(csv.DictReader(f), key=lambda t: (int(t["time_ms"]), int(t["agg_trade_id"])))
                check(len(got) == 1 and got[0]["price"] == float(last["price"]), f"{where}: {got}, last trade {last}")
                continue
            check(len(got) == len(want), f"{where}: {len(got)} candles, Binance has {len(want)} minutes with trades")
            for g, k in zip(got, want):
                check(ms(as_utc(g["window_start"])) == int(k["open_time_ms"]), f"{where}: {g} vs {k}")
                for f in ("open", "high", "low", "close", "volume"):
                    if f in g:
                        check(g[f] == float(k[f]), f"{where}: {f} of {g} vs Binance's {k}")
    print(f"the dashboards' queries over mdsp's data: {len(want)} candles each from {t_from}", flush=True)


if __name__ == "__main__":
    try:
        main([test_schema_applies_twice, test_rows_read_back_equal, test_grafana_queries_return_the_range,
              test_grafana_queries_on_what_mdsp_wrote])
    finally:
        try:
            session.execute(f"DROP KEYSPACE IF EXISTS {KS}")
        finally:
            cluster.shutdown()
