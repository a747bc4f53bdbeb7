"""compose.yaml: Debian's docker-compose validates it (`docker-compose
config`, no engine needed); the stack is the one README "Deploy" describes
(three KRaft Kafka nodes, Cassandra, ingest, two process replicas, serve,
Prometheus, Grafana) with health checks and start order; the mdsp services
run subcommands and flags the built mdsp has and set only MDSP_* variables
that are settings; the Prometheus and Grafana files it mounts exist and
keep deploy/'s datasource uids."""
import os

import yaml

from ship_util import COMPOSE, ROOT, check, check_mdsp_command, main, run, settings, tmpdir, tool

MDSP_SERVICES = {"mdsp-ingest": "ingest", "mdsp-process-1": "process", "mdsp-process-2": "process", "mdsp-serve": "serve"}


def config():
    """The file as docker-compose resolves it (anchors, merges, defaults)."""
    p = run([tool("docker-compose"), "-f", COMPOSE, "config"], cwd=ROOT)
    check(p.returncode == 0, f"docker-compose config rejects compose.yaml:\n{p.stderr}")
    return yaml.safe_load(p.stdout)


def test_validates():
    c = config()
    services = set(c["services"])
    want = {"kafka-1", "kafka-2", "kafka-3", "cassandra", "cassandra-schema", "prometheus", "grafana"} | set(MDSP_SERVICES)
    check(services == want, f"services: {sorted(services)}, want {sorted(want)}")


def test_kafka_is_three_kraft_nodes():
    c = config()["services"]
    ids = set()
    for n in ("kafka-1", "kafka-2", "kafka-3"):
        env = c[n]["environment"]
        check(c[n]["image"].startswith("apache/kafka:"), f"{n}: image {c[n]['image']}")
        check(env["KAFKA_PROCESS_ROLES"] == "broker,controller", f"{n}: roles {env['KAFKA_PROCESS_ROLES']}")
        check(env["KAFKA_CONTROLLER_QUORUM_VOTERS"].count("@") == 3, f"{n}: voters {env['KAFKA_CONTROLLER_QUORUM_VOTERS']}")
        ids.add(str(env["KAFKA_NODE_ID"]))
    check(ids == {"1", "2", "3"}, f"node ids {ids}")


def test_health_checks_and_start_order():
    c = config()["services"]
    for name, s in c.items():
        if name == "cassandra-schema":
            continue  # a one-shot job: the others wait for it to complete
        check("healthcheck" in s or name == "mdsp-ingest", f"{name} has no healthcheck")
    for name in MDSP_SERVICES:
        deps = c[name].get("depends_on", {})
        check(deps and all(d.get("condition") in ("service_healthy", "service_completed_successfully")
                           for d in deps.values()), f"{name}: depends_on without conditions: {deps}")
    for name in ("mdsp-process-1", "mdsp-process-2", "mdsp-serve"):
        check(c[name]["depends_on"].get("cassandra-schema", {}).get("condition") == "service_completed_successfully",
              f"{name} must start after the schema is applied")


def test_mdsp_services_use_real_commands_and_settings():
    c = config()["services"]
    env_settings = set(settings().values())
    for name, sub in MDSP_SERVICES.items():
        s = c[name]
        check(s["image"] == "mdsp:latest" and s.get("build"), f"{name}: image {s['image']} / build {s.get('build')}")
        check(s["command"][0] == sub, f"{name} runs mdsp {s['command'][0]}, want {sub}")
        check_mdsp_command(f"compose {name}", s["command"])
        for var in s.get("environment", {}):
            check(var in env_settings, f"{name}: {var} is not the variable of any setting of `mdsp config`")
        check(s.get("read_only") is True and "ALL" in s.get("cap_drop", []), f"{name}: not read-only without capabilities")
    g1, g2 = c["mdsp-process-1"]["command"], c["mdsp-process-2"]["command"]
    check(g1 == g2 and "--group" in g1, "the two process replicas must run the same command in one group")


def test_mounted_files_exist():
    c = config()["services"]
    for name in ("prometheus", "grafana", "cassandra-schema"):
        for v in c[name]["volumes"]:
            src = v["source"] if isinstance(v, dict) else v.split(":")[0]
            if os.path.isabs(src):
                check(os.path.exists(src), f"{name} mounts {src}, which does not exist")
    with open(os.path.join(ROOT, "deploy", "compose", "grafana-datasources.yaml")) as f:
        compose_ds = {d["uid"]: d["type"] for d in yaml.safe_load(f)["datasources"]}
    with open(os.path.join(ROOT, "deploy", "grafana", "provisioning", "datasources", "mdsp.yaml")) as f:
        deploy_ds = {d["uid"]: d["type"] for d in yaml.safe_load(f)["datasources"]}
    check(compose_ds == deploy_ds, f"Compose's datasources {compose_ds} are not deploy/'s {deploy_ds}")
    # promtool on Compose's Prometheus config, with the rules at the path the
    # container sees them replaced by the repository's file.
    with open(os.path.join(ROOT, "deploy", "compose", "prometheus.yml")) as f:
        text = f.read()
    check("/etc/prometheus/rules/mdsp.yml" in text, "deploy/compose/prometheus.yml does not load the rules")
    path = os.path.join(tmpdir("compose"), "prometheus.yml")
    with open(path, "w") as f:
        f.write(text.replace("/etc/prometheus/rules/mdsp.yml", os.path.join(ROOT, "deploy", "prometheus", "rules", "mdsp.yml")))
    p = run([tool("promtool"), "check", "config", path])
    check(p.returncode == 0 and "1 rule files found" in p.stdout + p.stderr, f"promtool check config:\n{p.stdout}{p.stderr}")


if __name__ == "__main__":
    main([test_validates, test_kafka_is_three_kraft_nodes, test_health_checks_and_start_order,
          test_mdsp_services_use_real_commands_and_settings, test_mounted_files_exist])
