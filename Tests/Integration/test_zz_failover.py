"""Runs last (it kills a primary): the node goes offline, the others keep updating, the replica is promoted."""
import time


def test_primary_killed_then_failover_then_rejoin(cluster, exporter):
    data = exporter.get("/api/cluster/nodes/metrics")[2]["data"]
    victim = next(n for n in data["nodes"] if n["role"] == "master")
    victim_port = int(victim["nodeAddress"].rsplit(":", 1)[1])
    replica = next(n for n in data["nodes"] if n["role"] == "slave" and
                   exporter.get("/api/cluster/nodes")[2]["data"]["nodes"] and
                   next(x for x in exporter.get("/api/cluster/nodes")[2]["data"]["nodes"]
                        if x["nodeId"] == n["nodeId"]).get("masterNodeId") == victim["nodeId"])
    before = {n["nodeId"]: n["collectedAt"] for n in data["nodes"]}

    cluster.sh("kill-node", victim_port)
    body = exporter.wait_for(
        lambda b: next(n for n in b["data"]["nodes"] if n["nodeId"] == victim["nodeId"])["status"] == "offline",
        timeout=15, what="killed primary reported offline")
    node = next(n for n in body["data"]["nodes"] if n["nodeId"] == victim["nodeId"])
    assert node["error"]["reason"] in ("refused", "reset", "timeout")
    assert node["keyCount"] == victim["keyCount"], "last good values are kept"
    assert node["collectedAt"] == before[victim["nodeId"]] or node["collectedAt"] >= before[victim["nodeId"]]
    assert body["data"]["clusterInfo"]["clusterState"] in ("degraded", "fail")
    time.sleep(2.2)
    later = exporter.get("/api/cluster/nodes/metrics")[2]["data"]["nodes"]
    for n in later:
        if n["nodeId"] != victim["nodeId"]:
            assert n["status"] == "online" and n["collectedAt"] > before[n["nodeId"]], n

    exporter.wait_for(
        lambda b: next(n for n in b["data"]["nodes"] if n["nodeId"] == replica["nodeId"])["role"] == "master",
        timeout=30, what="replica promoted to master")
    cluster.sh("restart-node", victim_port, timeout=120)
    exporter.wait_for(
        lambda b: next(n for n in b["data"]["nodes"] if n["nodeId"] == victim["nodeId"])["role"] == "slave"
        and next(n for n in b["data"]["nodes"] if n["nodeId"] == victim["nodeId"])["status"] == "online",
        timeout=30, what="old primary back as replica")
    exporter.wait_for(lambda b: b["data"]["clusterInfo"]["clusterState"] == "ok", timeout=30, what="cluster ok")
    slots = exporter.get("/api/cluster/slot-stats")[2]["data"]
    assert slots["total_slots"] == 16384
    assert sum(s["key_count"] for s in slots["slots"]) == 10000
