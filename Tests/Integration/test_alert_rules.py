"""Deploy/prometheus: the scrape config and the alert rules, checked with the real promtool (Debian's Prometheus
2.42) and a real Prometheus that loads the rules while scraping the exporter on the live test cluster.

Static checks: promtool check config / check rules (lint, no warnings) / test rules; the structure of every alert
(severity, summary, description, runbook_url to a RUNBOOK.md section, `for:`, unit tests firing and quiet); the
generated PrometheusRule. Live: every rule evaluates without error on real data, every metric the rules read
exists, the recording rules give sane numbers, the healthy cluster raises no alert, and two real faults (a dead
scrape target, an exporter whose seed refuses connections) make exactly the expected alerts pending.
"""
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest
import yaml

from conftest import REPO, Exporter, Prometheus, free_port, run

PROM_DIR = REPO / "Deploy/prometheus"
ALERTS = PROM_DIR / "alerts.yml"
ALERTS_TEST = PROM_DIR / "alerts_test.yml"
RUNBOOK = REPO / "Deploy/RUNBOOK.md"
PROMETHEUS_RULE = REPO / "Deploy/kubernetes/prometheusrule.yaml"
GENERATOR = REPO / "scripts/gen-prometheusrule.py"
SEVERITIES = {"critical", "warning", "info"}


def promtool(*args):
    binary = shutil.which("promtool")
    assert binary, "promtool not on PATH: run scripts/install-prometheus.sh (make tools does)"
    return subprocess.run([binary, *map(str, args)], cwd=PROM_DIR, capture_output=True, text=True, timeout=300)


def load(path):
    return yaml.safe_load(path.read_text())


def rules():
    return [rule for group in load(ALERTS)["groups"] for rule in group["rules"]]


def alerts():
    return [rule for rule in rules() if "alert" in rule]


def duration_seconds(text):
    """A Prometheus duration such as 1m, 90s, 1h30m."""
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
    parts = re.findall(r"(\d+)(ms|s|m|h|d|w|y)", text)
    assert parts and "".join(n + u for n, u in parts) == text, f"not a duration: {text!r}"
    return sum(int(n) * units[u] for n, u in parts)


def github_anchor(heading):
    """The anchor GitHub gives a Markdown heading: lower case, punctuation dropped, spaces as dashes."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def runbook_anchors():
    return {github_anchor(line[3:]) for line in RUNBOOK.read_text().splitlines() if line.startswith("## ")}


PROMQL_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool",
                   "offset", "inf", "nan"}


def metric_names(expr):
    """Metric names read by a PromQL expression: identifiers left once strings, label matchers, ranges and label
    lists are removed, and that are not function calls or keywords."""
    s = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    s = re.sub(r"'(?:[^'\\]|\\.)*'", "''", s)
    s = re.sub(r"\{[^}]*\}", " ", s)
    s = re.sub(r"\[[^\]]*\]", " ", s)
    s = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", s)
    names = set()
    for match in re.finditer(r"(?<![\w:.])([A-Za-z_:][\w:]*)(\s*\()?", s):
        if not match.group(2) and match.group(1).lower() not in PROMQL_KEYWORDS:
            names.add(match.group(1))
    return names


def test_metric_name_extraction():
    """The helper the live test relies on finds names and nothing else."""
    expr = ('label_replace(a:b:c > 2 and on (x) group_left () sum without (slot) (rate(valkey_x_total{s="y z"}[5m]))'
            ' > 1e6, "dimension", "keys", "", "") or absent(up{job="valkey-cluster-exporter"}) unless ignoring (state) time() - q')
    assert metric_names(expr) == {"a:b:c", "valkey_x_total", "up", "q"}


# ---------------------------------------------------------------- promtool


def test_promtool_check_rules_clean():
    result = promtool("check", "rules", "--lint=all", "--lint-fatal", ALERTS.name)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert f"SUCCESS: {len(rules())} rules found" in out, out
    assert not re.search(r"warn|lint|duplicate", out, re.IGNORECASE), out


@pytest.mark.parametrize("config", ["prometheus.yml", "scrape-config.yml"])
def test_promtool_check_config(config):
    result = promtool("check", "config", config)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert f"SUCCESS: {config} is valid prometheus config file syntax" in out, out
    assert not re.search(r"warn", out, re.IGNORECASE), out


def test_prometheus_yml_uses_the_scrape_job_and_the_rules():
    full, fragment = load(PROM_DIR / "prometheus.yml"), load(PROM_DIR / "scrape-config.yml")
    assert full["rule_files"] == ["alerts.yml"]
    assert len(fragment["scrape_configs"]) == 1
    job = fragment["scrape_configs"][0]
    assert job["job_name"] == "valkey-cluster-exporter", "the alert rules select job=\"valkey-cluster-exporter\""
    assert [c for c in full["scrape_configs"] if c["job_name"] == "valkey-cluster-exporter"] == [job], \
        "prometheus.yml's valkey job differs from scrape-config.yml"
    # The exporter's default collection interval is 15 s; the timeout must fit inside the interval.
    assert duration_seconds(job["scrape_interval"]) == 15
    assert duration_seconds(job["scrape_timeout"]) < duration_seconds(job["scrape_interval"])
    assert job["sample_limit"] >= 70000, "6 nodes with all slots are ~65,700 samples"


def test_promtool_unit_tests_pass():
    result = promtool("test", "rules", ALERTS_TEST.name)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert "SUCCESS" in out and "FAILED" not in out, out


# ---------------------------------------------------------------- structure


def test_every_alert_is_complete_documented_and_tested():
    names = [a["alert"] for a in alerts()]
    assert len(names) == len(set(names)), f"duplicate alert names: {names}"
    assert len(names) >= 12
    anchors = runbook_anchors()
    urls = [a["annotations"]["runbook_url"] for a in alerts()]
    prefixes = {url.split("#")[0] for url in urls}
    assert len(prefixes) == 1 and next(iter(prefixes)).endswith("/Deploy/RUNBOOK.md"), prefixes

    cases = [case for group in load(ALERTS_TEST)["tests"] for case in group.get("alert_rule_test", [])]
    for alert in alerts():
        name = alert["alert"]
        assert alert.get("labels", {}).get("severity") in SEVERITIES, name
        assert duration_seconds(alert.get("for", "")) >= 60, f"{name}: `for:` missing or under 1m"
        annotations = alert.get("annotations", {})
        for key in ("summary", "description", "runbook_url"):
            assert annotations.get(key, "").strip(), f"{name}: no {key}"
        assert "$labels." in annotations["description"] and "$value" in annotations["description"], \
            f"{name}: the description should name label values and the value"
        anchor = annotations["runbook_url"].split("#", 1)[1]
        assert anchor == name.lower() and anchor in anchors, f"{name}: no RUNBOOK.md section for #{anchor}"

        mine = [case for case in cases if case["alertname"] == name]
        firing = [case for case in mine if case.get("exp_alerts")]
        quiet = [case for case in mine if case.get("exp_alerts") == []]
        assert firing and quiet, f"{name}: alerts_test.yml needs a firing and a quiet case"
        for case in firing:
            for expected in case["exp_alerts"]:
                assert expected["exp_labels"].get("severity") == alert["labels"]["severity"], name
                assert set(expected["exp_annotations"]) == {"summary", "description", "runbook_url"}, name
    assert {github_anchor(n) for n in names} == anchors, "RUNBOOK.md sections and alerts differ"


def test_prometheusrule_is_generated_from_alerts_yml(tmp_path):
    result = run(sys.executable, GENERATOR, "--check", check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    rule = load(PROMETHEUS_RULE)
    assert rule["apiVersion"] == "monitoring.coreos.com/v1" and rule["kind"] == "PrometheusRule"
    assert rule["metadata"]["name"] == "valkey-cluster-exporter"
    assert rule["metadata"]["labels"]["app.kubernetes.io/name"] == "valkey-cluster-exporter"
    assert "release" in rule["metadata"]["labels"], "the ruleSelector label kube-prometheus-stack uses"
    assert set(rule) == {"apiVersion", "kind", "metadata", "spec"} and set(rule["spec"]) == {"groups"}
    assert rule["spec"]["groups"] == load(ALERTS)["groups"]

    # --check really compares: a stale copy fails, and --label changes only the labels.
    stale = tmp_path / "prometheusrule.yaml"
    stale.write_text(PROMETHEUS_RULE.read_text().replace("for: 1m", "for: 2m", 1))
    result = run(sys.executable, GENERATOR, "--check", "--output", stale, check=False)
    assert result.returncode == 1 and "out of date" in result.stderr, result.stdout + result.stderr
    relabelled = tmp_path / "relabelled.yaml"
    run(sys.executable, GENERATOR, "--label", "release=monitoring", "--output", relabelled)
    other = load(relabelled)
    assert other["metadata"]["labels"]["release"] == "monitoring"
    assert other["spec"] == rule["spec"]


# ---------------------------------------------------------------- a real Prometheus on the live cluster


def wait_until(predicate, timeout, what):
    deadline = time.time() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.5)


def load_rules(prom):
    """The conftest Prometheus has no rules: add alerts.yml and a 1 s evaluation to its config and reload it
    (SIGHUP), so the rules see the same data and the same `job="valkey-cluster-exporter"` as a deployment would."""
    config = prom.dir / "prometheus.yml"
    text = config.read_text()
    assert text.startswith("global:\n"), text
    config.write_text(text.replace("global:\n", "global:\n  evaluation_interval: 1s\n", 1)
                      + f"rule_files:\n  - {ALERTS}\n")
    prom.proc.send_signal(signal.SIGHUP)
    wanted = sorted(group["name"] for group in load(ALERTS)["groups"])
    try:
        wait_until(lambda: sorted(g["name"] for g in prom.api("/api/v1/rules")["groups"]) == wanted, 30,
                   f"Prometheus to load the rule groups {wanted}")
    except AssertionError as error:
        raise AssertionError(f"{error}\n{prom.log()[-3000:]}") from None


@pytest.fixture(scope="module")
def rules_prometheus(cluster, exporter):
    """A real Prometheus with the rules, scraping: the shared exporter of the healthy cluster; an exporter whose
    only seed refuses connections (ValkeyExporterClusterUnreachable); and a port nobody listens on
    (ValkeyExporterDown). All on loopback; nothing of the shared cluster is touched."""
    cluster.sh("wait-ok")
    lonely = Exporter("--valkey-address", f"127.0.0.1:{free_port()}", "--scrape-interval", "1s")
    dead = f"127.0.0.1:{free_port()}"
    prom = None
    try:
        lonely.wait_listening()
        lonely.wait_metrics()
        healthy = f"127.0.0.1:{exporter.port}"
        unreachable = f"127.0.0.1:{lonely.port}"
        # The scrape job's own limits, so the test also shows the real exposition fits them.
        job = load(PROM_DIR / "scrape-config.yml")["scrape_configs"][0]
        settings = f"    metrics_path: {job['metrics_path']}\n    sample_limit: {job['sample_limit']}\n"
        prom = Prometheus([healthy, unreachable, dead], scrape_interval="1s", job_settings=settings)
        prom.wait_ready()
        # Scraped before the rules load, so absent(up) and first-sample gaps play no part.
        wait_until(lambda: len(prom.query('up{job="valkey-cluster-exporter"}')) == 3
                   and prom.query(f'count(valkey_slot_keys{{instance="{healthy}"}})') == [({}, 16384.0)]
                   and prom.query(f'count_over_time(valkey_exporter_cycles_total{{instance="{healthy}"}}[1m]) >= 3'),
                   60, "three scrapes of every target")
        load_rules(prom)
        yield prom, {"healthy": healthy, "unreachable": unreachable, "dead": dead}
    finally:
        if prom:
            prom.stop()
        assert lonely.stop() == 0, lonely.log()


def active_alerts(prom):
    return {(a["labels"]["alertname"], a["labels"].get("instance", ""), a["state"])
            for a in prom.api("/api/v1/alerts")["alerts"]}


def test_live_rules_alert_only_on_real_faults(rules_prometheus):
    prom, targets = rules_prometheus
    expected = {("ValkeyExporterDown", targets["dead"], "pending"),
                ("ValkeyExporterClusterUnreachable", targets["unreachable"], "pending")}
    # Watch 10 evaluations: every one must show exactly the two faults, never an alert on the healthy cluster.
    # Every `for:` is 1 minute or more, so these stay pending.
    start = time.time()
    last = []
    try:
        wait_until(lambda: last.append(active_alerts(prom)) or last[-1] == expected, 30, f"exactly {expected}")
    except AssertionError as error:
        raise AssertionError(f"{error}; last seen: {last[-1]}") from None
    seen = []
    while time.time() - start < 10 or len(seen) < 10:
        seen.append(active_alerts(prom))
        time.sleep(1)
    assert all(s == expected for s in seen), [s for s in seen if s != expected]
    assert prom.query(f'scrape_samples_scraped{{instance="{targets["healthy"]}"}}')[0][1] > 60000


def test_live_every_rule_evaluates_on_real_data(rules_prometheus):
    prom, targets = rules_prometheus
    groups = prom.api("/api/v1/rules")["groups"]
    evaluated = [rule for group in groups for rule in group["rules"]]
    assert len(evaluated) == len(rules())
    for rule in evaluated:
        assert rule["health"] == "ok" and not rule.get("lastError"), rule
    healthy = targets["healthy"]
    # The recording rules on the healthy cluster: 3 primaries with ~3333 keys each, comparable CPU and memory.
    for name in ("valkey_primary:keys:sum", "valkey_primary:memory_used_bytes", "valkey_primary:cpu_seconds:rate5m"):
        assert len(prom.query(f'{name}{{instance="{healthy}"}}')) == 3, name
    ratios = prom.query(f'valkey_primary:keys:ratio_to_others{{instance="{healthy}"}}')
    assert len(ratios) == 3 and all(0.9 < value < 1.1 for _, value in ratios), ratios
    assert len(prom.query(f'valkey_primary:memory_used_bytes:ratio_to_others{{instance="{healthy}"}}')) == 3


def test_live_every_metric_in_the_rules_exists(rules_prometheus, exporter):
    prom, targets = rules_prometheus
    recorded = {rule["record"] for rule in rules() if "record" in rule}
    read = set()
    for rule in rules():
        read |= metric_names(rule["expr"])
    assert {"valkey_up", "valkey_cluster_state", "valkey_slot_cpu_seconds_total", "up"} <= read, read
    assert recorded <= read, "every recording rule is used by an alert or another recording rule"
    _, _, body = exporter.metrics()
    helped = set(re.findall(r"^# HELP (\S+)", body, re.MULTILINE))
    healthy = targets["healthy"]
    for name in sorted(read - recorded):
        if name == "up":
            assert prom.query(f'count(up{{instance="{healthy}"}})') == [({}, 1.0)]
            continue
        # Counters are listed by family in HELP (OpenMetrics drops `_total`); Prometheus' text default keeps it.
        assert name in helped or name.removesuffix("_total") in helped, f"{name} is not in /metrics"
        assert prom.query(f'count({name}{{instance="{healthy}"}}) > 0'), f"Prometheus has no {name}"
