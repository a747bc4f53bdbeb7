#!/usr/bin/python3
"""Reads segments written by mdsp's log with python3-kafka and checks them.

usage: check_segments.py EXPECTED SEGMENT...

EXPECTED has one line per record: "offset timestamp key value", key and value
in hex, "-" for null, "=" for empty. Every batch must be magic 2, uncompressed, with a CRC
that python3-kafka validates; the records must equal EXPECTED, in order.
Exits 0 on success, 1 with a message on the first difference.
"""
import sys

from kafka.record.default_records import DefaultRecordBatch
from kafka.record.memory_records import MemoryRecords


def unhex(field):
    if field == "-":
        return None
    return b"" if field == "=" else bytes.fromhex(field)


def main():
    expected = []
    with open(sys.argv[1]) as f:
        for line in f:
            off, ts, key, value = line.split()
            expected.append((int(off), int(ts), unhex(key), unhex(value)))

    got = []
    batches = 0
    for path in sys.argv[2:]:
        with open(path, "rb") as f:
            data = f.read()
        records = MemoryRecords(data)
        if records.valid_bytes() != len(data):
            print(f"{path}: only {records.valid_bytes()} of {len(data)} bytes are whole batches")
            return 1
        while records.has_next():
            batch = records.next_batch()
            if not isinstance(batch, DefaultRecordBatch):
                print(f"{path}: batch is not a v2 DefaultRecordBatch: {type(batch)}")
                return 1
            if batch.magic != 2 or batch.compression_type != 0:
                print(f"{path}: magic {batch.magic} compression {batch.compression_type}")
                return 1
            if not batch.validate_crc():
                print(f"{path}: batch at offset {batch.base_offset} fails python3-kafka's CRC check")
                return 1
            batches += 1
            for rec in batch:
                got.append((rec.offset, rec.timestamp, rec.key, rec.value))
                if rec.timestamp_type != 0:
                    print(f"offset {rec.offset}: timestamp type {rec.timestamp_type}, want CreateTime (0)")
                    return 1

    if got != expected:
        for i, (g, e) in enumerate(zip(got, expected)):
            if g != e:
                print(f"record {i}: python3-kafka read {g!r}, expected {e!r}")
                return 1
        print(f"python3-kafka read {len(got)} records, expected {len(expected)}")
        return 1
    print(f"python3-kafka read {len(got)} records in {batches} batches from {len(sys.argv) - 2} segments")
    return 0


if __name__ == "__main__":
    sys.exit(main())
