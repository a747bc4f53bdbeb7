"""The image (label image: slow, not in the default run; scripts/test-image).

The repository's Dockerfile is built as users build it, with buildah
(`buildah bud`, chroot isolation, Docker format so that the HEALTHCHECK is
kept), FROM a debian:bookworm-slim that scripts/debian-slim-image makes from
Debian packages: Docker Hub is out of reach here. That base stays in
buildah's storage for the next run (MDSP_IMAGE_FRESH_BASE=1 makes it again);
the mdsp stages are built anew each time. Then, in the image as built:

- its configuration: non-root user, entrypoint, data folder, health check,
  OCI labels;
- its size, printed, under 150 MB;
- `mdsp --help`;
- the Binance reference (`mdsp replay`) gives Binance's 3,560 exact 1m
  candles, compared by tests/e2e/test_reference.py's own check;
- `mdsp up` answers the API and the image's health check from the host, and
  stops cleanly on SIGTERM, as `docker stop` sends it.

buildah runs these containers with chroot isolation, which shares the host's
network. Needs root, buildah and debootstrap (Debian packages that
scripts/setup installs); a missing one fails the test with what to install.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))

import mdsp_e2e  # noqa: E402  (after the path is set)
from mdsp_e2e import KLINES, TRADES, all_candles, check, main, server  # noqa: E402
from test_reference import compare, klines  # noqa: E402

IMAGE = "localhost/mdsp:test"
SIZE_GOAL_MB = 150
USER = "10001:10001"
DATA = "/var/lib/mdsp"
SETUP_HINT = "run scripts/setup (it installs buildah and debootstrap from Debian), then the test again"
# buildah's default isolation needs an OCI runtime; chroot needs none.
ENV = dict(os.environ, BUILDAH_ISOLATION="chroot")

_built = []


def buildah(*args, timeout=600):
    return subprocess.run(["buildah", *args], capture_output=True, text=True, timeout=timeout, env=ENV)


def image_config():
    check(_built, f"{IMAGE} was not built (see test_build)")
    p = buildah("inspect", "--type", "image", IMAGE)
    check(p.returncode == 0, f"buildah inspect {IMAGE}: {p.stderr}")
    return json.loads(p.stdout)["Docker"]["config"]


class container:
    """A working container of the image (`buildah from`), removed on exit.
    command() is the argv that runs mdsp in it; mounts are `buildah run` -v
    options."""

    def __init__(self, name, mounts=()):
        check(_built, f"{IMAGE} was not built (see test_build)")
        self.name = f"mdsp-image-test-{name}-{os.getpid()}"
        self.mounts = [a for m in mounts for a in ("-v", m)]
        p = buildah("from", "--pull=never", "--name", self.name, IMAGE)
        check(p.returncode == 0, f"buildah from {IMAGE}: {p.stderr}")

    def run_argv(self, *argv):
        return ["buildah", "run", "--isolation", "chroot", "--network", "host", *self.mounts, self.name, "--", *argv]

    def command(self):
        return self.run_argv("mdsp")

    def sh(self, script, timeout=60):
        return subprocess.run(self.run_argv("sh", "-c", script), capture_output=True, text=True,
                              timeout=timeout, env=ENV)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        buildah("rm", self.name)


def mdsp_pid(parent):
    """The mdsp process under `buildah run` (buildah -> chroot runtime ->
    chroot exec -> mdsp): signals to buildah itself reach mdsp as SIGKILL,
    so a clean stop has to be asked of mdsp directly."""
    todo = [parent]
    while todo:
        pid = todo.pop()
        try:
            with open(f"/proc/{pid}/comm") as f:
                if f.read().strip() == "mdsp":
                    return pid
            # Go's threads fork too: every task's children.
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as f:
                    todo += [int(c) for c in f.read().split()]
        except FileNotFoundError:
            continue  # gone meanwhile
    raise AssertionError(f"no mdsp process under buildah run (pid {parent})")


class image_server(server):
    """mdsp_e2e.server through `buildah run`. buildah turns a signal to
    itself into SIGKILL for its child, and after a SIGKILL of buildah the
    child can live on (an mdsp serve was left so): every signal goes to
    mdsp itself."""

    def signal(self, sig):
        if self.proc.poll() is None:
            try:
                os.kill(mdsp_pid(self.proc.pid), sig)
            except (AssertionError, ProcessLookupError):
                pass  # mdsp has already gone

    def kill(self):
        self.signal(signal.SIGKILL)
        super().kill()

    def __exit__(self, *exc):
        # As `docker stop`: SIGTERM, SIGKILL only after a grace period (a
        # killed buildah run leaves its folder in /var/tmp behind).
        self.signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()


def test_tools():
    check(os.geteuid() == 0, "buildah's storage and debootstrap need root: run the test as root")
    missing = [t for t in ("buildah", "debootstrap")
               if not (shutil.which(t) or os.path.exists(f"/usr/sbin/{t}"))]
    check(not missing, f"{' and '.join(missing)} not installed: {SETUP_HINT}")
    check(os.path.exists(TRADES) and os.path.exists(KLINES),
          f"the Binance reference is not in {os.path.dirname(TRADES)}: set MDSP_SHARED_DIR to the shared/ folder")


def ignore_patterns(path):
    with open(os.path.join(ROOT, path)) as f:
        return {line.strip() for line in f if line.strip() and not line.startswith("#")}


def test_context():
    """Whatever git ignores (build trees, node_modules, virtualenvs, fetched
    jars, caches) is kept out of the build context too: each .gitignore
    pattern has its .dockerignore twin (anchored `/x/` is `x`, a bare name
    anywhere is `**/x`)."""
    docker = ignore_patterns(".dockerignore")
    for p in sorted(ignore_patterns(".gitignore")):
        twin = p.strip("/") if p.startswith("/") else "**/" + p.rstrip("/")
        check(twin in docker, f".gitignore has {p} but .dockerignore has no {twin}: the build context would carry it")


def test_base_image():
    """debian:bookworm-slim from Debian packages, unless buildah has it. The
    last run's image goes first: a base made again could not replace the
    one it is built on."""
    if buildah("inspect", "--type", "image", IMAGE).returncode == 0:
        p = buildah("rmi", IMAGE)
        check(p.returncode == 0, f"could not remove the last run's {IMAGE}: {p.stderr}")
    force = ["--force"] if os.environ.get("MDSP_IMAGE_FRESH_BASE") == "1" else []
    p = subprocess.run(["nice", "-n", "10", os.path.join(ROOT, "scripts", "debian-slim-image"), *force],
                       capture_output=True, text=True, timeout=1800, env=ENV)
    print(p.stdout.strip(), flush=True)
    check(p.returncode == 0, f"scripts/debian-slim-image failed:\n{p.stderr}")


def test_build():
    """`buildah bud` of the Dockerfile as it is; the builder stage compiles
    mdsp (15 to 25 minutes on 2 cores), under nice."""
    log = os.path.join(mdsp_e2e.tempdir("image"), "build.log")
    with open(log, "w") as out:
        p = subprocess.run(["nice", "-n", "10", "buildah", "bud", "--isolation", "chroot", "--format", "docker",
                            "--pull=never", "-t", IMAGE, "-f", os.path.join(ROOT, "Dockerfile"), ROOT],
                           stdout=out, stderr=subprocess.STDOUT, timeout=3600, env=ENV)
    with open(log) as f:
        text = f.read()
    check(p.returncode == 0, f"buildah bud failed ({log}):\n" + "\n".join(text.splitlines()[-40:]))
    _built.append(IMAGE)
    m = re.search(r"cat /runtime-packages\n(.*?)\n\[2/2\]", text, re.S)
    if m:
        print("runtime packages (from ldd in the build stage):", " ".join(m.group(1).split()), flush=True)


def test_configuration():
    c = image_config()
    check(c.get("User") == USER, f"user {c.get('User')!r}, want {USER} (non-root)")
    check(c.get("Entrypoint") == ["mdsp"], f"entrypoint {c.get('Entrypoint')}")
    check(c.get("Cmd") == ["up", "--http", "0.0.0.0:8080"], f"cmd {c.get('Cmd')}")
    check(c.get("WorkingDir") == DATA and DATA in (c.get("Volumes") or {}), f"data folder: {c}")
    check(f"MDSP_DATA_DIR={DATA}" in c.get("Env", []), f"env {c.get('Env')}")
    check("8080/tcp" in (c.get("ExposedPorts") or {}), f"exposed {c.get('ExposedPorts')}")
    hc = (c.get("Healthcheck") or {}).get("Test") or []
    check(any("/healthz" in t for t in hc), f"no HEALTHCHECK on /healthz: {c.get('Healthcheck')}")
    labels = c.get("Labels") or {}
    for k in ("title", "description", "version", "licenses"):
        check(labels.get(f"org.opencontainers.image.{k}"), f"no OCI label org.opencontainers.image.{k}: {labels}")


def test_size():
    check(_built, f"{IMAGE} was not built (see test_build)")
    p = buildah("images", "--format", "{{.Size}}", IMAGE)
    size = p.stdout.strip()
    print(f"image size ({IMAGE}, buildah images): {size}", flush=True)
    m = re.fullmatch(r"([\d.]+)\s*(kB|MB|GB)", size)
    check(m, f"cannot read the size {size!r}")
    mb = float(m.group(1)) * {"kB": 1e-3, "MB": 1, "GB": 1e3}[m.group(2)]
    check(mb < SIZE_GOAL_MB, f"the image is {size}, the goal is under {SIZE_GOAL_MB} MB")


def test_help():
    with container("help") as c:
        _, out, _ = mdsp_e2e.run(["--help"], command=c.command(), timeout=120)
        for sub in ("up", "replay", "ingest", "process", "serve", "backfill"):
            check(re.search(rf"^\s+{sub}\b", out, re.M), f"`mdsp --help` in the image lists no {sub}:\n{out}")
        p = c.sh("id -u; id -g")
        check(p.stdout.split() == USER.split(":"), f"runs as {p.stdout.split()}, want {USER}: {p.stderr}")


def test_reference_replay():
    """trades.csv replayed into the image's data folder (as its non-root
    user), then served: Binance's 3,560 1m candles, read from the host. The
    folder keeps its name, binance-xrpeth, which tells replay the pair."""
    ref = os.path.dirname(os.path.abspath(TRADES))
    inside = f"/reference/{os.path.basename(ref)}"
    with container("replay", mounts=[f"{ref}:{inside}:ro"]) as c:
        d = f"{DATA}/reference"
        mdsp_e2e.run(["replay", f"{inside}/trades.csv", "-d", d, "--log-level", "warn"], command=c.command(),
                     timeout=900)
        with image_server(["serve", "-d", d], command=c.command()) as s:
            compare(all_candles(s, "XRPETH", "1m"), klines())
            check(s.get("/api/v1/symbols")["symbols"] == ["XRPETH"], "symbols lists XRPETH")


def test_up():
    """`mdsp up` (the simulator) in the image: the API and the image's own
    HEALTHCHECK answer, and SIGTERM stops it with exit code 0."""
    hc = image_config()["Healthcheck"]["Test"]
    with container("up") as c:
        with image_server(["up", "-d", f"{DATA}/up", "--rate", "200"], command=c.command()) as s:
            check(s.get("/healthz") is not None, "/healthz answers")
            s.wait_for(lambda: s.get("/api/v1/symbols")["symbols"], what="the simulator's symbols")
            sym = s.get("/api/v1/symbols")["symbols"][0]
            s.wait_for(lambda: s.get(f"/api/v1/candles?symbol={sym}&interval=1s")["candles"], what=f"{sym} candles")
            # The HEALTHCHECK as the image declares it (port 8080 of its
            # default command; this server has an ephemeral one).
            check(hc[0] == "CMD-SHELL" and "127.0.0.1:8080" in hc[1], f"health check {hc}: not on 127.0.0.1:8080?")
            p = c.sh(hc[1].replace("127.0.0.1:8080", f"127.0.0.1:{s.port}"))
            check(p.returncode == 0, f"the image's health check fails: {p.stdout}{p.stderr}")
            s.signal(signal.SIGTERM)  # as `docker stop` does
            rc = s.proc.wait(timeout=60)
            check(rc == 0, f"mdsp up exits {rc} on SIGTERM, want 0:\n" + "".join(s.lines[-20:]))


if __name__ == "__main__":
    main([test_tools, test_context, test_base_image, test_build, test_configuration, test_size, test_help,
          test_reference_replay, test_up])
