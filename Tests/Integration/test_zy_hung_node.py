"""A frozen (SIGSTOPped) node: reported offline with reason timeout within its deadline, the others keep
updating, the cycle stays bounded by the command timeout, and the node comes back on a new connection."""
import re
import time

from conftest import Exporter, cli


def node_by_port(body, port):
    return next(n for n in body["data"]["nodes"] if n["nodeAddress"].endswith(f":{port}"))


def test_hung_replica_does_not_stall_the_others(cluster):
    e = Exporter("--valkey-address", cluster.seed, "--scrape-interval", "500ms", "--command-timeout", "1s",
                 "--connect-timeout", "1s")
    victim = None
    try:
        e.wait_ready()
        replicas = [int(p) for p in cluster.sh("replicas").split()]
        victim = replicas[0]
        client_ids_before = [l for l in cli(victim, "CLIENT", "LIST").splitlines() if "valkey-cluster-exporter" in l]
        cluster.sh("stop-node", victim)
        frozen_at = time.time()
        body = e.wait_for(lambda b: node_by_port(b, victim)["status"] == "offline", timeout=10,
                          what="frozen node offline")
        assert time.time() - frozen_at < 4, "offline should show within one cycle plus the 1 s deadline"
        assert node_by_port(body, victim)["error"]["reason"] == "timeout"
        # Cycles keep finishing within about the deadline, and every other node stays fresh.
        _, _, ready1 = e.get("/readyz")
        time.sleep(3)
        _, _, ready2 = e.get("/readyz")
        assert ready2["data"]["cycle"] >= ready1["data"]["cycle"] + 2
        assert ready2["data"]["cycleDurationSeconds"] < 2.0
        body = e.get("/api/cluster/nodes/metrics")[2]
        for n in body["data"]["nodes"]:
            if not n["nodeAddress"].endswith(f":{victim}"):
                assert n["status"] == "online", n
        # The JSON API never waits on the frozen node.
        started = time.time()
        for _ in range(20):
            assert e.get("/api/cluster/nodes/metrics")[0] == 200
        assert (time.time() - started) / 20 < 0.25
    finally:
        if victim is not None:
            cluster.sh("cont-node", victim)
    try:
        e.wait_for(lambda b: node_by_port(b, victim)["status"] == "online", timeout=20, what="node back online")
        # The stuck connection was replaced, not reused: the server lists exactly one exporter client,
        # and its id differs from the one before the freeze.
        time.sleep(1.5)
        clients = [l for l in cli(victim, "CLIENT", "LIST").splitlines() if "valkey-cluster-exporter" in l]
        ids = lambda lines: {re.search(r"\bid=(\d+)", l).group(1) for l in lines}
        assert len(clients) == len(client_ids_before)
        assert ids(client_ids_before) - ids(clients), "the connection that timed out was reused"

    finally:
        assert e.stop() == 0
    cluster.sh("wait-ok")
