"""A processor killed during a rebalance with the real group coordinator
(the suite's 3-node Apache Kafka, mdsp_kafka.py): two `mdsp process`
replicas split the partitions while ticks arrive; a third joins, which makes
the coordinator rebalance the group; replica 1 is frozen (SIGSTOP) the moment
it logs that its partitions are revoked, checked to have had no new
assignment since, and killed with SIGKILL; then it restarts. The candles of
the three stores, merged per window, equal those of one uninterrupted
replica in a group of its own."""
import os
import re
import signal
import subprocess
import time

from mdsp_e2e import check, main, mdsp_binary, tempdir
from mdsp_kafka import PARTITIONS, space
from test_kafka import SYMBOLS, candles_of, check_same_candles, murmur2_partition, replica, wait_caught_up, wait_until_split, write_ticks

GROUP_EVENT = re.compile(r"kafka: group \S+ (assigned|revoked) ")


def group_events(r, since):
    return [m.group(1) for m in (GROUP_EVENT.search(l) for l in r.lines[since:]) if m]


def freeze_mid_rebalance(r1, trigger, attempts=4):
    """Calls trigger() (something that makes the coordinator rebalance the
    group) until replica r1 is frozen between the revocation of its
    partitions and its next assignment; returns how many attempts it took.
    The freeze is SIGSTOP on the revocation's log line: once stopped, r1 can
    log nothing more, so the check of its last group event cannot race."""
    for attempt in range(1, attempts + 1):
        since = len(r1.lines)
        trigger(attempt)
        deadline = time.time() + 120
        while "revoked" not in group_events(r1, since):
            check(time.time() < deadline, "replica 1 logged a revocation within 120 s of the rebalance:\n"
                  + "".join(r1.lines[-20:]))
            check(r1.proc.poll() is None, f"replica 1 runs: it exited {r1.proc.returncode}")
            time.sleep(0.002)
        os.kill(r1.proc.pid, signal.SIGSTOP)
        time.sleep(1.0)  # the reader thread takes whatever r1 wrote before the stop
        events = group_events(r1, since)
        print(f"attempt {attempt}: replica 1's group events since the trigger: {events}", flush=True)
        if events[-1] == "revoked":
            return attempt
        os.kill(r1.proc.pid, signal.SIGCONT)  # it got its partitions back first: again
    raise AssertionError(f"replica 1 was not caught between revocation and assignment in {attempts} rebalances")


def test_processor_killed_during_rebalance():
    d = tempdir("kafka-rebalance")
    ticks = os.path.join(d, "ticks.csv")
    day = 1704067200  # 2024-01-01
    write_ticks(ticks, day, 3 * 86400, 3)  # three days: 1d windows close, commits move past offset 0
    sp = space("rebalance")
    dirs = [os.path.join(d, n) for n in ("r1", "r2", "r3")]
    with replica(sp, os.path.join(d, "base"), "base") as base:  # the uninterrupted run
        r1 = replica(sp, dirs[0], "g")
        r2 = replica(sp, dirs[1], "g")
        reps = {"r1": r1, "r2": r2}
        feed = None
        try:
            owned = wait_until_split(r1, r2)
            feed = subprocess.Popen([mdsp_binary(), "ingest"] + sp.args() + [
                "--source", f"replay:{ticks}", "--speed", "10000", "-d", os.path.join(d, "ingest"),
                "--log-level", "warn"])
            # In the third day (the feed takes about 26 s): the first day's
            # 1d window is the newest closed one no more, so replica 1's
            # commits have moved past offset 0.
            share = sum(1 for s in SYMBOLS if murmur2_partition(s, PARTITIONS) in owned[0]) * 3 * 8640
            r1.wait_for(lambda: r1.ticks() > 0.7 * share and r1.metric("mdsp_kafka_offset_commits_total") > 0,
                        what="replica 1 to process ticks and commit offsets")

            def trigger(attempt):
                # A third replica joins (odd attempts) or leaves cleanly (even ones).
                if "r3" not in reps:
                    reps["r3"] = replica(sp, dirs[2], "g")
                else:
                    check(reps.pop("r3").stop() == 0, "replica 3 leaves the group cleanly")

            attempts = freeze_mid_rebalance(r1, trigger)
            r1.kill()  # SIGKILL while frozen mid-rebalance
            print(f"replica 1 killed during the rebalance (attempt {attempts}): "
                  + "".join(r1.lines[-3:]).strip(), flush=True)
            check(feed.wait(timeout=600) == 0, "the ingest succeeds")
            feed = None
            reps["r1"] = r1 = replica(sp, dirs[0], "g")  # restarted on its own store
            wait_caught_up(list(reps.values()))
            wait_caught_up([base])
            moves = [l.split("process: ", 1)[1].strip() for r in reps.values() for l in r.lines
                     if re.search(r"is rebuilt from offset|from this replica's state", l)]
            print("after the kill:", "; ".join(moves[-6:]), flush=True)
            for name, r in reps.items():
                check(r.stop() == 0, f"replica {name} stops cleanly:\n" + "".join(r.lines[-15:]))
        finally:
            if feed is not None:
                feed.kill()
            for r in reps.values():
                r.kill()
        check(base.stop() == 0, "the base replica stops cleanly")
    want = candles_of([os.path.join(d, "base")])
    got = candles_of(dirs)
    check_same_candles(want, got, 3000)


if __name__ == "__main__":
    main([test_processor_killed_during_rebalance])
