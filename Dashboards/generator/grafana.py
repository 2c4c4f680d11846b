"""Small builders for Grafana dashboard JSON (schemaVersion 39, Grafana 10/11).

Only what the three dashboards use. Every panel and target points at the `datasource` template variable, so the
files carry no `__inputs`/`__requires` and work with file provisioning and with import alike.
"""

DS = {"type": "prometheus", "uid": "${datasource}"}

# Every series of one exporter carries the job and instance labels Prometheus gives the scrape target; one
# exporter watches one cluster, so these two pick the cluster.
SEL = 'job="$job",instance="$instance"'


def sel(*extra):
    """A label selector for the chosen exporter plus extra matchers: sel('addr="$node"')."""
    return "{" + ",".join((SEL,) + extra) + "}"


def target(expr, legend="", instant=False, table=False, ref="A"):
    return {
        "refId": ref,
        "datasource": DS,
        "editorMode": "code",
        "expr": expr,
        "legendFormat": legend or "__auto",
        "range": not instant,
        "instant": instant,
        "format": "table" if table else "time_series",
    }


def _targets(queries, **kw):
    """queries: (expr, legend) pairs; refIds A, B, ..."""
    return [target(expr, legend, ref=chr(ord("A") + i), **kw) for i, (expr, legend) in enumerate(queries)]


def thresholds(*steps):
    """steps: (value, colour) after the base colour; thresholds("green", (1, "red"))."""
    base, rest = steps[0], steps[1:]
    return {"mode": "absolute",
            "steps": [{"color": base, "value": None}] + [{"color": c, "value": v} for v, c in rest]}


def value_map(mapping):
    """{value: (text, colour)} -> a Grafana value mapping."""
    return [{"type": "value", "options": {str(k): {"text": t, "color": c, "index": i}
                                          for i, (k, (t, c)) in enumerate(mapping.items())}}]


UP_DOWN = value_map({0: ("DOWN", "red"), 1: ("UP", "green")})
OK_FAIL = value_map({0: ("FAIL", "red"), 1: ("OK", "green")})
YES_NO = value_map({0: ("NO", "red"), 1: ("YES", "green")})


def _panel(kind, title, description, queries, unit, w, h, options, custom=None, decimals=None, mappings=None,
           thresh=None, color=None, instant=False, table=False, min_=None, max_=None, extra=None):
    defaults = {"unit": unit, "mappings": mappings or [],
                "thresholds": thresh or thresholds("green"),
                "color": color or {"mode": "palette-classic"}}
    if custom is not None:
        defaults["custom"] = custom
    if decimals is not None:
        defaults["decimals"] = decimals
    if min_ is not None:
        defaults["min"] = min_
    if max_ is not None:
        defaults["max"] = max_
    panel = {
        "type": kind, "title": title, "description": description, "datasource": DS,
        "targets": _targets(queries, instant=instant, table=table),
        "fieldConfig": {"defaults": defaults, "overrides": []},
        "options": options, "_size": (w, h),
    }
    panel.update(extra or {})
    return panel


REDUCE_LAST = {"calcs": ["lastNotNull"], "fields": "", "values": False}


def stat(title, description, queries, unit, w=4, h=4, mappings=None, thresh=None, text_mode="auto",
         color_mode="background", decimals=None):
    options = {"reduceOptions": REDUCE_LAST, "orientation": "auto", "textMode": text_mode, "colorMode": color_mode,
               "graphMode": "none", "justifyMode": "auto", "wideLayout": True, "showPercentChange": False}
    return _panel("stat", title, description, queries, unit, w, h, options, mappings=mappings, decimals=decimals,
                  thresh=thresh, color={"mode": "thresholds"}, instant=True)


def timeseries(title, description, queries, unit, w=12, h=8, stack=False, fill=10, decimals=None, min_=None,
               max_=None, thresh=None, legend_calcs=("lastNotNull", "max")):
    custom = {"drawStyle": "line", "lineWidth": 1, "fillOpacity": 100 if stack else fill, "showPoints": "never",
              "spanNulls": False, "lineInterpolation": "linear", "axisPlacement": "auto", "axisSoftMin": 0,
              "stacking": {"mode": "normal" if stack else "none", "group": "A"},
              "thresholdsStyle": {"mode": "off"}}
    options = {"legend": {"displayMode": "table", "placement": "bottom", "showLegend": True,
                          "calcs": list(legend_calcs)},
               "tooltip": {"mode": "multi", "sort": "desc"}}
    return _panel("timeseries", title, description, queries, unit, w, h, options, custom=custom, decimals=decimals,
                  min_=min_, max_=max_, thresh=thresh)


def bargauge(title, description, queries, unit, w=8, h=8, thresh=None, min_=None, max_=None, decimals=None):
    options = {"reduceOptions": REDUCE_LAST, "orientation": "horizontal", "displayMode": "gradient",
               "valueMode": "color", "showUnfilled": True, "namePlacement": "auto", "sizing": "auto",
               "minVizHeight": 16, "minVizWidth": 8, "maxVizHeight": 300}
    return _panel("bargauge", title, description, queries, unit, w, h, options, thresh=thresh, min_=min_,
                  max_=max_, decimals=decimals, color={"mode": "thresholds"}, instant=True)


def gauge(title, description, queries, unit, w=4, h=6, thresh=None, min_=0, max_=1):
    options = {"reduceOptions": REDUCE_LAST, "orientation": "auto", "showThresholdLabels": False,
               "showThresholdMarkers": True, "sizing": "auto", "minVizHeight": 75, "minVizWidth": 75}
    return _panel("gauge", title, description, queries, unit, w, h, options, thresh=thresh, min_=min_, max_=max_,
                  color={"mode": "thresholds"}, instant=True)


def state_timeline(title, description, queries, unit, w=12, h=8, mappings=None, thresh=None):
    custom = {"fillOpacity": 80, "lineWidth": 0, "hideFrom": {"legend": False, "tooltip": False, "viz": False}}
    options = {"mergeValues": True, "showValue": "never", "alignValue": "left", "rowHeight": 0.9,
               "legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
               "tooltip": {"mode": "single", "sort": "none"}}
    return _panel("state-timeline", title, description, queries, unit, w, h, options, custom=custom,
                  mappings=mappings, thresh=thresh, color={"mode": "thresholds"})


def piechart(title, description, queries, unit, w=8, h=8):
    options = {"reduceOptions": REDUCE_LAST, "pieType": "pie", "displayLabels": ["percent"],
               "legend": {"displayMode": "table", "placement": "right", "showLegend": True,
                          "values": ["value", "percent"]},
               "tooltip": {"mode": "single", "sort": "none"}}
    return _panel("piechart", title, description, queries, unit, w, h, options, instant=True)


def table(title, description, queries, unit, w=24, h=8, hide=("Time", "__name__", "job", "instance"),
          rename=None, mappings=None, thresh=None, links=None, sort_by=None):
    """An instant table; each query's labels become columns. Queries should share their labels so `merge`
    puts one row per series."""
    options = {"showHeader": True, "cellHeight": "sm",
               "footer": {"show": False, "reducer": ["sum"], "countRows": False, "fields": ""}}
    if sort_by:
        options["sortBy"] = [{"displayName": sort_by, "desc": True}]
    transformations = [{"id": "merge", "options": {}},
                       {"id": "organize", "options": {"excludeByName": {k: True for k in hide},
                                                      "renameByName": rename or {}}}]
    panel = _panel("table", title, description, queries, unit, w, h, options, mappings=mappings, thresh=thresh,
                   instant=True, table=True, extra={"transformations": transformations})
    if links:
        panel["fieldConfig"]["overrides"].append(
            {"matcher": {"id": "byName", "options": links[0]},
             "properties": [{"id": "links", "value": [{"title": links[1], "url": links[2]}]}]})
    return panel


def heatmap(title, description, expr, legend, unit, w=24, h=14, scheme="Oranges"):
    """Rows are the series (pre-bucketed, `calculate: false`); their numeric legend orders them."""
    options = {
        "calculate": False,
        "cellGap": 0,
        "cellValues": {"unit": unit},
        "color": {"mode": "scheme", "scheme": scheme, "steps": 64, "exponent": 0.5, "scale": "exponential",
                  "fill": "dark-orange", "reverse": False},
        "rowsFrame": {"layout": "ge"},
        "yAxis": {"axisPlacement": "left", "unit": "none", "decimals": 0, "reverse": True,
                  "axisLabel": "first slot of the range"},
        "legend": {"show": True},
        "tooltip": {"mode": "single", "yHistogram": False, "showColorScale": True},
        "exemplars": {"color": "rgba(255,0,255,0.7)"},
    }
    custom = {"hideFrom": {"legend": False, "tooltip": False, "viz": False},
              "scaleDistribution": {"type": "linear"}}
    # A 100-slot bucket per row and at most ~120 columns bound what Prometheus evaluates (16384 series per step).
    return _panel("heatmap", title, description, [(expr, legend)], unit, w, h, options, custom=custom,
                  extra={"interval": "30s", "maxDataPoints": 120})


def row(title):
    return {"type": "row", "title": title, "collapsed": False, "panels": [], "_size": (24, 1)}


def text(title, content, w=24, h=3):
    return {"type": "text", "title": title, "options": {"mode": "markdown", "content": content,
                                                        "code": {"language": "plaintext", "showLineNumbers": False,
                                                                 "showMiniMap": False}},
            "_size": (w, h)}


def datasource_variable():
    return {"name": "datasource", "label": "Data source", "type": "datasource", "query": "prometheus",
            "current": {}, "hide": 0, "includeAll": False, "multi": False, "options": [], "refresh": 1,
            "regex": "", "skipUrlSync": False}


def query_variable(name, label, query, description, sort=1):
    return {"name": name, "label": label, "description": description, "type": "query", "datasource": DS,
            "query": query, "definition": query, "current": {}, "hide": 0, "includeAll": False, "multi": False,
            "options": [], "refresh": 2, "regex": "", "skipUrlSync": False, "sort": sort}


def custom_variable(name, label, values, description):
    options = [{"text": v, "value": v, "selected": i == 0} for i, v in enumerate(values)]
    return {"name": name, "label": label, "description": description, "type": "custom",
            "query": ",".join(values), "current": {"text": values[0], "value": values[0], "selected": True},
            "hide": 0, "includeAll": False, "multi": False, "options": options, "skipUrlSync": False}


def cluster_variables():
    """job, then instance within the job: every query selects one exporter, so one cluster."""
    return [
        query_variable("job", "Job", "label_values(valkey_exporter_build_info, job)",
                       "Prometheus job that scrapes the exporter(s)."),
        query_variable("instance", "Exporter", 'label_values(valkey_exporter_build_info{job="$job"}, instance)',
                       "One exporter = one cluster: pick the exporter whose cluster you want to see."),
    ]


def layout(panels):
    """Assigns ids and gridPos left to right, wrapping at 24 columns; a row starts a new line."""
    x = y = line_h = 0
    out = []
    for pid, panel in enumerate(panels, start=1):
        w, h = panel.pop("_size")
        if panel["type"] == "row" or x + w > 24:
            x, y, line_h = 0, y + line_h, 0
        panel = {"id": pid, "gridPos": {"h": h, "w": w, "x": x, "y": y}, **panel}
        out.append(panel)
        x += w
        line_h = max(line_h, h)
        if panel["type"] == "row":
            x, y, line_h = 0, y + h, 0
    return out


def dashboard(uid, title, description, variables, panels, tags=("valkey", "valkey-cluster-exporter")):
    return {
        "uid": uid,
        "title": title,
        "description": description,
        "tags": list(tags),
        "editable": True,
        "graphTooltip": 1,
        "schemaVersion": 39,
        "version": 1,
        "refresh": "30s",
        "time": {"from": "now-1h", "to": "now"},
        "timepicker": {},
        "timezone": "browser",
        "fiscalYearStartMonth": 0,
        "liveNow": False,
        "weekStart": "",
        "annotations": {"list": [{
            "builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"}, "enable": True, "hide": True,
            "iconColor": "rgba(0, 211, 255, 1)", "name": "Annotations & Alerts", "type": "dashboard"}]},
        # The three dashboards link to each other, keeping the time range and the variables.
        "links": [{"title": "Valkey dashboards", "type": "dashboards", "tags": ["valkey-cluster-exporter"],
                   "asDropdown": True, "includeVars": True, "keepTime": True, "icon": "external link",
                   "targetBlank": False, "tooltip": "", "url": ""}],
        "templating": {"list": variables},
        "panels": layout(panels),
    }
