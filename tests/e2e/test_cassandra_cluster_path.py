"""The cluster path on the suite's real services: mdsp ingest -> Apache Kafka
(mdsp_kafka.py) -> two `mdsp process --store cassandra://...` replicas of
one group -> Apache Cassandra (mdsp_cassandra.py), one keyspace they share.

- The Binance reference: all 3,560 1m klines, read back through `mdsp serve
  --store` and, independently, with the DataStax Python driver.
- Replicas killed with SIGKILL at three points while ticks arrive, each
  restarted: the other takes the partitions over from their checkpoints in
  Cassandra (not from the group's offset), each takeover reads again at
  most one write's records (process.max_batch; mdsp_process_takeover_*
  in /metrics), and the candles in Cassandra equal those of one
  uninterrupted replica with a store of its own.

Run as a script, it runs itself with .venv's python, for the driver
(Debian has no cassandra-driver)."""
import os
import re
import subprocess

import mdsp_cassandra
from mdsp_e2e import TRADES, all_candles, check, in_venv, main, mdsp_binary, run, server, tempdir
from mdsp_kafka import PARTITIONS, space
from test_cassandra_store import setup, uri
from test_kafka import (GROUP, SYMBOLS, candles_of, check_same_candles, ingest, replica, wait_caught_up,
                        wait_until_split, write_ticks)
from test_reference import compare, klines

MAX_BATCH = 2000  # records per store write, so one write's worth is small beside a day
TAKEOVER = re.compile(r"process: \S+-(\d+) resumes at (\d+) from its checkpoint in the store \((\d+) records")


def init_keyspace(c, env, name):
    """A keyspace of the test's own, made by `mdsp cassandra init`; the --store flags for it."""
    ks = mdsp_cassandra.keyspace_name(name)
    rf = mdsp_cassandra.replication_factor(c)
    store = ["--store", uri(c, ks)]
    run(["cassandra", "init", *store, "--replication",
         f"{{'class': 'SimpleStrategy', 'replication_factor': {rf}}}"], env=env)
    # Twice: idempotent.
    run(["cassandra", "init", *store, "--replication",
         f"{{'class': 'SimpleStrategy', 'replication_factor': {rf}}}"], env=env)
    return ks, store


def driver_klines(c, ks):
    """The stored 1m candles of XRPETH read with the DataStax driver, by minute."""
    cl, session = mdsp_cassandra.driver_session(c, ks)
    try:
        buckets = [r.bucket for r in session.execute(
            "SELECT bucket FROM candle_buckets WHERE symbol = %s AND interval = %s", ("XRPETH", "1m"))]
        out = {}
        for b in buckets:
            for r in session.execute("SELECT window_start, open, high, low, close, volume, trade_count, final "
                                     "FROM candles WHERE symbol = %s AND interval = %s AND bucket = %s",
                                     ("XRPETH", "1m", b)):
                t = int(r.window_start.timestamp()) if hasattr(r.window_start, "timestamp") else r.window_start
                out[t] = r
        return out
    finally:
        cl.shutdown()


def test_reference_through_kafka_into_cassandra():
    c, env = setup()
    ks, store = init_keyspace(c, env, "cluster_ref")
    sp = space("cass-ref")
    d = tempdir("cassandra-cluster-ref")
    ingest(sp, TRADES, os.path.join(d, "ingest"))
    procs = [subprocess.Popen([mdsp_binary(), "process"] + sp.args() + store + [
        "-d", os.path.join(d, f"p{i}"), "--exit-when-done", "--log-level", "warn"] + GROUP,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env) for i in (1, 2)]
    for p in procs:
        _, err = p.communicate(timeout=600)
        check(p.returncode == 0, f"mdsp process --store cassandra --exit-when-done exits 0: {err[-2000:]}")
        check(c.auth["password"] not in err, "no password is printed")
    # No merge of two stores: the one keyspace is right by itself.
    with server(["serve", "-d", os.path.join(d, "serve"), *store], env=env) as s:
        compare(all_candles(s, "XRPETH", "1m"), klines())
    rows = driver_klines(c, ks)
    want = {int(k["open_time_ms"]) // 1000: k for k in klines() if float(k["volume"]) > 0}
    check(sorted(rows) == sorted(want),
          f"the driver reads {len(rows)} stored minutes, Binance has {len(want)} with trades")
    for t, k in want.items():
        r = rows[t]
        got = (r.open, r.high, r.low, r.close, r.volume, r.final)
        expect = (float(k["open"]), float(k["high"]), float(k["low"]), float(k["close"]), float(k["volume"]), True)
        check(got == expect, f"minute {t} read by the driver: {got}, Binance has {expect}")
    print(f"{len(rows)} minutes with trades read independently with the DataStax driver", flush=True)


class cass_replica(replica):
    """`mdsp process --kafka --store cassandra://...` with its API on an ephemeral port."""

    def __init__(self, sp, d, group, store, env):
        server.__init__(self, ["process"] + sp.args(group) + store + [
            "-d", d, "--log-level", "info", "--set", f"process.max_batch={MAX_BATCH}"] + GROUP,
            env=env, log=d.rstrip("/") + ".stderr")


def takeovers(reps):
    """(partition, position, records read again) of every takeover the replicas logged."""
    return [(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            for r in reps for m in (TAKEOVER.search(l) for l in r.lines) if m]


def test_kill_and_take_over_from_the_checkpoint():
    c, env = setup()
    ks, store = init_keyspace(c, env, "takeover")
    d = tempdir("cassandra-takeover")
    ticks = os.path.join(d, "ticks.csv")
    day = 1704067200  # 2024-01-01
    write_ticks(ticks, day, 2 * 86400, 7)  # two days, 138,240 ticks
    sp = space("cass-takeover")
    with replica(sp, os.path.join(d, "base"), "base") as base:  # the uninterrupted run, its own store
        reps = {"r1": cass_replica(sp, os.path.join(d, "r1"), "g", store, env),
                "r2": cass_replica(sp, os.path.join(d, "r2"), "g", store, env)}
        dead = []
        feed = None
        try:
            wait_until_split(reps["r1"], reps["r2"])
            feed = subprocess.Popen([mdsp_binary(), "ingest"] + sp.args() + [
                "--source", f"replay:{ticks}", "--speed", "3000", "-d", os.path.join(d, "ingest"),
                "--log-level", "warn"])
            total = 2 * 8640 * len(SYMBOLS)
            for n, (victim, share) in enumerate([("r1", 0.25), ("r2", 0.5), ("r1", 0.75)]):
                other = "r2" if victim == "r1" else "r1"
                # The uninterrupted replica's progress says how far the feed is.
                base.wait_for(lambda: base.ticks() > share * total,
                              what=f"{share:.0%} of the ticks to arrive")
                before = len(takeovers([reps[other]]))
                reps[victim].kill()  # SIGKILL mid-run
                dead.append(reps[victim])
                print(f"kill {n + 1}: {victim} killed at {share:.0%}", flush=True)
                reps[other].wait_for(lambda: len(takeovers([reps[other]])) > before, timeout=120,
                                     what=f"{other} to take over {victim}'s partitions from their checkpoints")
                reps[victim] = cass_replica(sp, os.path.join(d, f"{victim}-{n}"), "g", store, env)
            check(feed.wait(timeout=600) == 0, "the ingest succeeds")
            feed = None
            wait_caught_up(list(reps.values()))
            wait_caught_up([base])
            all_reps = dead + list(reps.values())
            moves = takeovers(all_reps)
            for m in moves:
                print(f"takeover of partition {m[0]} at offset {m[1]}: {m[2]} records read again", flush=True)
            check(len(moves) >= 3, f"at least one takeover per kill: {moves}")
            worst = max(m[2] for m in moves)
            check(worst <= MAX_BATCH, f"a takeover reads again at most one write ({MAX_BATCH} records): {worst}")
            counted = sum(r.metric("mdsp_process_takeover_reread_records_total") for r in reps.values())
            taken = sum(r.metric("mdsp_process_takeovers_total") for r in reps.values())
            check(taken >= 1, f"the live replicas count their takeovers in /metrics: {taken}")
            print(f"live replicas: {taken:.0f} takeovers, {counted:.0f} records read again", flush=True)
            rebuilt = [l for r in all_reps for l in r.lines if "has no checkpoint in the store" in l]
            check(len(rebuilt) <= PARTITIONS, f"only first assignments start without a checkpoint: {rebuilt}")
            for name, r in reps.items():
                check(r.stop() == 0, f"replica {name} stops cleanly")
        finally:
            if feed is not None:
                feed.kill()
            for r in list(reps.values()) + dead:
                r.kill()
        check(base.stop() == 0, "the base replica stops cleanly")
    want = candles_of([os.path.join(d, "base")])
    got = stored_candles(store, env, os.path.join(d, "serve"))
    check_same_candles(want, got, 2000)
    print(f"{len(want)} candles in Cassandra equal the uninterrupted run's", flush=True)


def stored_candles(store, env, d):
    """Every candle of the test's symbols in the Cassandra store, as candles_of gives a data folder's."""
    out = {}
    with server(["serve", "-d", d, *store], env=env) as s:
        for sym in SYMBOLS:
            for iv in ["1m", "1h", "1d"]:
                for cd in all_candles(s, sym, iv):
                    out[(sym, iv, cd["time"])] = cd
    return out


if __name__ == "__main__":
    in_venv(__file__, "cassandra-driver")
    main([test_reference_through_kafka_into_cassandra, test_kill_and_take_over_from_the_checkpoint])
