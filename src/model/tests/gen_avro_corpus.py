#!/usr/bin/python3
"""Writes the seed corpus of model_avro_fuzz into corpus/avro/.

Valid records are encoded by Debian's python3-avro from schemas/*.avsc (not by
our encoder, so the seeds are independent of it); broken ones are cut,
patched or extended copies. Run with /usr/bin/python3 from anywhere:
    /usr/bin/python3 src/model/tests/gen_avro_corpus.py
"""
import datetime
import io
import os
import struct

import avro.io
import avro.schema

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
OUT = os.path.join(HERE, "corpus", "avro")
UTC = datetime.timezone.utc
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=UTC)


def ts(micros):
    return EPOCH + datetime.timedelta(microseconds=micros)


def encode(schema_file, datum):
    schema = avro.schema.parse(open(os.path.join(ROOT, "schemas", schema_file)).read())
    buf = io.BytesIO()
    avro.io.DatumWriter(schema).write(datum, avro.io.BinaryEncoder(buf))
    return buf.getvalue()


def frame(schema_id, payload):
    return b"\x00" + struct.pack(">I", schema_id) + payload


TICK = {
    "symbol": "XRPETH", "source": "replay:/x/trades.csv", "exchange": None, "mic_code": None,
    "asset_type": None, "currency": None, "event_time": ts(1570752000123456),
    "ingest_time": ts(1570752000223456), "price": 0.00123, "size": 250.0, "day_volume": None,
    "bid": None, "ask": None, "trade_id": 4242, "seq": 17,
}
TICK_FULL = dict(TICK, exchange="NASDAQ", mic_code="XNGS", asset_type="Common Stock",
                 currency="USD \u20ac", day_volume=1e9, bid=0.00122, ask=0.00124, trade_id=-1)
CANDLE = {
    "symbol": "AAPL", "interval": "1m", "window_start": ts(1570752000000000), "open": 227.01,
    "high": 228.5, "low": 226.75, "close": 228.0, "volume": 1000.5, "vwap": 227.6, "trade_count": 12,
    "first_event_time": ts(1570752000000001), "last_event_time": ts(1570752059999999),
    "final": True, "revision": 0, "backfilled": False,
}
DEAD = {
    "source_topic": "market.ticks", "source_partition": 3, "source_offset": 123456,
    "error_kind": "decode", "message": "tick.size: bad union", "raw": bytes(range(32)),
    "time": ts(1570752000000000),
}


def main():
    os.makedirs(OUT, exist_ok=True)
    tick = encode("tick.avsc", TICK)
    tick_full = encode("tick.avsc", TICK_FULL)
    candle = encode("candle.avsc", CANDLE)
    candle_min = encode("candle.avsc", dict(CANDLE, interval="5min"))
    dead = encode("deadletter.avsc", DEAD)
    seeds = {
        "tick_typical": tick,
        "tick_full": tick_full,
        "tick_framed": frame(1, tick),
        "candle_1m": candle,
        "candle_5min": candle_min,
        "candle_framed": frame(2, candle),
        "dead_letter": dead,
        "dead_letter_framed": frame(3, dead),
        # Broken on purpose: each must be rejected cleanly.
        "bad_tick_truncated": tick[: len(tick) // 2],
        "bad_tick_trailing": tick + b"\x00",
        "bad_tick_union_index": tick[:28] + b"\x04" + tick[29:],  # exchange branch 2
        "bad_tick_negative_length": b"\x01" + tick[7:],
        "bad_tick_huge_length": b"\xfe\xff\xff\xff\xff\xff\xff\xff\xff\x01" + tick[7:],
        "bad_varint_11_bytes": b"\x0cXRPETH" + b"\x06sim" + b"\x00" * 4 + b"\x80" * 10 + b"\x00",
        "bad_candle_interval": b"\x08AAPL\x04" + b"0m" + candle[8:],
        "bad_candle_final": candle[:-3] + b"\x02" + candle[-2:],
        "bad_candle_backfilled": candle[:-1] + b"\x07",
        "candle_backfilled": encode("candle.avsc", dict(CANDLE, backfilled=True)),
        "bad_frame_magic": b"\x01" + frame(1, tick)[1:],
        "bad_frame_id": frame(7, tick),
        "bad_utf8_symbol": b"\x0cXRP\xffTH" + tick[7:],
    }
    assert tick[28] == 0, "exchange's branch byte moved; fix the seed offsets"
    for name, data in seeds.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    print(f"wrote {len(seeds)} seeds to {OUT}")


if __name__ == "__main__":
    main()
