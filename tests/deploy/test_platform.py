"""The platform manifests deploy/k8s/platform: Strimzi (Kafka in KRaft mode,
KafkaNodePool, KafkaTopic for the three topics) and K8ssandra
(K8ssandraCluster), plus the schema Job. The built-in kinds validate against
the Kubernetes schemas offline; the operators' resources parse and carry the
fields their CRDs require, and fit the chart's defaults (service names,
ports, partitions) and deploy/cassandra/schema.cql (replication factor)."""
import glob
import os
import re

from ship_util import CHART, DEPLOY, PLATFORM, check, docs, main, use_venv

use_venv()
import kubernetes_validate  # noqa: E402  (from .venv-deploy)
import yaml  # noqa: E402

TOPICS = {"market.ticks", "market.candles", "market.deadletter"}


def manifests():
    out = []
    for path in sorted(glob.glob(os.path.join(PLATFORM, "*.yaml"))):
        with open(path) as f:
            for d in docs(f.read()):
                out.append((os.path.basename(path), d))
    check(out, f"no manifests in {PLATFORM}")
    return out


def of_kind(kind):
    return [d for _, d in manifests() if d["kind"] == kind]


def chart_values(name="values.yaml"):
    with open(os.path.join(CHART, name)) as f:
        return yaml.safe_load(f)


def need(where, d, *paths):
    for path in paths:
        v = d
        for k in path.split("."):
            check(isinstance(v, dict) and k in v, f"{where}: missing {path}")
            v = v[k]


def test_builtin_kinds_validate():
    n = 0
    for file, d in manifests():
        check(d.get("apiVersion") and d.get("kind") and d.get("metadata", {}).get("name"),
              f"{file}: a document without apiVersion, kind or metadata.name")
        if "." in d["apiVersion"].split("/")[0] and not d["apiVersion"].startswith(("batch/", "apps/")):
            continue  # an operator's resource: the tests below
        for v in ("1.27.0", "1.37.0"):
            kubernetes_validate.validate(d, v, strict=True)
        n += 1
    check(n >= 1, "no built-in kind to validate")


def test_strimzi_kafka():
    kafkas = of_kind("Kafka")
    check(len(kafkas) == 1, f"want one Kafka, got {len(kafkas)}")
    k = kafkas[0]
    where = f"Kafka/{k['metadata']['name']}"
    check(k["apiVersion"] == "kafka.strimzi.io/v1beta2", f"{where}: apiVersion {k['apiVersion']}")
    ann = k["metadata"].get("annotations", {})
    check(ann.get("strimzi.io/kraft") == "enabled" and ann.get("strimzi.io/node-pools") == "enabled",
          f"{where}: KRaft with node pools needs both annotations enabled: {ann}")
    need(where, k, "spec.kafka.version", "spec.kafka.listeners")
    check("zookeeper" not in k["spec"], f"{where}: KRaft: no zookeeper section")
    for lst in k["spec"]["kafka"]["listeners"]:
        need(f"{where} listener", lst, "name", "port", "type", "tls")
    pools = of_kind("KafkaNodePool")
    check(pools, "no KafkaNodePool")
    nodes, roles = 0, set()
    for p in pools:
        w = f"KafkaNodePool/{p['metadata']['name']}"
        need(w, p, "spec.replicas", "spec.roles", "spec.storage.type")
        check(p["metadata"].get("labels", {}).get("strimzi.io/cluster") == k["metadata"]["name"],
              f"{w}: label strimzi.io/cluster must name the Kafka {k['metadata']['name']}")
        check(set(p["spec"]["roles"]) <= {"controller", "broker"}, f"{w}: roles {p['spec']['roles']}")
        nodes += p["spec"]["replicas"]
        roles |= set(p["spec"]["roles"])
    check(roles == {"controller", "broker"} and nodes >= 3, f"want 3+ nodes with both roles, got {nodes} {roles}")
    # The chart's default brokers are this cluster's bootstrap service.
    plain = [lst for lst in k["spec"]["kafka"]["listeners"] if lst["type"] == "internal" and not lst["tls"]]
    want = f"{k['metadata']['name']}-kafka-bootstrap:{plain[0]['port']}"
    check(chart_values()["kafka"]["brokers"] == want, f"the chart's kafka.brokers is not {want}")


def test_strimzi_topics():
    k = of_kind("Kafka")[0]
    topics = {t["spec"].get("topicName", t["metadata"]["name"]): t for t in of_kind("KafkaTopic")}
    check(set(topics) == TOPICS, f"topics: {sorted(topics)}, want {sorted(TOPICS)}")
    nodes = sum(p["spec"]["replicas"] for p in of_kind("KafkaNodePool"))
    for name, t in topics.items():
        w = f"KafkaTopic/{name}"
        need(w, t, "spec.partitions", "spec.replicas")
        check(t["metadata"]["labels"].get("strimzi.io/cluster") == k["metadata"]["name"], f"{w}: wrong cluster label")
        check(1 <= t["spec"]["replicas"] <= nodes, f"{w}: {t['spec']['replicas']} replicas on {nodes} brokers")
        check(t["spec"].get("config", {}).get("message.timestamp.type") == "LogAppendTime",
              f"{w}: retention must count from arrival (README Kafka): message.timestamp.type LogAppendTime")
    ticks = topics["market.ticks"]["spec"]["partitions"]
    for values in ("values.yaml", "values-production.yaml"):
        v = chart_values(values)
        check(v["config"]["kafka"]["partitions"] == ticks, f"{values}: config.kafka.partitions is not {ticks}")
        check(v["process"]["autoscaling"]["maxReplicas"] <= ticks,
              f"{values}: process.autoscaling.maxReplicas above the {ticks} partitions of market.ticks")


def test_k8ssandra_cluster():
    clusters = of_kind("K8ssandraCluster")
    check(len(clusters) == 1, f"want one K8ssandraCluster, got {len(clusters)}")
    c = clusters[0]
    where = f"K8ssandraCluster/{c['metadata']['name']}"
    check(c["apiVersion"] == "k8ssandra.io/v1alpha1", f"{where}: apiVersion {c['apiVersion']}")
    need(where, c, "spec.cassandra.serverVersion", "spec.cassandra.datacenters")
    with open(os.path.join(DEPLOY, "cassandra", "schema.cql")) as f:
        rf = int(re.search(r"'replication_factor':\s*(\d+)", f.read()).group(1))
    for dc in c["spec"]["cassandra"]["datacenters"]:
        need(f"{where} datacenter", dc, "metadata.name", "size", "storageConfig.cassandraDataVolumeClaimSpec")
        check(dc["size"] >= rf, f"{where}: data centre {dc['metadata']['name']} has {dc['size']} nodes, schema.cql wants {rf} copies")
    # The chart's default store names this cluster's first data centre service.
    dc = c["spec"]["cassandra"]["datacenters"][0]["metadata"]["name"]
    store = chart_values()["cassandra"]["store"]
    check(store.startswith(f"cassandra://{c['metadata']['name']}-{dc}-service:9042/market"),
          f"the chart's cassandra.store {store} is not this cluster's service")


def test_schema_job_uses_the_superuser_secret():
    jobs = of_kind("Job")
    check(len(jobs) == 1, "want the schema Job")
    c = of_kind("K8ssandraCluster")[0]
    secret = c["spec"]["cassandra"]["superuserSecretRef"]["name"]
    pod = jobs[0]["spec"]["template"]["spec"]
    refs = {v["secret"]["secretName"] for v in pod["volumes"] if "secret" in v}
    check(refs == {secret}, f"the schema Job reads {refs}, the cluster's super user is in {secret}")


if __name__ == "__main__":
    main([test_builtin_kinds_validate, test_strimzi_kafka, test_strimzi_topics, test_k8ssandra_cluster,
          test_schema_job_uses_the_superuser_secret])
