"""A sparse symbol costs its ticks, not its empty windows (issue 11).

One tick a day for a month at the 1s interval lies 2.6 million empty seconds
apart: the store keeps the candles with ticks, and the API still answers every
empty window between two of them as a filler at the previous close."""
import os

from mdsp_e2e import check, main, run, server, tempdir

DAY = 86_400
T0 = 1_704_067_200  # 2024-01-01T00:00:00Z


def sparse_month(d):
    f = os.path.join(d, "sparse.csv")
    with open(f, "w") as out:
        out.write("time,symbol,price,size\n")
        for day in range(31):
            # 12:00:00.5 each day, a new price each time
            out.write(f"{(T0 + day * DAY + 43_200) * 1_000_000 + 500_000},SPARSE,{100 + day},1\n")
    return f


def test_a_tick_a_day_for_a_month_writes_its_candles_and_the_api_fills_the_rest():
    d = tempdir("sparse")
    data = os.path.join(d, "data")
    rc, out, err = run(["replay", sparse_month(d), "-d", data], timeout=300)
    with server(["serve", "-d", data]) as s:
        day1 = T0 + 43_200
        page = s.get(f"/api/v1/candles?symbol=SPARSE&interval=1s&from={day1}&limit=10000")["candles"]
        check(len(page) == 10_000, f"10,000 windows answered after the first tick, got {len(page)}")
        check(page[0]["trade_count"] == 1 and page[0]["close"] == 100, f"the first tick's candle: {page[0]}")
        for c in page[1:]:
            if c["trade_count"] != 0 or c["volume"] != 0 or c["close"] != 100 or c["open"] != 100:
                raise AssertionError(f"an empty window is a filler at the previous close: {c}")
        check(all(c["final"] for c in page), "fillers between two final candles are final")
        times = [c["time"] for c in page]
        check(times == list(range(day1, day1 + 10_000)), "one answer per second, none missing, none twice")

        # The newest windows before the last tick: fillers at the 30th day's close.
        last = T0 + 30 * DAY + 43_200
        tail = s.get(f"/api/v1/candles?symbol=SPARSE&interval=1s&to={last + 1}&limit=5")["candles"]
        check([c["time"] for c in tail] == list(range(last - 4, last + 1)), f"the tail of the range: {tail}")
        check([c["close"] for c in tail] == [129, 129, 129, 129, 130], f"fillers carry the close before: {tail}")
        # Nothing after the newest candle, nothing before the first.
        after = s.get(f"/api/v1/candles?symbol=SPARSE&interval=1s&from={last + 1}&limit=100")["candles"]
        check(after == [], f"no fillers after the newest candle: {after}")
        before = s.get(f"/api/v1/candles?symbol=SPARSE&interval=1s&to={day1}&limit=100")["candles"]
        check(before == [], f"no fillers before the first candle: {before}")

    # What the replay wrote: its summary counts candle writes. 31 ticks make
    # at most 31 candles per interval (x 5), each written open and then final.
    writes = None
    for line in err.splitlines():
        if "candle writes" in line:
            words = line.replace(",", "").split()
            writes = int(words[words.index("candle") - 1])
    check(writes is not None, f"the replay's summary counts candle writes:\n{err[-1500:]}")
    check(writes <= 31 * 5 * 2, f"a month of one tick a day writes rows bounded by its ticks, not "
                                f"2.6 million fillers: {writes}")


if __name__ == "__main__":
    main([test_a_tick_a_day_for_a_month_writes_its_candles_and_the_api_fills_the_rest])
