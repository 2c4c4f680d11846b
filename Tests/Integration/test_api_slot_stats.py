"""/api/cluster/slot-stats against the live cluster: counted once, sorted, owned, cached, validated."""
import pytest

from conftest import cli, Exporter


def test_all_slots_once_with_owner(cluster, exporter):
    status, _, body = exporter.get("/api/cluster/slot-stats")
    assert status == 200, body
    data = body["data"]
    slots = data["slots"]
    assert [s["slot_id"] for s in slots] == list(range(16384))
    assert data["total_slots"] == 16384 and data["start_slot"] == 0 and data["end_slot"] == 16383
    truth = cluster.nodes()
    owner = {}
    for node_id, node in truth.items():
        for part in node["slots"]:
            lo, _, hi = part.partition("-")
            for slot in range(int(lo), int(hi or lo) + 1):
                owner[slot] = node_id
    for s in slots:
        assert s["node_id"] == owner[s["slot_id"]]
        assert isinstance(s["cpu_usec"], int) and isinstance(s["network_bytes_in"], int)
        assert isinstance(s["network_bytes_out"], int)
    primaries = [int(n["addr"].rsplit(":", 1)[1]) for n in truth.values() if "master" in n["flags"]]
    assert sum(s["key_count"] for s in slots) == sum(int(cli(p, "DBSIZE")) for p in primaries) == 10000
    # spot-check per-slot key counts against the server
    for slot in (0, 5000, 16383):
        port = int(truth[owner[slot]]["addr"].rsplit(":", 1)[1])
        assert slots[slot]["key_count"] == int(cli(port, "CLUSTER", "COUNTKEYSINSLOT", slot))


def test_range_and_cache_flag(exporter):
    status, _, first = exporter.get("/api/cluster/slot-stats?start_slot=100&end_slot=200")
    assert status == 200
    d1 = first["data"]
    assert [s["slot_id"] for s in d1["slots"]] == list(range(100, 201))
    assert d1["start_slot"] == 100 and d1["end_slot"] == 200
    assert d1["cached"] is False and d1["cache_timestamp"] is None
    _, _, second = exporter.get("/api/cluster/slot-stats?start_slot=100&end_slot=200")
    d2 = second["data"]
    assert d2["cached"] is True and d2["cache_timestamp"] is not None
    assert d2["slots"] == d1["slots"]
    # another range is its own cache entry
    _, _, other = exporter.get("/api/cluster/slot-stats?start_slot=100&end_slot=100")
    assert other["data"]["cached"] is False and other["data"]["total_slots"] == 1


def test_cache_expires(cluster):
    e = Exporter("--valkey-address", cluster.seed, "--scrape-interval", "1s", "--slot-stats-cache-ttl", "1s")
    try:
        e.wait_ready()
        assert e.get("/api/cluster/slot-stats?start_slot=7&end_slot=9")[2]["data"]["cached"] is False
        assert e.get("/api/cluster/slot-stats?start_slot=7&end_slot=9")[2]["data"]["cached"] is True
        import time
        time.sleep(1.2)
        assert e.get("/api/cluster/slot-stats?start_slot=7&end_slot=9")[2]["data"]["cached"] is False
    finally:
        assert e.stop() == 0


@pytest.mark.parametrize("query", [
    "start_slot=abc", "start_slot=-1", "end_slot=16384", "start_slot=16384", "start_slot=10&end_slot=5",
    "start_slot=1&start_slot=2", "end_slot=1&end_slot=1", "start_slot=1.5", "start_slot=", "start_slot=+1",
    "start_slot=%201", "start_slot=0x10", "end_slot=99999999999999999999999",
])
def test_malformed_range_is_400(exporter, query):
    status, _, body = exporter.get("/api/cluster/slot-stats?" + query)
    assert status == 400, (query, body)
    assert body["status"] == "error" and body["error"]["code"] == "invalid_slot_range"
    assert body["error"]["message"]


def test_keys_only_when_tracking_disabled(cluster):
    ports = cluster.ports
    for p in ports:
        cli(p, "CONFIG", "SET", "cluster-slot-stats-enabled", "no")
    e = Exporter("--valkey-address", cluster.seed, "--scrape-interval", "1s", "--slot-stats-cache-ttl", "0")
    try:
        e.wait_ready()
        _, _, body = e.get("/api/cluster/slot-stats?start_slot=0&end_slot=10")
        data = body["data"]
        assert len(data["slots"]) == 11
        assert all(s["cpu_usec"] is None and s["network_bytes_in"] is None and s["network_bytes_out"] is None
                   for s in data["slots"])
        assert all(isinstance(s["key_count"], int) for s in data["slots"])
        assert "cluster-slot-stats-enabled" in data["note"]
    finally:
        for p in ports:
            cli(p, "CONFIG", "SET", "cluster-slot-stats-enabled", "yes")
        assert e.stop() == 0
