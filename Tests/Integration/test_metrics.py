"""GET /metrics: Prometheus text 0.0.4 and OpenMetrics 1.0.0 from the real binary against the real cluster.

Checked by promtool, by our own checker (exposition_check.py), by both prometheus_client parsers, against
valkey-cli ground truth, and by a real Prometheus scraping the exporter on loopback.
"""
import gzip
import json
import re
import shutil
import subprocess
import time

import pytest
from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics
from prometheus_client.parser import text_string_to_metric_families as parse_text

import exposition_check as ec
from conftest import OPENMETRICS_ACCEPT, Exporter, Prometheus, cli, http_raw

TEXT_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
OPENMETRICS_CONTENT_TYPE = "application/openmetrics-text; version=1.0.0; charset=utf-8"
# What Prometheus 2.42 sends.
PROMETHEUS_ACCEPT = ("application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
                     "text/plain;version=0.0.4;q=0.5,*/*;q=0.1")
# Samples whose value may differ between two requests of the same cycle.
# Nothing changes per request: the exposition is rendered once per cycle (data age is
# time() - valkey_exporter_last_cycle_timestamp_seconds).
VOLATILE = set()
# Error counters appear with their first error (one series per node and reason seen), not as empty families.
ONLY_WHEN_NONZERO = {"valkey_exporter_collection_errors_total"}

NODE = {"node_id", "addr"}
# family name in text 0.0.4 -> (type in text, type in OpenMetrics, label names)
CONTRACT = {
    "valkey_up": ("gauge", "gauge", NODE),
    "valkey_node_info": ("gauge", "info", NODE | {"role", "primary_id", "shard_id", "version"}),
    "valkey_memory_used_bytes": ("gauge", "gauge", NODE),
    "valkey_memory_max_bytes": ("gauge", "gauge", NODE),
    "valkey_memory_used_rss_bytes": ("gauge", "gauge", NODE),
    "valkey_connected_clients": ("gauge", "gauge", NODE),
    "valkey_blocked_clients": ("gauge", "gauge", NODE),
    "valkey_commands_processed_total": ("counter", "counter", NODE),
    "valkey_instantaneous_ops_per_second": ("gauge", "gauge", NODE),
    "valkey_cpu_sys_seconds_total": ("counter", "counter", NODE),
    "valkey_cpu_user_seconds_total": ("counter", "counter", NODE),
    "valkey_net_input_bytes_total": ("counter", "counter", NODE),
    "valkey_net_output_bytes_total": ("counter", "counter", NODE),
    "valkey_keyspace_hits_total": ("counter", "counter", NODE),
    "valkey_keyspace_misses_total": ("counter", "counter", NODE),
    "valkey_expired_keys_total": ("counter", "counter", NODE),
    "valkey_evicted_keys_total": ("counter", "counter", NODE),
    "valkey_uptime_in_seconds": ("gauge", "gauge", NODE),
    "valkey_db_keys": ("gauge", "gauge", NODE | {"db"}),
    "valkey_db_keys_expiring": ("gauge", "gauge", NODE | {"db"}),
    "valkey_connected_replicas": ("gauge", "gauge", NODE),
    "valkey_replication_link_up": ("gauge", "gauge", NODE),
    "valkey_master_repl_offset": ("gauge", "gauge", NODE),
    "valkey_cluster_state": ("gauge", "gauge", set()),
    "valkey_cluster_slots_assigned": ("gauge", "gauge", set()),
    "valkey_cluster_slots_ok": ("gauge", "gauge", set()),
    "valkey_cluster_slots_pfail": ("gauge", "gauge", set()),
    "valkey_cluster_slots_fail": ("gauge", "gauge", set()),
    "valkey_cluster_known_nodes": ("gauge", "gauge", set()),
    "valkey_cluster_size": ("gauge", "gauge", set()),
    "valkey_cluster_nodes": ("gauge", "gauge", {"role"}),
    "valkey_cluster_links": ("gauge", "gauge", {"state"}),
    "valkey_cluster_slots_migrating": ("gauge", "gauge", set()),
    "valkey_cluster_slots_importing": ("gauge", "gauge", set()),
    "valkey_cluster_slots_covered": ("gauge", "gauge", set()),
    "valkey_slot_keys": ("gauge", "gauge", {"slot", "node_id"}),
    "valkey_slot_cpu_seconds_total": ("counter", "counter", {"slot", "node_id"}),
    "valkey_slot_network_received_bytes_total": ("counter", "counter", {"slot", "node_id"}),
    "valkey_slot_network_sent_bytes_total": ("counter", "counter", {"slot", "node_id"}),
    "valkey_exporter_build_info": ("gauge", "info", {"version"}),
    "valkey_exporter_cycles_total": ("counter", "counter", set()),
    "valkey_exporter_cycle_duration_seconds": ("gauge", "gauge", set()),
    "valkey_exporter_collection_duration_seconds": ("gauge", "gauge", NODE),
    "valkey_exporter_collections_total": ("counter", "counter", NODE),
    "valkey_exporter_collection_errors_total": ("counter", "counter", NODE | {"reason"}),
    "valkey_exporter_last_collection_timestamp_seconds": ("gauge", "gauge", NODE),
    "valkey_exporter_last_cycle_timestamp_seconds": ("gauge", "gauge", set()),
    "valkey_exporter_series": ("gauge", "gauge", set()),
    "valkey_exporter_slot_stats_availability": ("gauge", "gauge", {"state"}),
}
# Families that must have one sample per node (all 6 are up and have keys).
EVERY_NODE = [n for n, (_, _, labels) in CONTRACT.items()
              if labels >= NODE and n not in ("valkey_replication_link_up", "valkey_exporter_collection_errors_total")]
SLOT_FAMILIES = ["valkey_slot_keys", "valkey_slot_cpu_seconds_total", "valkey_slot_network_received_bytes_total",
                 "valkey_slot_network_sent_bytes_total"]


# ----------------------------------------------------------------------------------------------- helpers

def cycles_of(text):
    m = re.search(r"^valkey_exporter_cycles_total (\S+)$", text, re.M)
    assert m, "no valkey_exporter_cycles_total sample"
    return m.group(1)


def same_cycle(exporter, *requests, attempts=20):
    """Fetches /metrics once per request (kwargs of Exporter.metrics), retrying until all answers come from
    the same collection cycle (same valkey_exporter_cycles_total, also in a fetch after the last one).
    Returns [(headers, text), ...]."""
    for _ in range(attempts):
        answers = []
        for kw in requests:
            status, headers, text = exporter.metrics(**kw)
            assert status == 200, (status, text[:500])
            answers.append((headers, text))
        _, _, after = exporter.metrics()
        if len({cycles_of(t) for _, t in answers} | {cycles_of(after)}) == 1:
            return answers
    raise AssertionError(f"no {len(requests)} answers from one cycle in {attempts} attempts")


def without_volatile(samples):
    return {k: v for k, v in samples.items() if k[0] not in VOLATILE}


def by_family(text, fmt=ec.TEXT):
    families, problems = ec.parse(text, fmt)
    assert problems == [], "\n".join(problems[:30])
    return {f.name: f for f in families}


def series(fams, name):
    """[(labels dict, value)] of one family (sample name == family name, or name_total/_info)."""
    return [(labels, value) for _, labels, value, _ in fams[name].samples] if name in fams else []


def node_port(addr):
    return int(addr.rsplit(":", 1)[1])


def slot_owner(truth):
    owner = {}
    for node_id, node in truth.items():
        for part in node["slots"]:
            lo, _, hi = part.partition("-")
            for slot in range(int(lo), int(hi or lo) + 1):
                owner[slot] = node_id
    return owner


def slot_stats_truth(cluster):
    """{slot: (owner node id, key-count)} for all slots, from CLUSTER SLOT-STATS on each primary (valkey-cli)."""
    truth = cluster.nodes()
    result = {}
    for node_id, node in truth.items():
        if "master" not in node["flags"]:
            continue
        for part in node["slots"]:
            lo, _, hi = part.partition("-")
            reply = json.loads(cli(node_port(node["addr"]), "--json", "CLUSTER", "SLOT-STATS", "SLOTSRANGE",
                                   lo, hi or lo))
            for slot, stats in reply:
                result[slot] = (node_id, stats["key-count"])
    assert len(result) == 16384, len(result)
    return result


@pytest.fixture(scope="module")
def text_and_om(exporter):
    """One Prometheus text and one OpenMetrics exposition of the same cycle."""
    (_, text), (_, om) = same_cycle(exporter, {}, {"accept": OPENMETRICS_ACCEPT})
    return text, om


# ---------------------------------------------------------------------- unit tests of the checker itself

GOOD_TEXT = """# HELP a_total Things. Collected on a schedule.
# TYPE a_total counter
a_total{x="1"} 1
a_total{x="q\\"uote\\\\back\\nline"} 2
# HELP b Level.
# TYPE b gauge
b 1.5e-06
"""
GOOD_OM = """# HELP a Things.
# TYPE a counter
a_total{x="1"} 1
# HELP i Identity.
# TYPE i info
i_info{v="1"} 1
# EOF
"""


def test_checker_accepts_clean_input():
    assert ec.check(GOOD_TEXT, ec.TEXT) == []
    assert ec.check(GOOD_OM, ec.OPENMETRICS) == []
    assert ec.samples(GOOD_TEXT)[("a_total", frozenset({("x", 'q"uote\\back\nline')}))] == 2


def test_checker_catches_split_family():
    text = GOOD_TEXT + 'a_total{x="3"} 3\n'
    problems = ec.check(text)
    assert any("split" in p and "'a_total'" in p for p in problems), problems
    om = GOOD_OM.replace("# EOF\n", 'a_total{x="2"} 1\n# EOF\n')
    assert any("split" in p for p in ec.check(om, ec.OPENMETRICS))
    # TYPE again later, without samples in between: declared twice
    again = GOOD_TEXT + "# TYPE a_total counter\n"
    assert any("twice" in p or "again" in p for p in ec.check(again))


def test_checker_catches_duplicate_series():
    text = GOOD_TEXT.replace('a_total{x="1"} 1\n', 'a_total{x="1"} 1\na_total{x="1"} 7\n')
    assert any("duplicate series" in p for p in ec.check(text))
    # label order does not make a different series
    text = GOOD_TEXT.replace('a_total{x="1"} 1\n', 'a_total{x="1",y="2"} 1\na_total{y="2",x="1"} 7\n')
    assert any("duplicate series" in p for p in ec.check(text))


@pytest.mark.parametrize("bad, fragment", [
    ('a_total{x="a\\tb"} 1', "invalid escape"),            # only \\ \" \n are escapes
    ('a_total{x="a"b"} 1', "expected ','"),                # unescaped quote
    ('a_total{x="1"} 1 1700000000000', "timestamp"),
    ('c 1', "does not belong"),                           # sample of an undeclared family
    ('a_total{x="1",x="2"} 1', "repeated"),
])
def test_checker_catches_bad_lines(bad, fragment):
    text = GOOD_TEXT.replace('a_total{x="1"} 1', bad)
    problems = ec.check(text)
    assert any(fragment in p for p in problems), problems


def test_checker_catches_missing_metadata_and_om_rules():
    assert any("no HELP" in p for p in ec.check("# TYPE b gauge\nb 1\n"))
    assert any("before any TYPE" in p for p in ec.check("b 1\n"))
    assert any("EOF" in p for p in ec.check(GOOD_OM.replace("# EOF\n", ""), ec.OPENMETRICS))
    # an OpenMetrics counter's samples are <family>_total
    bad = GOOD_OM.replace("a_total{", "a{")
    assert any("does not belong" in p for p in ec.check(bad, ec.OPENMETRICS))


# ---------------------------------------------------------------------------------- the live exposition

def test_content_types_and_negotiation(exporter):
    for accept, want in [(None, TEXT_CONTENT_TYPE), ("text/plain", TEXT_CONTENT_TYPE),
                         ("*/*", TEXT_CONTENT_TYPE), (OPENMETRICS_ACCEPT, OPENMETRICS_CONTENT_TYPE),
                         ("application/openmetrics-text", OPENMETRICS_CONTENT_TYPE),
                         (PROMETHEUS_ACCEPT, OPENMETRICS_CONTENT_TYPE)]:
        status, headers, body = exporter.metrics(accept=accept)
        assert status == 200, body[:300]
        assert headers.get("Content-Type") == want, (accept, headers.get("Content-Type"))
        assert headers.get("Content-Encoding") is None, (accept, headers.get("Content-Encoding"))
        if want == OPENMETRICS_CONTENT_TYPE:
            assert body.endswith("\n# EOF\n"), body[-200:]
        else:
            assert "# EOF" not in body


def test_promtool_check_metrics_is_silent(exporter):
    promtool = shutil.which("promtool")
    assert promtool, "promtool not on PATH: run scripts/install-prometheus.sh (make tools does)"
    _, _, text = exporter.metrics()
    result = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True, timeout=120)
    output = (result.stdout + result.stderr).strip()
    assert result.returncode == 0 and output == "", f"promtool exit {result.returncode}:\n{output[:3000]}"


@pytest.mark.parametrize("fmt", [ec.TEXT, ec.OPENMETRICS])
def test_own_checker_on_live_exposition(text_and_om, fmt):
    text = text_and_om[0] if fmt == ec.TEXT else text_and_om[1]
    families, problems = ec.parse(text, fmt)
    assert problems == [], f"{len(problems)} problems, first ones:\n" + "\n".join(problems[:30])
    no_schedule = [f.name for f in families if "schedule" not in (f.help or "").lower()]
    assert no_schedule == [], f"HELP does not say values are collected on a schedule: {no_schedule}"


def test_contract_families_types_and_labels(text_and_om):
    text, om = text_and_om
    fams = by_family(text)
    om_fams = by_family(om, ec.OPENMETRICS)
    problems = []
    for name, (text_type, om_type, labels) in CONTRACT.items():
        if name not in fams and name in ONLY_WHEN_NONZERO:
            continue
        if name not in fams:
            problems.append(f"{name}: missing in text")
            continue
        if fams[name].type != text_type:
            problems.append(f"{name}: text TYPE {fams[name].type}, want {text_type}")
        om_name = {"counter": name.removesuffix("_total"), "info": name.removesuffix("_info")}.get(om_type, name)
        if om_name not in om_fams:
            problems.append(f"{name}: OpenMetrics family {om_name} missing")
        elif om_fams[om_name].type != om_type:
            problems.append(f"{om_name}: OpenMetrics TYPE {om_fams[om_name].type}, want {om_type}")
        for lbls, _ in series(fams, name):
            if set(lbls) != labels:
                problems.append(f"{name}: labels {sorted(lbls)}, want {sorted(labels)}")
                break
    for name in EVERY_NODE:
        if len(series(fams, name)) != 6 and name not in ("valkey_db_keys", "valkey_db_keys_expiring"):
            problems.append(f"{name}: {len(series(fams, name))} series, want one per node (6)")
    for name in ("valkey_db_keys", "valkey_db_keys_expiring"):
        db0 = [lbls for lbls, _ in series(fams, name) if lbls.get("db") == "0"]
        if len(db0) != 6:
            problems.append(f'{name}{{db="0"}}: {len(db0)} series, want 6')
    # Prometheus naming: counters end in _total, nothing else does
    for f in fams.values():
        if (f.type == "counter") != f.name.endswith("_total"):
            problems.append(f"{f.name}: TYPE {f.type} but name {'does not end' if f.type == 'counter' else 'ends'}"
                            " in _total")
    samples = sum(len(f.samples) for f in fams.values())
    got = series(fams, "valkey_exporter_series")
    if [v for _, v in got] != [samples]:
        problems.append(f"valkey_exporter_series = {got}, but the exposition has {samples} samples")
    assert problems == [], "\n".join(problems)


def test_round_trip_through_prometheus_client(text_and_om):
    text, om = text_and_om
    ours_text = without_volatile(ec.samples(text, ec.TEXT))
    ours_om = without_volatile(ec.samples(om, ec.OPENMETRICS))

    def collect(families):
        out, stamped = {}, []
        for fam in families:
            for s in fam.samples:
                if s.timestamp is not None:
                    stamped.append(s)
                out[(s.name, frozenset(s.labels.items()))] = s.value
        assert stamped == [], f"samples with timestamps: {stamped[:5]}"
        return without_volatile(out)

    theirs_text = collect(parse_text(text))
    theirs_om = collect(parse_openmetrics(om))
    for label, a, b in [("text: ours vs prometheus_client", ours_text, theirs_text),
                        ("openmetrics: ours vs prometheus_client", ours_om, theirs_om),
                        ("text vs openmetrics", theirs_text, theirs_om)]:
        only_a, only_b = a.keys() - b.keys(), b.keys() - a.keys()
        assert not only_a and not only_b, f"{label}: only left {sorted(only_a)[:5]}, only right {sorted(only_b)[:5]}"
        differ = [(k, a[k], b[k]) for k in a if not ec.same_value(a[k], b[k])]
        assert differ == [], f"{label}: {len(differ)} values differ, e.g. {differ[:5]}"
    assert len(theirs_text) > 16384 * 4


def test_openmetrics_specifics(text_and_om):
    _, om = text_and_om
    assert om.endswith("\n# EOF\n") and om.count("# EOF") == 1
    assert "# TYPE valkey_node info\n" in om
    assert re.search(r"^valkey_node_info\{[^}]*\} 1$", om, re.M)
    assert "# TYPE valkey_commands_processed counter\n" in om
    assert re.search(r"^valkey_commands_processed_total\{", om, re.M)
    assert "# TYPE valkey_commands_processed_total" not in om


def test_values_match_valkey_cli(cluster, exporter):
    truth = cluster.nodes()
    slots = slot_stats_truth(cluster)
    (_, text), = same_cycle(exporter, {})
    fams = by_family(text)
    problems = []

    # per slot: one series per slot, owned by the right primary, with the server's key count
    slot_keys = series(fams, "valkey_slot_keys")
    if len(slot_keys) != 16384:
        problems.append(f"count(valkey_slot_keys) = {len(slot_keys)}, want 16384")
    primaries = [node_port(n["addr"]) for n in truth.values() if "master" in n["flags"]]
    dbsize_primaries = sum(int(cli(p, "DBSIZE")) for p in primaries)
    total = sum(v for _, v in slot_keys)
    if not (total == dbsize_primaries == 10000):
        problems.append(f"sum(valkey_slot_keys) = {total}, sum DBSIZE over primaries = {dbsize_primaries}, "
                        "want both 10000")
    wrong = [(lbls, v, slots.get(int(lbls["slot"]))) for lbls, v in slot_keys
             if slots.get(int(lbls["slot"])) != (lbls["node_id"], v)]
    if wrong:
        problems.append(f"{len(wrong)} valkey_slot_keys series differ from CLUSTER SLOT-STATS "
                        f"(labels, value, (owner, key-count)): {wrong[:3]}")
    for name in SLOT_FAMILIES[1:]:
        got = sorted(int(lbls["slot"]) for lbls, _ in series(fams, name))
        if got != list(range(16384)):
            problems.append(f"{name}: {len(got)} series, want one per slot 0..16383")

    # per node
    up = {lbls["node_id"]: v for lbls, v in series(fams, "valkey_up")}
    if up != {node_id: 1 for node_id in truth}:
        problems.append(f"valkey_up = {up}, want 1 for each of {sorted(truth)}")
    info = {lbls["node_id"]: lbls for lbls, _ in series(fams, "valkey_node_info")}
    for node_id, node in truth.items():
        port = node_port(node["addr"])
        want_role = "primary" if "master" in node["flags"] else "replica"
        got = info.get(node_id)
        if got is None:
            problems.append(f"valkey_node_info missing for {node_id}")
            continue
        want = {"addr": node["addr"], "role": want_role, "primary_id": node["primary"] or ""}
        if {k: got[k] for k in want} != want:
            problems.append(f"valkey_node_info{got} does not match CLUSTER NODES {want}")
        version = dict(l.split(":", 1) for l in cli(port, "INFO", "server").splitlines() if ":" in l)
        if got["version"] != version.get("valkey_version", "").strip():
            problems.append(f"valkey_node_info version {got['version']!r}, server says {version.get('valkey_version')!r}")
        dbsize = int(cli(port, "DBSIZE"))
        db0 = [v for lbls, v in series(fams, "valkey_db_keys") if lbls["node_id"] == node_id and lbls["db"] == "0"]
        if db0 != [dbsize]:
            problems.append(f'valkey_db_keys{{node_id="{node_id}",db="0"}} = {db0}, DBSIZE on {port} = {dbsize}')
        repl = dict(l.split(":", 1) for l in cli(port, "INFO", "replication").splitlines() if ":" in l)
        replicas = [v for lbls, v in series(fams, "valkey_connected_replicas") if lbls["node_id"] == node_id]
        if replicas != [int(repl["connected_slaves"])]:
            problems.append(f"valkey_connected_replicas of {port} = {replicas}, INFO says {repl['connected_slaves']}")
        link = [v for lbls, v in series(fams, "valkey_replication_link_up") if lbls["node_id"] == node_id]
        if link != ([1] if want_role == "replica" else []):
            problems.append(f"valkey_replication_link_up of {want_role} {port} = {link}")
        for name in EVERY_NODE:
            got_addr = [lbls["addr"] for lbls, _ in series(fams, name) if lbls.get("node_id") == node_id]
            if got_addr and set(got_addr) != {node["addr"]}:
                problems.append(f"{name}: addr {got_addr} for {node_id}, want {node['addr']}")
    shards = {}
    for node_id, lbls in info.items():
        primary = lbls["primary_id"] or node_id
        shards.setdefault(lbls["shard_id"], set()).add(primary)
    if len(shards) != 3 or any(len(p) != 1 for p in shards.values()):
        problems.append(f"shard_id does not group each primary with its replica: {shards}")

    # cluster
    def one(name, **labels):
        vals = [v for lbls, v in series(fams, name) if all(lbls.get(k) == w for k, w in labels.items())]
        return vals[0] if len(vals) == 1 else vals

    cluster_info = dict(l.split(":", 1) for l in cli(cluster.ports[0], "CLUSTER", "INFO").splitlines() if ":" in l)
    want = {
        ("valkey_cluster_state", ()): 1,
        ("valkey_cluster_slots_assigned", ()): 16384,
        ("valkey_cluster_slots_ok", ()): int(cluster_info["cluster_slots_ok"]),
        ("valkey_cluster_slots_pfail", ()): 0,
        ("valkey_cluster_slots_fail", ()): 0,
        ("valkey_cluster_known_nodes", ()): int(cluster_info["cluster_known_nodes"]),
        ("valkey_cluster_size", ()): int(cluster_info["cluster_size"]),
        ("valkey_cluster_nodes", (("role", "primary"),)): 3,
        ("valkey_cluster_nodes", (("role", "replica"),)): 3,
        ("valkey_cluster_links", (("state", "connected"),)): 6,
        ("valkey_cluster_links", (("state", "disconnected"),)): 0,
        ("valkey_cluster_slots_migrating", ()): 0,
        ("valkey_cluster_slots_importing", ()): 0,
        ("valkey_cluster_slots_covered", ()): 1,
    }
    for (name, labels), value in want.items():
        got = one(name, **dict(labels))
        if got != value:
            problems.append(f"{name}{dict(labels) or ''} = {got}, want {value}")
    build = series(fams, "valkey_exporter_build_info")
    if len(build) != 1 or build[0][1] != 1 or not build[0][0].get("version"):
        problems.append(f"valkey_exporter_build_info = {build}")
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("accept", [None, OPENMETRICS_ACCEPT])
def test_gzip_only_when_asked(exporter, accept):
    fmt = ec.OPENMETRICS if accept else ec.TEXT
    (plain_headers, plain), (gz_headers, gz) = same_cycle(
        exporter, {"accept": accept}, {"accept": accept, "gzip_ok": True})
    assert plain_headers.get("Content-Encoding") is None
    assert gz_headers.get("Content-Encoding") == "gzip", dict(gz_headers)
    assert gz_headers.get("Content-Type") == plain_headers.get("Content-Type")
    assert "Accept-Encoding" in (gz_headers.get("Vary") or ""), gz_headers.get("Vary")
    a, b = by_family(plain, fmt), by_family(gz, fmt)
    assert list(a) == list(b), "gzip answer has other families"
    assert without_volatile(ec.samples(plain, fmt)) == without_volatile(ec.samples(gz, fmt))
    # the raw body really is gzip, and small
    headers = {"Accept-Encoding": "gzip"} | ({"Accept": accept} if accept else {})
    _, hdrs, raw = http_raw("127.0.0.1", exporter.port, "/metrics", headers)
    assert raw[:2] == b"\x1f\x8b", raw[:20]
    assert len(raw) < len(plain.encode()) / 4
    assert int(hdrs["Content-Length"]) == len(raw)
    assert gzip.decompress(raw).decode().count("\n") > 16384 * 4


@pytest.mark.parametrize("accept_encoding", ["identity", "gzip;q=0", "br", "deflate"])
def test_no_gzip_unless_acceptable(exporter, accept_encoding):
    status, headers, body = exporter.metrics(extra_headers={"Accept-Encoding": accept_encoding})
    assert status == 200
    assert headers.get("Content-Encoding") is None, f"Accept-Encoding: {accept_encoding} got gzip"
    assert body.startswith("# HELP ")


def test_metrics_503_before_first_cycle(hanging_server):
    """Until the first cycle has finished there is nothing to expose: 503 with Retry-After, like the JSON API."""
    # The handshake with the silent server holds the first cycle for the connect timeout (3 s).
    e = Exporter("--valkey-address", hanging_server, "--scrape-interval", "1s", "--connect-timeout", "3s")
    try:
        e.wait_listening()
        status, headers, body = e.metrics()
        assert status == 503, (status, body[:300])
        assert headers.get("Retry-After"), dict(headers)
    finally:
        assert e.stop() == 0, e.log()


@pytest.mark.parametrize("value", ["top:0", "top:16385", "top:x", "some"])
def test_slot_metrics_bad_value_exits_64(value):
    e = Exporter("--valkey-address", "127.0.0.1:1", "--slot-metrics", value)
    try:
        assert e.proc.wait(10) == 64, e.log()
    finally:
        e.stop()
    assert "--slot-metrics" in e.log(), e.log()


def test_slot_metrics_none(cluster):
    e = Exporter("--valkey-address", cluster.seed, "--scrape-interval", "1s", "--slot-metrics", "none")
    try:
        e.wait_ready()
        text = e.wait_metrics()
    finally:
        assert e.stop() == 0, e.log()
    fams = by_family(text)
    assert [n for n in fams if n.startswith("valkey_slot_")] == []
    assert "valkey_slot_" not in text
    assert len(series(fams, "valkey_up")) == 6
    assert series(fams, "valkey_exporter_series")[0][1] == sum(len(f.samples) for f in fams.values())


def test_slot_metrics_top_10(cluster):
    slots = slot_stats_truth(cluster)
    e = Exporter("--valkey-address", cluster.seed, "--scrape-interval", "1s", "--slot-metrics", "top:10")
    try:
        e.wait_ready()
        text = e.wait_metrics()
        _, _, om = e.metrics(accept=OPENMETRICS_ACCEPT)
    finally:
        assert e.stop() == 0, e.log()
    assert ec.check(om, ec.OPENMETRICS) == []
    fams = by_family(text)
    got = series(fams, "valkey_slot_keys")
    assert len(got) == 10, f"{len(got)} valkey_slot_keys series, want 10"
    chosen = {int(lbls["slot"]) for lbls, _ in got}
    assert len(chosen) == 10
    for lbls, v in got:
        assert slots[int(lbls["slot"])] == (lbls["node_id"], v), (lbls, v, slots[int(lbls["slot"])])
    largest_left_out = max(count for slot, (_, count) in slots.items() if slot not in chosen)
    assert min(v for _, v in got) >= largest_left_out, \
        f"top:10 chose {sorted((v, s) for s, v in ((int(l['slot']), v) for l, v in got))}, " \
        f"but a slot left out has {largest_left_out} keys"
    want_values = sorted((c for _, c in slots.values()), reverse=True)[:10]
    assert sorted((v for _, v in got), reverse=True) == want_values
    for name in SLOT_FAMILIES[1:]:
        assert {int(lbls["slot"]) for lbls, _ in series(fams, name)} == chosen, f"{name} is not limited to the 10 slots"


def test_real_prometheus_scrapes_it(exporter):
    assert shutil.which("promtool") and shutil.which("prometheus"), \
        "promtool/prometheus not on PATH: run scripts/install-prometheus.sh (make tools does)"
    target = f"127.0.0.1:{exporter.port}"
    prom = Prometheus([target])
    try:
        prom.wait_ready()
        deadline = time.time() + 60
        active = []
        while time.time() < deadline:
            active = prom.api("/api/v1/targets")["activeTargets"]
            if active and active[0]["health"] == "up":
                break
            time.sleep(0.5)
        assert active and active[0]["health"] == "up", f"target not up within 60 s: {active}\n{prom.log()[-3000:]}"
        assert active[0]["scrapeUrl"] == f"http://{target}/metrics"

        checks = {
            f'up{{job="valkey-cluster-exporter",instance="{target}"}}': 1,
            "count(valkey_slot_keys)": 16384,
            "sum(valkey_slot_keys)": 10000,
            "count(valkey_up == 1)": 6,
            "valkey_cluster_state": 1,
            "count(valkey_node_info)": 6,
            'count(valkey_node_info{role="primary"})': 3,
            "count(valkey_slot_network_sent_bytes_total)": 16384,
            # Prometheus counted every sample of the scrape; the exporter says how many it sent.
            "scrape_samples_scraped - on(job, instance) valkey_exporter_series": 0,
        }
        results = {}
        deadline = time.time() + 30
        while time.time() < deadline:
            results = {q: prom.query(q) for q in checks}
            if all(len(r) == 1 and r[0][1] == checks[q] for q, r in results.items()):
                break
            time.sleep(1)
        wrong = {q: r for q, r in results.items() if not (len(r) == 1 and r[0][1] == checks[q])}
        assert wrong == {}, "queries with unexpected answers (want %s): %s" % (
            {q: checks[q] for q in wrong}, wrong)
        scrape_warnings = [l for l in prom.log().splitlines()
                           if ("level=warn" in l or "level=error" in l) and ("scrape" in l or "ingest" in l)]
        assert scrape_warnings == [], "Prometheus complained about the scrape:\n" + "\n".join(scrape_warnings[:10])
    finally:
        prom.stop()
