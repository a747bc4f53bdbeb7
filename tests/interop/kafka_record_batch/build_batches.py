#!/usr/bin/python3
"""Builds RecordBatch v2 batches with python3-kafka's DefaultRecordBatchBuilder.

usage: build_batches.py OUT_BATCHES OUT_EXPECTED OUT_GZIP_BATCH

OUT_BATCHES gets three uncompressed batches back to back (base offsets 0, 3
and 10, the last with a gap in its offset deltas as compaction leaves);
OUT_EXPECTED one line per record: "offset timestamp key value headers", key
and value in hex, "-" for null, "=" for empty. OUT_GZIP_BATCH gets one gzip batch.
"""
import struct
import sys

from kafka.record.default_records import DefaultRecordBatchBuilder


def build(records, base_offset, codec=0):
    b = DefaultRecordBatchBuilder(magic=2, compression_type=codec, is_transactional=0,
                                  producer_id=-1, producer_epoch=-1, base_sequence=-1,
                                  batch_size=1 << 20)
    for delta, ts, key, value, headers in records:
        if b.append(delta, timestamp=ts, key=key, value=value, headers=headers) is None:
            raise SystemExit("batch full")
    buf = bytearray(b.build())
    struct.pack_into(">q", buf, 0, base_offset)  # baseOffset is outside the CRC
    return bytes(buf), [(base_offset + d, ts, k, v, len(h)) for d, ts, k, v, h in records]


def hexify(b):
    return "-" if b is None else (b.hex() if b else "")


def main():
    out, exp = b"", []
    for records, base in [
        ([(0, 1700000000000, b"BTC/USD", b"\x00\x00\x00\x00\x01avro-bytes", []),
          (1, 1700000000005, None, b"no key", [("source", b"sim")]),
          (2, 1699999999990, b"ETH/USD", None, [("a", None), ("b", b"\xff")])], 0),
        ([(i, 1700000001000 + i, b"k%d" % (i % 3), bytes(range(i % 256)) * 3, []) for i in range(7)], 3),
        ([(0, 5, b"x", b"first", []), (4, 9, b"y", b"after a gap", [])], 10),
    ]:
        batch, e = build(records, base)
        out += batch
        exp += e
    with open(sys.argv[1], "wb") as f:
        f.write(out)
    with open(sys.argv[2], "w") as f:
        for off, ts, k, v, h in exp:
            f.write(f"{off} {ts} {hexify(k) or '='} {hexify(v) or '='} {h}\n")
    gz, _ = build([(i, 1000 + i, b"key", b"compressible " * 20, []) for i in range(5)], 0, codec=1)
    if struct.unpack_from(">h", gz, 21)[0] & 7 != 1:
        raise SystemExit("python3-kafka did not compress the gzip batch")
    with open(sys.argv[3], "wb") as f:
        f.write(gz)
    return 0


if __name__ == "__main__":
    sys.exit(main())
