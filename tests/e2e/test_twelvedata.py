#!/usr/bin/python3
"""The TwelveData source end to end: `mdsp up --source twelvedata` against the
fake TwelveData server (a WebSocket and REST over TLS with its own
certificate, mdsp-fake-feed), gap repair after a reconnect and after a
restart, `mdsp backfill`, and the API key in no log line, API answer, metric,
dead letter or stream message."""
import json
import os
import secrets
import subprocess
import time

from mdsp_e2e import check, main, run, server, tempdir, ws_client

KEY = "tdkey-E2E-" + secrets.token_hex(8)
SYMBOLS = ["AAPL", "EUR/USD"]
MINUTE = 60


class fake_feed:
    def __init__(self):
        self.dir = tempdir("fake-feed")
        binary = os.environ.get("MDSP_FAKE_FEED")
        check(binary and os.path.exists(binary), "MDSP_FAKE_FEED must name the built mdsp-fake-feed")
        self.proc = subprocess.Popen([binary, self.dir], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline().split()
        check(line and line[0] == "port", f"mdsp-fake-feed said {line}")
        self.port = int(line[1])

    def cmd(self, text):
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline().strip()

    def settings(self):
        s = {
            "twelvedata.ws_url": f"wss://localhost:{self.port}/v1/quotes/price",
            "twelvedata.rest_url": f"https://localhost:{self.port}",
            "twelvedata.ca_file": os.path.join(self.dir, "cert.pem"),
            "twelvedata.credits_per_minute": "0",
            "twelvedata.watchdog": "5s",
            "twelvedata.backoff_min": "100ms",
            "twelvedata.backoff_max": "500ms",
        }
        return [a for k, v in s.items() for a in ("--set", f"{k}={v}")]

    def close(self):
        if self.proc.poll() is None:
            self.cmd("quit")
            self.proc.wait(timeout=10)


def up_args(fk, data):
    return ["up", "--source", "twelvedata", "--symbols", ",".join(SYMBOLS), "--data-dir", data] + fk.settings()


def fake_close(window_start_s):
    """The close of the fake's REST bar of a minute (fake_feed.cc rest_body)."""
    i = window_start_s // MINUTE
    return 100 + 0.01 * (i % 97) + 0.125


def newest(srv, symbol):
    for t in srv.get("/api/v1/latest")["latest"]:
        if t["symbol"] == symbol:
            return t
    return None


def every_answer(srv):
    """Every kind of API answer, for the key search."""
    texts = [srv.get(p, expect=None) for p in ("/api/v1/symbols", "/api/v1/latest", "/metrics", "/healthz",
                                               "/readyz", "/api/v1/pipeline", "/subjects", "/")]
    for sym in SYMBOLS:
        q = sym.replace("/", "%2F")
        texts.append(srv.get(f"/api/v1/ticks?symbol={q}&limit=10000"))
        for iv in ("1s", "1m", "5m", "1h", "1d"):
            texts.append(srv.get(f"/api/v1/candles?symbol={q}&interval={iv}&limit=10000"))
    with ws_client(srv.port, timeout=30) as ws:
        ws.send_json({"action": "subscribe", "symbol": "AAPL", "interval": "1m"})
        ws.send_json({"action": "subscribe", "channel": "latest"})
        for _ in range(5):
            texts.append(ws.recv_json())
    return [t if isinstance(t, str) else json.dumps(t) for t in texts]


def check_no_key(texts, where):
    for t in texts:
        check(KEY not in t, f"the API key appears in {where}: ...{t[max(0, t.find(KEY) - 200):t.find(KEY) + 50]}...")


def repaired_minutes(candles, since_s):
    return [c for c in candles if c["backfilled"] and c["time"] >= since_s]


def candles_of(srv, sym, interval="1m"):
    q = sym.replace("/", "%2F")
    return srv.get(f"/api/v1/candles?symbol={q}&interval={interval}&limit=10000")["candles"]


def wait_for_prices(srv):
    srv.wait_for(lambda: all(newest(srv, s) for s in SYMBOLS), timeout=60, what="prices of both symbols")


def wait_for_repair(srv, candles, what):
    srv.wait_for(lambda: srv.metric('mdsp_gap_repair_candles_total{outcome="written"}') >= candles,
                 timeout=120, what=what)


def check_repaired_minutes(srv, lo, hi, when):
    for sym in SYMBOLS:
        bars = repaired_minutes(candles_of(srv, sym), 0)
        check(lo <= len(bars) <= hi, f"{sym}: {len(bars)} backfilled minutes {when}, wanted {lo}..{hi}")


def jump_to_the_present(fk):
    """Drops the connection; the next one's prices are of now: the time between is a gap."""
    fk.cmd("stall on")  # nothing more from the past...
    fk.cmd("offset 0")
    fk.cmd("drop")  # ...and the reconnect resumes at the present
    fk.cmd("stall off")


def test_reconnect_gap_is_backfilled_and_the_key_is_never_shown():
    os.environ["TWELVEDATA_API_KEY"] = KEY
    fk = fake_feed()
    data = tempdir("td-reconnect")
    try:
        fk.cmd("offset -1800")  # the first connection's prices are 30 minutes old
        with server(up_args(fk, data)) as srv:
            wait_for_prices(srv)
            # A malformed message carrying the key: dead-lettered, scrubbed.
            fk.cmd('raw {"event":"price","symbol":"AAPL","timestamp":"' + KEY + '"}')
            before = newest(srv, "AAPL")["event_time"]
            jump_to_the_present(fk)  # a 30-minute gap
            wait_for_repair(srv, 2 * 28, "the repaired gap")
            srv.wait_for(lambda: all(newest(srv, s)["event_time"] > before for s in SYMBOLS),
                         timeout=60, what="live prices after the reconnect")
            time.sleep(1.5)  # a few more seconds of live ticks in the reconnect's minute
            for sym in SYMBOLS:
                candles = candles_of(srv, sym)
                bars = repaired_minutes(candles, 0)
                check(28 <= len(bars) <= 31, f"{sym}: {len(bars)} backfilled minutes, wanted about 29")
                times = [c["time"] for c in bars]
                check(times == list(range(times[0], times[0] + MINUTE * len(times), MINUTE)),
                      f"{sym}: the backfilled minutes are not contiguous: {times}")
                for c in bars:
                    check(abs(c["close"] - fake_close(c["time"])) < 1e-9,
                          f"{sym}: the bar at {c['window_start']} closes at {c['close']}, "
                          f"the REST answer said {fake_close(c['time'])}")
                    check(c["trade_count"] == 0 and c["final"], f"{sym}: a backfilled candle {c}")
                    check((c["volume"] == 0) == ("/" in sym), f"{sym}: volume {c['volume']} of a bar")
                # Live minutes on both sides, none of them overwritten.
                live_before = [c for c in candles if not c["backfilled"] and c["time"] < times[0]]
                live_after = [c for c in candles if not c["backfilled"] and c["time"] > times[-1]]
                check(live_before and live_after, f"{sym}: no live candles around the gap")
                check(all(c["trade_count"] > 0 for c in live_before[-1:] + live_after[:1]),
                      f"{sym}: the minutes at the gap's edges lost their ticks")
                check(live_before[-1]["time"] == times[0] - MINUTE and live_after[0]["time"] == times[-1] + MINUTE,
                      f"{sym}: the repaired minutes do not meet the live ones: "
                      f"{live_before[-1]['window_start']} / {times[0]} .. {times[-1]} / {live_after[0]['window_start']}")
                # 5m windows wholly inside the repaired minutes are rolled up from them.
                by_time = {c["time"]: c for c in bars}
                fives = candles_of(srv, sym, "5m")
                inside = [c for c in fives if c["time"] >= times[0] and c["time"] + 300 <= times[-1] + MINUTE]
                check(len(inside) >= 4, f"{sym}: {len(inside)} 5m windows inside the gap")
                for c in inside:
                    mins = [by_time[t] for t in range(c["time"], c["time"] + 300, MINUTE)]
                    check(c["backfilled"] and c["open"] == mins[0]["open"] and c["close"] == mins[-1]["close"]
                          and c["high"] == max(b["high"] for b in mins)
                          and abs(c["volume"] - sum(b["volume"] for b in mins)) < 1e-9,
                          f"{sym}: the 5m candle {c} is not the roll-up of its minutes")
            texts = every_answer(srv)
            check(any('"backfilled": true' in t or '"backfilled":true' in t for t in texts),
                  "no API answer shows a backfilled candle")
            texts += srv.lines
            check(srv.stop() == 0, "mdsp up did not stop cleanly")
            texts += srv.lines
        check_no_key(texts, "an API answer, a metric, a stream message or the log")
        _, out, err = run(["deadletters", "--data-dir", data])
        check("malformed" in out, f"the malformed message was not dead-lettered:\n{out}")
        check_no_key([out, err], "the dead letters")
    finally:
        fk.close()


def test_restart_gap_is_backfilled():
    os.environ["TWELVEDATA_API_KEY"] = KEY
    fk = fake_feed()
    data = tempdir("td-restart")
    try:
        fk.cmd("offset -900")  # the first run ends 15 minutes ago
        with server(up_args(fk, data)) as srv:
            wait_for_prices(srv)
            check(srv.stop() == 0, "mdsp up did not stop cleanly")
        fk.cmd("offset 0")
        with server(up_args(fk, data)) as srv:
            wait_for_repair(srv, 2 * 13, "the gap since the last run repaired")
            check_repaired_minutes(srv, 13, 16, "after the restart")
            check(srv.stop() == 0, "mdsp up did not stop cleanly")
            check_no_key(srv.lines, "the log")
    finally:
        fk.close()


def test_gap_repair_interrupted_by_a_crash_is_finished_after_restart():
    os.environ["TWELVEDATA_API_KEY"] = KEY
    fk = fake_feed()
    data = tempdir("td-crash")
    try:
        fk.cmd("offset -1200")
        with server(up_args(fk, data)) as srv:
            wait_for_prices(srv)
            fk.cmd("429 100000")  # the repair will wait for the next minute's credits...
            jump_to_the_present(fk)
            srv.wait_for(lambda: srv.metric("mdsp_twelvedata_rest_rate_limited_total") >= 1, timeout=60,
                         what="the repair waiting for credits")
            srv.kill()  # ...and is killed while it waits
        fk.cmd("429 0")
        with server(up_args(fk, data)) as srv:
            wait_for_repair(srv, 2 * 18, "the interrupted gap repaired after the restart")
            check_repaired_minutes(srv, 18, 21, "after the crash and restart")
            check(srv.stop() == 0, "mdsp up did not stop cleanly")
            check(any("of an earlier run is still to repair" in l for l in srv.lines),
                  "the restart did not say it resumes the earlier repair")
    finally:
        fk.close()


def test_backfill_command():
    os.environ["TWELVEDATA_API_KEY"] = KEY
    fk = fake_feed()
    data = tempdir("td-backfill")
    try:
        args = ["backfill", "--data-dir", data, "--from", "2023-11-15", "--to", "2023-11-15T06:00:00Z"] + fk.settings()
        rc, out, err = run(args + ["--symbols", "AAPL,EUR/USD"])
        check("AAPL 1m 2023-11-15T00:00:00.000000Z .. 2023-11-15T06:00:00.000000Z: 360 candles stored" in out,
              f"backfill said:\n{out}\n{err}")
        check("rolled up into 5m, 1h, 1d: 78 candles stored" in out, out)  # 72 + 6, no whole day
        check("EUR/USD 1m" in out and "360 candles stored" in out.split("EUR/USD")[1], out)
        rc, out5, err5 = run(args + ["--symbols", "AAPL", "--interval", "5m"])
        check(": 72 candles stored" in out5, out5)
        # A symbol TwelveData does not know: named with the reason; the others are still done.
        fk.cmd("refuse NOPE")
        rc, outn, errn = run(args + ["--symbols", "NOPE,MSFT"], check=False)
        check(rc == 1, f"backfill with an unknown symbol exited {rc}")
        check("NOPE" in errn and "not found" in errn, errn)
        check("MSFT 1m" in outn and "360 candles stored" in outn, outn)
        # Bad flags name the fix.
        rc, _, errb = run(args + ["--symbols", "AAPL", "--interval", "1s"], check=False)
        check(rc != 0 and "no 1s bars; use one of 1m, 5m" in errb, f"{rc}: {errb}")
        rc, _, errf = run(["backfill", "--data-dir", data, "--symbols", "AAPL", "--from", "yesterday"], check=False)
        check(rc == 2 and "not a time" in errf, f"{rc}: {errf}")
        del os.environ["TWELVEDATA_API_KEY"]
        rc, _, errk = run(args + ["--symbols", "AAPL"], check=False)
        os.environ["TWELVEDATA_API_KEY"] = KEY
        check(rc == 2 and "TWELVEDATA_API_KEY" in errk, f"{rc}: {errk}")
        check_no_key([out, err, out5, err5, outn, errn, errb], "backfill's output")
        with server(["serve", "--data-dir", data]) as srv:
            candles = srv.get("/api/v1/candles?symbol=AAPL&interval=1m&limit=10000")["candles"]
            check(len(candles) == 360 and all(c["backfilled"] for c in candles), f"{len(candles)} AAPL candles")
            check(all(abs(c["close"] - fake_close(c["time"])) < 1e-9 for c in candles), "AAPL closes differ")
            five = srv.get("/api/v1/candles?symbol=AAPL&interval=5m&limit=10000")["candles"]
            check(len(five) == 72, f"{len(five)} 5m candles")
            eur = srv.get("/api/v1/candles?symbol=EUR%2FUSD&interval=1m&limit=10000")["candles"]
            check(len(eur) == 360 and all(c["volume"] == 0 for c in eur), "EUR/USD bars")
            hours = srv.get("/api/v1/candles?symbol=EUR%2FUSD&interval=1h&limit=10000")["candles"]
            check(len(hours) == 6 and all(c["backfilled"] for c in hours), f"{len(hours)} EUR/USD 1h candles")
            check(hours[0]["open"] == eur[0]["open"] and hours[0]["close"] == eur[59]["close"],
                  "the first hour is not rolled up from its minutes")
            check_no_key(every_answer_static(srv), "an API answer")
    finally:
        fk.close()


def every_answer_static(srv):
    return [json.dumps(srv.get(p, expect=None)) for p in ("/api/v1/symbols", "/api/v1/latest", "/metrics")]


if __name__ == "__main__":
    main([test_reconnect_gap_is_backfilled_and_the_key_is_never_shown, test_restart_gap_is_backfilled,
          test_gap_repair_interrupted_by_a_crash_is_finished_after_restart, test_backfill_command])
