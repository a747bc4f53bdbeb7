"""mdsp on the suite's real Cassandra (--store cassandra://...): the Binance
reference replayed into Cassandra and read back through `mdsp serve --store`
gives all 3,560 of Binance's 1m klines; a flagged price spike marks its
candles in Cassandra too; a wrong password and a missing
keyspace fail with messages that say what to fix, and the password is never
printed."""
import os

import mdsp_cassandra
from mdsp_e2e import TRADES, all_candles, all_ticks, check, main, run, server, tempdir
from test_quality import T0, crafted
from test_reference import compare, klines


def setup():
    c = mdsp_cassandra.cluster()
    check(c.auth is not None, "the suite's Cassandra runs with authentication")
    env = dict(os.environ, MDSP_CASSANDRA_PASSWORD=c.auth["password"])
    return c, env


def uri(c, keyspace):
    return f"cassandra://{c.contact_points}/{keyspace}?user={c.auth['username']}"


def test_reference_through_cassandra():
    c, env = setup()
    ks = mdsp_cassandra.keyspace_name("reference")
    rf = mdsp_cassandra.replication_factor(c)
    store = ["--store", uri(c, ks)]
    d = tempdir("cassandra-reference")
    run(["replay", TRADES, "-d", d, "--log-level", "warn", *store, "--set", "store.cassandra_init=true",
         "--set", f"store.cassandra_replication={{'class': 'SimpleStrategy', 'replication_factor': {rf}}}"],
        env=env)
    # serve needs no data folder: everything is in Cassandra.
    with server(["serve", "-d", os.path.join(d, "not-there"), *store], env=env) as s:
        compare(all_candles(s, "XRPETH", "1m"), klines())
        check(s.get("/api/v1/symbols")["symbols"] == ["XRPETH"], "symbols lists XRPETH")
        ticks = all_ticks(s, "XRPETH")
        check(len(ticks) == 12477, f"{len(ticks)} ticks stored, the file has 12,477")
    # A second replay of the same file changes nothing (idempotent upserts).
    run(["replay", TRADES, "-d", tempdir("cassandra-reference-again"), "--log-level", "warn", *store], env=env)
    with server(["serve", *store], env=env) as s:
        compare(all_candles(s, "XRPETH", "1m"), klines())


def test_spike_flag_through_cassandra():
    """A flagged price spike marks its candles in Cassandra's candles.spike
    column, read back through the API (test_quality.py does it embedded)."""
    c, env = setup()
    ks = mdsp_cassandra.keyspace_name("spike")
    rf = mdsp_cassandra.replication_factor(c)
    store = ["--store", uri(c, ks)]
    d = tempdir("cassandra-spike")
    path = os.path.join(d, "ticks.csv")
    crafted(path)
    run(["replay", path, "-d", os.path.join(d, "data"), "--log-level", "warn", *store, "--set",
         "store.cassandra_init=true", "--set",
         f"store.cassandra_replication={{'class': 'SimpleStrategy', 'replication_factor': {rf}}}"], env=env)
    with server(["serve", *store], env=env) as s:
        minutes = all_candles(s, "AAA", "1m", start=str(T0))
        check([m["spike"] for m in minutes] == [False, True], f"the spike's minute is marked: {minutes}")
        marked = [k["time"] - T0 for k in all_candles(s, "AAA", "1s", start=str(T0)) if k["spike"]]
        check(marked == [90], f"only the spike's second is marked: {marked}")


def test_bad_credentials_and_missing_keyspace():
    c, env = setup()
    password = c.auth["password"]
    bad = dict(env, MDSP_CASSANDRA_PASSWORD="not-the-password")
    rc, out, err = run(["replay", TRADES, "-d", tempdir("cassandra-badpw"), "--store", uri(c, "market")],
                       check=False, env=bad)
    check(rc != 0, "a wrong password fails")
    check("MDSP_CASSANDRA_PASSWORD" in err and c.auth["username"] in err,
          f"the error names the user and the setting: {err[-600:]}")
    check("not-the-password" not in out + err and password not in out + err, "no password is printed")

    ks = mdsp_cassandra.keyspace_name("missing")
    rc, out, err = run(["replay", TRADES, "-d", tempdir("cassandra-noks"), "--store", uri(c, ks)],
                       check=False, env=env)
    check(rc != 0, "a missing keyspace fails")
    check("store.cassandra_init=true" in err and "schema.cql" in err,
          f"the error says how to create the keyspace: {err[-600:]}")
    check(password not in out + err, "no password is printed")


if __name__ == "__main__":
    main([test_reference_through_cassandra, test_spike_flag_through_cassandra,
          test_bad_credentials_and_missing_keyspace])
