"""Scenario 7: hostile replies from a node. The node is `fake_node.FakeNode` (a fake on purpose, see its
docstring: a real server cannot produce these replies on demand); the exporter is the real release binary.

For every misbehaviour: the process stays up, /readyz answers, /api/cluster/nodes/metrics answers (or a clean
503 cluster_unreachable when there never was a topology), the node is reported `error`/`offline` with a
bounded `error.reason`, /metrics stays a valid exposition with `valkey_up 0`, the exporter recovers when the
node behaves again, and SIGTERM still exits 0. A node streaming a huge reply must not blow up the RSS.
"""
import json
import os
import time

import pytest

import exposition_check as ec
from conftest import Exporter
from fake_node import NODE_ID, Fault, FakeNode, catalogue

BOUNDED = {"timeout", "refused", "reset", "unreachable", "auth", "noperm", "protocol", "loading",
           "server_error", "unexpected_reply", "closed", "tls"}

# The reason each misbehaviour must produce (from the exporter's own classification rules).
EXPECTED = {
    "info_integer": {"unexpected_reply"},
    "cluster_nodes_array": {"unexpected_reply"},
    "info_huge_bulk_then_silence": {"protocol"},
    "info_huge_array_then_silence": {"protocol"},
    "nodes_huge_bulk_then_silence": {"protocol"},
    "info_partial_bulk_then_silence": {"timeout"},
    "info_deep_nesting": {"protocol"},
    "info_truncated_then_close": {"reset"},
    "nodes_truncated_then_close": {"reset"},
    "info_garbage": {"protocol"},
    "hello_garbage": {"protocol"},
    "hello_silence": {"timeout"},
    # Declares a 64 MiB bulk: over the exporter's 8 MiB bulk limit, so it is cut off at the header
    # (`protocol`); a smaller endless bulk would end in `timeout`.
    "info_endless_slow_bulk": {"timeout", "protocol"},
    "nodes_bad_id": {"protocol"},
    "nodes_no_port": {"protocol"},
    "nodes_duplicate_slot_owner": {"protocol"},
    "hello_other_error": {"server_error"},
}
FAULTS = {f.name: f for f in catalogue()}
assert set(FAULTS) == set(EXPECTED)
# Misbehaviours that hit discovery or the handshake: without an earlier topology there is nothing to list.
DISCOVERY_FAULTS = {n for n, f in FAULTS.items() if f.target in ("CLUSTER NODES", "HELLO")}

ARGS = ("--scrape-interval", "300ms", "--command-timeout", "1s", "--connect-timeout", "1s", "--log-level", "debug")


def rss_kib(pid, field="VmRSS"):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError(f"{field} not in /proc/{pid}/status")


def metrics_samples(e):
    status, hdrs, text = e.metrics()
    assert status == 200, (status, text[:500])
    assert "# TYPE valkey_up gauge" in text
    problems = ec.check(text)
    assert problems == [], problems[:10]
    return ec.samples(text)


def sample(samples, name, **labels):
    return [v for (n, ls), v in samples.items() if n == name and all((k, v2) in ls for k, v2 in labels.items())]


def wait_node(e, predicate, timeout=10, what="node condition"):
    """Polls /api/cluster/nodes/metrics until its only node satisfies predicate; returns that node."""
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        assert e.proc.poll() is None, f"exporter died:\n{e.log()[-3000:]}"
        status, _, body = e.get("/api/cluster/nodes/metrics")
        last = (status, body)
        if status == 200 and len(body["data"]["nodes"]) == 1 and predicate(body["data"]["nodes"][0]):
            return body["data"]["nodes"][0]
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}; last: {json.dumps(last)[:1500]}")


def wait_metrics(e, predicate, timeout=10, what="metrics condition"):
    deadline = time.time() + timeout
    s = None
    while time.time() < deadline:
        assert e.proc.poll() is None, f"exporter died:\n{e.log()[-3000:]}"
        s = metrics_samples(e)
        if predicate(s):
            return s
        time.sleep(0.1)
    up = {k: v for k, v in (s or {}).items() if k[0] in ("valkey_up", "valkey_exporter_collection_errors_total",
                                                         "valkey_exporter_discovery_errors_total")}
    raise AssertionError(f"timed out waiting for {what}; last: {up}")


def assert_serving(e):
    assert e.proc.poll() is None, f"exporter died:\n{e.log()[-3000:]}"
    assert e.get("/healthz")[0] == 200
    status, _, ready = e.get("/readyz")
    assert status == 200, ready
    return ready


@pytest.fixture
def fake():
    nodes = []

    def make(*args, **kw):
        n = FakeNode(*args, **kw)
        nodes.append(n)
        return n
    yield make
    for n in nodes:
        n.close()


def start_exporter(fake_node, *extra, env=None):
    return Exporter("--valkey-address", fake_node.address, *ARGS, *extra, env=env)


def test_fake_node_is_collected_like_a_real_one(fake):
    """The fake is convincing: discovered as a one-node cluster, collected online, 16384 slots."""
    node = fake("cluster")
    e = start_exporter(node)
    try:
        e.wait_ready()
        n = wait_node(e, lambda n: n["status"] == "online", what="fake online")
        assert n["nodeId"] == NODE_ID and n["role"] == "master" and n["keyCount"] == 7 and n["error"] is None
        assert n["slots"] == "0-16383"
        s = metrics_samples(e)
        assert sample(s, "valkey_up", node_id=NODE_ID) == [1.0]
        assert sum(sample(s, "valkey_slot_keys")) == 0 and len(sample(s, "valkey_slot_keys")) == 16384
        assert node.commands[0][:2] == ["HELLO", "3"] and "SETNAME" in node.commands[0], node.commands[:3]
    finally:
        assert e.stop() == 0, e.log()[-3000:]


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_hostile_reply_after_good_cycles(fake, name):
    """Healthy first, then the misbehaviour, then healthy again."""
    fault = FAULTS[name]
    node = fake("cluster")
    e = start_exporter(node)
    try:
        e.wait_ready()
        good = wait_node(e, lambda n: n["status"] == "online", what="fake online")
        accepted_before = node.accepted
        if fault.target == "HELLO":
            # The handshake only runs on a new connection: break the current one.
            node.fault = fault
            node.drop_connections()
        else:
            node.fault = fault
        bad = wait_node(e, lambda n: n["status"] in ("error", "offline"), timeout=10, what=f"{name}: node not online")
        assert bad["error"] is not None, bad
        assert bad["error"]["reason"] in BOUNDED, bad
        assert bad["error"]["reason"] in EXPECTED[name], bad
        # A failing node keeps its last good values, marked by their collection time.
        assert bad["memory"] == good["memory"] and bad["collectedAt"] is not None
        ready = assert_serving(e)
        assert ready["data"]["mode"] in ("cluster", "unreachable")
        status, _, one = e.get(f"/api/nodes/{NODE_ID}/metrics")
        assert status == 200 and one["data"]["status"] == bad["status"], one
        s = wait_metrics(e, lambda s: sample(s, "valkey_up", node_id=NODE_ID) == [0.0], what="valkey_up 0")
        counters = (sample(s, "valkey_exporter_collection_errors_total", reason=bad["error"]["reason"]) +
                    sample(s, "valkey_exporter_discovery_errors_total", reason=bad["error"]["reason"]))
        assert counters and max(counters) >= 1, {k: v for k, v in s.items() if "errors" in k[0]}
        # The hostile phase goes on for a few cycles without the process growing or dying.
        time.sleep(1.5)
        assert_serving(e)
        assert rss_kib(e.proc.pid) < 200 * 1024
        # Recovery on a fresh connection.
        node.fault = None
        node.drop_connections()
        back = wait_node(e, lambda n: n["status"] == "online", timeout=10, what=f"{name}: back online")
        assert back["error"] is None
        assert node.accepted > accepted_before, "a broken connection was reused"
    finally:
        node.fault = None
        rc = e.stop()
    assert rc == 0, e.log()[-3000:]


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_hostile_reply_from_the_start(fake, name):
    """A node that misbehaves from the first command: the exporter still gets ready and answers cleanly."""
    node = fake("cluster", fault=FAULTS[name])
    e = start_exporter(node)
    try:
        e.wait_ready(timeout=15)
        ready = assert_serving(e)
        status, hdrs, body = e.get("/api/cluster/nodes/metrics")
        if name in DISCOVERY_FAULTS:
            assert ready["data"]["mode"] == "unreachable"
            assert status == 503 and body["status"] == "error", body
            assert body["error"]["code"] == "cluster_unreachable", body
            assert "Retry-After" in hdrs
            reason = next(r for r in BOUNDED if f"({r}:" in body["error"]["message"])
            assert reason in EXPECTED[name], body
            s = metrics_samples(e)
            assert sample(s, "valkey_exporter_cluster_reachable") == [0.0]
            assert sample(s, "valkey_exporter_discovery_errors_total", reason=reason)[0] >= 1
        else:
            assert status == 200, body
            n = wait_node(e, lambda n: n["status"] in ("error", "offline"), what="node failed")
            assert n["error"]["reason"] in EXPECTED[name], n
            assert n["memory"] is None and n["collectedAt"] is None  # never collected
            s = wait_metrics(e, lambda s: sample(s, "valkey_up", node_id=NODE_ID) == [0.0], what="valkey_up 0")
        time.sleep(1)
        assert_serving(e)
    finally:
        rc = e.stop()
    assert rc == 0, e.log()[-3000:]


@pytest.mark.parametrize("name", ["info_integer", "info_garbage", "info_deep_nesting", "info_truncated_then_close",
                                  "info_huge_bulk_then_silence", "info_partial_bulk_then_silence"])
def test_hostile_standalone_node(fake, name):
    """Standalone mode: the cluster endpoints are empty by design, so /metrics carries the node's state."""
    node = fake("standalone")
    e = start_exporter(node)
    try:
        e.wait_ready()
        wait_metrics(e, lambda s: sample(s, "valkey_up") == [1.0], what="standalone up")
        node.fault = FAULTS[name]
        reasons = EXPECTED[name]
        s = wait_metrics(e, lambda s: sample(s, "valkey_up") == [0.0], what="standalone down")
        errs = {dict(ls)["reason"]: v for (n, ls), v in s.items()
                if n == "valkey_exporter_collection_errors_total" and v > 0}
        assert errs and set(errs) <= BOUNDED and set(errs) & reasons, errs
        ready = assert_serving(e)
        assert ready["data"]["mode"] == "standalone"
        status, _, body = e.get("/api/cluster/nodes/metrics")
        assert status == 200 and body["data"]["nodes"] == [], body
        node.fault = None
        node.drop_connections()
        wait_metrics(e, lambda s: sample(s, "valkey_up") == [1.0], what="standalone back up")
    finally:
        node.fault = None
        rc = e.stop()
    assert rc == 0, e.log()[-3000:]


@pytest.mark.parametrize("hello_error", [
    b"-ERR unknown command 'HELLO', with args beginning with: '3' \r\n",  # Redis 5 and older
    b"-NOPROTO sorry, this protocol version is not supported\r\n",
])
@pytest.mark.parametrize("with_password", [False, True])
def test_hello_refused_falls_back_to_resp2(fake, tmp_path, hello_error, with_password):
    """HELLO answered with an error that means "no RESP3": the exporter sends AUTH (if it has a password)
    and CLIENT SETNAME, then collects the node over RESP2."""
    password = "s3cret-pw" if with_password else None
    node = fake("cluster", password=password, fault=Fault("HELLO", "reply", hello_error, name="hello_refused"))
    extra = ()
    if with_password:
        pw_file = tmp_path / "pw"
        pw_file.write_text(password + "\n")
        os.chmod(pw_file, 0o600)
        extra = ("--valkey-password-file", str(pw_file))
    e = start_exporter(node, *extra)
    try:
        e.wait_ready()
        n = wait_node(e, lambda n: n["status"] == "online", what="online over RESP2")
        assert n["error"] is None
        first = [c[:2] if c[0].upper() != "AUTH" else ["AUTH"] for c in node.commands[:3]]
        expected = [["HELLO", "3"]] + ([["AUTH"]] if with_password else []) + [["CLIENT", "SETNAME"]]
        assert first[:len(expected)] == expected, node.commands[:4]
        if with_password:
            auth = node.commands[1]
            assert auth[-1] == password and len(auth) == 2, auth  # AUTH <password> (no username given)
        assert sum(1 for c in node.commands if c[0].upper() == "HELLO") == 1, "HELLO retried on the same connection"
    finally:
        rc = e.stop()
    assert rc == 0, e.log()[-3000:]


def _watch_rss(e, seconds):
    peak = 0
    deadline = time.time() + seconds
    while time.time() < deadline:
        assert e.proc.poll() is None, f"exporter died:\n{e.log()[-3000:]}"
        peak = max(peak, rss_kib(e.proc.pid))
        time.sleep(0.02)
    return peak


@pytest.mark.parametrize("variant", ["slow_bulk_64MiB_at_25MBps", "fast_array_of_1MiB_bulks"])
def test_rss_bounded_while_a_node_streams_a_huge_reply(fake, variant):
    """A node answers INFO with a reply that never ends. The exporter must cut it off (command deadline or
    reply-size limit) and its resident memory must stay under 200 MB meanwhile."""
    if variant.startswith("slow"):
        fault = Fault("INFO", "stream", b"$67108864\r\n", chunk=256 * 1024, interval=0.01, name=variant)
    else:
        one_mib = b"$1048576\r\n" + b"x" * 1048576 + b"\r\n"
        fault = Fault("INFO", "stream", b"*1000000\r\n", block=one_mib, interval=0, name=variant)
    node = fake("cluster")
    e = start_exporter(node)
    try:
        e.wait_ready()
        wait_node(e, lambda n: n["status"] == "online", what="fake online")
        base = rss_kib(e.proc.pid)
        node.fault = fault
        peak = _watch_rss(e, 6)
        hwm = rss_kib(e.proc.pid, "VmHWM")
        n = wait_node(e, lambda n: n["status"] != "online", what="node failed")
        streamed = node.bytes_streamed
        print(f"\n[{variant}] RSS before {base / 1024:.1f} MiB, sampled peak {peak / 1024:.1f} MiB, "
              f"VmHWM {hwm / 1024:.1f} MiB, streamed {streamed / 2**20:.0f} MiB in 6 s, "
              f"node status {n['status']} reason {n['error']['reason']}")
        print(f"[{variant}] error message: {n['error']['message']}")
        assert n["error"]["reason"] in BOUNDED
        assert_serving(e)
        node.fault = None
        node.drop_connections()
        wait_node(e, lambda n: n["status"] == "online", timeout=10, what="back online")
        time.sleep(1)
        print(f"[{variant}] RSS after recovery {rss_kib(e.proc.pid) / 1024:.1f} MiB")
        assert peak < 200 * 1024, f"RSS reached {peak / 1024:.1f} MiB (VmHWM {hwm / 1024:.1f} MiB)"
    finally:
        node.fault = None
        rc = e.stop()
    assert rc == 0, e.log()[-3000:]
