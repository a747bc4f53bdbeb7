"""mdsp on the suite cluster's SASL_SSL listener (a CA and broker certificate
made by kafka_cluster.py with openssl), logging in with SCRAM-SHA-512: the
settings come from a TOML file and the password from the environment; the
broker's certificate is verified; the password is in no line mdsp prints, at
any log level; a wrong password or an unverifiable certificate fails at once,
naming the setting to fix.

SCRAM needs librdkafka 2.6.1 or later with Kafka 4 (Debian 12's 2.0.2 sends a
nonce the brokers refuse): scripts/setup builds 2.12.1 into .deps/librdkafka
and the build links it; test_scram_sha_512 checks which one mdsp has."""
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
    cfg = toml(d, c, sp, "SCRAM-SHA-512")
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
    """Kafka's own Java client and mdsp both log in with SCRAM-SHA-512; PLAIN
    over the same TLS listener works too."""
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

    _, version, _ = run(["--version"])
    for mechanism in ("SCRAM-SHA-512", "PLAIN"):
        sp = space("scram" if mechanism != "PLAIN" else "plain", c=c)
        rc, out, err = run(["ingest", "--config", toml(d, c, sp, mechanism), "--source",
                            f"replay:{small_file(d)}", "-d", os.path.join(d, mechanism)], timeout=120, check=False,
                           env=env_with(c.sasl["password"]))
        check(rc == 0, f"mdsp ingest logs in with {mechanism} ({version.strip()}):\n{err[-3000:]}")
        check(c.sasl["password"] not in out + err, "the password is never printed")
        print(f"mdsp ingest logged in with {mechanism}", flush=True)


def test_wrong_password_fails_at_once_naming_the_setting():
    c = cluster()
    sp = space("badpw", c=c)
    d = tempdir("kafka-badpw")
    wrong = "not-" + c.sasl["password"]
    rc, out, err = run(["ingest", "--config", toml(d, c, sp, "SCRAM-SHA-512"), "--source",
                        f"replay:{small_file(d)}", "-d", d], timeout=60, check=False, env=env_with(wrong))
    check(rc != 0, "mdsp ingest fails")
    for words in ("refused mdsp's credentials", "kafka.properties.sasl.username (mdsp)",
                  "MDSP_KAFKA_PROPERTIES_SASL_PASSWORD"):
        check(words in err, f"the error says {words!r}:\n{err}")
    check(wrong not in out + err and c.sasl["password"] not in out + err, "no password is printed")


def test_unverified_broker_certificate_fails_naming_the_ca_setting():
    c = cluster()
    sp = space("noca", c=c)
    d = tempdir("kafka-noca")
    rc, out, err = run(["ingest", "--config", toml(d, c, sp, "SCRAM-SHA-512", ca=False), "--source",
                        f"replay:{small_file(d)}", "-d", d], timeout=60, check=False,
                       env=env_with(c.sasl["password"]))
    check(rc != 0, "mdsp ingest refuses a broker whose certificate it cannot verify")
    for words in ("TLS connection", "kafka.properties.ssl.ca.location"):
        check(words in err, f"the error says {words!r}:\n{err}")


if __name__ == "__main__":
    main([test_reference_over_sasl_ssl_never_shows_the_password, test_scram_sha_512,
          test_wrong_password_fails_at_once_naming_the_setting,
          test_unverified_broker_certificate_fails_naming_the_ca_setting])
