"""checkov (PyPI, offline with --skip-download) on the rendered chart (the
default and the production values), the platform manifests, the Terraform
and the Dockerfile: no failed check. The checks skipped are those of
checkov_skips.yaml, each with its reason."""
import json
import os

from ship_util import HERE, PLATFORM, ROOT, TERRAFORM, check, main, render, run, tmpdir, tool, use_venv

use_venv()
import yaml  # noqa: E402

DOCKERFILE = os.path.join(ROOT, "Dockerfile")


def skips():
    with open(os.path.join(HERE, "checkov_skips.yaml")) as f:
        s = yaml.safe_load(f)
    for check_id, reason in s.items():
        check(isinstance(reason, str) and len(reason.split()) >= 8,
              f"checkov_skips.yaml: {check_id} needs its reason in words")
    return sorted(s)


def checkov(framework, *target):
    args = [tool("checkov"), "--skip-download", "--framework", framework, "-o", "json", "--quiet",
            "--skip-check", ",".join(skips()), *target]
    p = run(args, timeout=600, env={**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"})
    out = p.stdout.strip()
    check(out, f"checkov printed nothing (exit {p.returncode}):\n{p.stderr[-3000:]}")
    reports = json.loads(out)
    reports = reports if isinstance(reports, list) else [reports]
    failed, passed = [], 0
    for r in reports:
        if "results" not in r:
            continue  # {"passed": 0, ...}: nothing of that framework
        passed += r["summary"]["passed"]
        check(r["summary"]["parsing_errors"] == 0, f"checkov {framework} could not parse some files: {r['summary']}")
        failed += [f"{c['check_id']} {c['check_name']}: {c['resource']} ({c['file_path']}:{c['file_line_range']})"
                   for c in r["results"]["failed_checks"]]
    check(not failed, f"checkov {framework} failed {len(failed)} checks:\n" + "\n".join(failed))
    return passed


def test_rendered_chart():
    d = tmpdir("checkov")
    for values in ("default", "production"):
        with open(os.path.join(d, f"{values}.yaml"), "w") as f:
            f.write(render(values))
    passed = checkov("kubernetes", "-d", d)
    check(passed > 100, f"only {passed} checks passed on the rendered chart: did checkov read it?")


def test_platform_manifests():
    check(checkov("kubernetes", "-d", PLATFORM) > 20, "checkov read no platform manifest?")


def test_terraform():
    check(checkov("terraform", "-d", TERRAFORM) >= 1, "checkov read no Terraform?")


def test_dockerfile():
    check(os.path.exists(DOCKERFILE), f"{DOCKERFILE} is missing")
    check(checkov("dockerfile", "-f", DOCKERFILE) > 5, "checkov read no Dockerfile?")


if __name__ == "__main__":
    main([test_rendered_chart, test_platform_manifests, test_terraform, test_dockerfile])
