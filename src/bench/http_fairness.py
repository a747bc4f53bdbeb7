#!/usr/bin/env python3
"""Do large answers starve other clients? (issue 10, item 5)

Replays the shared Binance trades into a fresh data folder, starts `mdsp serve`
on it, and then, in two phases:

  wrk      Debian's wrk with 64 connections (2 threads) fetches
           /api/v1/ticks?symbol=XRPETH&limit=10000 (about 3.7 MB each) for
           --seconds, while one probe client asks /healthz and
           /api/v1/latest?symbol=XRPETH in turn, each on a new connection.
  silent   --silent connections each send that request and never read; the
           same probes run meanwhile.

Prints, per phase: wrk's rate and latencies, the probes' p50/p99/max latency
and failures, the server's RSS (before, peak) and the 503s it refused with.

    src/bench/http_fairness.py [--mdsp build/release/src/app/mdsp] [--seconds 20]

Figures only; nothing is asserted.
"""
import argparse
import http.client
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))  # src/bench -> the repository
TRADES = os.path.join(os.environ.get("MDSP_SHARED_DIR", os.path.join(ROOT, "..", "shared")), "data",
                      "binance-xrpeth", "trades.csv")
BIG = "/api/v1/ticks?symbol=XRPETH&limit=10000"


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class sampler:
    """Probes /healthz and /api/v1/latest and samples the server's RSS until stopped."""

    def __init__(self, port, pid):
        self.port, self.pid = port, pid
        self.lat = {"/healthz": [], "/api/v1/latest?symbol=XRPETH": []}
        self.fail = {k: 0 for k in self.lat}
        self.rss_peak = 0
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._probe, daemon=True),
                         threading.Thread(target=self._rss, daemon=True)]

    def __enter__(self):
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *a):
        self._stop.set()
        for t in self._threads:
            t.join()

    def _probe(self):
        while not self._stop.is_set():
            for path in self.lat:
                t0 = time.perf_counter()
                try:
                    c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                    c.request("GET", path)
                    r = c.getresponse()
                    r.read()
                    c.close()
                    ok = r.status == 200
                except OSError:
                    ok = False
                if ok:
                    self.lat[path].append(time.perf_counter() - t0)
                else:
                    self.fail[path] += 1
            time.sleep(0.02)

    def _rss(self):
        while not self._stop.is_set():
            self.rss_peak = max(self.rss_peak, rss_kib(self.pid))
            time.sleep(0.05)

    def report(self):
        for path, xs in self.lat.items():
            xs = sorted(xs)
            if not xs:
                print(f"    {path:32s} no answer ({self.fail[path]} failures)")
                continue
            pct = lambda p: xs[min(len(xs) - 1, int(p * len(xs)))] * 1000
            print(f"    {path:32s} n={len(xs):5d}  p50 {pct(0.5):7.1f} ms  p99 {pct(0.99):7.1f} ms  "
                  f"max {xs[-1] * 1000:7.1f} ms  failures {self.fail[path]}")
        print(f"    server RSS peak {self.rss_peak / 1024:.0f} MiB")


def refused(port):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("GET", "/metrics")
    text = c.getresponse().read().decode()
    return sum(float(m.group(1)) for m in re.finditer(r"^mdsp_http_refused_total\{[^}]*\} (\S+)$", text, re.M))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mdsp", default=os.path.join(ROOT, "build", "release", "src", "app", "mdsp"))
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--silent", type=int, default=400)
    args = ap.parse_args()
    if not shutil.which("wrk"):
        sys.exit("http_fairness: wrk is missing: apt-get install wrk (scripts/setup installs it)")
    work = tempfile.mkdtemp(prefix="mdsp-fairness-")
    try:
        src = os.path.join(work, "binance-xrpeth")
        os.makedirs(src)
        shutil.copy(TRADES, src)
        data = os.path.join(work, "data")
        subprocess.run([args.mdsp, "replay", os.path.join(src, "trades.csv"), "-d", data, "--log-level", "warn"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        srv = subprocess.Popen([args.mdsp, "serve", "-d", data, "--http", "127.0.0.1:0", "--log-level", "warn"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        port = None
        for line in srv.stderr:
            m = re.search(r"API listening on http://[\d.]+:(\d+)", line)
            if m:
                port = int(m.group(1))
                break
        threading.Thread(target=lambda: srv.stderr.read(), daemon=True).start()
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            c.request("GET", BIG)
            size = len(c.getresponse().read())
            print(f"mdsp serve (pid {srv.pid}) on port {port}; {BIG} is {size / 1e6:.2f} MB; "
                  f"RSS {rss_kib(srv.pid) / 1024:.0f} MiB at rest")

            print(f"\nwrk: {args.connections} connections on the large answer for {args.seconds} s")
            r0 = refused(port)
            with sampler(port, srv.pid) as s:
                w = subprocess.run(["wrk", "-t2", f"-c{args.connections}", f"-d{args.seconds}s", "--latency",
                                    "--timeout", "10s", f"http://127.0.0.1:{port}{BIG}"],
                                   capture_output=True, text=True)
            for line in w.stdout.splitlines():
                if re.match(r"\s+(Latency|Req/Sec|50%|99%|Non-2xx|Socket errors)|Requests/sec|Transfer/sec", line):
                    print("    wrk " + line.strip())
            s.report()
            print(f"    refused with 503: {refused(port) - r0:.0f}")

            print(f"\nsilent: {args.silent} connections ask for the large answer and never read")
            r0 = refused(port)
            socks = []
            with sampler(port, srv.pid) as s:
                for _ in range(args.silent):
                    k = socket.socket()
                    k.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect: a small window
                    k.connect(("127.0.0.1", port))
                    k.sendall(f"GET {BIG} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
                    socks.append(k)
                time.sleep(min(args.seconds, 10))
            s.report()
            print(f"    refused with 503: {refused(port) - r0:.0f}")
            for k in socks:
                k.close()
        finally:
            srv.terminate()
            srv.wait(timeout=30)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
