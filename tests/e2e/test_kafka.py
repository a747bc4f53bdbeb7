"""Kafka as the bus, against the suite's real Apache Kafka cluster (3 KRaft
nodes, replication factor 3, min.insync.replicas 2; mdsp_kafka.py): the
Binance reference through ingest, Kafka, two process replicas and their
stores; two replicas in one group splitting the partitions, one killed with
SIGKILL mid-run, both restarted, with the same candles as one uninterrupted
replica; the same tick outcomes in /metrics as the embedded path; the
dashboard's live push fed by the Kafka stage. Each test has its own topics
and groups (mdsp_kafka.space), so tests sharing the cluster never meet."""
import os
import random
import re
import subprocess
import time

import urllib.parse

from mdsp_e2e import TRADES, all_candles, check, main, mdsp_binary, run, server, tempdir, ws_client
from mdsp_kafka import PARTITIONS, space
from test_reference import compare, klines
SYMBOLS = ["AAA", "BBB", "CCC", "DDD", "EEE", "FFF", "GGG", "HHH"]
# Fast group membership, so a killed replica's partitions move in seconds.
GROUP = ["--set", "kafka.properties.session.timeout.ms=6000", "--set", "kafka.properties.heartbeat.interval.ms=500"]


def write_ticks(path, start_s, seconds, seed):
    """A generic CSV: the 8 symbols, one tick every 10 s each, prices a random walk."""
    rnd = random.Random(seed)
    price = {s: 100.0 + i for i, s in enumerate(SYMBOLS)}
    with open(path, "w") as f:
        f.write("time,symbol,price,size\n")
        for t in range(start_s, start_s + seconds, 10):
            for i, s in enumerate(SYMBOLS):
                price[s] = round(max(1.0, price[s] + rnd.uniform(-0.5, 0.5)), 2)
                ms = t * 1000 + i * 7
                f.write(f"{ms},{s},{price[s]},{rnd.randint(1, 50)}\n")


def murmur2_partition(key, n):
    """Kafka's default partitioner (the Java client's Utils.murmur2)."""
    data = key.encode()
    m, r, h = 0x5bd1e995, 24, (0x9747b28c ^ len(data)) & 0xffffffff
    for i in range(0, len(data) // 4 * 4, 4):
        k = int.from_bytes(data[i:i + 4], "little")
        k = (k * m) & 0xffffffff
        k ^= k >> r
        k = (k * m) & 0xffffffff
        h = ((h * m) & 0xffffffff) ^ k
    tail = data[len(data) // 4 * 4:]
    if len(tail) >= 3:
        h ^= tail[2] << 16
    if len(tail) >= 2:
        h ^= tail[1] << 8
    if len(tail) >= 1:
        h ^= tail[0]
        h = (h * m) & 0xffffffff
    h ^= h >> 13
    h = (h * m) & 0xffffffff
    h ^= h >> 15
    return (h & 0x7fffffff) % n


def ingest(sp, path, d):
    run(["ingest"] + sp.args() + ["--source", f"replay:{path}", "-d", d, "--log-level", "warn"])


def candles_of(dirs):
    """Every candle of every symbol and interval in the stores of dirs, merged:
    per window the most advanced version (final, revision, trade_count)."""
    out = {}
    for d in dirs:
        with server(["serve", "-d", d]) as s:
            for sym in SYMBOLS:
                for iv in ["1m", "1h", "1d"]:
                    for c in all_candles(s, sym, iv):
                        k = (sym, iv, c["time"])
                        rank = (c["final"], c["revision"], c["trade_count"])
                        if k not in out or rank > out[k][0]:
                            out[k] = (rank, c)
    return {k: v[1] for k, v in out.items()}


def check_same_candles(want, got, at_least):
    """got has exactly the candles of want (a run of at least at_least candles), equal field by field."""
    check(len(want) > at_least, f"the base run has candles: {len(want)}")
    missing = [k for k in want if k not in got]
    extra = [k for k in got if k not in want]
    check(not missing and not extra, f"{len(missing)} candles missing ({missing[:3]}), {len(extra)} extra ({extra[:3]})")
    diff = [k for k in want if want[k] != got[k]]
    check(not diff, f"{len(diff)} candles differ, e.g. {diff[:1]}: {[want[k] for k in diff[:1]]} vs "
          f"{[got[k] for k in diff[:1]]}")


class replica(server):
    """`mdsp process --kafka` with its API on an ephemeral port."""

    def __init__(self, sp, d, group):
        super().__init__(["process"] + sp.args(group) + ["-d", d, "--log-level", "info"] + GROUP,
                         log=d.rstrip("/") + ".stderr")

    def metrics(self):
        try:
            return super().metrics()
        except OSError:
            time.sleep(0.5)
            if self.proc.poll() is not None:
                raise AssertionError(f"mdsp process exited {self.proc.returncode}:\n" + "".join(self.lines[-40:]))
            raise

    def owned(self):
        m = self.metrics()
        return {int(re.search(r'partition="(\d+)"', k).group(1)) for k, v in m.items()
                if k.startswith("mdsp_kafka_assigned{") and v == 1}

    def lag(self):
        return sum(v for k, v in self.metrics().items() if k.startswith("mdsp_consumer_lag{"))

    def ticks(self):
        return self.metric('mdsp_process_ticks_total{outcome="accepted"}')


def wait_caught_up(reps):
    """Until the live replicas own every partition between them and have no lag, twice in a row."""
    deadline = time.time() + 300
    good = 0
    while time.time() < deadline:
        owned = [r.owned() for r in reps]
        union = set().union(*owned)
        disjoint = sum(len(o) for o in owned) == len(union)
        if union == set(range(PARTITIONS)) and disjoint and all(r.lag() == 0 for r in reps):
            good += 1
            if good >= 3:
                return owned
        else:
            good = 0
        time.sleep(1.2)
    state = [(sorted(r.owned()), r.lag(), r.ticks()) for r in reps]
    raise AssertionError(f"replicas did not catch up: (owned, lag, ticks) of each: {state}\n"
                         + "\n".join("".join(r.lines[-15:]) for r in reps))


def test_reference_through_kafka():
    """mdsp ingest -> the 3-node cluster -> two mdsp process replicas in one
    group -> their stores: every 1m candle of the reference, merged."""
    sp = space("ref")
    d = tempdir("kafka-ref")
    ingest(sp, TRADES, os.path.join(d, "ingest"))
    dirs = [os.path.join(d, "p1"), os.path.join(d, "p2")]
    procs = [subprocess.Popen([mdsp_binary(), "process"] + sp.args() + ["-d", p, "--exit-when-done", "--log-level",
                                                                         "warn"] + GROUP,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for p in dirs]
    for p in procs:
        _, err = p.communicate(timeout=600)
        check(p.returncode == 0, f"mdsp process --exit-when-done exits 0: {err[-2000:]}")
    merged = {}
    for p in dirs:
        with server(["serve", "-d", p]) as s:
            # A replica that held the partition before a rebalance keeps what
            # it had written then: per window the most advanced version wins.
            for c in all_candles(s, "XRPETH", "1m"):
                rank = (c["final"], c["revision"], c["trade_count"])
                if c["time"] not in merged or rank > merged[c["time"]][0]:
                    merged[c["time"]] = (rank, c)
    compare([merged[t][1] for t in sorted(merged)], klines())


def test_up_with_kafka():
    sp = space("up")
    d = tempdir("kafka-up")
    with server(["up"] + sp.args() + ["--source", f"replay:{TRADES}", "-d", d]) as s:
        s.wait_for(lambda: s.metric("mdsp_pipeline_done") == 1, what="the replay to be in the store")
        compare(all_candles(s, "XRPETH", "1m"), klines())
        delivered = s.metric(f'mdsp_kafka_delivered_total{{topic="{sp.ticks}",outcome="ok"}}')
        check(delivered == 12477, f"the brokers acknowledged every tick: {delivered}")
        check(s.stop() == 0, "mdsp up --kafka exits 0 on Ctrl-C")


def test_two_replicas_kill_and_restart():
    d = tempdir("kafka-group")
    part1, part2 = os.path.join(d, "part1.csv"), os.path.join(d, "part2.csv")
    day = 1704067200  # 2024-01-01
    write_ticks(part1, day, 3 * 86400, 1)       # three days: 1d windows close; 207,360 ticks
    write_ticks(part2, day + 3 * 86400, 21600, 2)  # six more hours
    sp = space("group")
    # The uninterrupted run: one replica, its own group.
    with replica(sp, os.path.join(d, "base"), "base") as base:
        r1 = replica(sp, os.path.join(d, "r1"), "g")
        r2 = replica(sp, os.path.join(d, "r2"), "g")
        try:
            owned = wait_until_split(r1, r2)
            check(owned[0] and owned[1] and not (owned[0] & owned[1]),
                  f"two replicas split the partitions: {owned}")
            # The ticks arrive while the replicas run: three days in about 15 s.
            feed = subprocess.Popen([mdsp_binary(), "ingest"] + sp.args() + [
                "--source", f"replay:{part1}", "--speed", "20000", "-d", os.path.join(d, "ingest"),
                "--log-level", "warn"])
            # Kill replica 1 in the third day, once the first two days'
            # windows are closed, so its commits are past offset 0.
            share = sum(1 for s in SYMBOLS if murmur2_partition(s, PARTITIONS) in owned[0]) * 3 * 8640
            r1.wait_for(lambda: r1.ticks() > 0.8 * share and r1.metric("mdsp_kafka_offset_commits_total") > 0,
                        what="replica 1 to process ticks and commit offsets")
            r1.kill()  # SIGKILL mid-run
            check(feed.wait(timeout=300) == 0, "ingest of part 1 succeeds")
            wait_caught_up([r2])  # r2 took over r1's partitions
            took = [l for l in r2.lines if re.search(r"is rebuilt from offset \d+ \(committed by mdsp-replica:", l)]
            print("takeover:", "".join(took).strip(), flush=True)
            check(took, "replica 2 rebuilt a partition from replica 1's committed offset:\n" + "".join(r2.lines[-30:]))
            check(r2.stop() == 0, "replica 2 stops cleanly")
        finally:
            r1.kill()
            r2.kill()
        # Both restart; more ticks come; the base goes on too.
        ingest(sp, part2, os.path.join(d, "ingest"))
        r1 = replica(sp, os.path.join(d, "r1"), "g")
        r2 = replica(sp, os.path.join(d, "r2"), "g")
        try:
            wait_caught_up([r1, r2])
            wait_caught_up([base])
            # Which partitions resume from a replica's own store and which are
            # rebuilt depends on how the group's joins interleave; both must
            # give the same candles.
            resumed = [l for r in (r1, r2) for l in r.lines if "from this replica's state" in l]
            print(f"after the restart, {len(resumed)} partitions resumed from their replica's own store",
                  flush=True)
            check(r1.stop() == 0 and r2.stop() == 0, "replicas stop cleanly")
        finally:
            r1.kill()
            r2.kill()
        check(base.stop() == 0, "the base replica stops cleanly")
    want = candles_of([os.path.join(d, "base")])
    got = candles_of([os.path.join(d, "r1"), os.path.join(d, "r2")])
    check_same_candles(want, got, 3000)


def write_dups_and_late(d, rows):
    """A Binance file of the reference's first rows, each twice (the second a
    duplicate: same trade id), then one trade a day before the first (late)."""
    folder = os.path.join(d, "binance-dupeth")
    os.makedirs(folder)
    path = os.path.join(folder, "trades.csv")
    with open(TRADES) as src, open(path, "w") as out:
        out.write(src.readline())
        lines = [src.readline() for _ in range(rows)]
        for line in lines:
            out.write(line + line)
        first, last = lines[0].split(","), lines[-1].split(",")
        last[0] = str(int(last[0]) + 1)
        last[5] = str(int(first[5]) - 86400 * 1000)
        out.write(",".join(last))
    return path


def outcomes(s):
    m = s.metrics()
    return {k: v for k, v in m.items() if k.startswith("mdsp_process_ticks_total{")
            or k.startswith("mdsp_dead_letters_total{stage=\"process\"")}


def test_outcomes_as_embedded():
    """Duplicates and late ticks are counted by the Kafka stage as by the embedded one."""
    d = tempdir("kafka-outcomes")
    rows = 1500
    path = write_dups_and_late(d, rows)
    counts = {}
    sp = space("outcomes")
    for name, args in [("embedded", []), ("kafka", sp.args())]:
        with server(["up", "--source", f"replay:{path}", "-d", os.path.join(d, name)] + args) as s:
            s.wait_for(lambda: s.metric("mdsp_pipeline_done") == 1, what=f"{name}: the replay in the store")
            counts[name] = outcomes(s)
            check(s.stop() == 0, f"mdsp up ({name}) exits 0 on Ctrl-C")
    print("outcomes:", counts["kafka"], flush=True)
    want = {'mdsp_process_ticks_total{outcome="accepted"}': rows,
            'mdsp_process_ticks_total{outcome="duplicate"}': rows,
            'mdsp_process_ticks_total{outcome="late"}': 1,
            'mdsp_dead_letters_total{stage="process"}': 1}
    check(counts["embedded"] == want, f"the embedded stage counts each outcome: {counts['embedded']}")
    check(counts["kafka"] == counts["embedded"],
          f"the Kafka stage counts as the embedded one: {counts['kafka']} vs {counts['embedded']}")


def test_live_push_with_kafka():
    """A dashboard client of /api/v1/stream gets forming candles and latest
    prices from `mdsp up --kafka`, each already readable in the store."""
    sp = space("live")
    d = tempdir("kafka-live")
    with server(["up"] + sp.args() + ["--source", "sim", "-d", d]) as s:
        with ws_client(s.port, timeout=120) as ws:
            ws.send_json({"action": "subscribe", "symbol": "BTC/USD", "interval": "1m"})
            ws.send_json({"action": "subscribe", "channel": "latest"})
            candle = latest = None
            deadline = time.time() + 300
            while (candle is None or latest is None) and time.time() < deadline:
                try:
                    msg = ws.recv_json()
                except TimeoutError:
                    raise AssertionError("nothing pushed on /api/v1/stream for 120 s:\n" + "".join(s.lines[-20:]))
                check(msg["type"] != "error", f"the stream takes our subscriptions: {msg}")
                if msg["type"] == "candle":
                    check(msg["symbol"] == "BTC/USD" and msg["interval"] == "1m",
                          f"only the subscribed series is pushed: {msg}")
                    candle = msg["candle"]
                elif msg["type"] == "latest":
                    latest = msg["tick"]
            check(candle is not None and latest is not None, "a candle and a latest tick were pushed")
        q = urllib.parse.urlencode({"symbol": "BTC/USD", "interval": "1m", "from": candle["time"], "limit": 1})
        stored = s.get(f"/api/v1/candles?{q}")["candles"]
        check(stored and stored[0]["time"] == candle["time"] and stored[0]["revision"] >= candle["revision"],
              f"the pushed candle {candle} was in the store first: {stored}")
        health = s.get("/api/v1/pipeline")
        check(health["consumer_lag_records"] is not None,
              f"the dashboard's lag tile has a figure with Kafka too: {health}")
        check(s.stop() == 0, "mdsp up --kafka exits 0 on Ctrl-C")


def wait_until_split(r1, r2):
    deadline = time.time() + 120
    while time.time() < deadline:
        o = [r1.owned(), r2.owned()]
        if o[0] and o[1] and (o[0] | o[1]) == set(range(PARTITIONS)):
            return o
        time.sleep(0.3)
    raise AssertionError(f"the replicas did not split the partitions: {[r1.owned(), r2.owned()]}")


if __name__ == "__main__":
    main([test_reference_through_kafka, test_up_with_kafka, test_outcomes_as_embedded, test_live_push_with_kafka,
          test_two_replicas_kill_and_restart])
