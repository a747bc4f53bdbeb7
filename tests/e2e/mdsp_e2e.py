"""Helpers for end-to-end tests: run the mdsp binary, talk to its HTTP API."""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

SHARED = os.environ.get("MDSP_SHARED_DIR", os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared"))
TRADES = os.path.join(SHARED, "data", "binance-xrpeth", "trades.csv")
KLINES = os.path.join(SHARED, "data", "binance-xrpeth", "klines_1m.csv")


def mdsp_binary():
    path = os.environ.get("MDSP_BIN")
    if not path or not os.path.exists(path):
        sys.exit("MDSP_BIN must name the built mdsp binary")
    return path


def tempdir(name):
    root = os.environ.get("MDSP_TEST_TMP") or tempfile.gettempdir()
    d = tempfile.mkdtemp(prefix=f"mdsp-{name}-", dir=root)
    return d


def run(args, timeout=600, check=True, env=None, command=None):
    """Runs mdsp to completion; returns (rc, stdout, stderr). command: the
    argv that starts mdsp (default [MDSP_BIN]; the image test runs it inside
    the image through `buildah run`)."""
    p = subprocess.run((command or [mdsp_binary()]) + args, capture_output=True, text=True, timeout=timeout, env=env)
    if check and p.returncode != 0:
        raise AssertionError(f"mdsp {' '.join(args)} exited {p.returncode}\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}")
    return p.returncode, p.stdout, p.stderr


class server:
    """A long-running mdsp (up or serve) on an ephemeral port."""

    def __init__(self, args, ready_timeout=60, env=None, log=None, command=None):
        """log: a file that every line mdsp writes to stderr is appended to
        (what a failed multi-process test needs afterwards). command: as for
        run()."""
        self.args = args
        self.log = log
        self.proc = subprocess.Popen((command or [mdsp_binary()]) + args + ["--http", "127.0.0.1:0"],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        self.lines = []
        self.out_lines = []
        self.port = None
        self._port_seen = threading.Event()
        self._t = threading.Thread(target=self._read, daemon=True)
        self._t.start()
        self._out = threading.Thread(target=lambda: self.out_lines.extend(self.proc.stdout), daemon=True)
        self._out.start()
        if not self._port_seen.wait(ready_timeout):
            self.kill()
            raise AssertionError(f"mdsp {' '.join(args)} did not report its HTTP port:\n" + "".join(self.lines))

    def _read(self):
        out = open(self.log, "a") if self.log else None
        for line in self.proc.stderr:
            self.lines.append(line)
            if out:
                out.write(line)
                out.flush()
            m = re.search(r"listening on http://[0-9.]+:(\d+)", line)
            if m and self.port is None:
                self.port = int(m.group(1))
                self._port_seen.set()

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def get(self, path, expect=200):
        try:
            with urllib.request.urlopen(self.url(path), timeout=120) as r:
                body = r.read().decode()
                code = r.status
                ctype = r.headers.get("Content-Type", "")
        except urllib.error.HTTPError as e:
            body = e.read().decode()
            code = e.code
            ctype = e.headers.get("Content-Type", "")
        if expect is not None and code != expect:
            raise AssertionError(f"GET {path}: {code}, wanted {expect}: {body}")
        return json.loads(body) if "json" in ctype else body

    def metrics(self):
        """Prometheus text -> {name{labels}: value}."""
        out = {}
        for line in self.get("/metrics").splitlines():
            if not line or line.startswith("#"):
                continue
            key, _, val = line.rpartition(" ")
            out[key] = float(val)
        return out

    def metric(self, name, default=0.0):
        return self.metrics().get(name, default)

    def wait_for(self, cond, timeout=300, what="condition"):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"mdsp exited {self.proc.returncode} while waiting for {what}:\n"
                                     + "".join(self.lines[-40:]))
            try:
                if cond():
                    return
            except (urllib.error.URLError, ConnectionError):
                pass
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}:\n" + "".join(self.lines[-40:]))

    def kill(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        """Ctrl-C, as a user would; returns the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError("mdsp did not stop within 60 s of SIGINT")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()


def all_candles(srv, symbol, interval, start="1970-01-01T00:00:00Z"):
    """Every candle of (symbol, interval) from start on, through the paged API."""
    out = []
    frm = start
    while True:
        page = srv.get(f"/api/v1/candles?symbol={symbol}&interval={interval}&from={frm}&limit=10000")["candles"]
        out.extend(page)
        if len(page) < 10000:
            return out
        frm = str(page[-1]["time"] + 1)


def all_ticks(srv, symbol, start="1970-01-01T00:00:00Z"):
    out = []
    frm = start
    seen = set()
    while True:
        page = srv.get(f"/api/v1/ticks?symbol={symbol}&from={frm}&limit=10000")["ticks"]
        fresh = [t for t in page if (t["event_time"], t["seq"]) not in seen]
        for t in fresh:
            seen.add((t["event_time"], t["seq"]))
        out.extend(fresh)
        if len(page) < 10000:
            return out
        frm = page[-1]["event_time"]


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def in_venv(script, package):
    """Runs script again with the .venv's python (scripts/setup makes it from
    tests/requirements.txt) unless this is that python already: for tests that
    need a package Debian does not have (cassandra-driver, confluent-kafka)."""
    venv = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".venv")
    python = os.path.join(venv, "bin", "python")
    if os.path.realpath(sys.prefix) == os.path.realpath(venv):
        return
    if not os.path.exists(python):
        sys.exit(f"{package} is not installed: run scripts/setup (it makes .venv from tests/requirements.txt)")
    os.execv(python, [python, os.path.abspath(script)] + sys.argv[1:])


def main(tests):
    """Runs the given test functions; prints 'N passed, N failed'."""
    passed = failed = 0
    for t in tests:
        start = time.time()
        try:
            t()
            passed += 1
            print(f"PASS {t.__name__} ({time.time() - start:.1f}s)", flush=True)
        except Exception as e:  # report every failure, then go on
            failed += 1
            print(f"FAIL {t.__name__}: {e}", flush=True)
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


class ws_client:
    """A minimal WebSocket client (RFC 6455) over a plain socket, enough for
    /api/v1/stream: the upgrade, masked text frames out, text frames in
    (answering pings). The standard library has none, and this spares a package."""

    def __init__(self, port, path="/api/v1/stream", timeout=30):
        import base64
        import socket
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n")
                          .encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise AssertionError(f"{path}: the server closed during the upgrade: {head!r}")
            head += chunk
        head, _, self.buf = head.partition(b"\r\n\r\n")
        status = head.split(b"\r\n", 1)[0]
        if b" 101 " not in status + b" ":
            raise AssertionError(f"{path}: no WebSocket upgrade: {head.decode(errors='replace')}")

    def _exact(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("the server closed the WebSocket")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _send(self, opcode, payload):
        mask = os.urandom(4)
        n = len(payload)
        head = bytes([0x80 | opcode])
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + n.to_bytes(2, "big")
        else:
            head += bytes([0x80 | 127]) + n.to_bytes(8, "big")
        self.sock.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def send_json(self, obj):
        self._send(0x1, json.dumps(obj).encode())

    def recv_json(self):
        """The next text message, parsed; answers pings on the way."""
        data = b""
        while True:
            b0, b1 = self._exact(2)
            n = b1 & 0x7f
            if n == 126:
                n = int.from_bytes(self._exact(2), "big")
            elif n == 127:
                n = int.from_bytes(self._exact(8), "big")
            mask = self._exact(4) if b1 & 0x80 else None
            payload = self._exact(n)
            if mask:
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            opcode = b0 & 0x0f
            if opcode == 0x9:
                self._send(0xA, payload)
            elif opcode == 0x8:
                raise ConnectionError(f"the server closed the WebSocket: {payload[2:].decode(errors='replace')}")
            elif opcode in (0x0, 0x1):
                data += payload
                if b0 & 0x80:
                    return json.loads(data)

    def close(self):
        try:
            self._send(0x8, (1000).to_bytes(2, "big"))
        except OSError:
            pass
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
