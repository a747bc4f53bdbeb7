"""promtool (Debian's prometheus package) on the shipped Prometheus files:
the config and the rules check, and the rules' unit tests pass."""
import os

from deploy_util import HERE, PROMETHEUS_YML, RULES_YML, check, main, promtool, write_temp


def test_check_config():
    p = promtool("check", "config", PROMETHEUS_YML)
    check(p.returncode == 0, f"promtool check config failed:\n{p.stdout}{p.stderr}")
    check("1 rule files found" in p.stdout + p.stderr, f"prometheus.yml does not load the rules file:\n{p.stdout}{p.stderr}")


def test_check_rules():
    p = promtool("check", "rules", RULES_YML)
    check(p.returncode == 0, f"promtool check rules failed:\n{p.stdout}{p.stderr}")
    check("10 rules found" in p.stdout + p.stderr, f"expected the 10 alerts:\n{p.stdout}{p.stderr}")


def test_check_rules_rejects_a_broken_file():
    # The check above can fail: the same rules with one expression broken.
    with open(RULES_YML) as f:
        text = f.read()
    broken = write_temp("broken-rules-", text.replace("== 0", "== = 0", 1))
    p = promtool("check", "rules", broken)
    check(p.returncode != 0, f"promtool accepted a broken expression:\n{p.stdout}{p.stderr}")


def test_rule_unit_tests():
    p = promtool("test", "rules", os.path.join(HERE, "rules_test.yml"))
    check(p.returncode == 0 and "SUCCESS" in p.stdout, f"promtool test rules failed:\n{p.stdout}{p.stderr}")


if __name__ == "__main__":
    main([test_check_config, test_check_rules, test_check_rules_rejects_a_broken_file, test_rule_unit_tests])
