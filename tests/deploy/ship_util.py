"""Helpers for the offline tests of the deployment files (Helm chart,
platform manifests, Terraform, Compose, Dockerfile): where the tools are,
rendering the chart, and what the mdsp binary accepts (subcommands, flags,
settings), so the files are checked against the real command line.

The tools come from scripts/setup: helm (a Go module, into /usr/local/bin),
checkov and kubernetes-validate (PyPI, into .venv-deploy), docker-compose (Debian).
A missing tool fails the test with the line to run; nothing is skipped."""
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
DEPLOY = os.path.join(ROOT, "deploy")
CHART = os.path.join(DEPLOY, "helm", "mdsp")
PLATFORM = os.path.join(DEPLOY, "k8s", "platform")
TERRAFORM = os.path.join(DEPLOY, "terraform")
COMPOSE = os.path.join(ROOT, "compose.yaml")
# scripts/setup's virtualenv of the deployment tools; MDSP_VENV names
# another (one made to try new requirements without touching it).
VENV = os.environ.get("MDSP_VENV") or os.path.join(ROOT, ".venv-deploy")
VENV_PYTHON = os.path.join(VENV, "bin", "python")
NAMESPACE = "mdsp"

# Flags the deployment files may use before the binary has them (none now:
# --store landed); the test checks every other flag against `mdsp <cmd> --help`.
PENDING_FLAGS = set()

# The environment variables that carry secrets, by what reads them.
SECRET_ENV = {"TWELVEDATA_API_KEY", "MDSP_KAFKA_PROPERTIES_SASL_PASSWORD", "MDSP_CASSANDRA_PASSWORD"}

SETUP_HINT = "run scripts/setup (it installs the deployment tools), then the test again"


class failure(AssertionError):
    pass


def check(cond, msg):
    if not cond:
        raise failure(msg)


def main(tests):
    """Runs each test; prints one line each and 'N passed, N failed'."""
    passed = failed = 0
    for t in tests:
        try:
            t()
            print(f"PASS {t.__name__}")
            passed += 1
        except Exception as e:  # noqa: BLE001 (report every test, then fail)
            print(f"FAIL {t.__name__}: {e}")
            failed += 1
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


def use_venv():
    """Re-runs this script with .venv-deploy's Python (checkov,
    kubernetes-validate, hcl2 and PyYAML live there) unless it already is
    that Python."""
    if os.path.realpath(sys.prefix) == os.path.realpath(VENV):
        return
    if not os.path.exists(VENV_PYTHON):
        sys.exit(f"FAIL: {VENV_PYTHON} is missing: {SETUP_HINT}")
    os.execv(VENV_PYTHON, [VENV_PYTHON] + sys.argv)


def tool(name):
    """The path of a command-line tool, or a failure that says what to run."""
    for d in [os.path.dirname(sys.executable), "/usr/local/bin"]:
        p = os.path.join(d, name)
        if os.path.exists(p):
            return p
    p = shutil.which(name)
    check(p, f"{name} is not installed: {SETUP_HINT}")
    return p


def run(args, timeout=600, cwd=None, env=None):
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, cwd=cwd, env=env)


def tmpdir(name):
    root = os.environ.get("MDSP_TEST_TMP") or tempfile.gettempdir()
    os.makedirs(root, exist_ok=True)
    return tempfile.mkdtemp(prefix=f"mdsp-{name}-", dir=root)


# --- the chart -----------------------------------------------------------------

# Helm built by `go install` assumes Kubernetes 1.20 unless told (release
# builds set it at link time); the chart needs 1.27 or later.
KUBE_VERSION = "1.27.0"
VALUES = {"default": [], "production": ["-f", os.path.join(CHART, "values-production.yaml")]}


def helm(*args):
    return run([tool("helm"), *args])


def render(values="default", extra=()):
    """`helm template` of the chart: the manifests as text."""
    p = helm("template", "mdsp", CHART, "--namespace", NAMESPACE, "--kube-version", KUBE_VERSION, *VALUES[values], *extra)
    check(p.returncode == 0, f"helm template ({values} values) failed:\n{p.stderr}")
    return p.stdout


def docs(text):
    import yaml

    return [d for d in yaml.safe_load_all(text) if d]


def pod_specs(manifests):
    """(resource name, pod spec) of every workload."""
    for d in manifests:
        kind, spec = d["kind"], d.get("spec", {})
        if kind in ("Deployment", "StatefulSet", "DaemonSet", "Job"):
            yield d["metadata"]["name"], spec["template"]["spec"]
        elif kind == "CronJob":
            yield d["metadata"]["name"], spec["jobTemplate"]["spec"]["template"]["spec"]


# --- what the mdsp binary accepts -----------------------------------------------

def mdsp_bin():
    path = os.environ.get("MDSP_BIN")
    check(path and os.path.exists(path), "MDSP_BIN must name the built mdsp binary (ctest sets it)")
    return path


_help_cache = {}


def flags_of(subcommand):
    """The long flags `mdsp SUBCOMMAND --help` lists (and the short ones)."""
    if subcommand not in _help_cache:
        p = run([mdsp_bin(), subcommand, "--help"], timeout=60)
        check(p.returncode == 0, f"`mdsp {subcommand} --help` failed: not a subcommand?\n{p.stdout}{p.stderr}")
        _help_cache[subcommand] = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*|-[a-z])\b", p.stdout))
    return _help_cache[subcommand]


_settings = None


def settings():
    """{path: env variable} of every setting `mdsp config` lists."""
    global _settings
    if _settings is None:
        p = run([mdsp_bin(), "config"], timeout=60)
        check(p.returncode == 0, f"`mdsp config` failed:\n{p.stderr}")
        _settings = dict(re.findall(r"^(\S+) = .*\n\s+.*\[env (MDSP_\w+)\]$", p.stdout, re.M))
        check(len(_settings) > 20, f"could not read the settings from `mdsp config`:\n{p.stdout[:500]}")
    return _settings


def setting_exists(path):
    """A setting `mdsp config` lists; kafka.properties.* pass through to librdkafka."""
    return path in settings() or path.startswith("kafka.properties.")


def check_mdsp_command(where, argv):
    """argv: [subcommand, flags...] as a container runs mdsp. The subcommand
    and every flag exist (PENDING_FLAGS aside), and every --set KEY names a setting."""
    check(argv, f"{where}: no mdsp arguments")
    sub, rest = argv[0], argv[1:]
    known = flags_of(sub)
    for i, a in enumerate(rest):
        if not a.startswith("-"):
            continue
        flag = a.split("=", 1)[0]
        if flag in PENDING_FLAGS:
            continue
        check(flag in known, f"{where}: `mdsp {sub}` has no flag {flag} (it has {', '.join(sorted(known))})")
        if flag == "--set":
            key = (a.split("=", 1)[1] if "=" in a else rest[i + 1]).split("=", 1)[0]
            check(setting_exists(key), f"{where}: --set {key}: no such setting in `mdsp config`")


def mdsp_argv_in_shell(script):
    """The mdsp argument list of a `sh -c` script that execs mdsp (shell
    expansions left as they are: only the flags matter)."""
    import shlex

    m = re.search(r"\bmdsp\s+(.*)$", script, re.S)
    check(m, f"no mdsp command in the script: {script!r}")
    return shlex.split(m.group(1))
