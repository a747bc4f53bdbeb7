"""The Topics view's JSON API on the suite's real Kafka cluster (issue 15):
`mdsp up --kafka` replays a CSV with one bad line, then /api/v1/topics must
show the space's topics with the leader, replicas and ISR the cluster itself
reports, a tick read back and decoded with its schema, a page found by time,
the process group with its members and lag, and the dead letter's reason."""
import datetime
import os
import urllib.parse

from mdsp_e2e import check, main, server, tempdir
from mdsp_kafka import space

TRADES = 40


def trades_csv(d):
    """40 trades of two symbols and one line whose price is not a number."""
    path = os.path.join(d, "trades.csv")
    with open(path, "w") as f:
        f.write("time,symbol,price,size\n")
        for i in range(TRADES):
            f.write(f"{1704189600000 + i * 1000},{'AAPL' if i % 2 else 'MSFT'},{190 + i / 10:.2f},{1 + i % 7}\n")
            if i == 20:
                f.write("1704189620500,AAPL,twelve,3\n")
    return path


def test_topics_groups_messages_and_dead_letters_on_kafka():
    sp = space("topicsview", partitions=2)
    d = tempdir("kafka-topics-view")
    with server(["up"] + sp.args() + ["--source", f"replay:{trades_csv(d)}", "-d", os.path.join(d, "data")]) as s:
        s.wait_for(lambda: s.metric("mdsp_pipeline_done") == 1, what="the replay through Kafka")

        # Topics, with the cluster's own view of each partition.
        got = s.get("/api/v1/topics")
        check(got["source"] == "kafka", f"the view reads Kafka: {got['source']}")
        names = [t["name"] for t in got["topics"]]
        check({sp.ticks, sp.candles, sp.deadletter} <= set(names), f"the space's topics are listed: {names}")
        check(not any(n.startswith("__") for n in names), f"Kafka's own topics are left out: {names}")
        ticks = s.get("/api/v1/topics/" + urllib.parse.quote(sp.ticks))
        check(ticks["messages"] == TRADES, f"{TRADES} ticks in {sp.ticks}: {ticks['messages']}")
        meta = sp.cluster.metadata()["topics"][sp.ticks]
        check(len(ticks["partitions"]) == len(meta) == 2, f"two partitions: {ticks['partitions']}")
        for p in ticks["partitions"]:
            leader, replicas, isr = meta[p["partition"]][:3]
            check(p["leader"] == leader and p["replicas"] == replicas and sorted(p["isr"]) == sorted(isr),
                  f"partition {p['partition']}: leader {p['leader']} replicas {p['replicas']} isr {p['isr']} "
                  f"as the cluster says ({leader}, {replicas}, {isr})")
            check(p["leader"] in p["replicas"], f"the leader is a replica: {p}")
            check("size_bytes" not in p or p["size_bytes"] is None, f"size unknown rather than 0: {p}")

        # A page of one partition, decoded; at most the limit.
        busy = next(p for p in ticks["partitions"] if p["end_offset"] - p["start_offset"] >= 5)
        q = f"/api/v1/topics/{urllib.parse.quote(sp.ticks)}/messages?partition={busy['partition']}"
        page = s.get(q + "&offset=0&limit=5")
        msgs = page["messages"]
        check([m["offset"] for m in msgs] == [0, 1, 2, 3, 4], f"offsets 0..4: {[m['offset'] for m in msgs]}")
        v = msgs[0]["value"]
        check(msgs[0].get("value_format") == "avro" and v["symbol"] in ("AAPL", "MSFT")
              and isinstance(v["price"], (int, float)), f"a tick decoded with its schema: {msgs[0]}")
        whole = s.get(q + "&offset=0&limit=100")["messages"]
        check(len(whole) == busy["end_offset"], f"the whole partition in one page: {len(whole)}")

        # By time: the brokers' time index gives the first record at or after it.
        t3 = whole[3]["timestamp_ms"]
        want = next(m["offset"] for m in whole if m["timestamp_ms"] >= t3)
        iso = datetime.datetime.fromtimestamp(t3 / 1000, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        by_time = s.get(q + "&time=" + urllib.parse.quote(iso) + "&limit=3")["messages"]
        check(by_time and by_time[0]["offset"] == want, f"time {iso} opens at offset {want}: {by_time[:1]}")
        past = s.get(q + "&offset=" + str(busy["end_offset"] + 1), expect=400)
        check(past["parameter"] == "offset", f"past the end is 400 naming offset: {past}")
        nope = s.get("/api/v1/topics/" + sp.prefix + "no.such.topic", expect=404)
        check(nope["topic"] == sp.prefix + "no.such.topic", f"an unknown topic is 404 naming it: {nope}")

        # The process group: a member holding the ticks' partitions and its
        # commits. It commits the oldest offset its open windows still need
        # (so lag need not be 0 at the end): lag is end - committed.
        def group():
            gs = s.get("/api/v1/groups")
            check(gs["source"] == "kafka", "groups from Kafka")
            return next((g for g in gs["groups"] if g["id"] == sp.group()), None)

        seen = []

        def caught_up():
            g = group()
            seen[:] = [g]
            ticks_offsets = [o for o in g["offsets"] if o["topic"] == sp.ticks] if g else []
            return len(ticks_offsets) == 2 and all(o["committed"] is not None for o in ticks_offsets)

        try:
            s.wait_for(caught_up, timeout=120, what="the process group's commits")
        except AssertionError as e:
            raise AssertionError(f"{e}\nthe group last seen: {seen}")
        g = group()
        check(g["state"] == "Stable" and g["position"] == "group coordinator", f"state and position: {g}")
        assigned = sorted(p for m in g["members"] for a in m["assignment"] if a["topic"] == sp.ticks
                          for p in [a["partition"]])
        check(assigned == [0, 1], f"its members hold both ticks partitions: {g['members']}")
        tick_offsets = {o["partition"]: o for o in g["offsets"] if o["topic"] == sp.ticks}
        check(sum(o["end_offset"] for o in tick_offsets.values()) == TRADES, f"end offsets: {tick_offsets}")
        for o in g["offsets"]:
            check(0 <= o["committed"] <= o["end_offset"] and o["lag"] == o["end_offset"] - o["committed"],
                  f"lag = end - committed: {o}")
        check(g["lag"] == sum(o["lag"] for o in g["offsets"]), f"the group's lag is its partitions': {g}")

        # The dead letter, read through the same page reads.
        s.wait_for(lambda: len(s.get("/api/v1/deadletters")["letters"]) == 1, timeout=60, what="the dead letter")
        letter = s.get("/api/v1/deadletters")["letters"][0]
        check("twelve" in letter["reason"] or "price" in letter["reason"], f"the dead letter's reason: {letter}")

        # The view's own Kafka clients close with the rest (and leak nothing under ASan).
        rc = s.stop()
        check(rc == 0, f"mdsp up stops cleanly on Ctrl-C: {rc}\n{''.join(s.lines[-20:])}")


if __name__ == "__main__":
    main([test_topics_groups_messages_and_dead_letters_on_kafka])
