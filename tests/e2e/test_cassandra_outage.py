"""Cassandra stopped for 30 s mid-stream: `mdsp process --store cassandra://`
on a Cassandra node of the test's own (mdsp_cassandra.own_cluster) while
ticks arrive through the suite's Kafka. The processor backs off: it stays
up, its lag grows, its memory stays bounded, it commits nothing to the
group; once the node is back it writes the batch it held and catches up,
and every candle equals that of an uninterrupted replica with a store of
its own."""
import os
import signal
import subprocess
import time

import mdsp_cassandra
from mdsp_e2e import check, main, mdsp_binary, run, tempdir
from mdsp_kafka import space
from test_cassandra_cluster_path import cass_replica, stored_candles
from test_kafka import SYMBOLS, candles_of, check_same_candles, replica, wait_caught_up, write_ticks

OUTAGE_S = 30


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def test_cassandra_down_for_30_seconds():
    d = tempdir("cassandra-outage")
    ticks = os.path.join(d, "ticks.csv")
    write_ticks(ticks, 1704067200, 86400, 11)  # one day, 69,120 ticks
    total = 8640 * len(SYMBOLS)
    with mdsp_cassandra.own_cluster("outage") as c:
        env = dict(os.environ, MDSP_CASSANDRA_PASSWORD=c.auth["password"])
        ks = mdsp_cassandra.keyspace_name("outage")
        store = ["--store", f"cassandra://{c.contact_points}/{ks}?user={c.auth['username']}"]
        run(["cassandra", "init", *store, "--replication", "{'class': 'SimpleStrategy', 'replication_factor': 1}"],
            env=env)
        sp = space("cass-outage")
        with replica(sp, os.path.join(d, "base"), "base") as base:
            p = cass_replica(sp, os.path.join(d, "p"), "g", store, env)
            feed = None
            try:
                p.wait_for(lambda: p.owned(), what="the processor to get its partitions")
                feed = subprocess.Popen([mdsp_binary(), "ingest"] + sp.args() + [
                    "--source", f"replay:{ticks}", "--speed", "1000", "-d", os.path.join(d, "ingest"),
                    "--log-level", "warn"])
                p.wait_for(lambda: p.ticks() > 0.2 * total, what="the processor to take 20% of the ticks")
                c.kill(1, signal.SIGTERM)  # a clean stop: Cassandra drains what it acknowledged
                down = time.time()
                print(f"Cassandra stopped at {p.ticks():.0f} ticks processed", flush=True)
                lags, rss = [], []
                while time.time() - down < OUTAGE_S:
                    check(p.proc.poll() is None, "the processor stays up while Cassandra is down:\n"
                          + "".join(p.lines[-20:]))
                    # Behind the uninterrupted replica, which reads as the ticks arrive.
                    lags.append(base.ticks() - p.ticks())
                    rss.append(rss_mb(p.proc.pid))
                    time.sleep(2)
                retries = p.metric("mdsp_store_write_retries_total")
                commits = p.metric("mdsp_kafka_offset_commits_total")
                print(f"while down: lag {lags[0]:.0f} -> {max(lags):.0f} records, RSS {min(rss):.0f}-{max(rss):.0f} MB, "
                      f"{retries:.0f} write attempts failed", flush=True)
                check(retries > 0, "the processor counts its failed store writes")
                check(max(lags) > lags[0], f"the lag grows while the store is down: {lags}")
                check(max(rss) < 2 * min(rss) + 200, f"memory stays bounded: {rss} MB")
                check(p.metric("mdsp_kafka_offset_commits_total") == commits,
                      "nothing is committed to the group while the store is down")
                c.restart(1)
                print(f"Cassandra back after {time.time() - down:.0f} s", flush=True)
                check(feed.wait(timeout=600) == 0, "the ingest succeeds")
                feed = None
                # First the held batch: while it waits, the consumer has read
                # everything it holds, so its lag alone can read 0 too early.
                p.wait_for(lambda: any("the store took the batch after" in line for line in p.lines),
                           timeout=120, what="the processor to say it wrote the held batch")
                print(f"the held batch written {time.time() - down:.0f} s after the stop", flush=True)
                wait_caught_up([p])
                wait_caught_up([base])
                check(p.stop() == 0, "the processor stops cleanly")
            finally:
                if feed is not None:
                    feed.kill()
                p.kill()
            check(base.stop() == 0, "the base replica stops cleanly")
        want = candles_of([os.path.join(d, "base")])
        got = stored_candles(store, env, os.path.join(d, "serve"))
    check_same_candles(want, got, 1000)
    print(f"{len(want)} candles equal the uninterrupted run's", flush=True)


if __name__ == "__main__":
    main([test_cassandra_down_for_30_seconds])
