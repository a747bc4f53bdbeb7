"""Data-quality checks end to end (issue 15): a crafted replay through log,
engine and store, then the HTTP API. A price spike is kept and marks its
candles (replay -> store -> /api/v1/candles), and /api/v1/quality and
/metrics count the spike, a stall and an out-of-order tick against the right
symbol. The Binance reference stays silent (test_reference.py)."""
import os

from mdsp_e2e import all_candles, check, main, server, tempdir

T0 = 1704153600  # 2024-01-02T00:00:00Z


def crafted(path):
    """AAA: a tick a second for 2 minutes, wobbling 0.1 %, one print 50 % up
    at 01:30 and one tick 5 s older than the one before it at 01:41; then
    silent. BBB: a tick a second for 9 minutes, so AAA's source goes on."""
    rows = []
    for s in range(540):
        if s < 120:
            rows.append((T0 + s, "AAA", 150 if s == 90 else (100.1 if s % 2 else 100)))
        if s == 101:
            rows.append((T0 + 96, "AAA", 100))  # within the lateness: kept, counted out of order
        rows.append((T0 + s, "BBB", 50.05 if s % 2 else 50))
    with open(path, "w") as f:
        f.write("time,symbol,price,size\n")
        for t, sym, p in rows:
            f.write(f"{t},{sym},{p},1\n")


def by_check(q):
    return {c["check"]: c for c in q["checks"]}


def test_flags_reach_the_store_the_api_and_the_metrics():
    d = tempdir("quality")
    path = os.path.join(d, "ticks.csv")
    crafted(path)
    data = os.path.join(d, "data")
    # Stalls need minutes of silence by default (quality.stall_min = 10m).
    with server(["up", "--source", f"replay:{path}", "-d", data, "--set", "quality.stall_min=2m"]) as s:
        s.wait_for(lambda: s.metric("mdsp_pipeline_done") == 1, what="the replay to finish")
        minutes = all_candles(s, "AAA", "1m", start=str(T0))
        check([c["spike"] for c in minutes] == [False, True], f"the spike's minute is marked: {minutes}")
        check(minutes[1]["high"] == 150 and minutes[1]["trade_count"] == 61,
              f"the spike is kept in its candle: {minutes[1]}")
        seconds = all_candles(s, "AAA", "1s", start=str(T0))
        marked = [c["time"] - T0 for c in seconds if c["spike"]]
        check(marked == [90], f"only the spike's second is marked: {marked}")
        bbb = all_candles(s, "BBB", "1m", start=str(T0))
        check(len(bbb) == 9 and not any(c["spike"] for c in bbb), f"BBB is clean: {bbb}")

        q = s.get("/api/v1/quality")
        check(q["available"], f"the processing stage runs here: {q}")
        c = by_check(q)
        check(c["spike"]["total"] == 1 and c["spike"]["top"][0]["symbol"] == "AAA"
              and c["spike"]["top"][0]["last_event_time"] == "2024-01-02T00:01:30.000000Z",
              f"one spike, AAA at 00:01:30: {c['spike']}")
        check(c["out_of_order"]["total"] == 1 and c["out_of_order"]["top"][0]["symbol"] == "AAA",
              f"one out-of-order tick of AAA: {c['out_of_order']}")
        check(c["stall"]["total"] == 1 and c["stall"]["top"][0]["symbol"] == "AAA" and q["stalled_now"] == 1,
              f"AAA stalled while BBB went on: {c['stall']}, stalled_now {q['stalled_now']}")
        check(c["clock_skew"]["total"] == 0, f"a replayed file has no clock skew: {c['clock_skew']}")
        only = s.get("/api/v1/quality?check=spike")
        check([x["check"] for x in only["checks"]] == ["spike"], f"filtered to one check: {only}")
        bad = s.get("/api/v1/quality?check=nonsense", expect=400)
        check(bad["parameter"] == "check", f"400 names the parameter: {bad}")

        m = s.metrics()
        check(m.get('mdsp_quality_events_total{check="spike"}') == 1, "the spike is in /metrics by check")
        check(m.get('mdsp_quality_events_total{check="stall"}') == 1, "the stall is in /metrics")
        check(m.get("mdsp_quality_stalled_symbols") == 1, "one symbol stalled now")
        check(not any("AAA" in k for k in m if k.startswith("mdsp_quality")), "no series per symbol")


if __name__ == "__main__":
    main([test_flags_reach_the_store_the_api_and_the_metrics])
