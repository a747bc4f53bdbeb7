#!/usr/bin/python3
"""The python3-avro side of the Avro interop test (avro_interop_test.cc).

Reads DIR/cases.json, written by the C++ side: one entry per record with the
file holding mdsp's encoding and the values it encoded. For each entry it
  1. decodes mdsp's bytes with Debian's python3-avro and the schema from
     SCHEMAS/*.avsc, checks that every byte was used and that every field
     equals the expected value (doubles bit for bit), and
  2. encodes the expected values itself into DIR/py_<file>, for the C++ side
     to decode and compare.
Exits 0 when everything matched, 1 otherwise (with one line per mismatch).

Run with Debian's interpreter (/usr/bin/python3), which has python3-avro:
    /usr/bin/python3 avro_interop.py --schemas <repo>/schemas --dir <dir>
"""
import argparse
import datetime
import io
import json
import os
import struct
import sys

import avro.io
import avro.schema

UTC = datetime.timezone.utc
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=UTC)

SCHEMA_FILES = {"tick": "tick.avsc", "candle": "candle.avsc", "dead_letter": "deadletter.avsc"}


def to_datetime(micros):
    # python3-avro's writer takes timestamp-micros as aware datetimes; timedelta
    # arithmetic is exact in integer microseconds.
    return EPOCH + datetime.timedelta(microseconds=micros)


def field_kind(field_type):
    """'timestamp', 'double', 'bytes', 'string', 'long', ... (the non-null branch of a union)."""
    if isinstance(field_type, avro.schema.UnionSchema):
        branches = [s for s in field_type.schemas if s.type != "null"]
        assert len(branches) == 1, "only [null, T] unions are used"
        field_type = branches[0]
    if getattr(field_type, "logical_type", None) == "timestamp-micros":
        return "timestamp"
    return field_type.type


def expected_datum(schema, values):
    """The JSON values from the C++ side as python3-avro datum values."""
    datum = {}
    for f in schema.fields:
        v = values[f.name]
        if v is None:
            datum[f.name] = None
            continue
        kind = field_kind(f.type)
        if kind == "timestamp":
            datum[f.name] = to_datetime(v)
        elif kind in ("double", "float"):
            datum[f.name] = float.fromhex(v)  # hex text keeps every bit, -0.0 and inf too
        elif kind == "bytes":
            datum[f.name] = bytes.fromhex(v)
        else:
            datum[f.name] = v
    return datum


def same(kind, a, b):
    if a is None or b is None:
        return a is None and b is None
    if kind in ("double", "float"):
        return isinstance(a, float) and struct.pack("<d", a) == struct.pack("<d", b)
    return type(a) is type(b) and a == b


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--schemas", required=True, help="folder with tick.avsc, candle.avsc, deadletter.avsc")
    ap.add_argument("--dir", required=True, help="folder with cases.json and mdsp's encodings")
    args = ap.parse_args()

    schemas = {}
    for kind, name in SCHEMA_FILES.items():
        with open(os.path.join(args.schemas, name)) as f:
            schemas[kind] = avro.schema.parse(f.read())

    with open(os.path.join(args.dir, "cases.json")) as f:
        cases = json.load(f)

    failures = []
    for case in cases:
        schema = schemas[case["kind"]]
        name = case["file"]
        want = expected_datum(schema, case["values"])

        # 1. Read mdsp's bytes.
        with open(os.path.join(args.dir, name), "rb") as f:
            ours = f.read()
        buf = io.BytesIO(ours)
        try:
            got = avro.io.DatumReader(schema).read(avro.io.BinaryDecoder(buf))
        except Exception as e:  # a decode failure is a test failure, reported per case
            failures.append(f"{name}: python3-avro cannot read mdsp's bytes: {type(e).__name__}: {e}")
            got = None
        if got is not None:
            if buf.tell() != len(ours):
                failures.append(f"{name}: {len(ours) - buf.tell()} bytes left after python3-avro read the record")
            for f in schema.fields:
                if not same(field_kind(f.type), got[f.name], want[f.name]):
                    failures.append(f"{name}: field {f.name}: python3-avro read {got[f.name]!r}, "
                                    f"mdsp wrote {want[f.name]!r}")

        # 2. Write python3-avro's own encoding of the same values.
        out = io.BytesIO()
        avro.io.DatumWriter(schema).write(want, avro.io.BinaryEncoder(out))
        with open(os.path.join(args.dir, "py_" + name), "wb") as f:
            f.write(out.getvalue())

    for line in failures:
        print("MISMATCH " + line)
    print(f"avro_interop.py: {len(cases)} records checked, {len(failures)} mismatches")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
