#!/usr/bin/python3
"""mdsp's schema registry against independent clients.

- confluent_kafka.schema_registry.SchemaRegistryClient (Debian's
  python3-confluent-kafka) registers, fetches, lists, looks up, tests
  compatibility and changes levels against a running `mdsp serve`;
- python3-avro decodes every framed tick of a replayed log (read with
  python3-kafka's record-batch reader) with the schema fetched from our
  registry by the id in the frame, and the values equal the source CSV;
- registrations survive a restart of the server;
- `mdsp up --schema-registry URL` registers the model schemas in an external
  registry and refuses one that gives other ids than the log's.
"""
import csv
import glob
import http.server
import io
import json
import os
import struct
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "e2e"))
import mdsp_e2e as e2e  # noqa: E402

import avro.io  # noqa: E402
import avro.schema  # noqa: E402
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient  # noqa: E402
from confluent_kafka.schema_registry.error import SchemaRegistryError  # noqa: E402
from kafka.record.memory_records import MemoryRecords  # noqa: E402

check = e2e.check

V1 = json.dumps({"type": "record", "name": "Quote", "namespace": "interop",
                 "fields": [{"name": "symbol", "type": "string"}, {"name": "bid", "type": "float"}]})
V2 = json.dumps({"type": "record", "name": "Quote", "namespace": "interop",
                 "fields": [{"name": "symbol", "type": "string"}, {"name": "bid", "type": "double"},
                            {"name": "venue", "type": ["null", "string"], "default": None}]})
BAD = json.dumps({"type": "record", "name": "Quote", "namespace": "interop",
                  "fields": [{"name": "symbol", "type": "string"}, {"name": "bid", "type": "float"},
                             {"name": "ask", "type": "double"}]})


def expect_error(fn, status, code):
    try:
        fn()
    except SchemaRegistryError as e:
        check(e.http_status_code == status and e.error_code == code,
              f"wanted HTTP {status} error_code {code}, got {e.http_status_code} {e.error_code}: {e.error_message}")
        return e
    raise AssertionError(f"wanted HTTP {status} error_code {code}, the call succeeded")


def replayed_dir():
    d = e2e.tempdir("registry")
    e2e.run(["replay", e2e.TRADES, "-d", d])
    return d


DATA = None


def data_dir():
    global DATA
    if DATA is None:
        DATA = replayed_dir()
    return DATA


def test_confluent_client_against_mdsp_serve():
    with e2e.server(["serve", "-d", data_dir()]) as srv:
        sr = SchemaRegistryClient({"url": srv.url("")})
        subjects = sr.get_subjects()
        for s in ("market.ticks-value", "market.candles-value", "market.deadletter-value"):
            check(s in subjects, f"{s} not in {subjects}")
        latest = sr.get_latest_version("market.ticks-value")
        check(latest.schema_id == 1 and latest.version == 1, f"ticks latest {latest.schema_id} v{latest.version}")
        check(avro.schema.parse(latest.schema.schema_str).fullname == "io.mdsp.market.Tick", "tick schema name")

        sid = sr.register_schema("quotes-value", Schema(V1, "AVRO"))
        check(sid > 3, f"new schema id {sid} collides with the pinned ids")
        # A fresh client (no cache) gets the same id for the same schema.
        sr2 = SchemaRegistryClient({"url": srv.url("")})
        check(sr2.register_schema("quotes-value", Schema(V1, "AVRO")) == sid, "same schema, other id")
        got = sr2.get_schema(sid)
        check(json.loads(got.schema_str) == json.loads(V1) and got.schema_type == "AVRO", f"schema {sid}: {got}")
        reg = sr2.lookup_schema("quotes-value", Schema(V1, "AVRO"))
        check((reg.schema_id, reg.subject, reg.version) == (sid, "quotes-value", 1), f"lookup {reg.__dict__}")

        check(sr2.test_compatibility("quotes-value", Schema(V2, "AVRO")) is True, "float->double + optional field")
        check(sr2.test_compatibility("quotes-value", Schema(BAD, "AVRO"), version=1) is False,
              "a new field without a default must be incompatible")
        e = expect_error(lambda: sr2.register_schema("quotes-value", Schema(BAD, "AVRO")), 409, 409)
        check("ask" in e.error_message, f"409 message does not name the field: {e.error_message}")
        sid2 = sr2.register_schema("quotes-value", Schema(V2, "AVRO"))
        check(sid2 == sid + 1, f"v2 id {sid2}")
        check(sr2.get_versions("quotes-value") == [1, 2], "versions")
        v1 = sr2.get_version("quotes-value", 1)
        check(v1.schema_id == sid, "version 1 id")
        check(sr2.get_latest_version("quotes-value").schema_id == sid2, "latest id")

        check(sr2.get_compatibility() == "BACKWARD", "default level")
        check(sr2.set_compatibility(subject_name="quotes-value", level="FULL") == {"compatibility": "FULL"},
              "set level")
        check(sr2.get_compatibility("quotes-value") == "FULL", "subject level")
        check(sr2.get_compatibility() == "BACKWARD", "global level unchanged")

        expect_error(lambda: sr2.get_schema(987654), 404, 40403)
        expect_error(lambda: sr2.get_latest_version("no-such-subject"), 404, 40401)
        expect_error(lambda: sr2.get_version("quotes-value", 7), 404, 40402)
        expect_error(lambda: sr2.register_schema("x-value", Schema('{"type":"recrod"}', "AVRO")), 422, 42201)
        expect_error(lambda: sr2.register_schema("x-value", Schema('{"type":"object"}', "JSON")), 422, 42201)
        expect_error(lambda: sr2.set_compatibility(level="SIDEWAYS"), 422, 42203)

    # Registrations and levels survive a restart.
    with e2e.server(["serve", "-d", data_dir()]) as srv:
        sr = SchemaRegistryClient({"url": srv.url("")})
        check(sr.get_latest_version("quotes-value").schema_id == sid2, "latest after restart")
        check(json.loads(sr.get_schema(sid).schema_str) == json.loads(V1), "schema after restart")
        check(sr.get_compatibility("quotes-value") == "FULL", "level after restart")
        check(sr.register_schema("more-value", Schema('"string"', "AVRO")) == sid2 + 1, "next id after restart")


def test_python_avro_decodes_the_log_with_the_registry_schema():
    trades = {}
    with open(e2e.TRADES) as f:
        for row in csv.DictReader(f):
            trades[int(row["agg_trade_id"])] = (float(row["price"]), float(row["qty"]))
    with e2e.server(["serve", "-d", data_dir()]) as srv:
        sr = SchemaRegistryClient({"url": srv.url("")})
        readers = {}
        decoded = 0
        for path in sorted(glob.glob(os.path.join(data_dir(), "log", "market.ticks-*", "*.log"))):
            with open(path, "rb") as f:
                records = MemoryRecords(f.read())
            while records.has_next():
                for rec in records.next_batch():
                    magic, sid = struct.unpack(">bI", rec.value[:5])
                    check(magic == 0, f"{path} offset {rec.offset}: magic {magic}")
                    if sid not in readers:
                        readers[sid] = avro.io.DatumReader(avro.schema.parse(sr.get_schema(sid).schema_str))
                    tick = readers[sid].read(avro.io.BinaryDecoder(io.BytesIO(rec.value[5:])))
                    check(rec.key.decode() == tick["symbol"] == "XRPETH", f"key {rec.key} symbol {tick['symbol']}")
                    want = trades.get(tick["trade_id"])
                    check(want == (tick["price"], tick["size"]),
                          f"trade {tick['trade_id']}: decoded {tick['price']} x {tick['size']}, CSV {want}")
                    decoded += 1
        check(decoded == len(trades) == 12477, f"decoded {decoded} ticks, the CSV has {len(trades)}")
        check(list(readers) == [1], f"schema ids in the log: {list(readers)}")


class FakeRegistry(http.server.BaseHTTPRequestHandler):
    """A registry that gives every schema id 7: not what the embedded log frames with."""

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = b'{"id":7}'
        self.send_response(200)
        self.send_header("Content-Type", "application/vnd.schemaregistry.v1+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_up_with_an_external_registry():
    # Another mdsp's registry gives the pinned ids: the replay runs.
    with e2e.server(["serve", "-d", e2e.tempdir("registry-ext")]) as reg:
        d = e2e.tempdir("registry-up")
        e2e.run(["up", "-d", d, "--source", "replay:" + e2e.TRADES, "--exit-when-done", "--http", "127.0.0.1:0",
                 "--schema-registry", reg.url("")])
        check(SchemaRegistryClient({"url": reg.url("")}).get_latest_version("market.ticks-value").schema_id == 1,
              "ticks id in the external registry")
        check(not os.path.exists(os.path.join(d, "registry")), "mdsp up served its own registry too")
    # A registry with other ids is refused with what to do.
    fake = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeRegistry)
    threading.Thread(target=fake.serve_forever, daemon=True).start()
    try:
        rc, _, err = e2e.run(["up", "-d", e2e.tempdir("registry-bad"), "--source", "replay:" + e2e.TRADES,
                              "--exit-when-done", "--http", "127.0.0.1:0", "--schema-registry",
                              f"http://127.0.0.1:{fake.server_address[1]}"], check=False)
        check(rc != 0 and "ids 7, 7, 7" in err and "frames them with 1, 2, 3" in err, f"rc {rc}: {err}")
    finally:
        fake.shutdown()
    # Nothing listening: says so.
    rc, _, err = e2e.run(["up", "-d", e2e.tempdir("registry-none"), "--source", "replay:" + e2e.TRADES,
                          "--exit-when-done", "--http", "127.0.0.1:0", "--schema-registry", "http://127.0.0.1:1"],
                         check=False)
    check(rc != 0 and "cannot connect to the schema registry" in err, f"rc {rc}: {err}")
    rc, _, err = e2e.run(["serve", "--schema-registry", "localhost:8081"], check=False)
    check(rc != 0 and "http://HOST:PORT" in err, f"rc {rc}: {err}")


if __name__ == "__main__":
    e2e.main([test_confluent_client_against_mdsp_serve, test_python_avro_decodes_the_log_with_the_registry_schema,
              test_up_with_an_external_registry])
