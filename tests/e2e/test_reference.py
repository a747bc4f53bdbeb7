"""The Binance XRP/ETH reference: trades.csv replayed through log, engine and
store gives 1m candles equal to all 3,560 of Binance's own klines, read back
through the HTTP API."""
import csv
import os

from mdsp_e2e import KLINES, TRADES, all_candles, all_ticks, check, main, run, server, tempdir


def klines():
    with open(KLINES) as f:
        return list(csv.DictReader(f))


def compare(candles, rows):
    check(len(candles) == len(rows), f"{len(candles)} candles, Binance has {len(rows)} klines")
    for c, k in zip(candles, rows):
        t = int(k["open_time_ms"]) // 1000
        got = (c["time"], c["open"], c["high"], c["low"], c["close"], c["volume"])
        want = (t, float(k["open"]), float(k["high"]), float(k["low"]), float(k["close"]), float(k["volume"]))
        check(got == want, f"minute {t}: got {got}, Binance has {want}")
    fillers = sum(1 for c in candles if c["trade_count"] == 0)
    check(fillers == 1091, f"{fillers} filler minutes, the data has 1,091")
    total = sum(c["volume"] for c in candles)
    check(round(total) == 5545735, f"total volume {total}, want 5,545,735")
    spiked = [c["time"] for c in candles if c["spike"]]
    check(not spiked, f"the default data-quality checks flag no minute of the reference: {spiked}")


def test_replay_then_serve():
    d = tempdir("reference")
    run(["replay", TRADES, "-d", d, "--log-level", "warn"])
    with server(["serve", "-d", d]) as s:
        compare(all_candles(s, "XRPETH", "1m"), klines())
        check(s.get("/api/v1/symbols")["symbols"] == ["XRPETH"], "symbols lists XRPETH")
        ticks = all_ticks(s, "XRPETH")
        check(len(ticks) == 12477, f"{len(ticks)} ticks stored, the file has 12,477")
        # Every final 1m candle is final; the API names a bad parameter.
        err = s.get("/api/v1/candles?symbol=XRPETH&interval=7x", expect=400)
        check(err.get("parameter") == "interval", f"400 names the parameter: {err}")


def test_up_with_replay_source():
    d = tempdir("reference-up")
    with server(["up", "--source", f"replay:{TRADES}", "-d", d]) as s:
        s.wait_for(lambda: s.metric("mdsp_pipeline_done") == 1, what="the replay to finish")
        compare(all_candles(s, "XRPETH", "1m"), klines())
        q = s.get("/api/v1/quality")
        totals = {c["check"]: c["total"] for c in q["checks"]}
        check(q["available"] and all(totals[k] == 0 for k in ("spike", "stall", "clock_skew", "out_of_order",
                                                              "crossed", "bad_number", "invalid", "late")),
              f"the defaults find nothing in the reference: {totals}")
        ready = s.get("/readyz")
        check(ready is not None, "readyz answers")
        rc = s.stop()
        check(rc == 0, f"mdsp up exits 0 on Ctrl-C, got {rc}")


if __name__ == "__main__":
    main([test_replay_then_serve, test_up_with_replay_source])
