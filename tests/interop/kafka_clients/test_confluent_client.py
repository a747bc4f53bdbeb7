"""Confluent's own Python client (confluent-kafka from PyPI, in the .venv that
scripts/setup makes) against mdsp on the suite's real Kafka cluster, with
mdsp's schema registry:

- its Consumer with SchemaRegistryClient and AvroDeserializer reads and
  decodes every record of market.ticks and market.candles that mdsp wrote;
- ticks its AvroSerializer frames through mdsp's registry (subject
  market.ticks-value, id 1) are turned into the right candles by mdsp process.

Runs itself with .venv's python (Debian has no fastavro for the serde)."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "e2e"))
from mdsp_e2e import in_venv  # noqa: E402
in_venv(__file__, "confluent-kafka")
from mdsp_e2e import all_candles, check, main, run, server, tempdir  # noqa: E402
from mdsp_kafka import reference_up, space  # noqa: E402

from confluent_kafka import Consumer, Producer, TopicPartition  # noqa: E402
from confluent_kafka.schema_registry import SchemaRegistryClient  # noqa: E402
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer  # noqa: E402
from confluent_kafka.serialization import MessageField, SerializationContext  # noqa: E402


def read_all(bootstrap, topic):
    """Every record of topic, from the beginning to the end it has now."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": f"confluent-{topic}", "enable.auto.commit": False})
    md = c.list_topics(topic, timeout=30).topics[topic]
    parts = [TopicPartition(topic, p, 0) for p in md.partitions]
    ends = {p.partition: c.get_watermark_offsets(p, timeout=30)[1] for p in parts}
    c.assign(parts)
    out = []
    want = sum(ends.values())
    idle = 0
    while len(out) < want and idle < 30:
        m = c.poll(1.0)
        if m is None:
            idle += 1
            continue
        check(m.error() is None, f"consuming {topic}: {m.error()}")
        out.append(m)
    c.close()
    check(len(out) == want, f"read {len(out)} of the {want} records of {topic}")
    return out


def test_confluent_consumer_decodes_mdsp_topics():
    with reference_up("confluent") as (sp, s):
        registry = SchemaRegistryClient({"url": f"http://127.0.0.1:{s.port}"})
        des = AvroDeserializer(registry)
        ticks = read_all(sp.bootstrap, sp.ticks)
        check(len(ticks) == 12477, f"{len(ticks)} ticks")
        volume = 0.0
        for m in ticks:
            t = des(m.value(), SerializationContext(sp.ticks, MessageField.VALUE))
            check(t["symbol"] == "XRPETH" and m.key() == b"XRPETH", f"a tick: {t}")
            volume += t["size"]
        check(round(volume) == 5545735, f"decoded volume {volume}, the file has 5,545,735")
        candles = read_all(sp.bootstrap, sp.candles)
        decoded = [des(m.value(), SerializationContext(sp.candles, MessageField.VALUE)) for m in candles]
        check(decoded and all(c["symbol"] == "XRPETH" for c in decoded), f"{len(decoded)} candles decoded")
        intervals = {c["interval"] for c in decoded}
        print(f"confluent-kafka decoded {len(ticks)} ticks and {len(decoded)} candles ({sorted(intervals)})",
              flush=True)
        check(s.stop() == 0, "mdsp up exits 0")


def test_ticks_from_confluent_serializer_become_candles():
    sp = space("confluent-in")
    d = tempdir("confluent-in")
    # mdsp makes the topics, and its registry serves the Tick schema as id 1.
    run(["process"] + sp.args() + ["-d", os.path.join(d, "p0"), "--exit-when-done", "--log-level", "warn"])
    with server(["serve", "-d", os.path.join(d, "p0")]) as s:
        registry = SchemaRegistryClient({"url": f"http://127.0.0.1:{s.port}"})
        latest = registry.get_latest_version("market.ticks-value")
        check(latest.schema_id == 1, f"the registry's market.ticks-value is id 1: {latest.schema_id}")
        ser = AvroSerializer(registry, latest.schema.schema_str,
                             conf={"auto.register.schemas": False, "use.latest.version": True,
                                   "subject.name.strategy": lambda ctx, name: "market.ticks-value"})
        p = Producer({"bootstrap.servers": sp.bootstrap, "enable.idempotence": True, "acks": "all"})
        start = 1704067200  # 2024-01-01T00:00:00Z
        prices = {}
        for i in range(600):  # one trade a second for ten minutes
            price = 100.0 + (i * 37 % 101) / 10
            prices.setdefault((start + i) // 60 * 60, []).append((price, 1.0 + i % 3))
            tick = {"symbol": "CFLT", "source": "confluent-kafka", "exchange": None, "mic_code": None,
                    "asset_type": None, "currency": "USD", "event_time": (start + i) * 1_000_000,
                    "ingest_time": (start + i) * 1_000_000, "price": price, "size": 1.0 + i % 3,
                    "day_volume": None, "bid": None, "ask": None, "trade_id": i, "seq": i + 1}
            value = ser(tick, SerializationContext(sp.ticks, MessageField.VALUE))
            check(value[0] == 0 and int.from_bytes(value[1:5], "big") == 1, "Confluent framing with id 1")
            p.produce(sp.ticks, key=b"CFLT", value=value)
        check(p.flush(60) == 0, "every tick acknowledged")
    run(["process"] + sp.args() + ["-d", os.path.join(d, "p"), "--exit-when-done", "--log-level", "warn"])
    with server(["serve", "-d", os.path.join(d, "p")]) as s:
        got = {c["time"]: c for c in all_candles(s, "CFLT", "1m")}
    check(len(got) == 10, f"ten 1m candles: {sorted(got)}")
    for minute, trades in prices.items():
        c = got[minute]
        want = (trades[0][0], max(t[0] for t in trades), min(t[0] for t in trades), trades[-1][0],
                sum(t[1] for t in trades), len(trades))
        have = (c["open"], c["high"], c["low"], c["close"], c["volume"], c["trade_count"])
        check(have == want, f"the candle of {minute}: {have}, want {want}")


if __name__ == "__main__":
    main([test_confluent_consumer_decodes_mdsp_topics, test_ticks_from_confluent_serializer_become_candles])
