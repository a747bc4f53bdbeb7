"""Property test of the whole pipeline (issue 10): thousands of generated
records, valid ticks mixed with hostile ones, through ingest -> log ->
process -> store, embedded (`mdsp replay`) and through Kafka (the suite's real
3-node cluster: `mdsp ingest --kafka`, `mdsp process --kafka`).

Three input files, one per format that carries outside records: a generic CSV
(time,symbol,price,size), TwelveData JSON lines and a Binance trades CSV (the
only format whose seq is in the data: agg_trade_id). The live TwelveData
connector parses its price events with the same parser as the JSON lines (the
fake feed, mdsp-fake-feed, would add its own prices and gap repair, which a
run without the hostile records could not reproduce); the WebSocket messages
themselves are fuzzed (src/feed/tests/*_ws_fuzz.cc). The hostile files sit in
a folder whose name is not UTF-8, so the source names are outside text too.
Every generated record is labelled:

  good  a valid tick: it must count, exactly as in a run without the others.
        Includes the awkward but valid: out-of-order bursts and stragglers
        within the out-of-orderness, ticks within the allowed lateness
        (revisions), zero sizes, no size, UTF-8 symbols, 64-byte symbols,
        extreme magnitudes.
  bad   must be dead-lettered, each with a reason: malformed lines, NaN / inf /
        negative / zero prices and sizes, far-past (late) and far-future
        times, NUL, control characters and invalid UTF-8 in every string,
        over-long strings and lines.
  dup   a reused Binance trade id: dropped as a duplicate (counted, not a
        dead letter), so it must change nothing either.
  skip  empty lines and TwelveData events that are not prices: ignored.

Properties, for each path: no command fails or crashes; the dead letters are
exactly the bad records (each one found again by its line or its seq, and
nothing else), each with a kind and a message; the candles of every symbol
and interval equal those of a run over the same files without the hostile
records; the data folder starts again afterwards with the same candles.

The seed is printed; MDSP_PROPERTY_SEED=N replays another one.
"""
import base64
import datetime
import json
import os
import random
import urllib.parse

from mdsp_e2e import check, main, run, server, tempdir
from mdsp_kafka import space
from test_kafka import GROUP

SEED = int(os.environ.get("MDSP_PROPERTY_SEED", "20240304"))
T0 = 1709510400  # 2024-03-04T00:00:00Z: long before the wall clock, so nothing valid is "in the future"
INTERVALS = ["1s", "1m", "5m", "1h", "1d"]
GOOD, BAD, DUP, SKIP = "good", "bad", "dup", "skip"
BINANCE_SYMBOL = "XRPETH"

# Text that may not enter anywhere (model::valid_symbol, model::valid_label):
# NUL, C0, DEL and C1 controls, bytes that are not well-formed UTF-8
# (overlong forms, surrogates, above U+10FFFF, cut sequences).
BAD_TEXT = [b"A\x00A", b"\x00", b"AB\x01", b"A\x1b[2J", b"A\x7f", b"A\xc2\x85", b"A\xff", b"\xc3\x28", b"\xc0\xaf",
            b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xe2\x82", b"A\tB"]
# Bad as symbols only: a label (exchange, currency, ...) may have spaces and be longer.
BAD_SYMBOL_ONLY = [b"X" * 65, b"", b"A B"]


def iso(us):
    d = datetime.datetime.fromtimestamp(us / 1e6, datetime.timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class clock:
    """The newest event time so far (us), across all files: the files follow
    each other in time, so every partition's watermark trails it by at most
    the out-of-orderness (2 s) once its symbols have ticked."""

    def __init__(self, start_s):
        self.now = start_s * 1_000_000
        self.burst = []  # event times still to hand out, in shuffled order

    def step(self, rnd):
        self.now += rnd.randint(0, 400_000)
        return self.now

    def jitter(self, rnd):
        """Out of order, within the out-of-orderness: never late."""
        return self.now - rnd.randint(0, 1_500_000)

    def within_lateness(self, rnd):
        """Behind the watermark but within the allowed lateness (1 min) for
        every interval: accepted, as a revision of a final window."""
        return self.now - rnd.randint(5_000_000, 40_000_000)

    def far_past(self, rnd):
        """Past the lateness of every interval, 1d included: late."""
        return self.now - rnd.choice([3 * 86400, 400 * 86400, 20 * 365 * 86400]) * 1_000_000


class feed_file:
    """One input file as labelled lines."""

    def __init__(self, name, header, args=()):
        self.name, self.header, self.args = name, header, list(args)
        self.lines = []  # (kind, bytes, key): key is the line number, or the Binance trade id

    def add(self, kind, line, key=None):
        self.lines.append((kind, line, key))

    def write(self, folder, clean):
        """The file with every record, or only the good ones; returns its path."""
        path = os.path.join(folder, self.name)
        keep = [line for kind, line, _ in self.lines if not clean or kind == GOOD]
        with open(path, "wb") as f:
            f.write(self.header + b"\n" + b"\n".join(keep) + b"\n")
        return path

    def bad_keys(self):
        """The line number (header = 1) or trade id of every bad record."""
        out = set()
        for i, (kind, _, key) in enumerate(self.lines):
            if kind == BAD:
                out.add(key if key is not None else i + 2)
        return out

    def count(self, kind):
        return sum(1 for k, _, _ in self.lines if k == kind)


def good_time(rnd, clk, seen):
    if clk.burst:
        return clk.burst.pop()
    r = rnd.random()
    if seen and r < 0.05:
        return clk.jitter(rnd)
    if seen and r < 0.07:
        return clk.within_lateness(rnd)
    if r < 0.09:
        # An out-of-order burst: 5 to 30 ticks over 1.5 s, in shuffled order.
        clk.burst = sorted(clk.now + rnd.randint(0, 1_500_000) for _ in range(rnd.randint(5, 30)))
        clk.now = clk.burst[-1]
        rnd.shuffle(clk.burst)
        return clk.burst.pop()
    return clk.step(rnd)


def mix(rnd, f, n, good, bad, skip):
    """n records: about 65 % good, 32 % bad, 3 % ignored."""
    for _ in range(n):
        r = rnd.random()
        if r < 0.65:
            f.add(GOOD, good())
        elif r < 0.97:
            f.add(BAD, bad())
        else:
            f.add(SKIP, skip())


def huge(rnd):
    return b"H" * rnd.choice([5_000, 70_000, 300_000])


def csv_file(rnd, clk, n):
    """time,symbol,price,size with ISO or Unix-millisecond times."""
    f = feed_file("ticks.csv", b"time,symbol,price,size")
    symbols = ["AAA", "BB.B", "C/USD", "\u00c4\u00d6\u00dc\u20ac", "E" * 64]
    price = {s: 100.0 + 10 * i for i, s in enumerate(symbols)}
    seen = set()

    def when(us):
        return (iso(us) if rnd.random() < 0.5 else str(us // 1000)).encode()

    def good():
        s = rnd.choice(symbols)
        t = good_time(rnd, clk, s in seen)
        seen.add(s)
        price[s] = round(max(0.01, price[s] + rnd.uniform(-0.5, 0.5)), 2)
        size = rnd.choice([str(rnd.randint(1, 500)), "0", "", "0.001", "1e3"])
        if rnd.random() < 0.01:  # extreme but finite: stored, never a crash
            return b"%s,XTREME,%s,%s" % (when(t), rnd.choice([b"1e300", b"1e-300", b"1.7e308"]), b"1e300")
        return b"%s,%s,%s,%s" % (when(t), s.encode(), repr(price[s]).encode(), size.encode())

    def bad():
        s = rnd.choice(sorted(seen) or symbols).encode()
        t = when(clk.now)
        p, z = repr(rnd.uniform(1, 100)).encode(), b"10"
        # Far past is late only once the symbol's partition has a watermark.
        kind = rnd.randrange(10) if seen else 0
        if kind == 0:
            return b"%s,%s,%s,%s" % (t, s, rnd.choice([b"nan", b"NaN", b"inf", b"-inf", b"-1", b"0", b"-0", b"1e999",
                                                       b"1e-999", b"0x1p3", b"abc", b""]), z)
        if kind == 1:
            return b"%s,%s,%s,%s" % (t, s, p, rnd.choice([b"nan", b"inf", b"-1", b"-1e-9", b"1e400", b"x"]))
        if kind == 2:
            return b"%s,%s,%s,%s" % (when(clk.far_past(rnd)), s, p, z)
        if kind == 3:
            return b"%s,%s,%s,%s" % (rnd.choice([b"2100-01-01T00:00:00Z", b"9999-12-31T23:59:59Z", b"4102444800000",
                                                 b"99999999999999999999", b"2024-02-30T00:00:00Z", b"yesterday"]),
                                     s, p, z)
        if kind in (4, 5, 6):
            sym = rnd.choice(BAD_TEXT + BAD_SYMBOL_ONLY + [huge(rnd)])
            if sym.strip(b" \t\r") != sym or b"," in sym or b'"' in sym:
                sym = b"Q" + sym.strip(b" \t\r") + b"\x01"
            return b"%s,%s,%s,%s" % (t, sym, p, z)
        if kind == 7:
            return b"%s,%s,%s" % (t, s, p) + b",1" * rnd.randint(2, 20)  # too many fields
        if kind == 8:
            return b"G" + bytes(rnd.choice([c for c in range(256) if c not in b",\n"]) for _ in range(rnd.randint(0, 80)))
        return b"%s,%s,%s,%s" % (t, b"\"" + s, p, z)  # an unclosed quote

    mix(rnd, f, n, good, bad, lambda: b"")
    f.add(BAD, b"%s,AAA,1,1,%s" % (when(clk.now), b"L" * (1 << 20)))  # a line past max_line_bytes
    f.add(BAD, b"%s,%s,1,1" % (when(clk.now), b"S" * 1_000_000))  # a line just within it: a huge tick
    return f


def json_text(b):
    """Bytes as the inside of a JSON string: controls as \\u escapes (valid
    JSON carrying a control character), other bytes as they are (invalid
    UTF-8 stays invalid: not valid JSON)."""
    out = b""
    for c in b:
        if c < 0x20 or c in (0x22, 0x5c, 0x7f):
            out += b"\\u%04x" % c
        else:
            out += bytes([c])
    return out


def jsonl_file(rnd, clk, n):
    """TwelveData price events, and events that are not prices."""
    f = feed_file("ticks.jsonl", b'{"event":"heartbeat","status":"ok"}')
    symbols = ["AAPL", "EUR/USD", "BTC/USD"]
    labels = {"currency": b"USD", "exchange": b"NASDAQ", "mic_code": b"XNGS", "type": b"Common Stock"}
    price = {s: 50.0 + 7 * i for i, s in enumerate(symbols)}
    seen = set()

    def event(sym, us, p, fields=None, raw=b""):
        out = b'{"event":"price","symbol":"%s","timestamp":%s,"price":%s' % (
            json_text(sym), ("%.3f" % (us / 1e6)).encode(), p)
        for k, v in (fields or labels).items():
            out += b',"%s":"%s"' % (k.encode(), json_text(v))
        return out + raw + b"}"

    def good():
        s = rnd.choice(symbols)
        us = good_time(rnd, clk, s in seen) // 1000 * 1000  # whole milliseconds
        seen.add(s)
        price[s] = round(max(0.01, price[s] + rnd.uniform(-0.2, 0.2)), 3)
        extra = rnd.choice([b"", b',"bid":%r,"ask":%r' % (price[s] - 0.01, price[s] + 0.01), b',"day_volume":0',
                            b',"day_volume":%d' % rnd.randint(1, 10**9), b',"bid":0'])
        return event(s.encode(), us, repr(price[s]).encode(), raw=extra)

    def bad():
        s = rnd.choice(sorted(seen) or symbols).encode()
        p = repr(price[s.decode()]).encode()
        kind = rnd.randrange(8) if seen else 0
        if kind == 0:
            return event(s, clk.now, rnd.choice([b"0", b"-1", b"1e400", b'"abc"', b"null", b"[]", b"-0.0"]))
        if kind == 1:
            return event(s, clk.now, p, raw=rnd.choice([b',"bid":-1', b',"ask":1e999', b',"day_volume":-3',
                                                        b',"bid":"x"']))
        if kind == 2:
            return event(s, clk.far_past(rnd), p)
        if kind == 3:
            return (b'{"event":"price","symbol":"%s","timestamp":%s,"price":%s}'
                    % (s, rnd.choice([b"4102444800", b"1e20", b"-5", b'"soon"', b"253402300800"]), p))
        if kind == 4:
            return event(rnd.choice(BAD_TEXT + BAD_SYMBOL_ONLY + [huge(rnd)]), clk.now, p)
        if kind in (5, 6):
            fields = dict(labels)
            fields[rnd.choice(sorted(fields))] = rnd.choice(BAD_TEXT + [huge(rnd)])
            return event(s, clk.now, p, fields)
        return rnd.choice([b"{", b"[1,2]", b'"price"', b'{"event":"price"', b'{"event":1}', b"\xff\xfe{}",
                           b'{"event":"price","symbol":"\\ud800","timestamp":1,"price":1}'])

    mix(rnd, f, n, good, bad, lambda: rnd.choice([b"", b'{"event":"heartbeat","status":"ok"}',
                                                  b'{"event":"subscribe-status","status":"ok","success":[],"fails":[]}']))
    return f


def binance_file(rnd, clk, n):
    """agg_trade_id,price,qty,first_trade_id,last_trade_id,time_ms,is_buyer_maker:
    the seq is the trade id, so ids can be reused (duplicates)."""
    f = feed_file("trades.csv", b"agg_trade_id,price,qty,first_trade_id,last_trade_id,time_ms,is_buyer_maker",
                  ["--symbol", BINANCE_SYMBOL])
    next_id, price, used, lines = 1_000_000, 0.5, [], []

    def row(i, p, q, us):
        return b"%d,%s,%s,%d,%d,%d,%s" % (i, p, q, i, i, us // 1000, rnd.choice([b"true", b"false"]))

    for _ in range(n):
        r = rnd.random()
        next_id += rnd.randint(1, 3)
        if r < 0.65 or not used:
            price = round(max(0.0001, price + rnd.uniform(-0.001, 0.001)), 5)
            us = good_time(rnd, clk, bool(used)) // 1000 * 1000
            f.add(GOOD, row(next_id, repr(price).encode(), str(rnd.randint(0, 900)).encode(), us))
            used.append(next_id)
        elif r < 0.75:
            f.add(DUP, row(rnd.choice(used[-50:]), b"%r" % (price * 2), b"7", clk.now))  # a reused id
        else:
            kind = rnd.randrange(4)
            p, q = repr(price).encode(), b"5"
            if kind == 0:
                p = rnd.choice([b"nan", b"inf", b"0", b"-0.5", b"1e999"])
            elif kind == 1:
                q = rnd.choice([b"nan", b"-1", b"inf", b"q"])
            us = clk.far_past(rnd) if kind == 2 else clk.now
            line = row(next_id, p, q, us)
            if kind == 3:
                line = rnd.choice([b"%d,%s,5,1,1,%d,maybe" % (next_id, p, us // 1000),
                                   b"%d,%s,5,1,1,-7,true" % (next_id, p), b"x%d,1,1,1,1,1,true" % next_id])
            # Malformed lines are dead letters of their line; a late tick of its trade id (its seq).
            f.add(BAD, line, key=next_id if kind == 2 else None)
    return f


def generate(seed):
    rnd = random.Random(seed)
    clk = clock(T0)
    files = [csv_file(rnd, clk, 1500)]
    clk.now += 60_000_000
    files.append(jsonl_file(rnd, clk, 900))
    clk.now += 60_000_000
    files.append(binance_file(rnd, clk, 700))
    return files


# --- reading the results back ------------------------------------------------

def read_long(b, i):
    shift = value = 0
    while True:
        c = b[i]
        i += 1
        value |= (c & 0x7F) << shift
        shift += 7
        if c < 0x80:
            return (value >> 1) ^ -(value & 1), i


def decode_tick(raw):
    """(source, seq, trade_id) of a framed Avro tick (schemas/tick.avsc), or None."""
    try:
        if raw[:5] != b"\x00\x00\x00\x00\x01":
            return None
        i = 5
        strings = []
        for optional in (False, False, True, True, True, True):
            if optional:
                branch, i = read_long(raw, i)
                if branch == 0:
                    continue
            n, i = read_long(raw, i)
            strings.append(raw[i:i + n])
            i += n
        _, i = read_long(raw, i)  # event_time
        _, i = read_long(raw, i)  # ingest_time
        i += 8  # price
        for _ in range(4):  # size, day_volume, bid, ask
            branch, i = read_long(raw, i)
            i += 8 if branch else 0
        branch, i = read_long(raw, i)
        trade_id = None
        if branch:
            trade_id, i = read_long(raw, i)
        seq, i = read_long(raw, i)
        return strings[1].decode(errors="replace"), seq, trade_id
    except IndexError:
        return None


def deadletters(args):
    rc, out, err = run(["deadletters", "-n", "1000000", "--log-level", "warn"] + args)
    # split("\n"), not splitlines(): JSON strings may hold U+0085 and U+2028 as they are.
    return [json.loads(line) for line in out.split("\n") if line.strip()]


def check_dead_letters(letters, files):
    """Each letter names its record (the line of a file, or the tick's seq =
    line number or trade id: in source_offset for what the feed or ingest
    refused, in the raw tick for what the process stage refused) and says
    why; together they are every bad record."""
    found = {f.name: set() for f in files}
    by_name = {f.name: f for f in files}
    strays = []
    for d in letters:
        check(d.get("error_kind") and d.get("message"), f"a dead letter without a kind or a reason: {d}")
        topic, raw = d.get("source_topic", ""), base64.b64decode(d.get("raw_base64", ""))
        f, key = None, None
        if topic.startswith("file:") or topic.startswith("feed:replay:"):
            # A line the replay could not parse, or a tick ingest refused: its seq.
            f, key = by_name.get(os.path.basename(topic)), d["source_offset"]
        else:
            t = decode_tick(raw)
            if t and t[0].startswith("replay:"):
                f = by_name.get(os.path.basename(t[0]))
                key = t[2] if t[2] is not None else t[1]
        if f is None or key not in f.bad_keys():
            strays.append(d)
            continue
        found[f.name].add(key)
    check(not strays, f"{len(strays)} dead letters are not of a bad record, e.g. "
          + json.dumps(strays[:3])[:3000])
    for f in files:
        missed = sorted(f.bad_keys() - found[f.name])
        lines = {i + 2: line for i, (_, line, _) in enumerate(f.lines)}
        check(not missed, f"{f.name}: {len(missed)} bad records are not dead letters: "
              + "; ".join(repr(lines.get(k, k))[:200] for k in missed[:8]))


def symbols_of(files):
    out = set()
    for f in files:
        for kind, line, _ in f.lines:
            if kind != GOOD:
                continue
            if f.name.endswith(".jsonl"):
                out.add(json.loads(line)["symbol"])
            elif f.name.endswith(".csv") and f.args:
                out.add(BINANCE_SYMBOL)
            else:
                out.add(line.split(b",")[1].decode())
    return sorted(out)


def candles(srv, symbols):
    """Every candle of every symbol and interval, as the API answers them."""
    out = {}
    for sym in symbols:
        q = urllib.parse.quote(sym, safe="")
        for iv in INTERVALS:
            frm, got = "0", []
            while True:
                page = srv.get(f"/api/v1/candles?symbol={q}&interval={iv}&from={frm}&limit=10000")["candles"]
                got.extend(page)
                if len(page) < 10000:
                    break
                frm = str(page[-1]["time"] + 1)
            out[(sym, iv)] = got
    return out


def stored(data, symbols):
    with server(["serve", "-d", data, "--log-level", "warn"]) as s:
        return candles(s, symbols)


def same_candles(got, want, what):
    check(got.keys() == want.keys(), f"{what}: other series")
    total = 0
    for k in sorted(want):
        a, b = got[k], want[k]
        total += len(b)
        check(len(a) == len(b), f"{what}: {k}: {len(a)} candles, {len(b)} without the hostile records")
        for x, y in zip(a, b):
            check(x == y, f"{what}: {k}: with hostile records {x}\nwithout {y}")
    check(total > 1000, f"{what}: only {total} candles: the test tests too little")
    return total


def replay_all(files, paths, data, extra=()):
    for f, p in zip(files, paths):
        run(["replay", p, "-d", data, "--log-level", "error"] + f.args + list(extra), timeout=600)


def make_inputs(name):
    print(f"property seed {SEED} (MDSP_PROPERTY_SEED=N for another)", flush=True)
    files = generate(SEED)
    d = tempdir(name)
    # The hostile files sit in a folder whose name is not UTF-8 and has a
    # control character: the source names made from it are outside text too.
    hostile_dir = os.path.join(d, os.fsdecode(b"hostile-\xff\x1b"))
    os.mkdir(hostile_dir)
    clean_dir = os.path.join(d, "clean")
    os.mkdir(clean_dir)
    hostile = [f.write(hostile_dir, False) for f in files]
    clean = [f.write(clean_dir, True) for f in files]
    for f in files:
        print(f"  {f.name}: {f.count(GOOD)} good, {f.count(BAD)} bad, {f.count(DUP)} reused ids, "
              f"{f.count(SKIP)} ignored", flush=True)
    return files, hostile, clean, d


def test_embedded():
    files, hostile, clean, d = make_inputs("property")
    symbols = symbols_of(files)
    data, data_clean = os.path.join(d, "data"), os.path.join(d, "data-clean")
    replay_all(files, hostile, data)
    replay_all(files, clean, data_clean)
    check_dead_letters(deadletters(["-d", data]), files)
    check(deadletters(["-d", data_clean]) == [], "the clean run has no dead letters")
    want = stored(data_clean, symbols)
    n = same_candles(stored(data, symbols), want, "embedded")
    print(f"  embedded: {n} candles of {len(symbols)} symbols equal", flush=True)
    # The folder starts again: the whole pipeline with another source, then
    # the same files once more (all of it read before: nothing changes).
    with server(["up", "-d", data, "--symbols", "SIM/USD", "--log-level", "warn"]) as s:
        s.wait_for(lambda: s.metric("mdsp_ingest_ticks_total") > 0, what="ticks from the simulator")
        check(s.stop() == 0, "mdsp up on the hostile run's folder exits 0 on Ctrl-C")
    replay_all(files, hostile, data)
    same_candles(stored(data, symbols), want, "embedded, restarted")


def test_kafka():
    files, hostile, clean, d = make_inputs("property-kafka")
    symbols = symbols_of(files)
    got = {}
    for name, paths in (("hostile", hostile), ("clean", clean)):
        # Each run in topics and a group of its own on the suite's cluster.
        sp = space("property-" + name)
        for f, p in zip(files, paths):
            run(["ingest"] + sp.args() + ["--source", f"replay:{p}", "-d", os.path.join(d, "i-" + name),
                 "--log-level", "error"] + f.args, timeout=600)
        data = os.path.join(d, "p-" + name)
        # GROUP: a short session, so that the restart below does not wait for
        # the coordinator to drop the member that left.
        process = ["process"] + sp.args() + ["-d", data, "--exit-when-done", "--log-level", "error"] + GROUP
        run(process, timeout=600)
        letters = deadletters(sp.args() + ["-d", data])
        if name == "hostile":
            check_dead_letters(letters, files)
        else:
            check(letters == [], f"the clean run has no dead letters: {letters[:3]}")
        got[name] = stored(data, symbols)
        # The replica's folder starts again: nothing new, nothing changes.
        run(process, timeout=600)
        same_candles(stored(data, symbols), got[name], f"kafka {name}, restarted")
    n = same_candles(got["hostile"], got["clean"], "kafka")
    print(f"  kafka: {n} candles of {len(symbols)} symbols equal", flush=True)


if __name__ == "__main__":
    main([test_embedded, test_kafka])
