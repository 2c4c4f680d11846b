"""The process itself: readiness, flags, environment, standalone mode, shutdown, connection reuse."""
import os
import socket
import re
import subprocess
import time

from conftest import EXPORTER, EXPORTER_ACL, REPO, STANDALONE_PORT, Exporter, cli, run
from test_hostile_http import recv_response


def test_503_with_retry_after_before_first_collection(hanging_server):
    e = Exporter("--valkey-address", hanging_server, "--command-timeout", "5s", "--connect-timeout", "5s")
    try:
        e.wait_listening()
        for path in ["/api/cluster/nodes", "/api/cluster/nodes/metrics", "/api/cluster/slot-stats", "/readyz",
                     "/api/nodes/" + "a" * 40 + "/metrics"]:
            status, headers, body = e.get(path)
            assert status == 503, (path, body)
            assert int(headers["Retry-After"]) >= 1
            assert body["status"] == "error" and body["error"]["code"] == "not_ready"
        assert e.get("/healthz")[0] == 200
    finally:
        assert e.stop() == 0


def test_bad_flags_exit_nonzero_naming_the_field():
    cases = [
        (["--scrape-interval", "soon"], "--scrape-interval"),
        (["--valkey-address", "localhost"], "--valkey-address"),
        (["--valkey-address", "127.0.0.1:70000"], "--valkey-address"),
        (["--listen-address", "nope"], "--listen-address"),
        (["--max-http-connections", "0"], "--max-http-connections"),
        (["--max-http-connections", "lots"], "--max-http-connections"),
        (["--log-level", "loud"], "--log-level"),
        (["--log-format", "xml"], "--log-format"),
        (["--valkey-password-file", "/nonexistent/pw"], "--valkey-password-file"),
        (["--no-such-flag"], "no-such-flag"),
    ]
    for args, field in cases:
        out = subprocess.run([EXPORTER, *args], capture_output=True, text=True, timeout=30)
        assert out.returncode != 0, args
        assert field in out.stderr, (args, out.stderr)


def test_environment_bad_value_names_variable():
    env = dict(os.environ, SCRAPE_INTERVAL="-3s")
    out = subprocess.run([EXPORTER], capture_output=True, text=True, timeout=30, env=env)
    assert out.returncode != 0 and "SCRAPE_INTERVAL" in out.stderr


def test_help_documents_every_flag_and_variable():
    out = subprocess.run([EXPORTER, "--help"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0
    for text in ["--valkey-address", "VALKEY_ADDRESS", "--valkey-username", "VALKEY_USERNAME",
                 "--valkey-password-file", "VALKEY_PASSWORD_FILE", "VALKEY_PASSWORD", "--listen-address",
                 "LISTEN_ADDRESS", "--scrape-interval", "SCRAPE_INTERVAL", "--log-level", "--log-format",
                 "--command-timeout", "--connect-timeout", "--slot-stats-cache-ttl",
                 "--max-http-connections", "MAX_HTTP_CONNECTIONS"]:
        assert text in out.stdout, text


def test_environment_configures_and_json_logs(cluster):
    e = Exporter(env={"VALKEY_ADDRESS": cluster.seed, "SCRAPE_INTERVAL": "1s", "LOG_FORMAT": "json",
                      "LOG_LEVEL": "debug"})
    try:
        e.wait_ready()
        assert len(e.get("/api/cluster/nodes")[2]["data"]["nodes"]) == 6
    finally:
        assert e.stop() == 0
    import json
    lines = [l for l in e.log().splitlines() if l.strip()]
    assert lines and all(json.loads(l)["level"] for l in lines)


def test_standalone_server():
    run("scripts/standalone.sh", "start", "--port", STANDALONE_PORT)
    try:
        cli(STANDALONE_PORT, "SET", "a", "1")
        e = Exporter("--valkey-address", f"127.0.0.1:{STANDALONE_PORT}", "--scrape-interval", "1s")
        try:
            e.wait_ready()
            status, _, body = e.get("/api/cluster/nodes")
            assert status == 200 and body["data"]["nodes"] == []
            assert "cluster mode" in body["data"]["message"]
            status, _, body = e.get("/api/cluster/nodes/metrics")
            assert status == 200 and body["data"]["nodes"] == [] and "cluster mode" in body["data"]["message"]
            status, _, body = e.get("/api/cluster/slot-stats")
            data = body["data"]
            assert status == 200 and data["slots"] == [] and data["total_slots"] == 0
            assert data["start_slot"] is None and data["end_slot"] is None and data["cached"] is False
            assert data["note"]
            assert e.get("/api/nodes/" + "a" * 40 + "/metrics")[0] == 404
        finally:
            assert e.stop() == 0
    finally:
        run("scripts/standalone.sh", "stop", "--port", STANDALONE_PORT)


def exporter_clients(port):
    return [l for l in cli(port, "CLIENT", "LIST").splitlines() if "name=valkey-cluster-exporter" in l]


def test_connections_reused_and_closed_on_sigterm(cluster):
    before = {p: len(exporter_clients(p)) for p in cluster.ports}
    e = Exporter("--valkey-address", cluster.seed, "--scrape-interval", "200ms")
    e.wait_ready()
    time.sleep(1.5)
    during = {p: len(exporter_clients(p)) for p in cluster.ports}
    ids = {p: sorted(re.findall(r"id=(\d+)", "\n".join(exporter_clients(p)))) for p in cluster.ports}
    time.sleep(1.5)
    ids_later = {p: sorted(re.findall(r"id=(\d+)", "\n".join(exporter_clients(p)))) for p in cluster.ports}
    assert all(during[p] == before[p] + 1 for p in cluster.ports), (before, during)
    assert ids == ids_later, "connections were replaced although nothing failed"
    started = time.time()
    assert e.stop() == 0
    assert time.time() - started < 5
    time.sleep(0.3)
    after = {p: len(exporter_clients(p)) for p in cluster.ports}
    assert after == before, (before, after)


def test_sigterm_does_not_wait_for_a_hung_handshake(hanging_server):
    e = Exporter("--valkey-address", hanging_server, "--connect-timeout", "30s", "--command-timeout", "30s")
    e.wait_listening()
    time.sleep(0.5)  # the first cycle is now stuck in the handshake with the silent server
    started = time.time()
    assert e.stop() == 0
    assert time.time() - started < 5, "shutdown waited for the 30 s handshake deadline"


def test_http_connection_cap_queues_extra_clients(cluster):
    """--max-http-connections 2: two idle keep-alive connections hold both slots, a third client is not served
    (it waits in the listen backlog) until one of them closes, and is then answered normally."""
    e = Exporter("--valkey-address", cluster.seed, "--scrape-interval", "1s", "--max-http-connections", "2")
    try:
        e.wait_ready()
        holders = [socket.create_connection(("127.0.0.1", e.port), timeout=10), socket.create_connection(("127.0.0.1", e.port), timeout=10)]
        for h in holders:  # one request each, so both connections are surely accepted and open
            h.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            assert recv_response(h, 10)["status"] == 200
        third = socket.create_connection(("127.0.0.1", e.port), timeout=10)  # the kernel completes the handshake; the exporter does not accept it yet
        third.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        third.settimeout(1.5)
        try:
            early = third.recv(1)
        except socket.timeout:
            early = None
        assert early is None, f"third connection served beyond the cap of 2: {early!r}"
        holders[0].close()
        resp = recv_response(third, 10)
        assert resp is not None and resp["status"] == 200, "third client not served after a slot was freed"
        third.close()
        holders[1].close()
    finally:
        e.stop()


def test_readme_documents_the_acl_the_tests_use():
    """The minimal ACL in README "Security" is the one the session cluster creates and the shared exporter uses."""
    readme = (REPO / "README.md").read_text()
    assert f"ACL SETUSER exporter reset on >PASSWORD {EXPORTER_ACL}" in readme
