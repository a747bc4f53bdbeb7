#!/usr/bin/python3
"""kcat decodes Avro from a Kafka topic with the schema from mdsp's registry.

A tick framed with id 1 (encoded by python3-avro with the schema fetched from
our registry) is produced with kcat to this test's market.ticks on the suite's
real Kafka cluster (mdsp_kafka.py), then `kcat -C -s value=avro -r
http://127.0.0.1:PORT` must print it decoded.

Needs a kcat built with Avro/Schema-Registry support (libserdes; Debian 12's
kcat 1.7.1 is built without it) and exits 77 (skipped, with the reason)
without one.
"""
import io
import json
import os
import struct
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "e2e"))
import mdsp_e2e as e2e  # noqa: E402
import mdsp_kafka  # noqa: E402

import avro.io  # noqa: E402
import avro.schema  # noqa: E402

SKIP = 77


def skip(why):
    print(f"SKIP: {why}")
    sys.exit(SKIP)


def main():
    probe = subprocess.run(["kcat", "-b", "127.0.0.1:1", "-C", "-t", "x", "-e", "-s", "value=avro", "-r",
                            "http://127.0.0.1:1"], capture_output=True, text=True, timeout=30)
    if "lacks Avro" in probe.stderr:
        skip("this kcat is built without Avro/Schema-Registry support (libserdes): " + probe.stderr.strip())

    sp = mdsp_kafka.space("kcat", partitions=1)
    c = sp.cluster
    made = c.tool("org.apache.kafka.tools.TopicCommand", "--bootstrap-server", c.bootstrap, "--create", "--topic",
                  sp.ticks, "--partitions", "1")
    e2e.check(made.returncode == 0, f"kafka-topics --create {sp.ticks}: {made.stderr}")
    brokers = c.bootstrap
    with e2e.server(["serve", "-d", e2e.tempdir("kcat-registry")]) as srv:
        schema = avro.schema.parse(srv.get("/schemas/ids/1")["schema"])
        tick = {"symbol": "BTC/USD", "source": "kcat-test", "exchange": None, "mic_code": None,
                "asset_type": None, "currency": "USD", "event_time": 1_700_000_000_000_000,
                "ingest_time": 1_700_000_000_000_001, "price": 61487.6, "size": 0.5, "day_volume": None,
                "bid": None, "ask": None, "trade_id": 42, "seq": 7}
        buf = io.BytesIO()
        buf.write(struct.pack(">bI", 0, 1))
        avro.io.DatumWriter(schema).write(tick, avro.io.BinaryEncoder(buf))
        path = os.path.join(e2e.tempdir("kcat-msg"), "tick.bin")
        with open(path, "wb") as f:
            f.write(buf.getvalue())
        subprocess.run(["kcat", "-b", brokers, "-P", "-t", sp.ticks, "-p", "0", "-k", "BTC/USD", path],
                       check=True, timeout=60)
        out = subprocess.run(["kcat", "-b", brokers, "-C", "-t", sp.ticks, "-p", "0", "-o", "beginning",
                              "-c", "1", "-e", "-s", "value=avro", "-r", srv.url(""), "-f", "%s\n"],
                             capture_output=True, text=True, timeout=60)
        if out.returncode != 0:
            raise AssertionError(f"kcat exited {out.returncode}: {out.stderr}")
        got = json.loads(out.stdout.strip().splitlines()[0])
        # kcat prints unions in Avro's JSON encoding: {"double": 0.5}.
        e2e.check(got["symbol"] == "BTC/USD" and got["price"] == 61487.6 and got["seq"] == 7,
                  f"kcat decoded {got}")
        print("PASS kcat decoded the tick with the schema from mdsp's registry")


if __name__ == "__main__":
    main()
