"""mdsp's topics on the suite's real Kafka cluster, through the Admin API:
created with the partitions and replication factor of the settings, and the
brokers' append time as record time (retention from arrival); an
existing topic of another shape is used as it is and said so; a replication
factor above the number of brokers, or a principal without CREATE, is a
clear error naming the topic, the setting and the fix."""
import os

from mdsp_e2e import check, main, run, tempdir
from mdsp_kafka import cluster, space

BROKERS = 3


def tick_file(d):
    """Three trades of one symbol: enough for an ingest to make its topics."""
    path = os.path.join(d, "ticks.csv")
    with open(path, "w") as f:
        f.write("time,symbol,price,size\n1704067200000,AAA,10.5,1\n1704067201000,AAA,10.6,2\n"
                "1704067202000,AAA,10.4,3\n")
    return path


def ingest(sp, d, *settings, ok=True):
    args = ["ingest"] + sp.args() + ["--source", f"replay:{tick_file(d)}", "-d", os.path.join(d, "ingest")]
    for s in settings:
        args += ["--set", s]
    return run(args, timeout=120, check=ok)


def shape(c, topic):
    """(partitions, [replicas of each], [ISR size of each]) of a topic, from the cluster itself."""
    parts = c.metadata()["topics"].get(topic)
    check(parts is not None, f"topic {topic} exists")
    return len(parts), [len(parts[p][1]) for p in sorted(parts)], [len(parts[p][2]) for p in sorted(parts)]


def test_created_with_the_settings_shape():
    c = cluster()
    sp = space("shape", partitions=3, c=c)
    d = tempdir("kafka-topics")
    ingest(sp, d, "kafka.replication_factor=3")
    n, replicas, isr = shape(c, sp.ticks)
    check(n == 3 and replicas == [3, 3, 3], f"{sp.ticks}: 3 partitions of 3 replicas: {n}, {replicas}")
    check(isr == [3, 3, 3], f"every replica in sync: {isr}")
    n, replicas, _ = shape(c, sp.candles)
    check(n == 3 and replicas == [3, 3, 3], f"{sp.candles}: {n}, {replicas}")
    n, replicas, _ = shape(c, sp.deadletter)
    check(n == 1 and replicas == [3], f"{sp.deadletter}: one partition of 3 replicas: {n}, {replicas}")
    # Retention counts from arrival: a replay of old trades is not deleted as it is written.
    described = c.tool("org.apache.kafka.tools.TopicCommand", "--bootstrap-server", c.bootstrap, "--describe",
                       "--topic", sp.ticks)
    check("message.timestamp.type=LogAppendTime" in described.stdout,
          f"{sp.ticks} keeps the brokers' append time: {described.stdout}{described.stderr}")

    # Asked again with other settings: the topics stay as they are, and mdsp says so.
    _, _, err = ingest(sp, d, "kafka.partitions=6", "kafka.replication_factor=2")
    line = [l for l in err.splitlines() if sp.ticks in l and "exists with" in l]
    check(line, f"an existing topic of another shape is reported:\n{err}")
    for words in ("3 partition(s) and replication factor 3", "6 and 2", "kafka.partitions",
                  "kafka.replication_factor", "used as it is"):
        check(words in line[0], f"the report says {words!r}: {line[0]}")
    n, replicas, _ = shape(c, sp.ticks)
    check(n == 3 and replicas == [3, 3, 3], f"the existing topic is not changed: {n}, {replicas}")


def test_replication_above_the_brokers_is_refused_clearly():
    sp = space("toomany")
    d = tempdir("kafka-topics")
    rc, _, err = ingest(sp, d, f"kafka.replication_factor={BROKERS + 2}", ok=False)
    check(rc != 0, "mdsp ingest fails")
    for words in (sp.prefix + "market.", f"kafka.replication_factor = {BROKERS + 2}", f"{BROKERS} broker(s)",
                  f"at most {BROKERS}", "INVALID_REPLICATION_FACTOR"):
        check(words in err, f"the error says {words!r}:\n{err}")
    check(sp.ticks not in cluster().metadata()["topics"], "nothing was created")


def test_a_principal_without_create_is_told_what_to_grant():
    """The SASL_SSL listener's limited user, denied CREATE by ACLs, over PLAIN
    (which every librdkafka speaks; see test_kafka_security.py for SCRAM)."""
    c = cluster()
    check(c.sasl, "the suite's cluster has its SASL_SSL listener (kafka_cluster.py start --sasl)")
    user = "mdsp-limited"
    acl = ["--bootstrap-server", c.bootstrap, "--deny-principal", f"User:{user}", "--operation", "Create"]
    for resource in (["--cluster"], ["--topic", "*"]):
        p = c.tool("org.apache.kafka.tools.AclCommand", "--add", "--force", *acl, *resource)
        check(p.returncode == 0, f"kafka-acls --add {resource}: {p.stdout}{p.stderr}")
    try:
        sp = space("noacl", c=c)
        d = tempdir("kafka-topics")
        env = dict(os.environ, MDSP_KAFKA_PROPERTIES_SASL_PASSWORD=c.sasl["users"][user])
        args = ["ingest", "--kafka", c.sasl_bootstrap, "--set", f"kafka.topic_prefix={sp.prefix}",
                "--set", "kafka.properties.security.protocol=SASL_SSL",
                "--set", "kafka.properties.sasl.mechanism=PLAIN",
                "--set", f"kafka.properties.sasl.username={user}",
                "--set", f"kafka.properties.ssl.ca.location={c.sasl['ca']}",
                "--source", f"replay:{tick_file(d)}", "-d", os.path.join(d, "ingest")]
        rc, out, err = run(args, timeout=120, check=False, env=env)
        check(rc != 0, "mdsp ingest fails")
        for words in (f"User:{user} may not create topic {sp.prefix}market.", "AUTHORIZATION_FAILED",
                      f"--allow-principal User:{user} --operation Create", "kafka.create_topics = false"):
            check(words in err, f"the error says {words!r}:\n{err}")
        check(c.sasl["users"][user] not in out + err, "the password is never printed")
    finally:
        for resource in (["--cluster"], ["--topic", "*"]):
            c.tool("org.apache.kafka.tools.AclCommand", "--remove", "--force", *acl, *resource)


if __name__ == "__main__":
    main([test_created_with_the_settings_shape, test_replication_above_the_brokers_is_refused_clearly,
          test_a_principal_without_create_is_told_what_to_grant])
