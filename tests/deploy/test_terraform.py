"""The Terraform of deploy/terraform: every .tf file parses (hcl2, the
python-hcl2 fork that checkov brings); every variable has a description and
a type, and those that carry secrets are sensitive; providers are pinned in
required_providers; what the module reads (the chart, the platform
manifests, the schema) exists; the example root module passes only
variables the module declares."""
import glob
import os
import re

from ship_util import ROOT, TERRAFORM, check, main, use_venv

use_venv()
import hcl2  # noqa: E402  (from .venv-deploy)

SECRET_WORDS = ("password", "api_key", "secret", "token")


def attr(body, key, default=None):
    """An attribute's value: checkov's hcl2 fork wraps each in a list."""
    v = body.get(key, default)
    return v[0] if isinstance(v, list) and len(v) == 1 else v


def args_of(body):
    return {k for k in body if not k.startswith("__")}


def parse(path):
    with open(path) as f:
        try:
            return hcl2.load(f)
        except Exception as e:  # noqa: BLE001 (the parser's errors have no common base)
            raise AssertionError(f"{os.path.relpath(path, ROOT)} does not parse: {e}")


def modules():
    """folder -> [parsed files]: the module and each example."""
    out = {}
    for path in sorted(glob.glob(os.path.join(TERRAFORM, "**", "*.tf"), recursive=True)):
        out.setdefault(os.path.dirname(path), []).append((path, parse(path)))
    check(TERRAFORM in out and len(out) >= 2, f"want the module and an example under {TERRAFORM}: {sorted(out)}")
    return out


def blocks(parsed_files, kind):
    for path, doc in parsed_files:
        for block in doc.get(kind, []):
            for name, body in block.items():
                yield path, name, body


def test_variables_documented():
    n = 0
    for folder, files in modules().items():
        for path, name, body in blocks(files, "variable"):
            where = f"{os.path.relpath(path, ROOT)}: variable {name}"
            check(str(attr(body, "description", "")).strip(), f"{where} has no description")
            check("type" in body, f"{where} has no type")
            if any(w in name for w in SECRET_WORDS):
                check(attr(body, "sensitive") is True, f"{where} carries a secret but is not sensitive")
            n += 1
        for path, name, body in blocks(files, "output"):
            check(str(attr(body, "description", "")).strip(), f"{os.path.relpath(path, ROOT)}: output {name} has no description")
    check(n >= 20, f"only {n} variables")


def test_providers_pinned():
    for folder, files in modules().items():
        terraform = [b for _, doc in files for b in doc.get("terraform", [])]
        check(terraform, f"{os.path.relpath(folder, ROOT)}: no terraform block")
        providers = {}
        for t in terraform:
            for rp in t.get("required_providers", []):
                providers.update({k: attr(rp, k) for k in args_of(rp)})
            check(attr(t, "required_version"), f"{os.path.relpath(folder, ROOT)}: no required_version")
        check({"helm", "kubernetes"} <= set(providers), f"{os.path.relpath(folder, ROOT)}: providers {sorted(providers)}")
        for name, p in providers.items():
            check(re.fullmatch(r"(~>|=)\s*\d+\.\d+\.\d+", attr(p, "version", "")),
                  f"{os.path.relpath(folder, ROOT)}: provider {name} version {p.get('version')!r} is not pinned to a patch series")
            check(attr(p, "source") == f"hashicorp/{name}", f"provider {name}: source {p.get('source')}")


def test_module_reads_files_that_exist():
    files = modules()[TERRAFORM]
    text = "".join(open(p).read() for p, _ in files)
    refs = re.findall(r'"\$\{path\.module\}/([^"$]+)"', text) + re.findall(r'\$\{local\.platform\}/([\w.-]+)', text)
    check(refs, "the module reads no files?")
    for ref in refs:
        path = os.path.join(TERRAFORM, ref) if not ref.endswith(".yaml") else os.path.join(TERRAFORM, "..", "k8s", "platform", ref)
        check(os.path.exists(os.path.normpath(path)), f"the module reads {ref}, which does not exist ({path})")
    releases = {name: body for _, name, body in blocks(files, "resource") if name == "helm_release"}
    check(releases, "no helm_release")
    names = set()
    for _, name, body in blocks(files, "resource"):
        if name == "helm_release":
            names |= set(body)
    check({"strimzi", "k8ssandra", "mdsp"} <= names, f"helm releases: {sorted(names)}")


def test_example_passes_declared_variables():
    declared = {name: body for _, name, body in blocks(modules()[TERRAFORM], "variable")}
    required = {n for n, b in declared.items() if "default" not in b}
    for folder, files in modules().items():
        if folder == TERRAFORM:
            continue
        for path, name, body in blocks(files, "module"):
            args = {k for k in args_of(body) if k not in ("source", "version", "providers", "depends_on", "count", "for_each")}
            unknown = args - set(declared)
            check(not unknown, f"{os.path.relpath(path, ROOT)}: module {name} passes undeclared {sorted(unknown)}")
            missing = required - args
            check(not missing, f"{os.path.relpath(path, ROOT)}: module {name} misses required {sorted(missing)}")


if __name__ == "__main__":
    main([test_variables_documented, test_providers_pinned, test_module_reads_files_that_exist,
          test_example_passes_declared_variables])
