"""The Grafana dashboards in Dashboards/: their structure, every PromQL expression parsed by the real promtool, and
every query answered by a real Prometheus that scraped the session exporter on the live cluster.

Grafana itself is not installable here, so its part (substituting template variables) is done by
dashboard_queries.py with values read from the live data, the way Grafana's variable queries would read them.
"""
import json
import math
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

import pytest
import yaml

import dashboard_queries as dq
from conftest import REPO, VALKEY_CLI, Prometheus

GENERATOR = REPO / "Dashboards" / "generator" / "build.py"
PROVISIONING = REPO / "Dashboards" / "provisioning"
DASHBOARD_FOLDER = "/var/lib/grafana/dashboards/valkey"
EXPECTED_UIDS = {"valkey-cluster-overview", "valkey-node-detail", "valkey-slots"}
# What Grafana puts in for its own variables. The Prometheus below has seconds of data, which rates over 1m use.
GRAFANA_BUILTINS = {"__rate_interval": "1m", "__interval": "15s", "__range": "1m", "datasource": "prometheus"}


def all_dashboards():
    return {path.name: dq.load(path) for path in dq.dashboard_files()}


def test_the_three_dashboards_exist():
    assert {d["uid"] for d in all_dashboards().values()} == EXPECTED_UIDS


def test_json_is_what_the_generator_writes():
    result = subprocess.run([sys.executable, GENERATOR, "--check"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("name", sorted(p.name for p in dq.dashboard_files()))
def test_dashboard_structure(name):
    dashboard = dq.load(dq.DASHBOARD_DIR / name)
    assert dq.structure_problems(dashboard) == []
    assert 36 <= dashboard["schemaVersion"] <= 41, "Grafana 10/11 schema"
    panels = [p for p in dq.all_panels(dashboard) if p["type"] not in dq.NO_DATA_TYPES]
    assert len(panels) >= 10, f"{name}: only {len(panels)} panels"
    # Panels lie on the 24-column grid without overlapping.
    cells = {}
    for p in dq.all_panels(dashboard):
        g = p["gridPos"]
        assert 0 <= g["x"] and g["x"] + g["w"] <= 24, (p["title"], g)
        for x in range(g["x"], g["x"] + g["w"]):
            for y in range(g["y"], g["y"] + g["h"]):
                assert (x, y) not in cells, f"{p['title']} overlaps {cells[(x, y)]}"
                cells[(x, y)] = p["title"]


def test_uids_unique_across_files():
    uids = [d["uid"] for d in all_dashboards().values()]
    assert len(uids) == len(set(uids)), uids


def test_structure_check_catches_defects():
    """The checker above is only worth something if it fails on a broken dashboard."""
    dashboard = dq.load(dq.DASHBOARD_DIR / "valkey-cluster-overview.json")
    dashboard["__inputs"] = [{"name": "DS_PROMETHEUS"}]
    panels = [p for p in dashboard["panels"] if p["type"] != "row"]
    panels[1]["id"] = panels[0]["id"]
    del panels[2]["fieldConfig"]["defaults"]["unit"]
    panels[3]["datasource"] = {"type": "prometheus", "uid": "P1809F7CD0C75ACF3"}
    panels[4]["targets"][0]["datasource"] = "Prometheus"
    panels[5]["targets"] = [{"refId": "A", "datasource": dq.DS_REFS[0], "expr": " "}]
    panels[6]["targets"][0]["expr"] += " + $undefined_var"
    panels[7]["targets"][0]["expr"] = "rate(valkey_commands_processed_total[5m])"
    dashboard["templating"]["list"] = [v for v in dashboard["templating"]["list"] if v["name"] != "datasource"]
    problems = "\n".join(dq.structure_problems(dashboard))
    for fragment in ["__inputs", "panel ids not unique", "no fieldConfig.defaults.unit", "P1809F7CD0C75ACF3",
                     "'Prometheus'", "no target with an expr", "undefined variables ['undefined_var']",
                     "fixed window", "no `datasource` variable"]:
        assert fragment in problems, f"{fragment!r} not reported:\n{problems}"


def test_provisioning_files():
    providers = yaml.safe_load((PROVISIONING / "dashboards.yaml").read_text())
    assert providers["apiVersion"] == 1
    [provider] = providers["providers"]
    assert provider["type"] == "file" and provider["options"]["path"] == DASHBOARD_FOLDER, provider
    assert provider["options"].get("foldersFromFilesStructure") is False
    sources = yaml.safe_load((PROVISIONING / "datasources.yaml").read_text())
    assert sources["apiVersion"] == 1
    [source] = sources["datasources"]
    assert source["type"] == "prometheus" and source["uid"] == "prometheus" and source["url"].startswith("http")
    # The dashboards must not depend on that uid: they go through the variable.
    for dashboard in all_dashboards().values():
        assert '"uid": "prometheus"' not in json.dumps(dashboard)


# --- promtool: every expression parses -------------------------------------------------------------------------

def promtool_check(expressions):
    """Writes the expressions as recording rules into a throwaway file and runs `promtool check rules` on it."""
    promtool = shutil.which("promtool")
    assert promtool, "promtool not on PATH: run scripts/install-prometheus.sh (make tools does)"
    with tempfile.TemporaryDirectory(prefix="dashboard-rules-") as tmp:
        path = Path(tmp) / "rules.yml"
        # A JSON string is a valid YAML double-quoted scalar, so no quoting rules of our own.
        lines = ["groups:", "  - name: dashboards", "    rules:"]
        for i, expr in enumerate(expressions):
            lines += [f"      - record: dashboard_check:q{i}", f"        expr: {json.dumps(expr)}"]
        path.write_text("\n".join(lines) + "\n")
        result = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True,
                                timeout=60)
    return result.returncode, result.stdout + result.stderr


def offline_values():
    """Values for every variable when no Prometheus is at hand (any syntactically fitting value will do)."""
    return {**GRAFANA_BUILTINS, "job": "valkey-cluster-exporter", "instance": "127.0.0.1:9839", "node": "127.0.0.1:7000",
            "topn": "10"}


def every_expression(values):
    out = []
    for name, dashboard in all_dashboards().items():
        for title, ref, expr, _ in dq.queries(dashboard):
            out.append((name, title, ref, dq.substitute(expr, values)))
    return out


def test_promtool_parses_every_expression():
    exprs = [e for _, _, _, e in every_expression(offline_values())]
    assert len(exprs) >= 80
    code, output = promtool_check(exprs)
    assert code == 0 and f"SUCCESS: {len(exprs)} rules found" in output, output


@pytest.mark.parametrize("broken", [
    "sum(rate(valkey_commands_processed_total[1m])",       # a missing parenthesis
    "rate(valkey_commands_processed_total[$__rate_interval])",  # a variable left unsubstituted
    "rate(valkey_commands_processed_total)",                # a type error: rate of an instant vector
])
def test_promtool_rejects_a_broken_expression(broken):
    good = [e for _, _, _, e in every_expression(offline_values())][:3]
    code, output = promtool_check(good + [broken])
    assert code != 0 and "FAILED" in output, output


# --- a real Prometheus: every query answers ---------------------------------------------------------------------

def key_owned_by(port):
    """A key stored on the primary at this port (RANDOMKEY answers from the node's own keyspace)."""
    key = subprocess.run([VALKEY_CLI, "-p", str(port), "RANDOMKEY"], capture_output=True, text=True,
                         check=True, timeout=30).stdout.strip()
    assert key, f"no key on the primary at {port}"
    return key


@pytest.fixture(scope="module")
def traffic(cluster):
    """A few hundred GETs per second on one slot of every primary for the module, so slot CPU and network rates
    are not all zero (an idle cluster makes the share panels 0/0)."""
    procs = []
    for port in cluster.live_primary_ports():
        key = key_owned_by(port)
        procs.append(subprocess.Popen([VALKEY_CLI, "-p", str(port), "-r", "100000", "-i", "0.005", "GET", key],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    yield
    for proc in procs:
        proc.terminate()
        proc.wait(10)


@pytest.fixture(scope="module")
def prometheus(exporter, traffic):
    prom = Prometheus([f"127.0.0.1:{exporter.port}"])
    try:
        prom.wait_ready()
        # Rates need two scrapes of the ~65k-sample exposition; wait for the slot CPU rate to be above 0.
        deadline = time.time() + 40
        while time.time() < deadline:
            got = prom.query("sum(rate(valkey_slot_cpu_seconds_total[1m]) > 0) by (node_id)")
            if len(got) >= 3:
                break
            time.sleep(0.5)
        assert len(got) >= 3, f"slot CPU rates did not appear within 40 s: {got}\n{prom.log()[-2000:]}"
        yield prom
    finally:
        prom.stop()


def variable_values(prom, dashboard, values):
    """Resolves the dashboard's query variables from live data, as Grafana would: label_values(selector, label)."""
    resolved, chosen = {}, dict(values)
    for name, var in dq.template_variables(dashboard).items():  # in order: a variable may use earlier ones
        if var["type"] == "custom":
            resolved[name] = [o["value"] for o in var["options"]]
        elif var["type"] == "query":
            selector, label = dq.label_values_query(var)
            found = sorted({m[label] for m, _ in prom.query(dq.substitute(selector, chosen)) if label in m})
            assert found, f"variable {name}: {selector} has no {label} values"
            resolved[name] = found
        else:
            continue
        chosen[name] = resolved[name][0]
    return resolved


def answers(prom, expr, instant):
    """Series of an instant query, or of a range query over the last 10 s (what a Grafana graph asks)."""
    if instant:
        return prom.query(expr)
    now = time.time()
    data = prom.api("/api/v1/query_range?" + urllib.parse.urlencode(
        {"query": expr, "start": now - 10, "end": now, "step": "2"}))
    return [(s["metric"], float(v)) for s in data["result"] for _, v in s["values"]]


def test_every_query_returns_data(prometheus, exporter):
    prom = prometheus
    target = f"127.0.0.1:{exporter.port}"
    primary = prom.query(f'valkey_node_info{{instance="{target}",role="primary"}}')[0][0]["addr"]
    replica = prom.query(f'valkey_node_info{{instance="{target}",role="replica"}}')[0][0]["addr"]
    empty, unparsed, all_nan, checked = [], [], [], 0
    for name, dashboard in all_dashboards().items():
        live = variable_values(prom, dashboard, GRAFANA_BUILTINS)
        assert live["job"] == ["valkey-cluster-exporter"] and live["instance"] == [target], live
        values = {**GRAFANA_BUILTINS, "job": "valkey-cluster-exporter", "instance": target}
        if "topn" in live:
            values["topn"] = live["topn"][0]
        if "node" in live:
            assert {primary, replica} <= set(live["node"]), live["node"]
        for title, ref, expr, instant in dq.queries(dashboard):
            # A node panel may be about one role only (link to the primary, lag): it must answer for a primary or
            # for a replica. Every other query does not depend on the node.
            nodes = [primary, replica] if dq.variables_in(expr) & {"node"} else [None]
            results = []
            for node in nodes:
                concrete = dq.substitute(expr, {**values, "node": node} if node else values)
                try:
                    results.append(answers(prom, concrete, instant))
                except AssertionError as error:
                    unparsed.append(f"{name} / {title} {ref}: {error}")
                    results.append([])
            checked += 1
            series = [r for r in results if r]
            if not series:
                empty.append(f"{name} / {title} {ref}: {expr}")
            elif all(math.isnan(v) for r in series for _, v in r):
                all_nan.append(f"{name} / {title} {ref}: {expr}")
    report = [f"rejected by Prometheus: {x}" for x in unparsed] + [f"no data: {x}" for x in empty] + \
        [f"only NaN: {x}" for x in all_nan]
    assert report == [], f"{len(report)} of {checked} queries failed:\n" + "\n".join(report)
    assert checked >= 80


def test_slot_heatmap_rows_cover_every_slot_in_order(prometheus, exporter):
    """The slot-range buckets: 164 rows of 100 slots, labelled 00000 .. 16300 in numeric order, summing to all
    keys, and that order is the order Prometheus returns (Grafana's heatmap draws rows in that order)."""
    dashboard = dq.load(dq.DASHBOARD_DIR / "valkey-slots.json")
    [expr] = [e for t, _, e, _ in dq.queries(dashboard) if t == "Keys by slot range"]
    values = {**GRAFANA_BUILTINS, "job": "valkey-cluster-exporter", "instance": f"127.0.0.1:{exporter.port}"}
    now = time.time()
    data = prometheus.api("/api/v1/query_range?" + urllib.parse.urlencode(
        {"query": dq.substitute(expr, values), "start": now - 4, "end": now, "step": "2"}))
    labels = [s["metric"]["slot_range"] for s in data["result"]]
    assert labels == [f"{i * 100:05d}" for i in range(164)]
    total = sum(float(s["values"][-1][1]) for s in data["result"])
    assert total == prometheus.query(f'sum(valkey_slot_keys{{instance="127.0.0.1:{exporter.port}"}})')[0][1]
