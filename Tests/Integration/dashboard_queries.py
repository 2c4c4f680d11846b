"""Reads the Grafana dashboards in Dashboards/: their panels, PromQL targets and template variables, and checks
their structure. Used by test_dashboards.py; no Grafana needed (none is installable here), so what Grafana would do
with a query (substitute variables) is done here, and what Prometheus does with it is left to the real Prometheus.
"""
import json
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DASHBOARD_DIR = REPO / "Dashboards"
# Panels that draw no data and need no query or unit.
NO_DATA_TYPES = {"row", "text", "dashlist", "news"}
DS_REFS = ("${datasource}", "$datasource")
# Grafana's own variables (https://grafana.com/docs/grafana/latest/dashboards/variables/add-template-variables/).
BUILTINS = {"__rate_interval", "__interval", "__interval_ms", "__range", "__range_s", "__range_ms", "__from", "__to",
            "__dashboard", "__org", "__user", "__name", "__url_time_range", "__value", "__field", "__series",
            "__data", "timeFilter"}
# $name, ${name}, ${name:format}, [[name]]; a ${1}/$1 is a regex group in label_replace, not a variable.
VARIABLE = re.compile(r"\$\{([A-Za-z_]\w*)(?::[^}]*)?\}|\$([A-Za-z_]\w*)|\[\[([A-Za-z_]\w*)\]\]")


def dashboard_files():
    return sorted(DASHBOARD_DIR.glob("*.json"))


def load(path):
    return json.loads(Path(path).read_text())


def all_panels(dashboard):
    """Every panel, those inside collapsed rows included."""
    for panel in dashboard.get("panels", []):
        yield panel
        yield from panel.get("panels", [])


def queries(dashboard):
    """(panel title, refId, expr, instant) of every Prometheus target."""
    for panel in all_panels(dashboard):
        for t in panel.get("targets", []):
            yield panel.get("title", ""), t.get("refId", ""), t.get("expr", ""), bool(t.get("instant"))


def variables_in(text):
    return {a or b or c for a, b, c in VARIABLE.findall(text)}


def substitute(expr, values):
    """Replaces $name, ${name} and [[name]] by values[name]; leaves unknown names (regex groups) alone."""
    def repl(m):
        name = m.group(1) or m.group(2) or m.group(3)
        return values.get(name, m.group(0))
    return VARIABLE.sub(repl, expr)


def template_variables(dashboard):
    return {v["name"]: v for v in dashboard.get("templating", {}).get("list", [])}


def label_values_query(variable):
    """label_values(selector, label) of a query variable -> (selector, label)."""
    query = variable.get("query")
    query = query.get("query", "") if isinstance(query, dict) else query or ""
    m = re.fullmatch(r"\s*label_values\((.*),\s*(\w+)\s*\)\s*", query)
    assert m, f"variable {variable['name']}: not a label_values(selector, label) query: {query!r}"
    return m.group(1), m.group(2)


def _is_templated(ds):
    if isinstance(ds, str):
        return ds in DS_REFS
    return isinstance(ds, dict) and ds.get("type") == "prometheus" and ds.get("uid") in DS_REFS


def structure_problems(dashboard):
    """Everything wrong with one dashboard as a list of sentences (empty when fine)."""
    problems = []
    title = dashboard.get("title", "?")
    if "__inputs" in dashboard or "__requires" in dashboard:
        problems.append(f"{title}: has __inputs/__requires (file provisioning cannot fill them)")
    if not dashboard.get("uid"):
        problems.append(f"{title}: no uid")
    variables = template_variables(dashboard)
    ds_var = variables.get("datasource")
    if not ds_var or ds_var.get("type") != "datasource" or ds_var.get("query") != "prometheus":
        problems.append(f"{title}: no `datasource` variable of type datasource with query prometheus")
    for name, var in variables.items():
        if var.get("type") == "query" and not _is_templated(var.get("datasource")):
            problems.append(f"{title}: variable {name} does not use ${{datasource}}")
    ids = [p.get("id") for p in all_panels(dashboard)]
    duplicates = sorted({i for i in ids if ids.count(i) > 1 or i is None}, key=str)
    if duplicates:
        problems.append(f"{title}: panel ids not unique or missing: {duplicates}")
    known = set(variables) | BUILTINS
    for panel in all_panels(dashboard):
        where = f"{title} / {panel.get('title') or panel.get('type')} (id {panel.get('id')})"
        if not panel.get("gridPos"):
            problems.append(f"{where}: no gridPos")
        if panel.get("type") in NO_DATA_TYPES:
            continue
        if not panel.get("title"):
            problems.append(f"{where}: no title")
        if not panel.get("description"):
            problems.append(f"{where}: no description")
        if not _is_templated(panel.get("datasource")):
            problems.append(f"{where}: panel datasource is {panel.get('datasource')!r}, not ${{datasource}}")
        unit = panel.get("fieldConfig", {}).get("defaults", {}).get("unit")
        if not unit:
            problems.append(f"{where}: no fieldConfig.defaults.unit")
        targets = panel.get("targets") or []
        if not any((t.get("expr") or "").strip() for t in targets):
            problems.append(f"{where}: no target with an expr")
        for t in targets:
            if not _is_templated(t.get("datasource")):
                problems.append(f"{where} {t.get('refId')}: target datasource is {t.get('datasource')!r}")
            if not (t.get("expr") or "").strip():
                problems.append(f"{where} {t.get('refId')}: empty expr")
            unknown = variables_in(t.get("expr") or "") - known
            if unknown:
                problems.append(f"{where} {t.get('refId')}: undefined variables {sorted(unknown)}")
            if re.search(r"\brate\([^)]*\[\d+[smhd]\]", t.get("expr") or ""):
                problems.append(f"{where} {t.get('refId')}: a rate with a fixed window; use $__rate_interval")
    return problems
