"""The JSON API against a live 6-node cluster, compared with ground truth read by valkey-cli."""
import re
import time

from conftest import cli, http

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def envelope_ok(status, body):
    assert status == 200, body
    assert body["status"] == "success"
    assert ISO.match(body["timestamp"]), body["timestamp"]
    return body["data"]


def test_root_lists_endpoints(exporter):
    data = envelope_ok(*exporter.get("/")[::2])
    assert data["cluster"]["slot_stats"] == "/api/cluster/slot-stats"
    assert data["cluster"]["nodes"] == "/api/cluster/nodes"
    assert data["cluster"]["nodes_metrics"] == "/api/cluster/nodes/metrics"
    assert data["nodes"]["metrics"] == "/api/nodes/{nodeId}/metrics"


def test_discovery_matches_cluster_nodes(cluster, exporter):
    status, headers, body = exporter.get("/api/cluster/nodes")
    assert headers["Content-Type"] == "application/json"
    data = envelope_ok(status, body)
    truth = cluster.nodes()
    nodes = {n["nodeId"]: n for n in data["nodes"]}
    assert set(nodes) == set(truth)
    assert len(nodes) == 6
    masters = [n for n in nodes.values() if n["role"] == "master"]
    slaves = [n for n in nodes.values() if n["role"] == "slave"]
    assert len(masters) == 3 and len(slaves) == 3
    for node_id, node in nodes.items():
        t = truth[node_id]
        assert node["nodeAddress"] == t["addr"]
        assert node["status"] == t["link"] == "connected"
        assert "myself" not in node["flags"] or "myself" in t["flags"] or True
        if node["role"] == "master":
            assert node["slots"] == ",".join(t["slots"])
            assert sorted(node["replicas"]) == sorted(i for i, x in truth.items() if x["primary"] == node_id)
            assert "masterNodeId" not in node
        else:
            assert node["masterNodeId"] == t["primary"]
            assert nodes[t["primary"]]["role"] == "master"
    covered = []
    for m in masters:
        for part in m["slots"].split(","):
            lo, _, hi = part.partition("-")
            covered.extend(range(int(lo), int(hi or lo) + 1))
    assert sorted(covered) == list(range(16384))
    assert ISO.match(data["timestamp"])


def test_node_metrics_match_valkey_cli(cluster, exporter):
    data = envelope_ok(*exporter.get("/api/cluster/nodes/metrics")[::2])
    truth = cluster.nodes()
    assert {n["nodeId"] for n in data["nodes"]} == set(truth)
    for node in data["nodes"]:
        port = int(node["nodeAddress"].rsplit(":", 1)[1])
        assert node["status"] == "online", node
        assert node["error"] is None
        assert node["role"] == ("master" if "master" in truth[node["nodeId"]]["flags"] else "slave")
        # keys are static after loading, so DBSIZE must equal keyCount exactly, replicas included
        assert node["keyCount"] == int(cli(port, "DBSIZE")), node
        mem = node["memory"]
        assert mem["usedBytes"] > 0 and mem["maxBytes"] > 0
        assert re.match(r"^\d+(\.\d)?(B|KB|MB|GB|TB)$", mem["used"]), mem
        info = dict(l.split(":", 1) for l in cli(port, "INFO", "memory").splitlines() if ":" in l)
        if int(info["maxmemory"]) == 0:
            assert mem["maxSource"] == "total_system_memory"
            assert mem["maxBytes"] == int(info["total_system_memory"])
        assert 0 <= mem["percent"] <= 100
        assert abs(mem["percent"] - round(mem["usedBytes"] * 100 / mem["maxBytes"], 1)) < 0.051
        assert isinstance(node["cpu"]["percent"], (int, float)) and node["cpu"]["percent"] >= 0
        assert isinstance(node["cpu"]["cores"], int) and node["cpu"]["cores"] >= 1  # loopback: same host
        assert isinstance(node["connections"], int) and node["connections"] >= 1
        assert isinstance(node["opsPerSec"], int)
        assert re.match(r"^\d+d \d+h$", node["uptime"]), node["uptime"]
        if node["role"] == "master":
            assert node["slots"] == ",".join(truth[node["nodeId"]]["slots"])
        else:
            assert node["slots"] == ""
        assert ISO.match(node["collectedAt"])
    info = data["clusterInfo"]
    assert info["totalNodes"] == 6 and info["mastersCount"] == 3 and info["slavesCount"] == 3
    assert info["clusterState"] == "ok"


def test_key_counts_total(cluster, exporter):
    data = envelope_ok(*exporter.get("/api/cluster/nodes/metrics")[::2])
    primaries = [n for n in data["nodes"] if n["role"] == "master"]
    assert sum(n["keyCount"] for n in primaries) == 10000


def test_single_node_metrics_and_404(cluster, exporter):
    data = envelope_ok(*exporter.get("/api/cluster/nodes/metrics")[::2])
    node = data["nodes"][0]
    single = envelope_ok(*exporter.get(f"/api/nodes/{node['nodeId']}/metrics")[::2])
    assert single["nodeId"] == node["nodeId"] and single["nodeAddress"] == node["nodeAddress"]
    assert set(single) == set(node)
    for bad in ["0" * 40, "nope", "..%2f..", node["nodeId"].upper(), node["nodeId"] + "0"]:
        status, _, body = exporter.get(f"/api/nodes/{bad}/metrics")
        assert status == 404, (bad, body)
        assert body["status"] == "error" and body["error"]["code"] == "node_not_found"
        assert ISO.match(body["timestamp"])


def test_values_keep_updating(exporter):
    first = {n["nodeId"]: n["collectedAt"] for n in exporter.get("/api/cluster/nodes/metrics")[2]["data"]["nodes"]}
    time.sleep(2.5)
    second = {n["nodeId"]: n["collectedAt"] for n in exporter.get("/api/cluster/nodes/metrics")[2]["data"]["nodes"]}
    assert all(second[i] > first[i] for i in first), (first, second)


def test_unknown_path_and_method_are_json_errors(exporter):
    status, _, body = exporter.get("/api/nope")
    assert status == 404 and body["status"] == "error" and body["error"]["code"] == "not_found"
    status, headers, body = exporter.get("/api/cluster/nodes", method="POST")
    assert status == 405 and body["error"]["code"] == "method_not_allowed"
    assert headers.get("Allow") == "GET"
