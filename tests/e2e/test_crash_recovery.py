"""kill -9 of `mdsp up` during a replay, then a restart: the final candles
equal those of an uninterrupted run; no tick is lost or counted twice."""
import glob
import os
import time

from mdsp_e2e import TRADES, all_candles, all_ticks, check, main, run, server, tempdir

INTERVALS = ["1s", "1m", "5m", "1h", "1d"]
SPEED = "40000"  # 59 hours of trades in about 5 s


def snapshot(s):
    out = {}
    for iv in INTERVALS:
        out[iv] = [(c["time"], c["open"], c["high"], c["low"], c["close"], c["volume"], c["trade_count"],
                    c["vwap"], c["final"]) for c in all_candles(s, "XRPETH", iv)]
    ticks = all_ticks(s, "XRPETH")
    return out, ticks


def reference():
    d = tempdir("crash-ref")
    run(["replay", TRADES, "-d", d, "--log-level", "warn"])
    with server(["serve", "-d", d]) as s:
        return snapshot(s)


def test_kill_nine_at_several_points():
    want, want_ticks = reference()
    d = tempdir("crash")
    # Kill points by ticks ingested so far: at start, early, middle, late, and
    # once after ingest ended while the engine may still be writing.
    kill_after = [0, 1500, 5000, 9000, 12477]
    for n in kill_after:
        s = server(["up", "--source", f"replay:{TRADES}", "--speed", SPEED, "-d", d, "--log-level", "warn"])
        if n > 0:
            s.wait_for(lambda: s.metric("mdsp_ingest_ticks_total") >= n or s.metric("mdsp_pipeline_done") == 1,
                       what=f"{n} ticks ingested")
        s.kill()
    with server(["up", "--source", f"replay:{TRADES}", "--speed", SPEED, "-d", d, "--log-level", "warn"]) as s:
        s.wait_for(lambda: s.metric("mdsp_pipeline_done") == 1, what="the replay to finish")
        got, got_ticks = snapshot(s)
    for iv in INTERVALS:
        check(len(got[iv]) == len(want[iv]), f"{iv}: {len(got[iv])} candles after crashes, {len(want[iv])} without")
        for a, b in zip(got[iv], want[iv]):
            check(a == b, f"{iv}: after crashes {a}, without {b}")
    check(len(got_ticks) == 12477, f"{len(got_ticks)} ticks stored after crashes, want 12,477 (none lost or doubled)")
    check(sorted(t["seq"] for t in got_ticks) == sorted(t["seq"] for t in want_ticks), "the same ticks are stored")


def test_torn_log_tail_is_recovered_on_start():
    """A few bytes cut off the last batch of a segment (a power cut with
    fsync = interval): the next start truncates the torn batch, keeps every
    earlier record, and the pipeline goes on with its candles intact."""
    d = tempdir("torn")
    run(["replay", TRADES, "-d", d, "--log-level", "warn"])
    segs = glob.glob(os.path.join(d, "log", "market.ticks-*", "*.log"))
    seg = max(segs, key=os.path.getsize)
    size = os.path.getsize(seg)
    with open(seg, "r+b") as f:
        f.truncate(size - 7)
    with server(["up", "--source", f"replay:{TRADES}", "-d", d]) as s:
        s.wait_for(lambda: s.metric("mdsp_pipeline_done") == 1, what="the restart to settle")
        log = "".join(s.lines)
        check("truncated" in log and "every batch before it is kept" in log, f"the recovery is logged:\n{log}")
        check(s.metric("mdsp_log_recovery_truncations_total") >= 1, "the truncation is counted in /metrics")
        candles = all_candles(s, "XRPETH", "1m")
        check(len(candles) == 3560, f"{len(candles)} 1m candles after recovery, want 3,560")
        check(s.get("/readyz")["status"] == "ready", "ready after recovery")


if __name__ == "__main__":
    main([test_kill_nine_at_several_points, test_torn_log_tail_is_recovered_on_start])
