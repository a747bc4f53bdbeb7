"""mdsp on the suite cluster's SASL_SSL listener (a CA and broker certificate
made by kafka_cluster.py with openssl): the settings come from a TOML file and
the password from the environment; the broker's certificate is verified; the
password is in no line mdsp prints, at any log level; a wrong password or an
unverifiable certificate fails at once, naming the setting to fix.

SCRAM-SHA-512 is checked with Kafka's own Java client, and with mdsp: Debian
12's librdkafka (2.0.2) sends a SCRAM nonce that Kafka 4 brokers refuse (fixed
in librdkafka 2.6.1), so with that library mdsp must say exactly that and
point to PLAIN over SASL_SSL, which the reference run here uses."""
import os

from mdsp_e2e import TRADES, all_candles, check, main, run, server, tempdir
from mdsp_kafka import cluster, space
from test_reference import compare, klines


def toml(d, c, sp, mechanism, ca=True, user="mdsp"):
    path = os.path.join(d, f"mdsp-{mechanism}-{int(ca)}.toml")
    lines = ["[kafka]", f'brokers = "{c.sasl_bootstrap}"', f'topic_prefix = "{sp.prefix}"',
             f'group = "{sp.group()}"', "[kafka.properties]", '"security.protocol" = "SASL_SSL"',
             f'"sasl.mechanism" = "{mechanism}"', f'"sasl.username" = "{user}"']
    if ca:
        lines.append(f'"ssl.ca.location" = "{c.sasl["ca"]}"')
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def env_with(password):
    return dict(os.environ, MDSP_KAFKA_PROPERTIES_SASL_PASSWORD=password)


def small_file(d):
    path = os.path.join(d, "ticks.csv")
    with open(path, "w") as f:
        f.write("time,symbol,price,size\n1704067200000,AAA,10.5,1\n1704067201000,AAA,10.6,2\n")
    return path


def test_reference_over_sasl_ssl_never_shows_the_password():
    c = cluster()
    sp = space("sasl", c=c)
    d = tempdir("kafka-sasl")
    cfg = toml(d, c, sp, "PLAIN")
    pw = c.sasl["password"]
    env = env_with(pw)
    with server(["up", "--config", cfg, "--source", f"replay:{TRADES}", "-d", d, "--log-level", "debug"],
                env=env) as s:
        s.wait_for(lambda: s.metric("mdsp_pipeline_done") == 1, what="the replay through SASL_SSL")
        compare(all_candles(s, "XRPETH", "1m"), klines())
        check(s.stop() == 0, "mdsp up exits 0 on Ctrl-C")
        printed = "".join(s.lines + s.out_lines)
    _, out, err = run(["config", "--config", cfg], env=env)
    check("MDSP_KAFKA_PROPERTIES_SASL_PASSWORD" in out + err or "***" in out + err,
          f"mdsp config lists the password setting hidden:\n{out}{err}")
    for name, text in (("mdsp up --log-level debug", printed), ("mdsp config", out + err)):
        check(pw not in text, f"{name} printed the password")
    print(f"searched {len(printed.splitlines())} lines of mdsp up and mdsp config: no password", flush=True)


def test_scram_sha_512():
    """Kafka's Java client authenticates with SCRAM-SHA-512; mdsp either does
    too (librdkafka 2.6.1 or later) or says why it cannot and what to use."""
    c = cluster()
    d = tempdir("kafka-scram")
    props = os.path.join(d, "client.properties")
    with open(props, "w") as f:
        f.write("security.protocol=SASL_SSL\nsasl.mechanism=SCRAM-SHA-512\n"
                "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required "
                f'username="mdsp" password="{c.sasl["password"]}";\n'
                f"ssl.truststore.type=PEM\nssl.truststore.location={c.sasl['ca']}\n")
    p = c.tool("org.apache.kafka.tools.TopicCommand", "--bootstrap-server", c.sasl_bootstrap, "--command-config",
               props, "--list")
    check(p.returncode == 0, f"Kafka's own client lists topics over SCRAM-SHA-512: {p.stderr[-2000:]}")

    sp = space("scram", c=c)
    rc, out, err = run(["ingest", "--config", toml(d, c, sp, "SCRAM-SHA-512"), "--source",
                        f"replay:{small_file(d)}", "-d", d], timeout=120, check=False,
                       env=env_with(c.sasl["password"]))
    if rc == 0:
        print("mdsp authenticated with SCRAM-SHA-512", flush=True)
    else:
        for words in ("refused mdsp's credentials", "whose SCRAM Apache Kafka 4 brokers refuse",
                      "kafka.properties.sasl.mechanism = PLAIN", "2.6.1"):
            check(words in err, f"mdsp says {words!r}:\n{err}")
        print("mdsp's librdkafka cannot do SCRAM with Kafka 4; it says so:", err.strip().splitlines()[-1][:200],
              flush=True)
    check(c.sasl["password"] not in out + err, "the password is never printed")


def test_wrong_password_fails_at_once_naming_the_setting():
    c = cluster()
    sp = space("badpw", c=c)
    d = tempdir("kafka-badpw")
    wrong = "not-" + c.sasl["password"]
    rc, out, err = run(["ingest", "--config", toml(d, c, sp, "PLAIN"), "--source", f"replay:{small_file(d)}",
                        "-d", d], timeout=60, check=False, env=env_with(wrong))
    check(rc != 0, "mdsp ingest fails")
    for words in ("refused mdsp's credentials", "kafka.properties.sasl.username (mdsp)",
                  "MDSP_KAFKA_PROPERTIES_SASL_PASSWORD"):
        check(words in err, f"the error says {words!r}:\n{err}")
    check(wrong not in out + err and c.sasl["password"] not in out + err, "no password is printed")


def test_unverified_broker_certificate_fails_naming_the_ca_setting():
    c = cluster()
    sp = space("noca", c=c)
    d = tempdir("kafka-noca")
    rc, out, err = run(["ingest", "--config", toml(d, c, sp, "PLAIN", ca=False), "--source",
                        f"replay:{small_file(d)}", "-d", d], timeout=60, check=False,
                       env=env_with(c.sasl["password"]))
    check(rc != 0, "mdsp ingest refuses a broker whose certificate it cannot verify")
    for words in ("TLS connection", "kafka.properties.ssl.ca.location"):
        check(words in err, f"the error says {words!r}:\n{err}")


if __name__ == "__main__":
    main([test_reference_over_sasl_ssl_never_shows_the_password, test_scram_sha_512,
          test_wrong_password_fails_at_once_naming_the_setting,
          test_unverified_broker_certificate_fails_naming_the_ca_setting])
