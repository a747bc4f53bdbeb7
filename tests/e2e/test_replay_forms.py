"""`mdsp replay` of input in the common forms (issue 15): a gzip of the Binance
reference gives the same candles as the plain file; times, numbers and column
names in their usual spellings; --symbol for files without a symbol; what
--help promises."""
import gzip
import json
import os
import shutil

from mdsp_e2e import TRADES, all_candles, all_ticks, check, main, run, server, tempdir
from test_reference import compare, klines


def test_gzip_replay_equals_the_plain_one():
    d = tempdir("gzip-reference")
    src = os.path.join(d, "binance-xrpeth")
    os.makedirs(src)
    packed = os.path.join(src, "trades.csv.gz")
    with open(TRADES, "rb") as f, gzip.open(packed, "wb") as g:
        shutil.copyfileobj(f, g)
    check(os.path.getsize(packed) < os.path.getsize(TRADES) // 2, "the copy is compressed")
    data = os.path.join(d, "data")
    run(["replay", packed, "-d", data, "--log-level", "warn"])
    with server(["serve", "-d", data]) as s:
        compare(all_candles(s, "XRPETH", "1m"), klines())  # the plain replay's candles (test_reference)
        ticks = all_ticks(s, "XRPETH")
        check(len(ticks) == 12477, f"{len(ticks)} ticks stored, the file has 12,477")
    _, out, _ = run(["deadletters", "-d", data])
    check(out.strip() == "", f"no dead letters: {out}")


def test_forms_of_times_numbers_and_names():
    d = tempdir("forms")
    csv_path = os.path.join(d, "trades.csv")
    with open(csv_path, "w") as f:
        f.write("Timestamp,Pair,P,Qty,venue\n"
                "2024-01-02T03:04:05.123456789Z,AAA,1e-5,2.5E+3,x\n"
                "2024-01-02 05:04:06+02:00,AAA,1.5,1,x\n"
                "1704164647,AAA,1.5,,x\n"
                "1704164648123,AAA,1.5,1,x\n"
                "1704164649123456,AAA,1.5,1,x\n"
                "1704164650123456789,AAA,1.5,1,x\n"
                "1.704164651e9,AAA,+2,1,x\n"
                "not a time,AAA,1.5,1,x\n")
    data = os.path.join(d, "data")
    _, _, err = run(["replay", csv_path, "-d", data])
    check("trades.csv:9" in err and "'not a time' is not a time" in err, f"the bad line is named: {err}")
    _, out, _ = run(["deadletters", "-d", data])
    letters = [json.loads(l) for l in out.splitlines() if l.strip()]
    check(len(letters) == 1 and letters[0]["source_offset"] == 9, f"line 9 is dead-lettered: {letters}")
    with server(["serve", "-d", data]) as s:
        ticks = all_ticks(s, "AAA")
        times = [t["event_time"] for t in ticks]
        check(times == ["2024-01-02T03:04:05.123456Z", "2024-01-02T03:04:06.000000Z",
                        "2024-01-02T03:04:07.000000Z", "2024-01-02T03:04:08.123000Z",
                        "2024-01-02T03:04:09.123456Z", "2024-01-02T03:04:10.123456Z",
                        "2024-01-02T03:04:11.000000Z"], f"every time form: {times}")
        check(ticks[0]["price"] == 1e-5 and ticks[0]["size"] == 2500, f"exponent notation: {ticks[0]}")
        check(ticks[2]["size"] is None and ticks[6]["price"] == 2, f"empty size, +2: {ticks[2]} {ticks[6]}")


def test_files_without_a_symbol_need_the_option():
    d = tempdir("no-symbol")
    path = os.path.join(d, "ticks.jsonl.gz")
    with gzip.open(path, "wt") as f:
        f.write('{"time_ms":1704164645123,"price":"1.5","volume":2}\n')
        f.write('{"time_ms":1704164646123,"price":1.6}\n')
    rc, _, err = run(["replay", path, "-d", os.path.join(d, "a")], check=False)
    check(rc != 0 and "--symbol SYM" in err, f"the error names --symbol: rc {rc}, {err}")
    data = os.path.join(d, "b")
    run(["replay", path, "-d", data, "--symbol", "ABC"])
    with server(["serve", "-d", data]) as s:
        ticks = all_ticks(s, "ABC")
        check([t["event_time"] for t in ticks] == ["2024-01-02T03:04:05.123000Z", "2024-01-02T03:04:06.123000Z"],
              f"both ticks, as ABC: {ticks}")


def test_help_says_what_is_accepted():
    _, out, _ = run(["replay", "--help"])
    for promise in ["time|timestamp|ts", "size|qty|quantity|amount|volume", "symbol|pair|instrument",
                    "_ms", "gzip", "--symbol", "2.5E+3", "+0200"]:
        check(promise in out, f"`mdsp replay --help` mentions {promise}: {out}")


if __name__ == "__main__":
    main([test_gzip_replay_equals_the_plain_one, test_forms_of_times_numbers_and_names,
          test_files_without_a_symbol_need_the_option, test_help_says_what_is_accepted])
