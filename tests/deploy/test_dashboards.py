"""The Grafana files: provisioning and dashboards parse; every panel, query and
variable uses a provisioned datasource; CQL queries fit deploy/cassandra/schema.cql
(tables, columns, whole partition keys, no ALLOW FILTERING); PromQL passes
promtool and names metrics mdsp exposes; Infinity queries work against a live
`mdsp up`."""
import json
import os
import re
import time
import urllib.parse

import yaml

from deploy_util import (DASHBOARD_PROVIDERS, ROOT, PENDING_METRICS, all_panels, check, check_cql,
                         check_metric_names, load_dashboards, main, metric_families, parse_schema,
                         promtool, provisioned_datasources, rule_exprs, start_mdsp, write_temp)

PROM_TYPE = "prometheus"
CQL_TYPE = "hadesarchitect-cassandra-datasource"
API_TYPE = "yesoreyeram-infinity-datasource"


def targets_of(dashboards):
    """(where, datasource, query) for every panel target and query variable."""
    for name, d in dashboards.items():
        for p in all_panels(d):
            if p.get("type") == "row":
                continue
            where = f"{name} panel '{p.get('title')}'"
            check(p.get("targets"), f"{where} has no queries")
            for t in p["targets"]:
                yield where, t.get("datasource") or p.get("datasource"), t
        for v in d.get("templating", {}).get("list", []):
            if v.get("type") == "query":
                yield f"{name} variable {v['name']}", v.get("datasource"), v["query"]


def test_provisioning_parses():
    ds = provisioned_datasources()
    check(set(ds.values()) == {PROM_TYPE, CQL_TYPE, API_TYPE},
          f"want one Prometheus, one Cassandra and one Infinity datasource, got {ds}")
    path = os.path.join(DASHBOARD_PROVIDERS, "mdsp.yaml")
    with open(path) as f:
        prov = yaml.safe_load(f)
    check(prov["providers"] and all(p["type"] == "file" and p["options"]["path"] for p in prov["providers"]),
          f"{path}: want file providers with a path")
    dashboards = load_dashboards()
    check(set(dashboards) == {"market.json", "pipeline-health.json"}, f"dashboards: {sorted(dashboards)}")
    uids = [d["uid"] for d in dashboards.values()]
    check(len(set(uids)) == len(uids), f"dashboard uids repeat: {uids}")


def test_datasources_exist():
    ds = provisioned_datasources()
    n = 0
    for where, src, _ in targets_of(load_dashboards()):
        check(isinstance(src, dict) and src.get("uid") in ds,
              f"{where}: datasource {src} is not provisioned (uids: {sorted(ds)})")
        check(src.get("type") == ds[src["uid"]], f"{where}: datasource {src} has type {ds[src['uid']]}")
        n += 1
    check(n >= 20, f"only {n} queries found")


def test_cql_queries_fit_the_schema():
    tables = parse_schema()
    # The data tables, and those the Cassandra store keeps for itself (its
    # bucket indexes and its state: positions and engine keys).
    check(set(tables) == {"ticks", "candles", "latest", "candle_buckets", "tick_days", "state"},
          f"schema.cql tables: {sorted(tables)}")
    check(tables["ticks"]["partition"] == ["symbol", "day"] and tables["ticks"]["clustering"] == ["event_time", "seq"],
          f"ticks key: {tables['ticks']}")
    check(tables["candles"]["partition"] == ["symbol", "interval", "bucket"]
          and tables["candles"]["clustering"] == ["window_start"], f"candles key: {tables['candles']}")
    check(tables["latest"]["partition"] == ["symbol"] and not tables["latest"]["clustering"],
          f"latest key: {tables['latest']}")
    queries = [(w, t.get("target") or t.get("query")) for w, src, t in targets_of(load_dashboards())
               if src["type"] == CQL_TYPE]
    check(len(queries) >= 5, f"only {len(queries)} CQL queries")
    for where, q in queries:
        check_cql(where, q, tables)
    tables_used = {re.search(r"FROM\s+market\.(\w+)", q, re.I).group(1) for _, q in queries}
    check({"candles", "latest"} <= tables_used, f"CQL dashboards read only {tables_used}")


def test_schema_columns_are_the_records():
    # Every field of schemas/tick.avsc and candle.avsc (model::tick, model::candle)
    # has a column; the only other columns are the partition buckets.
    tables = parse_schema()
    for table, record, extra in (("ticks", "tick", {"day"}), ("latest", "tick", set()),
                                 ("candles", "candle", {"bucket"})):
        with open(os.path.join(ROOT, "schemas", f"{record}.avsc")) as f:
            fields = {fld["name"] for fld in json.load(f)["fields"]}
        cols = set(tables[table]["columns"])
        check(cols == fields | extra, f"market.{table}: columns {sorted(cols)}; {record}.avsc has {sorted(fields)}")


def test_cql_checker_rejects_bad_queries():
    # The check above can fail.
    tables = parse_schema()
    bad = [
        "SELECT symbol, price FROM market.ticks WHERE symbol = 'A' AND event_time > 0",  # day missing
        "SELECT symbol, close FROM market.candles WHERE symbol = 'A' AND interval = '1m' AND bucket = 'x' AND close > 1",
        "SELECT symbol FROM market.latest WHERE symbol = 'A' ALLOW FILTERING",
        "SELECT symbol, price FROM market.quotes WHERE symbol = 'A'",
        "SELECT symbol, colour FROM market.latest WHERE symbol = 'A'",
        "SELECT symbol FROM market.candles WHERE symbol = 'A' AND interval = '1m' AND bucket > 'x'",
        "SELECT symbol, price FROM market.latest",
        "SELECT DISTINCT symbol FROM market.ticks",
    ]
    for q in bad:
        try:
            check_cql("bad", q, tables)
        except AssertionError:
            continue
        raise AssertionError(f"the CQL check accepted `{q}`")


def promql_targets():
    return [(w, t["expr"]) for w, src, t in targets_of(load_dashboards()) if src["type"] == PROM_TYPE and "expr" in t]


def grafana_to_promql(expr):
    """Grafana's variables replaced by what they become at query time."""
    return (expr.replace("$__rate_interval", "1m").replace("$__range", "1h")
            .replace("$__interval", "15s").replace("$instance", ".*"))


def test_promql_parses():
    exprs = promql_targets()
    check(len(exprs) >= 10, f"only {len(exprs)} PromQL queries")
    rules = {"groups": [{"name": "dashboards", "rules": [
        {"record": f"dashboard:check_{i}", "expr": grafana_to_promql(e)} for i, (_, e) in enumerate(exprs)]}]}
    path = write_temp("dashboard-promql-", yaml.safe_dump(rules))
    p = promtool("check", "rules", path)
    check(p.returncode == 0, f"promtool rejects a dashboard expression:\n{p.stdout}{p.stderr}")


def test_promql_names_exposed_metrics():
    srv = start_mdsp("dashboards-metrics")
    try:
        # Families appear as the stages first touch them: wait for a stored
        # tick, make one API request, then read /metrics twice.
        srv.wait_for(lambda: srv.metric("mdsp_store_ticks_written_total") > 0, 60, "a stored tick")
        srv.get("/api/v1/symbols")
        srv.get("/metrics")
        families = metric_families(srv.get("/metrics"))
    finally:
        srv.stop()
    check("mdsp_ingest_to_store_seconds" in families, f"mdsp exposes: {sorted(families)}")
    used = set()
    for where, expr in promql_targets():
        check_metric_names(where, expr, families)
        used |= {n for n in re.findall(r"mdsp_[a-z0-9_]+", expr)}
    for alert, expr in rule_exprs():
        check_metric_names(f"rule {alert}", expr, families)
    # The panels the issue asks for: rates, latency, lag, feed state, dead letters.
    for need in ("mdsp_ingest_ticks_total", "mdsp_process_ticks_total", "mdsp_ingest_to_store_seconds_bucket",
                 "mdsp_dead_letters_total") + tuple(sorted(PENDING_METRICS)):
        check(need in used, f"pipeline-health.json shows no {need}")
    # The checker itself can fail.
    try:
        check_metric_names("bad", "rate(mdsp_no_such_metric_total[1m])", families)
    except AssertionError:
        pass
    else:
        raise AssertionError("an unknown metric name passed the check")


def infinity_url(target, values):
    url = target["url"]
    params = [(kv["key"], kv["value"]) for kv in target.get("url_options", {}).get("params", [])]

    def subst(s):
        return re.sub(r"\$\{(\w+)\}", lambda m: values[m.group(1)], s)
    url = subst(url)
    check(url.startswith(values["mdsp_url"] + "/api/v1/"), f"Infinity URL {target['url']} is not on the mdsp API")
    path = url[len(values["mdsp_url"]):]
    if params:
        path += "?" + urllib.parse.urlencode([(k, subst(v)) for k, v in params])
    return path


def test_infinity_queries_work_against_mdsp():
    dashboards = load_dashboards()
    market = dashboards["market.json"]
    variables = {v["name"]: v for v in market["templating"]["list"]}
    srv = start_mdsp("dashboards-api")
    try:
        now_ms = int(time.time() * 1000)
        values = {"mdsp_url": "", "interval": "1s", "__from": str(now_ms - 6 * 3600 * 1000), "__to": str(now_ms + 60000)}
        sym_query = variables["symbol"]["query"]["infinityQuery"]
        srv.wait_for(lambda: srv.get(infinity_url(sym_query, values))[sym_query["root_selector"]], 60, "a symbol")
        rows = srv.get(infinity_url(sym_query, values))[sym_query["root_selector"]]
        values["symbol"] = rows[0][sym_query["columns"][0]["selector"]]
        check("BTC/USD" in [r["symbol"] for r in rows], f"symbol variable: {rows}")
        values["symbol"] = "BTC/USD"  # a slash, to see the parameter encoded
        n = 0
        for where, src, t in targets_of(dashboards):
            if src["type"] != API_TYPE or "url" not in t:
                continue
            path = infinity_url(t, values)
            srv.wait_for(lambda: srv.get(path)[t["root_selector"]], 60, f"rows from {path}")
            row = srv.get(path)[t["root_selector"]][0]
            for c in t["columns"]:
                check(c["selector"] in row, f"{where}: {path} has no field {c['selector']}: {json.dumps(row)}")
                if c["type"] == "timestamp_epoch_s":
                    check(isinstance(row[c["selector"]], int) and 1e9 < row[c["selector"]] < 1e10,
                          f"{where}: {c['selector']} is not Unix seconds: {row[c['selector']]}")
                if c["type"] == "number":
                    check(row[c["selector"]] is None or isinstance(row[c["selector"]], (int, float)),
                          f"{where}: {c['selector']} is not a number: {row[c['selector']]}")
            n += 1
        check(n >= 4, f"only {n} Infinity panel queries")
    finally:
        srv.stop()


if __name__ == "__main__":
    main([test_provisioning_parses, test_datasources_exist, test_cql_queries_fit_the_schema,
          test_schema_columns_are_the_records, test_cql_checker_rejects_bad_queries, test_promql_parses, test_promql_names_exposed_metrics,
          test_infinity_queries_work_against_mdsp])
