"""Independent Kafka clients against mdsp's topics on the suite's real Apache
Kafka cluster (mdsp_kafka.py): Debian's python3-kafka consumes market.ticks
and decodes the Avro with python3-avro using the schema fetched from mdsp's
registry by the id in each frame; a garbage message produced with kcat lands
in market.deadletter with its reason."""
import io
import json
import os
import shutil
import struct
import subprocess
import sys
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "e2e"))
from mdsp_e2e import check, main  # noqa: E402
from mdsp_kafka import reference_up  # noqa: E402

import avro.io  # noqa: E402
import avro.schema  # noqa: E402
from kafka import KafkaConsumer  # noqa: E402


class registry_decoder:
    """Decodes Confluent-framed Avro with schemas fetched from the registry."""

    def __init__(self, base_url):
        self.base = base_url
        self.readers = {}

    def decode(self, value):
        check(value[0] == 0, f"magic byte 0, got {value[0]}")
        sid = struct.unpack(">I", value[1:5])[0]
        if sid not in self.readers:
            with urllib.request.urlopen(f"{self.base}/schemas/ids/{sid}", timeout=30) as r:
                schema = json.loads(r.read())["schema"]
            self.readers[sid] = avro.io.DatumReader(avro.schema.parse(schema))
        return sid, self.readers[sid].read(avro.io.BinaryDecoder(io.BytesIO(value[5:])))


def consume(bootstrap, topic, want, timeout_ms=20000):
    c = KafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False,
                      group_id=None, consumer_timeout_ms=timeout_ms)
    out = []
    for m in c:
        out.append(m)
        if len(out) >= want:
            break
    c.close()
    return out


def test_python_kafka_and_kcat_against_mdsp_topics():
    with reference_up("clients") as (k, s):
        dec = registry_decoder(f"http://127.0.0.1:{s.port}")

        msgs = consume(k.bootstrap, k.ticks, 12477)
        check(len(msgs) == 12477, f"python3-kafka read {len(msgs)} ticks of 12,477")
        volume = 0.0
        for m in msgs:
            sid, t = dec.decode(m.value)
            check(sid == 1 and t["symbol"] == "XRPETH" and m.key == b"XRPETH", f"a tick: id {sid}, {t}")
            volume += t["size"]
        check(round(volume) == 5545735, f"decoded volume {volume}, the file has 5,545,735")

        if shutil.which("kcat") is None:
            raise AssertionError("kcat is not installed: run scripts/setup")
        garbage = b"this is not avro"
        subprocess.run(["kcat", "-P", "-b", k.bootstrap, "-t", k.ticks, "-k", "XRPETH"], input=garbage,
                       check=True, timeout=60)
        s.wait_for(lambda: s.metric('mdsp_dead_letters_total{stage="process"}') >= 1
                   or any(k2.startswith("mdsp_dead_letters_total") and v >= 1
                          for k2, v in s.metrics().items()),
                   what="the garbage message to be dead-lettered")
        letters = consume(k.bootstrap, k.deadletter, 1)
        check(len(letters) >= 1, "market.deadletter has the garbage message")
        sid, dl = dec.decode(letters[-1].value)
        check(sid == 3, f"dead letters are framed with schema id 3, got {sid}")
        check(dl["source_topic"] == k.ticks and dl["raw"] == garbage, f"the dead letter keeps origin: {dl}")
        check(dl["error_kind"] == "decode" and dl["message"], f"the dead letter says why: {dl}")


if __name__ == "__main__":
    main([test_python_kafka_and_kcat_against_mdsp_topics])
