"""Brokers fail under a running pipeline, on a 3-node cluster of the test's
own (it kills brokers, so it does not share the suite's cluster; its two
cases share that one, each in a space of its own):

- the broker that leads the most partitions of market.ticks is killed with
  SIGKILL during an ingest of 200,000 ticks with two processors running, then
  restarted: every tick is in market.ticks exactly once (by seq: no gap, no
  duplicate), the candles of the two processors' stores equal those of one
  uninterrupted processor, and every partition's ISR is whole again;
- every broker is down for 20 s: ingest holds its source and the processors
  wait; after the restart everything resumes and the candles are exact."""
import os
import subprocess
import time

from mdsp_e2e import check, main, mdsp_binary, tempdir
from mdsp_kafka import own_cluster, space
from test_kafka import SYMBOLS, candles_of, replica, wait_caught_up, write_ticks

DAY = 1704067200  # 2024-01-01
TICKS = 200_000
SECONDS = TICKS // len(SYMBOLS) * 10  # one tick per symbol every 10 s


def start_ingest(sp, path, d, speed):
    return subprocess.Popen([mdsp_binary(), "ingest"] + sp.args() + [
        "--source", f"replay:{path}", "--speed", str(speed), "-d", os.path.join(d, "ingest"), "--log-level",
        "warn"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def seqs_of(c, topic):
    """The seq of every record of topic, read with Debian's python3-kafka. seq
    is the tick's last field and a zigzag varint; the field before it is a
    union, whose last byte ends a varint too, so the varint is read backwards."""
    from kafka import KafkaConsumer, TopicPartition
    k = KafkaConsumer(bootstrap_servers=c.bootstrap, enable_auto_commit=False, group_id=None,
                      consumer_timeout_ms=20000, max_partition_fetch_bytes=4 << 20)
    parts = [TopicPartition(topic, p) for p in sorted(k.partitions_for_topic(topic))]
    k.assign(parts)
    k.seek_to_beginning(*parts)
    ends = k.end_offsets(parts)
    want = sum(ends.values())
    out = []
    for m in k:
        v = m.value
        i = len(v) - 1
        while i > 0 and v[i - 1] & 0x80:
            i -= 1
        n = 0
        for shift, b in enumerate(v[i:]):
            n |= (b & 0x7f) << (7 * shift)
        out.append((n >> 1) ^ -(n & 1))
        if len(out) >= want:
            break
    k.close()
    return out, want


def check_exactly_once(c, sp, first_seq=None):
    seqs, count = seqs_of(c, sp.ticks)
    check(len(seqs) == count, f"read every record: {len(seqs)} of {count}")
    check(count == TICKS, f"{sp.ticks} holds {count} records for {TICKS} ticks")
    lo = min(seqs)
    check(sorted(seqs) == list(range(lo, lo + TICKS)),
          f"every seq once, no gap: {len(set(seqs))} distinct of {len(seqs)}, {lo}..{max(seqs)}")


def leaders(c, topic):
    counts = {}
    for leader, _, _ in c.metadata()["topics"][topic].values():
        counts[leader] = counts.get(leader, 0) + 1
    return counts


def run_two_processors(sp, d, during):
    """Two processors of group g and, after the ingest, one uninterrupted of its own
    group; during(ingest) is the failure. Returns (base dir, replica dirs)."""
    path = os.path.join(d, "ticks.csv")
    write_ticks(path, DAY, SECONDS, 7)
    r1 = replica(sp, os.path.join(d, "r1"), "g")
    r2 = replica(sp, os.path.join(d, "r2"), "g")
    try:
        feed = start_ingest(sp, path, d, speed=SECONDS // 40)  # about 40 s of ticks
        during(feed, r1, r2)
        _, err = feed.communicate(timeout=900)
        check(feed.returncode == 0, f"the ingest succeeds: {err[-3000:]}")
        wait_caught_up([r1, r2])
        with replica(sp, os.path.join(d, "base"), "base") as base:
            wait_caught_up([base])
            check(base.stop() == 0, "the uninterrupted processor stops cleanly")
        check(r1.stop() == 0 and r2.stop() == 0, "both processors stop cleanly")
    finally:
        r1.kill()
        r2.kill()
    return os.path.join(d, "base"), [os.path.join(d, "r1"), os.path.join(d, "r2")]


def check_candles(base, dirs):
    want = candles_of([base])
    got = candles_of(dirs)
    check(len(want) > 3000, f"the uninterrupted run has candles: {len(want)}")
    missing = [k for k in want if k not in got]
    diff = [k for k in want if k in got and want[k] != got[k]]
    check(not missing and not diff and len(got) == len(want),
          f"{len(missing)} candles missing ({missing[:3]}), {len(diff)} differ ({diff[:1]}), "
          f"{len(got) - len(want) + len(missing)} extra")


def test_partition_leader_killed_during_ingest(c):
    c.restart()  # every node up (after a case that failed with one down)
    sp = space("kill9", c=c)
    d = tempdir("kafka-kill9")
    killed = {}

    def kill_the_leader(feed, r1, r2):
        r1.wait_for(lambda: r1.ticks() + r2.ticks() > TICKS // 5, what="a fifth of the ticks processed")
        counts = leaders(c, sp.ticks)
        node = max(counts, key=counts.get)
        print(f"leaders of {sp.ticks}: {counts}; kill -9 node {node}", flush=True)
        c.kill(node)
        killed["node"] = node
        r1.wait_for(lambda: r1.ticks() + r2.ticks() > TICKS // 2, what="half the ticks, one broker down")
        check(feed.poll() is None or feed.returncode == 0, "the ingest goes on with a broker down")
        c.restart(node)

    base, dirs = run_two_processors(sp, d, kill_the_leader)
    md = c.wait_isr_whole([sp.ticks, sp.candles, sp.deadletter])
    isr = {p: sorted(v[2]) for p, v in md["topics"][sp.ticks].items()}
    print(f"ISR of {sp.ticks} after node {killed['node']} came back: {isr}", flush=True)
    check(all(len(v) == 3 for v in isr.values()), f"every ISR whole: {isr}")
    check_exactly_once(c, sp)
    check_candles(base, dirs)


def test_all_brokers_down_for_20_seconds(c):
    c.restart()
    sp = space("down", c=c)
    d = tempdir("kafka-down")

    def all_down(feed, r1, r2):
        r1.wait_for(lambda: r1.ticks() + r2.ticks() > TICKS // 5, what="a fifth of the ticks processed")
        for n in c.nodes:
            c.kill(n["id"])
        rss = []
        for _ in range(20):
            time.sleep(1)
            check(feed.poll() is None, "the ingest waits for the brokers, it does not give up")
            check(r1.proc.poll() is None and r2.proc.poll() is None, "the processors wait too")
            with open(f"/proc/{feed.pid}/status") as f:
                rss.append(int(next(l for l in f if l.startswith("VmRSS:")).split()[1]))
        print(f"ingest's resident memory while every broker was down: {min(rss)}..{max(rss)} kB", flush=True)
        check(max(rss) < 4 * min(rss) + 200_000, f"the ingest's memory stays bounded: {rss}")
        c.restart()

    base, dirs = run_two_processors(sp, d, all_down)
    c.wait_isr_whole([sp.ticks])
    check_exactly_once(c, sp)
    check_candles(base, dirs)


def on(c, test):
    def run():
        test(c)
    run.__name__ = test.__name__
    return run


if __name__ == "__main__":
    with own_cluster("failover") as cluster:
        try:
            main([on(cluster, t) for t in (test_partition_leader_killed_during_ingest,
                                           test_all_brokers_down_for_20_seconds)])
        except SystemExit as e:
            if e.code:
                raise  # the cluster's logs are kept
