"""TLS to Valkey with real TLS peers (issue 5): a Valkey 9.1.2 cluster behind socat TLS terminators (so SLOT-STATS is
covered over TLS; every node announces its terminator's port) and Debian's Redis 7.0.15 as a TLS-only cluster.
Certificates are generated at test time by scripts/gen-certs.sh (tls_env.certs).

Checked: a cluster discovered and collected entirely over TLS matches plaintext ground truth; each certificate problem
is reported for that node only with its own bounded reason (tls_expired, tls_hostname, tls_untrusted,
tls_client_certificate, tls_version) while the others are collected, and the node recovers when its certificate is
fixed; mutual TLS; --valkey-tls-server-name; a TLS client aimed at a plaintext port fails within the connect
deadline and never falls back to plaintext; --valkey-tls-insecure-skip-verify accepts bad certificates and says so in
the log; bad TLS settings exit 64 naming the flag.
"""
import re
import subprocess
import time

import pytest

from conftest import EXPORTER, Exporter
from tls_env import RedisTLSCluster, ValkeyBehindTLS, certs

VALKEY_BASE = 7920   # plaintext nodes 7920-7925, bus 17920-17925, terminators 7940-7945
REDIS_BASE = 7900    # TLS-only Redis 7900-7905, bus 17900-17905


@pytest.fixture(scope="module")
def tls_certs(tmp_path_factory):
    return certs(tmp_path_factory.mktemp("certs"))


@pytest.fixture(scope="module")
def vk(tls_certs):
    cluster = ValkeyBehindTLS(VALKEY_BASE, tls_certs)
    cluster.start()
    yield cluster
    cluster.stop()


def nodes_by_port(e):
    body = e.get("/api/cluster/nodes/metrics")[2]
    return {int(n["nodeAddress"].rsplit(":", 1)[1]): n for n in body["data"]["nodes"]}


def tls_exporter(vk, tls_certs, *extra, seed=None):
    return Exporter("--valkey-address", seed or vk.seed, "--valkey-tls-ca-file", tls_certs["ca"],
                    "--scrape-interval", "1s", "--connect-timeout", "1s", "--command-timeout", "2s", *extra)


def wait_statuses(e, want, timeout=20):
    """Waits until every port in `want` has (status, reason); returns the nodes."""
    def ok(_body):
        got = nodes_by_port(e)
        return all(p in got and (got[p]["status"], (got[p].get("error") or {}).get("reason")) == w for p, w in want.items())
    e.wait_for(ok, timeout=timeout, what=f"node statuses {want}")
    return nodes_by_port(e)


ONLINE = ("online", None)


def test_cluster_collected_over_tls_matches_plaintext_truth(vk, tls_certs):
    e = tls_exporter(vk, tls_certs)
    try:
        e.wait_ready()
        nodes = wait_statuses(e, {p: ONLINE for p in vk.ports})
        # Every node was reached at its TLS port (what the cluster announces), none at a plaintext one.
        assert set(nodes) == set(vk.ports)
        truth = {p: int(vk.plain_cli(p, "DBSIZE")) for p in vk.ports}
        for p, n in nodes.items():
            assert n["keyCount"] == truth[p], (p, n["keyCount"], truth[p])
        slots = e.get("/api/cluster/slot-stats")[2]["data"]
        primaries = vk.primaries()
        assert slots["total_slots"] == 16384
        assert sum(s["key_count"] for s in slots["slots"]) == sum(truth[p] for p in primaries) == 10000
        assert all(s["cpu_usec"] is not None for s in slots["slots"])
        text = e.get("/metrics")[2]
        assert len(re.findall(r"^valkey_slot_keys\{", text, re.M)) == 16384
        assert "valkey_exporter_collection_errors_total" not in text
        assert "tls=on" in e.log()
    finally:
        assert e.stop() == 0


@pytest.mark.parametrize("cert, reason", [
    ("expired", "tls_expired"), ("wronghost", "tls_hostname"), ("otherca-server", "tls_untrusted"),
])
def test_bad_node_certificate_is_reported_for_that_node_only(vk, tls_certs, cert, reason):
    bad = vk.ports[1]
    e = tls_exporter(vk, tls_certs)
    try:
        e.wait_ready()
        wait_statuses(e, {p: ONLINE for p in vk.ports})
        vk.set_terminator(bad, cert=cert)
        nodes = wait_statuses(e, {**{p: ONLINE for p in vk.ports if p != bad}, bad: ("error", reason)})
        print(f"\n[tls] {cert}: {nodes[bad]['error']}")
        # (A `refused` may be counted too: the terminator restarts to switch its certificate.)
        reasons = re.findall(r'^valkey_exporter_collection_errors_total\{[^}]*addr="127\.0\.0\.1:%d"[^}]*reason="(\w+)"\}' % bad,
                             e.get("/metrics")[2], re.M)
        assert reason in reasons, reasons
        vk.reset_terminators(bad)
        wait_statuses(e, {p: ONLINE for p in vk.ports})
    finally:
        vk.reset_terminators(bad)
        assert e.stop() == 0


def test_mutual_tls(vk, tls_certs):
    node = vk.ports[2]
    vk.set_terminator(node, verify_clients=True)
    try:
        e = tls_exporter(vk, tls_certs)
        try:
            e.wait_ready()
            nodes = wait_statuses(e, {**{p: ONLINE for p in vk.ports if p != node},
                                      node: ("error", "tls_client_certificate")})
            print(f"\n[tls] no client certificate: {nodes[node]['error']}")
        finally:
            assert e.stop() == 0
        e = tls_exporter(vk, tls_certs, "--valkey-tls-cert-file", tls_certs["otherca_client"],
                         "--valkey-tls-key-file", tls_certs["otherca_client_key"])
        try:
            e.wait_ready()
            nodes = wait_statuses(e, {**{p: ONLINE for p in vk.ports if p != node},
                                      node: ("error", "tls_client_certificate")})
            print(f"[tls] client certificate from another CA: {nodes[node]['error']}")
        finally:
            assert e.stop() == 0
        e = tls_exporter(vk, tls_certs, "--valkey-tls-cert-file", tls_certs["client"],
                         "--valkey-tls-key-file", tls_certs["client_key"])
        try:
            e.wait_ready()
            wait_statuses(e, {p: ONLINE for p in vk.ports})
        finally:
            assert e.stop() == 0
    finally:
        vk.reset_terminators(node)


def test_server_name_override(vk, tls_certs):
    """A node whose certificate names only wrong.example (no IP SAN): verified with --valkey-tls-server-name
    wrong.example, refused (tls_hostname) with another name. swift-nio-ssl accepts a certificate whose SANs match
    either the server name or the address connected to, so the other nodes (server.pem has IP:127.0.0.1) pass."""
    node = vk.ports[5]
    vk.set_terminator(node, cert="wronghost")
    try:
        e = tls_exporter(vk, tls_certs, "--valkey-tls-server-name", "wrong.example")
        try:
            e.wait_ready()
            wait_statuses(e, {p: ONLINE for p in vk.ports})
        finally:
            assert e.stop() == 0
        e = tls_exporter(vk, tls_certs, "--valkey-tls-server-name", "other.example")
        try:
            e.wait_ready()
            wait_statuses(e, {**{p: ONLINE for p in vk.ports if p != node}, node: ("error", "tls_hostname")})
        finally:
            assert e.stop() == 0
    finally:
        vk.reset_terminators(node)


def test_minimum_tls_version(vk, tls_certs):
    node = vk.ports[3]
    vk.set_terminator(node, max_tls="TLS1.2")
    try:
        e = tls_exporter(vk, tls_certs, "--valkey-tls-min-version", "1.3")
        try:
            e.wait_ready()
            nodes = wait_statuses(e, {**{p: ONLINE for p in vk.ports if p != node}, node: ("error", "tls_version")})
            print(f"\n[tls] TLS 1.2-only node with --valkey-tls-min-version 1.3: {nodes[node]['error']}")
        finally:
            assert e.stop() == 0
    finally:
        vk.reset_terminators(node)


def test_tls_to_a_plaintext_port_fails_within_the_deadline_and_never_falls_back(vk, tls_certs):
    plain = vk.node_ports[0]
    before = int(re.search(r"cmdstat_info:calls=(\d+)", vk.plain_cli(plain, "INFO", "commandstats")).group(1))
    started = time.time()
    e = tls_exporter(vk, tls_certs, seed=f"127.0.0.1:{plain}")
    try:
        e.wait_listening()
        status, body = None, None
        while time.time() < started + 10:
            status, _, body = e.get("/api/cluster/nodes")
            if status == 503 and body["error"]["code"] == "cluster_unreachable":
                break
            time.sleep(0.2)
        assert status == 503 and body["error"]["code"] == "cluster_unreachable", body
        # The first cycle ended within the 1 s connect deadline (plus start-up), not by hanging.
        assert time.time() - started < 6
        assert re.search(r"reason=(timeout|tls)\b", e.log()), e.log()[-2000:]
    finally:
        assert e.stop() == 0
    after = int(re.search(r"cmdstat_info:calls=(\d+)", vk.plain_cli(plain, "INFO", "commandstats")).group(1))
    # Our own INFO commandstats call is the only new INFO: the exporter never spoke plaintext to the node.
    assert after - before == 1, (before, after)


def test_insecure_skip_verify_accepts_bad_certificates_and_says_so(vk, tls_certs):
    node = vk.ports[4]
    vk.set_terminator(node, cert="otherca-server")
    try:
        e = Exporter("--valkey-address", vk.seed, "--valkey-tls-insecure-skip-verify", "--scrape-interval", "1s")
        try:
            e.wait_ready()
            wait_statuses(e, {p: ONLINE for p in vk.ports})
            assert re.search(r"level=warning .*verification is OFF", e.log()), e.log()[:2000]
        finally:
            assert e.stop() == 0
    finally:
        vk.reset_terminators(node)


@pytest.mark.parametrize("args, field", [
    (["--valkey-tls-ca-file", "/nonexistent/ca.pem"], "--valkey-tls-ca-file"),
    (["--valkey-tls-cert-file", "CERT"], "--valkey-tls-key-file"),
    (["--valkey-tls-key-file", "KEY"], "--valkey-tls-cert-file"),
    (["--valkey-tls-cert-file", "CERT", "--valkey-tls-key-file", "CA_KEY"], "--valkey-tls-cert-file"),
    (["--valkey-tls-min-version", "1.1"], "--valkey-tls-min-version"),
    (["--valkey-tls-server-name", "127.0.0.1"], "--valkey-tls-server-name"),
])
def test_bad_tls_settings_exit_64_naming_the_flag(tls_certs, args, field):
    subst = {"CERT": tls_certs["client"], "KEY": tls_certs["client_key"], "CA_KEY": tls_certs["ca_key"]}
    out = subprocess.run([EXPORTER, *[subst.get(a, a) for a in args]], capture_output=True, text=True, timeout=30)
    assert out.returncode == 64, (args, out.returncode, out.stderr)
    assert field in out.stderr, (args, out.stderr)
    # A key file's content never appears, even in the error.
    key_text = open(tls_certs["client_key"]).read().splitlines()[1]
    assert key_text not in out.stderr


def test_redis_7_tls_only_cluster(tls_certs):
    with RedisTLSCluster(REDIS_BASE, tls_certs) as redis:
        e = Exporter("--valkey-address", redis.seed, "--valkey-tls-ca-file", tls_certs["ca"],
                     "--valkey-tls-cert-file", tls_certs["client"], "--valkey-tls-key-file", tls_certs["client_key"],
                     "--scrape-interval", "1s")
        try:
            e.wait_ready()
            nodes = wait_statuses(e, {p: ONLINE for p in redis.ports})
            for p, n in nodes.items():
                assert n["keyCount"] == int(redis.cli(p, "DBSIZE")), p
            slots = e.get("/api/cluster/slot-stats")[2]["data"]
            assert slots["slots"] == [] and "not supported" in slots["note"]
            assert 'valkey_exporter_slot_stats_availability{state="unsupported"} 1' in e.get("/metrics")[2]
        finally:
            assert e.stop() == 0
