"""Hostile single inputs that used to crash mdsp or brick its data folder (issue 10, items 1, 2 and 8).

Each test runs the release of today's defect: the same command twice, since a
bad record already in the durable log used to fail every restart as well."""
import json
import os

from mdsp_e2e import check, main, run, server, tempdir


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def deadletters(d):
    rc, out, err = run(["deadletters", "-d", d])
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def summary_count(err, what):
    """The figure before `what` in the replay's closing summary line."""
    for line in err.splitlines():
        if "ticks ingested" in line:
            words = line.replace(",", "").split()
            for i, w in enumerate(words):
                if w == what.split()[0] and i > 0 and words[i - 1].isdigit():
                    return int(words[i - 1])
    raise AssertionError(f"no summary line with '{what}' in:\n{err}")


def test_far_future_tick_is_dead_lettered_and_the_folder_starts_again():
    d = tempdir("future")
    f = os.path.join(d, "f.csv")
    write(f, b"time,symbol,price,size\n2024-01-02T00:00:00Z,AAA,100,1\n2030-01-02T00:00:00Z,AAA,102,1\n")
    data = os.path.join(d, "data")
    for attempt in (1, 2):
        rc, out, err = run(["up", "--source", "replay:" + f, "-d", data, "--exit-when-done", "--http", "127.0.0.1:0"],
                           timeout=300, check=False)
        check(rc == 0, f"mdsp up (run {attempt}) exits 0 with a far-future tick in the file: {rc}\n{err[-2000:]}")
    letters = deadletters(data)
    future = [x for x in letters if x.get("error_kind") == "invalid" and "ahead of the clock" in x.get("message", "")]
    check(len(future) == 1, f"the 2030 tick is one dead letter with the reason: {letters}")


def test_a_month_of_silence_at_1s_costs_a_bounded_number_of_candles():
    d = tempdir("gap")
    f = os.path.join(d, "f.csv")
    write(f, b"time,symbol,price,size\n2024-01-02T00:00:00Z,AAA,100,1\n2024-02-02T00:00:00Z,AAA,102,1\n")
    rc, out, err = run(["replay", f, "-d", os.path.join(d, "data")], timeout=300)
    writes = summary_count(err, "candle writes")
    # 2.7 million 1s windows lie between the two ticks: the engine emits them
    # as one run and the store keeps only the candles with ticks.
    check(writes <= 20, f"a month-long gap writes the candles of its two ticks, not millions: {writes}")


def test_nul_and_control_characters_in_symbols_are_dead_lettered_and_the_rest_is_stored():
    d = tempdir("nul")
    f = os.path.join(d, "f.csv")
    write(f, b"time,symbol,price,size\n"
             b"2024-01-02T00:00:00Z,AAA,100,1\n"
             b"2024-01-02T00:00:01Z,BBB\x00,101,1\n"
             b"2024-01-02T00:00:02Z,C\x01C,102,1\n"
             b"2024-01-02T00:00:03Z,AAA,103,1\n")
    data = os.path.join(d, "data")
    rc, out, err = run(["replay", f, "-d", data], timeout=300)
    check(summary_count(err, "processed") == 2, f"the two good ticks are processed: {err[-1500:]}")
    letters = deadletters(data)
    check(len(letters) == 2, f"both bad symbols are dead letters with a reason: {letters}")
    with server(["serve", "-d", data]) as s:
        candles = s.get("/api/v1/candles?symbol=AAA&interval=1m&from=2024-01-02")["candles"]
        check(len(candles) == 1 and candles[0]["volume"] == 2, f"AAA's good ticks are stored: {candles}")
    # TwelveData JSON lines with an escaped NUL, replayed into the same folder.
    j = os.path.join(d, "td.jsonl")
    write(j, b'{"event":"price","symbol":"AAPL\\u0000X","timestamp":1704153610,"price":190.1}\n'
             b'{"event":"price","symbol":"AAPL","timestamp":1704153611,"price":190.2}\n')
    rc, out, err = run(["replay", j, "-d", data], timeout=300)
    check(summary_count(err, "processed") == 1, f"the good TwelveData event is processed: {err[-1500:]}")
    # And the folder starts again with the simulator.
    with server(["up", "-d", data]) as s:
        s.wait_for(lambda: (s.metric("mdsp_ingest_ticks_total") or 0) > 0, what="ticks from the simulator")


def test_replay_summary_counts_late_dead_letters():
    d = tempdir("late")
    f = os.path.join(d, "f.csv")
    write(f, b"time,symbol,price,size\n"
             b"2024-01-02T00:00:00Z,AAA,100,1\n"
             b"2024-01-02T01:00:00Z,AAA,101,1\n"
             b"2024-01-02T00:00:05Z,AAA,99,1\n")  # an hour late: past the allowed lateness
    rc, out, err = run(["replay", f, "-d", os.path.join(d, "data")], timeout=300)
    check(summary_count(err, "dead letters") == 1, f"the summary counts the late tick's dead letter: {err[-800:]}")


def test_duplicate_intervals_and_a_missing_serve_folder_name_the_fix():
    rc, out, err = run(["config", "--set", "engine.intervals=1s,1s"], check=False)
    check(rc == 2 and "listed twice" in err, f"duplicate intervals are refused by mdsp config: {rc} {err}")
    missing = os.path.join(tempdir("missing"), "nope")
    rc, out, err = run(["serve", "-d", missing, "--http", "127.0.0.1:0"], timeout=60, check=False)
    check(rc != 0 and "does not exist" in err, f"serve names the missing folder: {rc} {err}")
    check(not os.path.exists(missing), "serve does not create the folder it was pointed at")


if __name__ == "__main__":
    main([test_far_future_tick_is_dead_lettered_and_the_folder_starts_again,
          test_a_month_of_silence_at_1s_costs_a_bounded_number_of_candles,
          test_nul_and_control_characters_in_symbols_are_dead_lettered_and_the_rest_is_stored,
          test_replay_summary_counts_late_dead_letters,
          test_duplicate_intervals_and_a_missing_serve_folder_name_the_fix])
