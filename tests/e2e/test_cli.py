"""What a user sees: help, bad flags and config, malformed replay lines, bench."""
import json
import os
import re

from mdsp_e2e import TRADES, all_ticks, check, main, run, server, tempdir


def test_help_on_every_subcommand():
    for sub in ["up", "replay", "serve", "bench", "config", "deadletters"]:
        rc, out, err = run([sub, "--help"])
        check("--help" in out and "Usage" in out, f"mdsp {sub} --help prints usage")
    rc, out, err = run(["--help"])
    for sub in ["up", "replay", "serve", "bench"]:
        check(sub in out, f"mdsp --help lists {sub}")


def test_bad_flag_names_the_fix():
    rc, out, err = run(["up", "--source", "kafka:x"], check=False)
    check(rc == 2, f"exit code 2 for a bad source, got {rc}")
    check("use sim, replay:FILE" in err, f"the error says what is accepted: {err}")
    rc, out, err = run(["up", "--set", "engine.allowed_lateness=soon"], check=False)
    check(rc == 2 and "500ms, 2s" in err, f"a bad duration says how to write one: {err}")
    for args in [["process", "--store", "cassandra://127.0.0.1:1/ks"], ["ingest"]]:
        rc, out, err = run(args + ["-d", tempdir("no-kafka")], check=False, timeout=60)
        check(rc == 2 and f"mdsp {args[0]}: needs a Kafka: pass --kafka" in err,
              f"mdsp {args[0]} without --kafka says so first: {err}")
        check("Cassandra" not in err, f"before it opens the store: {err}")


def test_bad_config_file_names_the_key():
    d = tempdir("cfg")
    path = os.path.join(d, "mdsp.toml")
    with open(path, "w") as f:
        f.write("[http]\nport = 9090\nprot = 1\n")
    rc, out, err = run(["config", "--config", path], check=False)
    check(rc == 2, f"exit 2 for an unknown key, got {rc}")
    check("http.prot" in err and ":3:" in err, f"the error names the key and line: {err}")
    with open(path, "w") as f:
        f.write("[http]\nport = 9090\n")
    rc, out, err = run(["config", "--config", path])
    check("http.port = 9090" in out, f"mdsp config shows the file's value: {out}")
    env = dict(os.environ, MDSP_HTTP_PORT="9191")
    import subprocess
    from mdsp_e2e import mdsp_binary
    p = subprocess.run([mdsp_binary(), "config", "--config", path], capture_output=True, text=True, env=env)
    check("http.port = 9191" in p.stdout, f"MDSP_HTTP_PORT overrides the file: {p.stdout}")


def test_malformed_replay_lines_are_dead_lettered():
    d = tempdir("malformed")
    src = os.path.join(d, "binance-xrpeth")
    os.makedirs(src)
    path = os.path.join(src, "trades.csv")
    with open(TRADES) as f:
        lines = f.readlines()[:201]
    lines[50] = "13519856,abc,5.0,15373567,15373567,1570752611620,true\n"
    lines[120] = "13519926,0.0014\n"
    with open(path, "w") as f:
        f.writelines(lines)
    rc, out, err = run(["replay", path, "-d", os.path.join(d, "data")])
    check("trades.csv:51" in err, f"the log names file and line 51: {err}")
    check("trades.csv:121" in err, f"the log names file and line 121: {err}")
    rc, out, err = run(["deadletters", "-d", os.path.join(d, "data")])
    letters = [json.loads(l) for l in out.splitlines() if l.strip()]
    check(len(letters) == 2, f"two dead letters, got {len(letters)}: {out}")
    check(all(l["error_kind"] == "malformed" for l in letters), f"kind malformed: {letters}")
    check(letters[0]["source_offset"] == 51 and "abc" in letters[0]["message"], f"first names line 51: {letters[0]}")
    check(letters[1]["source_offset"] == 121, f"second names line 121: {letters[1]}")
    with server(["serve", "-d", os.path.join(d, "data")]) as s:
        ticks = all_ticks(s, "XRPETH")
        check(len(ticks) == 198, f"the replay went on: {len(ticks)} ticks of 198 good lines")


def test_dead_letters_of_binary_lines_print_as_valid_json():
    """`mdsp deadletters` prints valid UTF-8 JSON lines whatever bytes a line had; raw_base64 keeps them."""
    import base64
    import subprocess
    from mdsp_e2e import mdsp_binary
    d = tempdir("binary-deadletter")
    src = os.path.join(d, "binance-xrpeth")
    os.makedirs(src)
    path = os.path.join(src, "trades.csv")
    with open(TRADES, "rb") as f:
        lines = f.readlines()[:21]
    bad = b"13519856,\xff\xfe0.001,5.0,15373567,15373567,1570752611620,\xc0true"
    lines[10] = bad + b"\n"
    with open(path, "wb") as f:
        f.writelines(lines)
    data = os.path.join(d, "data")
    run(["replay", path, "-d", data])
    p = subprocess.run([mdsp_binary(), "deadletters", "-d", data], capture_output=True, timeout=120)
    check(p.returncode == 0, f"mdsp deadletters succeeds: {p.returncode} {p.stderr!r}")
    try:
        text = p.stdout.decode("utf-8", errors="strict")
    except UnicodeDecodeError as e:
        raise AssertionError(f"the output is not UTF-8 ({e}): {p.stdout!r}")
    letters = [json.loads(l) for l in text.splitlines() if l.strip()]
    check(len(letters) == 1, f"one dead letter: {text}")
    check(base64.b64decode(letters[0]["raw_base64"]) == bad, f"raw_base64 holds the exact bytes: {letters[0]}")
    check("\ufffd" in letters[0]["raw"], f"raw shows the bad bytes as U+FFFD: {letters[0]}")


def test_replay_of_endless_inputs_stops_when_asked():
    """`mdsp replay` of /dev/zero or of a FIFO whose writer stalls ends on SIGTERM (issue 10, item 6)."""
    import signal
    import subprocess
    import time
    from mdsp_e2e import mdsp_binary
    d = tempdir("endless")
    # No header within the line limit: refused at once instead of read forever.
    rc, out, err = run(["replay", "/dev/zero", "-d", os.path.join(d, "zero-csv"), "--format", "csv"], timeout=120,
                       check=False)
    check(rc != 0 and "longer than" in err, f"/dev/zero is no CSV file: {rc} {err}")

    def stops(args, feed=None):
        p = subprocess.Popen([mdsp_binary()] + args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        writer = feed() if feed else None
        time.sleep(1.5)  # let it read what there is and wait for more
        check(p.poll() is None, f"mdsp {args} is still running before the stop")
        p.send_signal(signal.SIGTERM)
        try:
            rc = p.wait(timeout=30)  # a hang detector, not a timing assertion
        except subprocess.TimeoutExpired:
            p.kill()
            raise AssertionError(f"mdsp {args} ignored SIGTERM")
        finally:
            if writer:
                writer.close()
        err = p.stderr.read()
        check(rc == 0 and "stopping" in err, f"mdsp {args} stopped cleanly: {rc} {err}")

    # One endless line: skipped a bounded amount at a time, so the stop is seen.
    stops(["replay", "/dev/zero", "-d", os.path.join(d, "zero-bin"), "--format", "binance", "--symbol", "XRPETH"])
    # A FIFO whose writer sent a header, a tick and half a line, then went quiet.
    fifo = os.path.join(d, "feed.csv")
    os.mkfifo(fifo)

    def feed():
        w = open(fifo, "wb", buffering=0)  # returns once mdsp opened the FIFO
        w.write(b"agg_trade_id,price,qty,first_trade_id,last_trade_id,time_ms,is_buyer_maker\n"
                b"1,0.5,1,1,1,1570752011620,true\n2,0.6")
        return w

    stops(["replay", fifo, "-d", os.path.join(d, "fifo"), "--symbol", "XRPETH"], feed)


def test_second_replay_into_the_same_folder_goes_on():
    """A finished replay does not make the next file's ticks late."""
    d = tempdir("two-replays")
    src = os.path.join(d, "binance-xrpeth")
    os.makedirs(src)
    with open(TRADES) as f:
        lines = f.readlines()
    a, b = os.path.join(src, "a.csv"), os.path.join(src, "b.csv")
    with open(a, "w") as f:
        f.writelines(lines[:101])
    with open(b, "w") as f:
        f.writelines(lines[:1] + lines[101:301])
    data = os.path.join(d, "data")
    run(["replay", a, "-d", data])
    run(["replay", b, "-d", data])
    with server(["serve", "-d", data]) as s:
        ticks = all_ticks(s, "XRPETH")
        check(len(ticks) == 300, f"both files' ticks are stored: {len(ticks)} of 300")
    rc, out, err = run(["deadletters", "-d", data])
    check(out.strip() == "", f"no tick was dead-lettered as late: {out}")


def test_bench_twelvedata_prints_both_rates():
    """`mdsp bench --only twelvedata`: mdsp's and python3-avro's rates, and their ratio."""
    d = tempdir("bench-td")
    rc, out, err = run(["bench", "--only", "twelvedata", "--seconds", "0.3", "-d", d])
    check("pipeline" not in out and "twelvedata TwelveData price events" in out, f"only the phase ran: {out}")
    ours = re.search(r"^ +mdsp +(\d+) ticks/s per core .*; ([0-9.]+) bytes/tick\)$", out, re.M)
    py = re.search(r"^ +python3 +(\d+) ticks/s \(json \+ python3-avro [0-9.]+, .*; ([0-9.]+) bytes/tick\)$",
                   out, re.M)
    check(ours and int(ours.group(1)) > 0, f"mdsp's rate is printed and positive: {out}")
    check(py and int(py.group(1)) > 0, f"python3-avro's rate is printed and positive: {out}")
    # The same records: the framed sizes differ only in the varints of seq and ingest time.
    check(abs(float(ours.group(2)) - float(py.group(2))) < 8, f"both sides encode alike: {out}")
    check(re.search(r"^ +ratio +[0-9.]+ +goal >= 100 -> (met|NOT met)$", out, re.M), f"the ratio is printed: {out}")
    check(os.listdir(d) == [], f"the bench leaves nothing behind: {os.listdir(d)}")


def test_bench_twelvedata_without_python3_avro_says_what_to_install():
    d = tempdir("bench-td-noavro")
    # An `avro` package that fails to import shadows Debian's for the child python3.
    os.makedirs(os.path.join(d, "py", "avro"))
    with open(os.path.join(d, "py", "avro", "__init__.py"), "w") as f:
        f.write("raise ImportError('no avro here')\n")
    import subprocess
    from mdsp_e2e import mdsp_binary
    env = dict(os.environ, PYTHONPATH=os.path.join(d, "py"))
    p = subprocess.run([mdsp_binary(), "bench", "--only", "twelvedata", "--seconds", "0.2", "-d",
                        os.path.join(d, "data")], capture_output=True, text=True, env=env, timeout=300)
    check(p.returncode == 0, f"the bench still succeeds: {p.returncode} {p.stderr}")
    check(re.search(r"^ +mdsp +\d+ ticks/s", p.stdout, re.M), f"mdsp's rate is still printed: {p.stdout}")
    check("python3   not measured: python3-avro is missing" in p.stdout and "apt-get install python3 python3-avro"
          in p.stdout, f"the line says what to install: {p.stdout}")


def test_bench_cassandra_names_what_is_wrong():
    """`mdsp bench --only cassandra --cassandra URI`: a cluster that does not answer, or a URI without a
    keyspace, is a clear error and a failed run that leaves nothing behind (the phase itself, against a
    real Cassandra and Kafka, takes minutes: it is run by hand, README's Speed)."""
    d = tempdir("bench-cass")
    rc, out, err = run(["bench", "--only", "cassandra", "--cassandra", "cassandra://127.0.0.1:1/ks", "-d", d],
                       check=False, timeout=120)
    check(rc == 1, f"exit code 1 when the cluster does not answer, got {rc}: {err}")
    check("pipeline" not in out, f"only the phase ran: {out}")
    check("none of the Cassandra contact points (127.0.0.1:1) answered" in err, f"the error names the host: {err}")
    rc, out, err = run(["bench", "--only", "cassandra", "--cassandra", "cassandra://127.0.0.1:1", "-d", d],
                       check=False, timeout=120)
    check(rc == 1 and "--cassandra: the Cassandra URI needs a keyspace" in err, f"a URI without keyspace: {err}")
    check(os.listdir(d) == [], f"the bench leaves nothing behind: {os.listdir(d)}")


if __name__ == "__main__":
    main([test_help_on_every_subcommand, test_bad_flag_names_the_fix, test_bad_config_file_names_the_key,
          test_malformed_replay_lines_are_dead_lettered, test_dead_letters_of_binary_lines_print_as_valid_json,
          test_replay_of_endless_inputs_stops_when_asked,
          test_second_replay_into_the_same_folder_goes_on,
          test_bench_twelvedata_prints_both_rates, test_bench_twelvedata_without_python3_avro_says_what_to_install,
          test_bench_cassandra_names_what_is_wrong])
