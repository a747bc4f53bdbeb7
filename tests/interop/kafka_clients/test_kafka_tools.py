"""Kafka's own tools agree with mdsp on the suite's real cluster:
kafka-consumer-groups --describe (ConsumerGroupCommand) shows, partition by
partition, the lag mdsp_consumer_committed_lag reports (log end minus the
group's committed offset); the console consumer reads our keys.

mdsp_consumer_lag is another figure: log end minus where the replica has
read. The two differ by design: the offsets mdsp commits trail what it has
read and stored by up to the largest window (a rebuild must start where that
window does), so the tool's lag stays above 0 after mdsp has read it all."""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "e2e"))
from mdsp_e2e import check, main  # noqa: E402
from mdsp_kafka import reference_up  # noqa: E402


def describe(c, group):
    """{partition: (current offset, log end, lag)} of the group's rows, from ConsumerGroupCommand."""
    p = c.tool("org.apache.kafka.tools.consumer.group.ConsumerGroupCommand", "--bootstrap-server", c.bootstrap,
               "--describe", "--group", group)
    check(p.returncode == 0, f"kafka-consumer-groups --describe: {p.stdout}{p.stderr}")
    rows = {}
    for line in p.stdout.splitlines():
        f = line.split()
        if len(f) >= 6 and f[0] == group and f[2].isdigit():
            cur = None if f[3] == "-" else int(f[3])
            rows[int(f[2])] = (cur, int(f[4]), None if f[5] == "-" else int(f[5]))
    check(rows, f"the group has rows: {p.stdout}")
    return rows


def test_consumer_groups_and_console_consumer_agree():
    with reference_up("tools") as (sp, s):
        # mdsp commits after its store write and once every window is final;
        # wait for the lag gauges and the committed offsets to settle.
        want = {}

        def gauges(name):
            return {int(re.search(r'partition="(\d+)"', k).group(1)): v for k, v in s.metrics().items()
                    if k.startswith(f'{name}{{topic="{sp.ticks}"')}

        def settled():
            rows = describe(sp.cluster, sp.group())
            committed = gauges("mdsp_consumer_committed_lag")
            want.update(rows=rows, committed=committed, read=gauges("mdsp_consumer_lag"))
            return committed and all(rows.get(p, (None, 0, None))[2] == v for p, v in committed.items())

        try:
            s.wait_for(settled, timeout=120, what="kafka-consumer-groups and mdsp to show the same lag")
        except AssertionError as e:
            raise AssertionError(f"{e}\nlast seen: {want}") from None
        rows, committed, read = want["rows"], want["committed"], want["read"]
        print(f"kafka-consumer-groups (current, end, lag): {rows}; mdsp_consumer_committed_lag: {committed}; "
              f"mdsp_consumer_lag (read): {read}", flush=True)
        check(set(rows) == set(committed), f"the same partitions: {sorted(rows)} vs {sorted(committed)}")
        for p, (cur, end, lag) in rows.items():
            check(lag == end - cur, f"partition {p}: the tool's lag is its end minus our commit: {rows[p]}")
            check(read[p] == 0, f"partition {p}: mdsp has read everything: {read}")
        check(sum(end for _, end, _ in rows.values()) == 12477, f"the log ends hold every tick: {rows}")

        out = sp.cluster.tool("org.apache.kafka.tools.consumer.ConsoleConsumer", "--bootstrap-server",
                              sp.bootstrap, "--topic", sp.ticks, "--from-beginning", "--max-messages", "20",
                              "--property", "print.key=true", "--property", "print.value=false",
                              "--timeout-ms", "60000")
        keys = [k for k in out.stdout.splitlines() if k.strip()]
        check(len(keys) == 20 and set(keys) == {"XRPETH"}, f"the console consumer reads our keys: {keys[:5]}")
        check(s.stop() == 0, "mdsp up exits 0")


if __name__ == "__main__":
    main([test_consumer_groups_and_console_consumer_agree])
