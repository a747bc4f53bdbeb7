#!/usr/bin/python3
"""The Python baseline of `mdsp bench --only twelvedata`.

What a Python producer of TwelveData prices does per message: json.loads the
WebSocket event, build the tick record of schemas/tick.avsc (event time from
the Unix seconds, ingest time now, a sequence number) and encode it with
Debian's python3-avro behind the 5-byte Confluent header (magic 0, schema id
1). mdsp does the same work on the same events in the same run.

    /usr/bin/python3 twelvedata_python.py SCHEMA EVENTS SECONDS

Reads all events first; times only the loop, which goes over the events again
and again until SECONDS have passed. Prints one line:
    events_per_second=<rate> events=<n> bytes=<framed bytes> avro=<version>
Exits 3 when python3-avro is missing, saying what to install.

The mdsp binary embeds this file (src/app/CMakeLists.txt) and writes it to
its temporary folder to run it.
"""
import datetime
import io
import json
import struct
import sys
import time

try:
    import avro
    import avro.io
    import avro.schema
except ImportError:
    print("python3-avro is missing: install it with `sudo apt-get install python3-avro` (scripts/setup does)",
          file=sys.stderr)
    sys.exit(3)

UTC = datetime.timezone.utc
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=UTC)
HEADER = struct.pack(">BI", 0, 1)  # Confluent framing: magic byte, schema id 1 (tick)


def number(m, key):
    v = m.get(key)
    return None if v is None else float(v)


def main():
    schema_path, events_path, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
    with open(schema_path) as f:
        schema = avro.schema.parse(f.read())
    with open(events_path) as f:
        lines = f.read().splitlines()
    writer = avro.io.DatumWriter(schema)

    n = 0
    total = 0
    t0 = time.perf_counter()
    deadline = t0 + seconds
    done = False
    while not done:
        for line in lines:
            m = json.loads(line)
            if m.get("event") != "price":
                continue
            tick = {
                "symbol": m["symbol"],
                "source": "twelvedata",
                "exchange": m.get("exchange"),
                "mic_code": m.get("mic_code"),
                "asset_type": m.get("type"),
                "currency": m.get("currency"),
                "event_time": EPOCH + datetime.timedelta(seconds=m["timestamp"]),
                "ingest_time": datetime.datetime.now(UTC),
                "price": float(m["price"]),
                "size": None,
                "day_volume": number(m, "day_volume"),
                "bid": number(m, "bid"),
                "ask": number(m, "ask"),
                "trade_id": None,
                "seq": n + 1,
            }
            out = io.BytesIO()
            out.write(HEADER)
            writer.write(tick, avro.io.BinaryEncoder(out))
            total += len(out.getvalue())
            n += 1
            if n % 64 == 0 and time.perf_counter() >= deadline:
                done = True
                break
    dt = time.perf_counter() - t0
    version = getattr(avro, "__version__", "unknown")
    print(f"events_per_second={n / dt:.1f} events={n} bytes={total} avro={version}")


if __name__ == "__main__":
    main()
