"""Debian's prometheus scrapes `mdsp up` with the shipped config (only the
target address rewritten), evaluates the shipped rules without errors, and
finds every metric the rules use (the two pending ones aside)."""
import json
import os
import shutil
import signal
import subprocess
import time
import urllib.parse
import urllib.request

from deploy_util import (DEPLOY, PENDING_METRICS, PROMETHEUS_SERIES, check, free_port, main,
                         promql_metric_names, rule_exprs, start_mdsp, tempdir)


def prom_get(port, path, **params):
    url = f"http://127.0.0.1:{port}{path}"
    if params:
        url += "?" + urllib.parse.urlencode(params)
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read().decode())


def wait(cond, what, timeout, proc):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        check(proc.poll() is None, f"prometheus exited {proc.returncode} while waiting for {what}")
        try:
            last = cond()
            if last:
                return last
        except (OSError, ValueError) as e:
            last = e
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}; last answer: {last}")


def test_prometheus_scrapes_mdsp():
    srv = start_mdsp("scrape")
    work = tempdir("prometheus")
    prom = None
    try:
        # The shipped config with only the target address changed; the rules
        # folder beside it so rule_files resolves as in deploy/prometheus.
        with open(os.path.join(DEPLOY, "prometheus", "prometheus.yml")) as f:
            text = f.read()
        check(text.count('"127.0.0.1:8080"') == 1, "prometheus.yml should have the one target 127.0.0.1:8080")
        with open(os.path.join(work, "prometheus.yml"), "w") as f:
            f.write(text.replace('"127.0.0.1:8080"', f'"127.0.0.1:{srv.port}"'))
        shutil.copytree(os.path.join(DEPLOY, "prometheus", "rules"), os.path.join(work, "rules"))
        port = free_port()
        log = open(os.path.join(work, "prometheus.log"), "w")
        prom = subprocess.Popen(["prometheus", "--config.file=prometheus.yml",
                                 f"--storage.tsdb.path={os.path.join(work, 'data')}",
                                 f"--web.listen-address=127.0.0.1:{port}"],
                                cwd=work, stdout=log, stderr=subprocess.STDOUT)

        def target_up():
            r = prom_get(port, "/api/v1/query", query='up{job="mdsp"}')["data"]["result"]
            return r if r and r[0]["value"][1] == "1" else None
        up = wait(target_up, 'up{job="mdsp"} == 1', 90, prom)
        check(up[0]["metric"]["instance"] == f"127.0.0.1:{srv.port}", f"unexpected target: {up}")

        def ticks_scraped():
            r = prom_get(port, "/api/v1/query", query='mdsp_ingest_ticks_total{job="mdsp"} > 0')["data"]["result"]
            return r or None
        wait(ticks_scraped, "a sample of mdsp_ingest_ticks_total > 0", 90, prom)

        wanted = {(alert, name) for alert, expr in rule_exprs() for name in promql_metric_names(expr)
                  if name not in PENDING_METRICS and name not in PROMETHEUS_SERIES}
        check(len(wanted) >= 3, f"rules name too few metrics: {wanted}")

        def missing_names():
            names = set(prom_get(port, "/api/v1/label/__name__/values")["data"])
            return sorted(w for w in wanted if w[1] not in names)
        try:
            wait(lambda: not missing_names(), "the metrics the rules use", 60, prom)
        except AssertionError:
            raise AssertionError(f"Prometheus scraped no series of (rule, metric) {missing_names()} from mdsp")

        def rules_evaluated():
            groups = prom_get(port, "/api/v1/rules")["data"]["groups"]
            rules = [r for g in groups for r in g["rules"]]
            if len(rules) != len(rule_exprs()) or any(r.get("health") == "unknown" for r in rules):
                return None
            return rules
        rules = wait(rules_evaluated, "one evaluation of every rule", 90, prom)
        for r in rules:
            check(r["health"] == "ok", f"rule {r['name']} failed to evaluate: {r.get('lastError')}")
            if r["name"] == "MdspDown":
                check(r["state"] == "inactive", f"MdspDown is {r['state']} while mdsp is up")
    finally:
        if prom is not None and prom.poll() is None:
            prom.send_signal(signal.SIGTERM)
            try:
                prom.wait(timeout=30)
            except subprocess.TimeoutExpired:
                prom.kill()
                prom.wait()
        srv.stop()


if __name__ == "__main__":
    main([test_prometheus_scrapes_mdsp])
