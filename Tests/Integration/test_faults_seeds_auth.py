"""Seeds that are down or die, and authentication failures, against the real cluster."""
import re
import time

from conftest import Exporter, STANDALONE_PORT, cli, free_port, run
from tcp_proxy import TCPProxy


def metric(exporter, name):
    """Sum of a family's samples in /metrics (None when absent)."""
    _, _, text = exporter.get("/metrics")
    values = [float(m.group(1)) for m in re.finditer(rf"^{name}(?:{{[^}}]*}})? (\S+)$", text, re.M)]
    return sum(values) if values else None


def test_first_seed_down_at_start(cluster):
    dead = free_port()
    e = Exporter("--valkey-address", f"127.0.0.1:{dead},{cluster.seed}", "--scrape-interval", "1s")
    try:
        e.wait_ready()
        body = e.wait_for(lambda b: sum(n["status"] == "online" for n in b["data"]["nodes"]) == 6,
                          what="all six nodes online")
        assert body["data"]["clusterInfo"]["clusterState"] == "ok"
    finally:
        assert e.stop() == 0


def test_all_seeds_down_then_a_seed_returns(cluster):
    proxy = TCPProxy(cluster.base_port)  # bound, not listening: connections are refused
    e = Exporter("--valkey-address", f"127.0.0.1:{proxy.port}", "--scrape-interval", "1s", "--log-level", "debug")
    try:
        e.wait_ready()
        status, headers, body = e.get("/api/cluster/nodes")
        assert status == 503 and body["error"]["code"] == "cluster_unreachable" and "Retry-After" in headers
        assert e.get("/healthz")[0] == 200
        assert metric(e, "valkey_exporter_cluster_reachable") == 0
        time.sleep(7)
        assert e.proc.poll() is None, "the process must stay up"
        # Capped exponential backoff (1 s interval: 1, 2, 4, 4 s, +-20 %): about 4 attempts in 7 s, not 7.
        attempts = metric(e, "valkey_exporter_discovery_errors_total")
        assert 2 <= attempts <= 5, attempts
        proxy.start()
        e.wait_for(lambda b: sum(n["status"] == "online" for n in b["data"]["nodes"]) == 6, timeout=10,
                   what="recovery after the seed returns (within the 4 s backoff cap)")
        assert metric(e, "valkey_exporter_cluster_reachable") == 1
    finally:
        proxy.stop()
        assert e.stop() == 0


def test_seed_dies_while_running(cluster):
    proxy = TCPProxy(cluster.base_port).start()
    e = Exporter("--valkey-address", f"127.0.0.1:{proxy.port}", "--scrape-interval", "500ms")
    try:
        e.wait_ready()
        e.wait_for(lambda b: sum(n["status"] == "online" for n in b["data"]["nodes"]) == 6, what="six online")
        proxy.stop()
        before = e.get("/readyz")[2]["data"]["cycle"]
        time.sleep(2)
        ready = e.get("/readyz")[2]["data"]
        assert ready["cycle"] >= before + 2 and ready["mode"] == "cluster", ready
        body = e.get("/api/cluster/nodes/metrics")[2]
        assert sum(n["status"] == "online" for n in body["data"]["nodes"]) == 6, "discovery moved to known nodes"
    finally:
        assert e.stop() == 0


def test_wrong_password_backs_off():
    run("scripts/standalone.sh", "start", "--port", STANDALONE_PORT)
    cli(STANDALONE_PORT, "CONFIG", "SET", "requirepass", "right-password")
    try:
        e = Exporter("--valkey-address", f"127.0.0.1:{STANDALONE_PORT}", "--scrape-interval", "1s",
                     env={"VALKEY_PASSWORD": "wrong-password"})
        try:
            e.wait_listening()
            time.sleep(8)
            denied = int(cli(STANDALONE_PORT, "-a", "right-password", "--no-auth-warning", "INFO", "stats")
                         .split("acl_access_denied_auth:")[1].split()[0])
            # One login per cycle would be 8; backoff (1, 2, 4, 4 s) allows about 4.
            assert 1 <= denied <= 5, denied
            assert e.proc.poll() is None
            assert "wrong-password" not in e.log()
        finally:
            assert e.stop() == 0
    finally:
        cli(STANDALONE_PORT, "-a", "right-password", "--no-auth-warning", "CONFIG", "SET", "requirepass", "")
        run("scripts/standalone.sh", "stop", "--port", STANDALONE_PORT)


def test_acl_user_missing_on_one_node_and_noperm_for_slot_stats(cluster):
    ports = cluster.ports
    missing = ports[-1]
    for p in ports:
        cli(p, "ACL", "SETUSER", "exporter-noperm", "on", ">np-pass", "+@all", "-cluster|slot-stats", "~*")
        if p != missing:
            cli(p, "ACL", "SETUSER", "exporter-partial", "on", ">pp-pass", "+@all", "~*")
    try:
        e = Exporter("--valkey-address", cluster.seed, "--scrape-interval", "1s", "--valkey-username", "exporter-partial",
                     env={"VALKEY_PASSWORD": "pp-pass"})
        try:
            e.wait_ready()
            body = e.wait_for(lambda b: any(n["status"] == "error" for n in b["data"]["nodes"]), what="auth error")
            bad = [n for n in body["data"]["nodes"] if n["status"] != "online"]
            assert [n["nodeAddress"] for n in bad] == [f"127.0.0.1:{missing}"], bad
            assert bad[0]["error"]["reason"] == "auth"
            assert sum(n["status"] == "online" for n in body["data"]["nodes"]) == 5
        finally:
            assert e.stop() == 0

        e = Exporter("--valkey-address", cluster.seed, "--scrape-interval", "1s", "--valkey-username", "exporter-noperm",
                     env={"VALKEY_PASSWORD": "np-pass"})
        try:
            e.wait_ready()
            body = e.wait_for(lambda b: sum(n["status"] == "online" for n in b["data"]["nodes"]) == 6, what="six online")
            slots = e.get("/api/cluster/slot-stats")[2]["data"]
            assert slots["slots"] == [] and "note" in slots
            assert metric(e, "valkey_slot_keys") is None
            errors = re.findall(r'^valkey_exporter_collection_errors_total\{[^}]*reason="(\w+)"\} (\d+)',
                                e.get("/metrics")[2], re.M)
            assert errors and all(reason == "noperm" for reason, _ in errors), errors
            assert metric(e, "valkey_up") == 6
        finally:
            assert e.stop() == 0
    finally:
        for p in ports:
            cli(p, "ACL", "DELUSER", "exporter-noperm", "exporter-partial")


def test_user_without_multi_still_gets_every_slot(cluster):
    """A user allowed everything but MULTI/EXEC: the primaries' DBSIZE + SLOT-STATS transaction is refused at
    MULTI, the commands run one by one instead, and every slot is still collected once, with no error counted."""
    for p in cluster.ports:
        cli(p, "ACL", "SETUSER", "exporter-nomulti", "on", ">nm-pass", "+@all", "-multi", "-exec", "~*")
    try:
        e = Exporter("--valkey-address", cluster.seed, "--scrape-interval", "1s", "--valkey-username", "exporter-nomulti",
                     env={"VALKEY_PASSWORD": "nm-pass"})
        try:
            e.wait_ready()
            e.wait_for(lambda b: sum(n["status"] == "online" for n in b["data"]["nodes"]) == 6, what="six online")
            slots = e.get("/api/cluster/slot-stats")[2]["data"]
            assert slots["total_slots"] == 16384 and "note" not in slots, {k: v for k, v in slots.items() if k != "slots"}
            dbsize = sum(int(cli(p, "DBSIZE")) for p in cluster.live_primary_ports())
            assert sum(s["key_count"] for s in slots["slots"]) == dbsize
            text = e.get("/metrics")[2]
            assert "valkey_exporter_collection_errors_total" not in text, re.findall(r"^valkey_exporter_collection_errors.*$", text, re.M)
            assert 'valkey_exporter_slot_stats_availability{state="full"} 1' in text
        finally:
            assert e.stop() == 0
    finally:
        for p in cluster.ports:
            cli(p, "ACL", "DELUSER", "exporter-nomulti")
