"""The Helm chart deploy/helm/mdsp: `helm lint` and `helm template` with the
default and the production values; every rendered manifest validates against
the Kubernetes schemas offline (kubernetes-validate, strict); the Prometheus
Operator resources carry their required fields; the pods are restricted
(non-root, read-only root, no privilege escalation, no capabilities,
RuntimeDefault seccomp, requests and limits); secrets come only by
reference; the TOML file and every mdsp command line use settings and flags
the built mdsp has; the chart's copies of the rules and dashboards equal
deploy/'s, its Grafana datasources have deploy/'s uids, and NOTES.txt says
where the API is."""
import filecmp
import glob
import json
import os
import tomllib

from ship_util import (CHART, DEPLOY, KUBE_VERSION, NAMESPACE, SECRET_ENV, check, check_mdsp_command, docs, helm, main,
                       mdsp_argv_in_shell, mdsp_bin, pod_specs, render, run, setting_exists, tmpdir, use_venv)

use_venv()
import kubernetes_validate  # noqa: E402  (from .venv-deploy)
import yaml  # noqa: E402

# The Kubernetes versions the manifests are checked against: the oldest the
# chart supports (Chart.yaml: >=1.27, for the CronJob's timeZone) and the
# newest kubernetes-validate has schemas for.
K8S_VERSIONS = ["1.27.0", "1.37.0"]
CRD_KINDS = {"ServiceMonitor", "PrometheusRule"}


def test_chart_copies_equal_deploy():
    # Helm reads only files inside the chart (and `helm package` does not
    # follow symlinks), so the chart keeps copies; they must not drift.
    pairs = [(os.path.join(DEPLOY, "prometheus", "rules", "mdsp.yml"), os.path.join(CHART, "files", "rules", "mdsp.yml"))]
    src = sorted(glob.glob(os.path.join(DEPLOY, "grafana", "dashboards", "*.json")))
    copies = sorted(glob.glob(os.path.join(CHART, "files", "dashboards", "*.json")))
    check([os.path.basename(p) for p in src] == [os.path.basename(p) for p in copies],
          f"dashboards differ: deploy/grafana/dashboards has {src}, the chart {copies}")
    pairs += [(s, os.path.join(CHART, "files", "dashboards", os.path.basename(s))) for s in src]
    for a, b in pairs:
        check(filecmp.cmp(a, b, shallow=False),
              f"{os.path.relpath(b, CHART)} differs from {os.path.relpath(a, DEPLOY)}: copy it again (cp {a} {b})")


def test_lint():
    for values, extra in [("default", []), ("production", ["-f", os.path.join(CHART, "values-production.yaml")])]:
        p = helm("lint", "--strict", CHART, "--namespace", NAMESPACE, "--kube-version", KUBE_VERSION, *extra)
        check(p.returncode == 0, f"helm lint --strict ({values} values) failed:\n{p.stdout}{p.stderr}")


def kinds(manifests):
    out = {}
    for d in manifests:
        out.setdefault(d["kind"], []).append(d["metadata"]["name"])
    return out


def test_renders_what_each_values_file_asks_for():
    default = kinds(docs(render("default")))
    check(sorted(default["Deployment"]) == ["mdsp-ingest-sim", "mdsp-process", "mdsp-serve"],
          f"default Deployments: {default.get('Deployment')}")
    for kind in ("ConfigMap", "Service", "ServiceAccount", "PodDisruptionBudget", "NetworkPolicy"):
        check(kind in default, f"default values render no {kind}: {default}")
    for kind in ("CronJob", "HorizontalPodAutoscaler", "Ingress", "ServiceMonitor", "PrometheusRule"):
        check(kind not in default, f"{kind} is optional and off by default, yet rendered: {default.get(kind)}")
    prod = kinds(docs(render("production")))
    check(sorted(prod["Deployment"]) == ["mdsp-ingest-binance", "mdsp-ingest-twelvedata", "mdsp-process", "mdsp-serve"],
          f"production Deployments: {prod.get('Deployment')}")
    for kind in ("CronJob", "HorizontalPodAutoscaler", "Ingress", "ServiceMonitor", "PrometheusRule"):
        check(kind in prod, f"production values render no {kind}: {prod}")
    check(sorted(prod["ConfigMap"]) == ["mdsp-config", "mdsp-dashboard-market", "mdsp-dashboard-pipeline-health",
                                        "mdsp-datasources"],
          f"production ConfigMaps: {prod['ConfigMap']}")


def test_manifests_validate_offline():
    n = 0
    for values in ("default", "production"):
        for d in docs(render(values)):
            where = f"{values}: {d['kind']}/{d['metadata']['name']}"
            check(d["metadata"].get("namespace") == NAMESPACE, f"{where}: namespace is not the release's")
            if d["kind"] in CRD_KINDS:
                continue  # test_operator_resources
            for v in K8S_VERSIONS:
                try:
                    kubernetes_validate.validate(d, v, strict=True)
                except kubernetes_validate.ValidationError as e:
                    raise AssertionError(f"{where} is not valid Kubernetes {v}: {e.message} at {list(e.path)}")
            n += 1
    check(n > 15, f"only {n} manifests validated")


def test_operator_resources():
    prod = docs(render("production"))
    sm = [d for d in prod if d["kind"] == "ServiceMonitor"]
    check(len(sm) == 1 and sm[0]["apiVersion"] == "monitoring.coreos.com/v1", f"ServiceMonitor: {sm}")
    ep = sm[0]["spec"]["endpoints"]
    check(ep and all(e["port"] == "http" and e["path"] == "/metrics" for e in ep), f"ServiceMonitor endpoints: {ep}")
    check(any(r.get("targetLabel") == "job" and r.get("replacement") == "mdsp" for r in ep[0].get("relabelings", [])),
          "the ServiceMonitor must set job=\"mdsp\": the rules and dashboards select it")
    selector = sm[0]["spec"]["selector"]["matchLabels"]
    services = [d for d in prod if d["kind"] == "Service"
                and all(d["metadata"]["labels"].get(k) == v for k, v in selector.items())]
    check(sorted(s["metadata"]["name"] for s in services) == ["mdsp-process", "mdsp-serve"],
          f"the ServiceMonitor selects {[s['metadata']['name'] for s in services]}, want process and serve")
    rule = [d for d in prod if d["kind"] == "PrometheusRule"]
    check(len(rule) == 1 and rule[0]["apiVersion"] == "monitoring.coreos.com/v1", f"PrometheusRule: {rule}")
    with open(os.path.join(DEPLOY, "prometheus", "rules", "mdsp.yml")) as f:
        rules = yaml.safe_load(f)
    check(rule[0]["spec"] == rules, "the PrometheusRule's spec is not deploy/prometheus/rules/mdsp.yml")
    for d in prod:
        if d["kind"] == "ConfigMap" and d["metadata"]["name"].startswith("mdsp-dashboard-"):
            check(d["metadata"]["labels"].get("grafana_dashboard") == "1", f"{d['metadata']['name']}: no sidecar label")
            (name, text), = d["data"].items()
            with open(os.path.join(DEPLOY, "grafana", "dashboards", name)) as f:
                check(json.loads(text) == json.load(f), f"{d['metadata']['name']} is not deploy/grafana/dashboards/{name}")


def test_grafana_datasources_are_deploys():
    # The dashboards name datasources by uid: the chart's must be deploy/'s
    # (same names, uids, types), pointing at this release's services.
    cm = [d for d in docs(render("production")) if d["metadata"]["name"] == "mdsp-datasources"][0]
    check(cm["metadata"]["labels"].get("grafana_datasource") == "1", "the datasources ConfigMap has no sidecar label")
    chart = yaml.safe_load(cm["data"]["mdsp-datasources.yaml"])["datasources"]
    with open(os.path.join(DEPLOY, "grafana", "provisioning", "datasources", "mdsp.yaml")) as f:
        deploy = yaml.safe_load(f)["datasources"]
    key = lambda d: (d["uid"], d["name"], d["type"])  # noqa: E731
    check(sorted(map(key, chart)) == sorted(map(key, deploy)), f"chart datasources {chart} are not deploy/'s {deploy}")
    api = [d for d in chart if d["uid"] == "mdsp-api"][0]
    check(api["jsonData"]["allowedHosts"] == [f"http://mdsp-serve.{NAMESPACE}.svc:80"], f"mdsp-api allows {api['jsonData']}")
    cql = [d for d in chart if d["uid"] == "mdsp-cassandra"][0]
    check(cql["secureJsonData"]["password"] == "$MDSP_CASSANDRA_PASSWORD", "the Cassandra password must come from Grafana's environment")


def test_notes_say_where_the_api_is():
    # helm template does not print NOTES.txt: render it from a copy of the
    # chart as a value of a manifest.
    import shutil

    copy = os.path.join(tmpdir("notes"), "mdsp")
    shutil.copytree(CHART, copy)
    shutil.copy(os.path.join(copy, "templates", "NOTES.txt"), os.path.join(copy, "files", "notes.txt"))
    with open(os.path.join(copy, "templates", "zz-notes.yaml"), "w") as f:
        f.write('notes: {{ tpl (.Files.Get "files/notes.txt") . | toJson }}\n')
    want = {"default": ["port-forward service/mdsp-serve 8080:80", "http://127.0.0.1:8080/api/v1/",
                        "deployment/mdsp-ingest-sim", "scrape service/mdsp-process"],
            "production": ["https://mdsp.example.com/", "cronjob/mdsp-backfill", "autoscaled 3-12",
                           "grafana_dashboard=1"]}
    for values, phrases in want.items():
        extra = ["-f", os.path.join(copy, "values-production.yaml")] if values == "production" else []
        p = helm("template", "mdsp", copy, "-n", NAMESPACE, "--kube-version", KUBE_VERSION, *extra,
                 "--show-only", "templates/zz-notes.yaml")
        check(p.returncode == 0, f"NOTES.txt does not render ({values}):\n{p.stderr}")
        notes = yaml.safe_load(p.stdout)["notes"]
        for phrase in phrases:
            check(phrase in notes, f"NOTES.txt ({values}) does not say {phrase!r}:\n{notes}")


def test_pods_are_restricted():
    for values in ("default", "production"):
        for name, pod in pod_specs(docs(render(values))):
            where = f"{values}: {name}"
            psc = pod.get("securityContext", {})
            check(psc.get("runAsNonRoot") is True, f"{where}: pod runAsNonRoot is not true")
            check(psc.get("seccompProfile", {}).get("type") == "RuntimeDefault", f"{where}: seccomp is not RuntimeDefault")
            check(pod.get("automountServiceAccountToken") is False, f"{where}: mounts a service account token")
            vols = {v["name"]: v for v in pod.get("volumes", [])}
            for c in pod["containers"]:
                sc = c.get("securityContext", {})
                check(sc.get("readOnlyRootFilesystem") is True, f"{where}/{c['name']}: root filesystem is writable")
                check(sc.get("allowPrivilegeEscalation") is False, f"{where}/{c['name']}: privilege escalation allowed")
                check(sc.get("capabilities", {}).get("drop") == ["ALL"], f"{where}/{c['name']}: capabilities not dropped")
                mounts = {m["mountPath"]: m["name"] for m in c.get("volumeMounts", [])}
                for path in ("/tmp", "/var/lib/mdsp"):
                    check(path in mounts and "emptyDir" in vols[mounts[path]],
                          f"{where}/{c['name']}: {path} is not a writable volume")
                res = c.get("resources", {})
                for k in ("requests", "limits"):
                    check({"cpu", "memory"} <= set(res.get(k, {})), f"{where}/{c['name']}: no cpu and memory {k}")


def test_stages_and_probes():
    for values in ("default", "production"):
        for d in docs(render(values)):
            if d["kind"] != "Deployment":
                continue
            name, spec = d["metadata"]["name"], d["spec"]
            c = spec["template"]["spec"]["containers"][0]
            if "-ingest-" in name:
                check(spec["replicas"] == 1 and spec["strategy"]["type"] == "Recreate",
                      f"{values}: {name}: a source runs once: want 1 replica and strategy Recreate")
                continue
            check(c["livenessProbe"]["httpGet"]["path"] == "/healthz", f"{values}: {name}: liveness is not /healthz")
            check(c["readinessProbe"]["httpGet"]["path"] == "/readyz", f"{values}: {name}: readiness is not /readyz")
            check(c["ports"][0]["name"] == "http", f"{values}: {name}: no http port")


def test_secrets_only_by_reference():
    for values in ("default", "production"):
        manifests = docs(render(values))
        check(not [d for d in manifests if d["kind"] == "Secret"], f"{values}: the chart must not make Secrets")
        for name, pod in pod_specs(manifests):
            for c in pod["containers"]:
                for e in c.get("env", []):
                    if e["name"] in SECRET_ENV or any(w in e["name"] for w in ("PASSWORD", "API_KEY", "SECRET")):
                        check("secretKeyRef" in e.get("valueFrom", {}), f"{values}: {name}: {e['name']} is not from a Secret")
    prod = docs(render("production"))
    envs = {n: {e["name"] for c in p["containers"] for e in c.get("env", [])} for n, p in pod_specs(prod)}
    check("TWELVEDATA_API_KEY" in envs["mdsp-ingest-twelvedata"] and "TWELVEDATA_API_KEY" in envs["mdsp-backfill"],
          f"the TwelveData key must reach the twelvedata ingest and the backfill: {envs}")
    check("TWELVEDATA_API_KEY" not in envs["mdsp-ingest-binance"], "the binance ingest gets the TwelveData key")
    check("MDSP_CASSANDRA_PASSWORD" in envs["mdsp-process"] and "MDSP_CASSANDRA_PASSWORD" in envs["mdsp-serve"],
          f"process and serve need the Cassandra password: {envs}")
    # A twelvedata source without the Secret's name stops the render and says so.
    p = helm("template", "mdsp", CHART, "--kube-version", KUBE_VERSION, "--set", "ingest.sources[0].name=td,ingest.sources[0].source=twelvedata")
    check(p.returncode != 0 and "twelvedata.existingSecret" in p.stderr,
          f"a twelvedata source without twelvedata.existingSecret rendered:\n{p.stderr}")


def flatten(prefix, table, out):
    for k, v in table.items():
        path = f"{prefix}.{k}" if prefix else k
        if isinstance(v, dict):
            flatten(path, v, out)
        else:
            out[path] = v
    return out


def test_config_file_is_mdsp_settings():
    for values in ("default", "production"):
        cm = [d for d in docs(render(values)) if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "mdsp-config"]
        text = cm[0]["data"]["mdsp.toml"]
        parsed = flatten("", tomllib.loads(text), {})
        for path in parsed:
            check(setting_exists(path), f"{values}: mdsp.toml sets {path}, which `mdsp config` does not list")
        check(parsed["data_dir"] == "/var/lib/mdsp" and parsed["http.address"] == "0.0.0.0",
              f"{values}: data_dir and http.address: {parsed}")
        # The built mdsp loads the file as it is (types and values too).
        path = os.path.join(tmpdir("helm"), f"{values}.toml")
        with open(path, "w") as f:
            f.write(text)
        p = run([mdsp_bin(), "config", "--config", path], timeout=60)
        check(p.returncode == 0, f"{values}: mdsp does not load the chart's mdsp.toml:\n{p.stderr}\n{text}")
        for k, v in parsed.items():
            if isinstance(v, list):
                v = ",".join(v)
            if isinstance(v, bool):
                v = str(v).lower()
            if not k.startswith("kafka.properties."):
                check(f"{k} = {v}\n" in p.stdout, f"{values}: `mdsp config --config` does not show {k} = {v}")


def test_commands_are_mdsp_commands():
    n = 0
    for values in ("default", "production"):
        for name, pod in pod_specs(docs(render(values))):
            for c in pod["containers"]:
                where = f"{values}: {name}/{c['name']}"
                if c.get("command"):
                    check(c["command"][:2] == ["/bin/sh", "-c"], f"{where}: command {c['command']}")
                    argv = mdsp_argv_in_shell(c["args"][0])
                else:
                    argv = c["args"]
                check(argv[0] in ("ingest", "process", "serve", "backfill"), f"{where}: runs mdsp {argv[0]}")
                check_mdsp_command(where, argv)
                n += 1
    check(n >= 8, f"only {n} containers checked")


if __name__ == "__main__":
    main([test_chart_copies_equal_deploy, test_lint, test_renders_what_each_values_file_asks_for,
          test_manifests_validate_offline, test_operator_resources, test_pods_are_restricted,
          test_grafana_datasources_are_deploys, test_notes_say_where_the_api_is,
          test_stages_and_probes, test_secrets_only_by_reference, test_config_file_is_mdsp_settings,
          test_commands_are_mdsp_commands])
