"""Scenario 8: bad HTTP input against the real exporter (session `exporter` fixture, real 6-node cluster).

Unknown paths, wrong methods, malformed and repeated query parameters, path tricks, oversized URLs and
headers, a slow client, incomplete requests, HTTP/1.0 and pipelining. Expected: a 4xx with the JSON error
envelope wherever the server answers at all; nothing reaches Valkey (the exporter's Valkey connections are the
same ones before and after, and each node's INFO / CLUSTER command counts grow only as the collection cycles
explain); the process keeps no file descriptor (its /proc/PID/fd count returns to where it was).

Tests that only record what the HTTP stack does (oversized requests, garbage request lines) print it; run
pytest with -s to see the lines starting with "[http]".
"""
import json
import os
import re
import socket
import threading
import time

import pytest

from conftest import cli

ENDPOINTS = ["/", "/healthz", "/readyz", "/api/cluster/nodes", "/api/cluster/nodes/metrics",
             "/api/nodes/{id}/metrics", "/api/cluster/slot-stats", "/metrics"]


# ---------------------------------------------------------------- raw HTTP helpers
def recv_response(sock, timeout=10.0):
    """Reads one HTTP/1.x response from sock. Returns dict(version, status, reason, headers (lower-case keys,
    last wins), body bytes, raw head) or None if the peer closed (or reset) before sending anything.
    Raises TimeoutError if nothing complete arrived in time."""
    sock.settimeout(timeout)
    buf = recv_response.pending.pop(sock, b"")
    def more():
        try:
            data = sock.recv(65536)
        except ConnectionResetError:
            return b""
        return data
    while b"\r\n\r\n" not in buf:
        data = more()
        if not data:
            if buf:
                raise AssertionError(f"connection closed inside a response head: {buf[:300]!r}")
            return None
        buf += data
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    version, status, *reason = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    if "content-length" in headers:
        n = int(headers["content-length"])
        while len(rest) < n:
            data = more()
            if not data:
                raise AssertionError(f"closed inside a body ({len(rest)} of {n} bytes)")
            rest += data
        body, rest = rest[:n], rest[n:]
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while True:
            while b"\r\n" not in rest:
                rest += more()
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            while len(rest) < size + 2:
                data = more()
                if not data:
                    raise AssertionError("closed inside a chunk")
                rest += data
            body += rest[:size]
            rest = rest[size + 2:]
            if size == 0:
                break
    else:  # read to close (HTTP/1.0 style)
        body = rest
        while True:
            data = more()
            if not data:
                break
            body += data
        rest = b""
    if rest:
        recv_response.pending[sock] = rest
    return {"version": version, "status": int(status), "reason": reason[0] if reason else "",
            "headers": headers, "body": body, "head": head}


recv_response.pending = {}


def connect(port):
    return socket.create_connection(("127.0.0.1", port), timeout=10)


def raw(port, data, timeout=10.0):
    """Sends raw bytes on a fresh connection; returns the first response (or None if the server closed)."""
    with connect(port) as s:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        try:
            return recv_response(s, timeout)
        except ConnectionResetError:
            return None


def request_bytes(method, path, headers=None, body=b"", version="HTTP/1.1"):
    lines = [f"{method} {path} {version}", "Host: 127.0.0.1"]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    for k, v in (headers or {}).items():
        lines.append(f"{k}: {v}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def json_body(resp):
    try:
        return json.loads(resp["body"])
    except ValueError:
        return None


def assert_json_error(resp, status, codes=None, what=""):
    assert resp is not None, f"{what}: connection closed without a response"
    body = json_body(resp)
    assert resp["status"] == status, f"{what}: {resp['status']} {resp['head'][:300]!r} {resp['body'][:300]!r}"
    assert body is not None, f"{what}: non-JSON body {resp['body'][:300]!r}"
    assert resp["headers"].get("content-type", "").startswith("application/json"), (what, resp["headers"])
    assert body["status"] == "error" and isinstance(body["error"]["message"], str), (what, body)
    if codes:
        assert body["error"]["code"] in codes, (what, body)
    return body


def describe(resp):
    if resp is None:
        return "connection closed, no response"
    ctype = resp["headers"].get("content-type")
    return (f"{resp['version']} {resp['status']} {resp['reason']!r} content-type={ctype!r} "
            f"connection={resp['headers'].get('connection')!r} body={resp['body'][:200]!r}")


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def wait_fds(pid, baseline, timeout=10):
    deadline = time.time() + timeout
    n = fd_count(pid)
    while time.time() < deadline:
        n = fd_count(pid)
        if n <= baseline:
            return n
        time.sleep(0.1)
    fds = sorted(os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd"))
    raise AssertionError(f"exporter keeps {n - baseline} more file descriptors than before ({n} vs {baseline}): {fds}")


# ---------------------------------------------------------------- Valkey side: nothing reaches it
def exporter_clients(cluster):
    """{(port, client id)} of the exporter's connections on every node."""
    out = set()
    for port in cluster.ports:
        for line in cli(port, "CLIENT", "LIST").splitlines():
            if "name=valkey-cluster-exporter" in line:
                out.add((port, re.search(r"\bid=(\d+)", line).group(1)))
    return out


def command_counts(cluster):
    """{port: {command: calls}} for the commands the exporter sends."""
    result = {}
    for port in cluster.ports:
        counts = {}
        for line in cli(port, "INFO", "commandstats").splitlines():
            m = re.match(r"cmdstat_([^:]+):calls=(\d+)", line)
            if m:
                counts[m.group(1)] = int(m.group(2))
        result[port] = counts
    return result


@pytest.fixture(scope="module")
def api(exporter, cluster):
    """The session exporter, plus the state it must come back to after this module: fd count, Valkey
    connections, and Valkey command counts to compare with the collection cycles run meanwhile."""
    nodes = exporter.get("/api/cluster/nodes")[2]["data"]["nodes"]
    state = {
        "exporter": exporter, "port": exporter.port, "pid": exporter.proc.pid,
        "node_id": nodes[0]["nodeId"],
        "fds": fd_count(exporter.proc.pid),
        "clients": exporter_clients(cluster),
        "commands": command_counts(cluster),
        "cycle": exporter.get("/readyz")[2]["data"]["cycle"],
    }
    yield state


def url(api, path):
    return path.replace("{id}", api["node_id"])


# ---------------------------------------------------------------- the tests
@pytest.mark.parametrize("path", [
    "/nope", "/api", "/api/", "/api/cluster", "/api/cluster/nodes/metrics/extra", "/healthz/x", "/metrics/x",
    "/API/cluster/nodes", "/api/nodes", "/api/nodes/x", "/api/cluster/slot-stats/0", "/index.html",
    "/favicon.ico", "/.env", "/api/cluster/nodes/metrics.json", "/%2e%2e/%2e%2e/etc/passwd",
])
def test_unknown_paths_are_json_404(api, path):
    resp = raw(api["port"], request_bytes("GET", path))
    assert_json_error(resp, 404, {"not_found", "node_not_found"}, what=path)


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_wrong_methods_are_json_405(api, endpoint, method):
    path = url(api, endpoint)
    resp = raw(api["port"], request_bytes(method, path, body=b'{"x": 1}' * 100))
    assert_json_error(resp, 405, {"method_not_allowed"}, what=f"{method} {path}")
    assert resp["headers"].get("allow") == "GET", resp["headers"]


@pytest.mark.parametrize("method", ["HEAD", "OPTIONS", "TRACE"])
def test_other_methods_answer_cleanly(api, method):
    """HEAD/OPTIONS/TRACE on a known path: 405 (a JSON body except for HEAD, which has none by definition)."""
    with connect(api["port"]) as s:
        s.sendall(request_bytes(method, "/api/cluster/nodes"))
        if method == "HEAD":
            s.settimeout(5)
            data = s.recv(65536)
            first_line = data.split(b"\r\n")[0]
            print(f"\n[http] HEAD /api/cluster/nodes -> {first_line!r}")
            assert first_line.startswith(b"HTTP/1.1 405"), data[:300]
            return
        resp = recv_response(s, 10)
    print(f"\n[http] {method} /api/cluster/nodes -> {describe(resp)}")
    assert_json_error(resp, 405, {"method_not_allowed"}, what=method)


@pytest.mark.parametrize("target", ["127.0.0.1:1", "/api/cluster/nodes"])
def test_connect_method_gets_a_complete_answer(api, target):
    """CONNECT is not supported; the answer must be a complete 4xx (a framed body, or the connection closed),
    so that the client is not left waiting."""
    before = fd_count(api["pid"])
    with connect(api["port"]) as s:
        s.sendall(request_bytes("CONNECT", target))
        s.settimeout(5)
        data = b""
        closed = False
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    closed = True
                    break
                data += chunk
        except socket.timeout:
            pass
    print(f"\n[http] CONNECT {target} -> {data[:400]!r}, closed by server: {closed}")
    wait_fds(api["pid"], before)
    assert api["exporter"].get("/healthz")[0] == 200
    head, sep, body = data.partition(b"\r\n\r\n")
    assert sep, f"no complete response head within 5 s: {data[:300]!r}"
    status = int(head.split(b" ")[1])
    assert 400 <= status < 500, head
    framed = b"content-length:" in head.lower() or b"transfer-encoding:" in head.lower()
    assert framed or closed, (f"CONNECT {target}: response head {head!r} has neither Content-Length nor "
                              f"Transfer-Encoding and the server did not close within 5 s: the client hangs")
    if b"content-length:" in head.lower():
        assert json.loads(body)["status"] == "error"


@pytest.mark.parametrize("query", [
    "start_slot=abc", "start_slot=-1", "end_slot=16384", "start_slot=99999999999999999999999",
    "start_slot=1&start_slot=2", "end_slot=5&end_slot=5", "start_slot=%2B1", "start_slot=%201", "start_slot=1.0",
    "start_slot=0x10", "start_slot=", "start_slot=1%00", "start_slot=%zz", "start_slot=5&end_slot=4",
    "start_slot=" + "1" * 10000, "start_slot=%F0%9F%92%A9",
])
def test_malformed_slot_range_is_json_400(api, query):
    resp = raw(api["port"], request_bytes("GET", "/api/cluster/slot-stats?" + query))
    body = assert_json_error(resp, 400, {"invalid_slot_range"}, what=query[:80])
    assert len(body["error"]["message"]) < 200


@pytest.mark.parametrize("query", ["&&&", "=", "a=1&a=2&a=3", "%zz", "x=" + "y" * 5000, "start_slot=0&&end_slot=9&"])
@pytest.mark.parametrize("endpoint", ["/api/cluster/nodes", "/api/cluster/nodes/metrics", "/metrics", "/readyz"])
def test_junk_query_on_other_endpoints_is_ignored(api, endpoint, query):
    resp = raw(api["port"], request_bytes("GET", f"{endpoint}?{query}"))
    assert resp is not None and resp["status"] == 200, (endpoint, query, describe(resp))


def test_junk_query_with_valid_range_still_works(api):
    resp = raw(api["port"], request_bytes("GET", "/api/cluster/slot-stats?start_slot=0&end_slot=9&foo=%zz&&="))
    assert resp["status"] == 200, describe(resp)
    assert len(json_body(resp)["data"]["slots"]) == 10


@pytest.mark.parametrize("path", [
    "/api/nodes/..%2f..%2fetc/metrics", "/api/nodes/..%2F..%2Fetc%2Fpasswd/metrics", "/api/nodes/%00/metrics",
    "/api/nodes/%2e%2e/metrics", "/api/nodes/../metrics", "/api/nodes/{ID}/metrics",
    "/api/nodes/%7Bid%7D/metrics", "/api/nodes/' OR 1=1 --/metrics".replace(" ", "%20"),
    "/api/nodes/" + "a" * 40 + "/metrics", "/api/nodes/" + "A" * 40 + "/metrics",
    "/api/nodes/" + "f" * 41 + "/metrics", "/api/nodes/%0d%0aSet-Cookie:%20x=y/metrics",
    "/api/nodes//metrics",
])
def test_path_tricks_on_node_endpoint_are_json_404(api, path):
    resp = raw(api["port"], request_bytes("GET", path))
    body = assert_json_error(resp, 404, {"node_not_found", "not_found"}, what=path)
    assert "set-cookie" not in resp["headers"]
    assert "\n" not in body["error"]["message"] and "\r" not in body["error"]["message"]


def test_very_long_node_id_is_truncated_in_the_message(api):
    for n in (1000, 10000, 60000):
        resp = raw(api["port"], request_bytes("GET", "/api/nodes/" + "b" * n + "/metrics"))
        body = assert_json_error(resp, 404, {"node_not_found"}, what=f"{n}-char id")
        assert len(body["error"]["message"]) < 150, body
        assert len(resp["body"]) < 500


@pytest.mark.parametrize("path", ["//api/cluster/nodes", "/api//cluster/nodes", "/api/cluster/nodes/",
                                  "/api/cluster/nodes/metrics/", "/healthz/", "/./healthz", "/api/cluster/../cluster/nodes"])
def test_double_slashes_and_dot_segments(api, path):
    """Recorded: the router may normalise these (then it must serve the same answer as the canonical path)
    or not (then a JSON 404)."""
    resp = raw(api["port"], request_bytes("GET", path))
    print(f"\n[http] GET {path} -> {describe(resp)}")
    assert resp is not None
    if resp["status"] == 200:
        assert json_body(resp)["status"] == "success"
    else:
        assert_json_error(resp, 404, {"not_found", "node_not_found"}, what=path)


def _send_oversized(api, what, data):
    """Sends data on a fresh connection; the server must answer 4xx or close, stay up, and release the fd."""
    before = fd_count(api["pid"])
    started = time.time()
    resp = raw(api["port"], data, timeout=15)
    elapsed = time.time() - started
    print(f"\n[http] {what} ({len(data)} bytes) -> {describe(resp)} after {elapsed:.2f}s")
    assert api["exporter"].proc.poll() is None
    assert api["exporter"].get("/healthz")[0] == 200
    wait_fds(api["pid"], before)
    return resp


OVERSIZED = {
    "url_100kb": request_bytes("GET", "/api/cluster/nodes?x=" + "a" * 100_000),
    "header_100kb": request_bytes("GET", "/healthz", headers={"X-Big": "b" * 100_000}),
    "1000_headers": request_bytes("GET", "/healthz", headers={f"X-H-{i}": "v" * 20 for i in range(1000)}),
}
GARBAGE = {
    "word": b"HELLO\r\n\r\n",
    "tls-hello": b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03" + b"\x00" * 64,
    "http-9.9": b"GET / HTTP/9.9\r\n\r\n",
    "no-path": b"GET\r\n\r\n",
    "unknown-method": b"FOO /api/cluster/nodes HTTP/1.1\r\nHost: a\r\n\r\n",
    "negative-length": b"GET /healthz HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n",
    "bad-chunk": b"GET /healthz HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    "bad-header": b"GET /healthz HTTP/1.1\r\nBad Header Line\r\n\r\n",
    "resp": b"*1\r\n$4\r\nPING\r\n",
}


@pytest.mark.parametrize("name", sorted(OVERSIZED))
def test_oversized_requests_are_refused(api, name):
    """A 4xx (or a closed connection); the process stays up and keeps no descriptor. Recorded with -s."""
    resp = _send_oversized(api, name, OVERSIZED[name])
    if resp is not None:
        assert 400 <= resp["status"] < 500, describe(resp)


@pytest.mark.parametrize("name", sorted(GARBAGE))
def test_garbage_requests(api, name):
    """Requests that are not valid HTTP/1.x: a 4xx (or a closed connection), never a crash or a leak."""
    resp = _send_oversized(api, f"garbage {name}", GARBAGE[name])
    if resp is not None and name != "bad-chunk":  # bad-chunk: the GET itself is valid, its junk body follows
        assert 400 <= resp["status"] < 500, describe(resp)


def test_requests_rejected_by_the_http_parser_get_the_json_envelope(api):
    """The README promises the JSON error envelope for every error; JSONErrorMiddleware says "a client never
    gets an HTML or empty body". Requests the HTTP parser rejects before routing are the exception if their
    4xx has an empty or non-JSON body. Lists every such case in one failure."""
    non_json = []
    for name, data in {**OVERSIZED, **{k: v for k, v in GARBAGE.items() if k != "bad-chunk"}}.items():
        resp = raw(api["port"], data, timeout=10)
        if resp is not None and resp["status"] >= 400 and json_body(resp) is None:
            non_json.append(f"{name}: {resp['head'].decode('latin-1')!r} body {resp['body'][:80]!r}")
    assert not non_json, "4xx without the JSON envelope:\n" + "\n".join(non_json)


def test_slow_client_one_byte_per_100ms(api):
    """Headers trickle in one byte per 100 ms (about 4.5 s); the answer is still right, and other clients are
    served normally meanwhile."""
    data = request_bytes("GET", "/api/cluster/nodes/metrics")
    latencies = []
    stop = threading.Event()

    def others():
        while not stop.is_set():
            t = time.time()
            status, _, _ = api["exporter"].get("/healthz")
            latencies.append((time.time() - t, status))
            time.sleep(0.05)

    thread = threading.Thread(target=others)
    thread.start()
    try:
        with connect(api["port"]) as s:
            for byte in data:
                s.sendall(bytes([byte]))
                time.sleep(0.1)
            resp = recv_response(s, 10)
    finally:
        stop.set()
        thread.join()
    assert resp is not None, "the server closed the slow client's connection"
    assert resp["status"] == 200 and json_body(resp)["status"] == "success", describe(resp)
    assert all(status == 200 for _, status in latencies)
    assert max(l for l, _ in latencies) < 0.5, f"other clients waited up to {max(l for l, _ in latencies):.2f}s"


@pytest.mark.parametrize("data", [
    b"GET /metrics HTTP/1.1\r\nHost: a\r\n", b"GET /api/cluster/nod", b"G",
    b"POST /metrics HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\nabc",
    b"GET /metrics HTTP/1.1\r\nHost: a\r\nAccept-Encoding: gzip\r\n\r\n",  # closed before reading the answer
])
def test_incomplete_requests_then_close(api, data):
    before = fd_count(api["pid"])
    for _ in range(50):
        with connect(api["port"]) as s:
            s.sendall(data)
    assert api["exporter"].get("/healthz")[0] == 200
    wait_fds(api["pid"], before)


def test_idle_connections_are_released_on_close(api):
    """100 connections opened and held without a byte sent, then closed: no descriptor is left behind."""
    before = fd_count(api["pid"])
    socks = [connect(api["port"]) for _ in range(100)]
    try:
        time.sleep(0.5)
        assert api["exporter"].get("/healthz")[0] == 200
        during = fd_count(api["pid"])
        print(f"\n[http] 100 idle connections: exporter fds {before} -> {during}")
    finally:
        for s in socks:
            s.close()
    wait_fds(api["pid"], before)


def test_http_1_0(api):
    resp = raw(api["port"], b"GET /api/cluster/nodes HTTP/1.0\r\n\r\n")
    assert resp["status"] == 200 and json_body(resp)["status"] == "success", describe(resp)
    resp = raw(api["port"], b"GET /metrics HTTP/1.0\r\n\r\n")
    assert resp["status"] == 200 and b"# TYPE valkey_up gauge" in resp["body"], describe(resp)
    resp = raw(api["port"], b"DELETE /metrics HTTP/1.0\r\n\r\n")
    assert_json_error(resp, 405, {"method_not_allowed"}, what="HTTP/1.0 DELETE")
    resp = raw(api["port"], b"GET /nope HTTP/1.0\r\n\r\n")
    assert_json_error(resp, 404, {"not_found"}, what="HTTP/1.0 404")


def test_http_1_0_without_keep_alive_is_closed_after_the_answer(api):
    """RFC 9112 section 9.3: an HTTP/1.0 request without "Connection: keep-alive" is not persistent, so the
    connection closes after the answer (a 1.0 client may read to end of stream)."""
    with connect(api["port"]) as s:
        s.sendall(b"GET /healthz HTTP/1.0\r\n\r\n")
        resp = recv_response(s, 10)
        assert resp["status"] == 200
        s.settimeout(5)
        try:
            rest = s.recv(1)
        except ConnectionResetError:
            rest = b""
        except socket.timeout:
            raise AssertionError(f"HTTP/1.0 request without keep-alive: answered {resp['head']!r} "
                                 f"(no 'Connection: close') and the connection was still open 5 s later")
        assert rest == b""


def test_parser_errors_are_json_with_a_status_that_names_them(api):
    """HTTP1ConnectionGuard answers what the router never sees: an oversized head is a JSON 431, a malformed
    request line a JSON 400, and both close the connection (the parser cannot resynchronise)."""
    big = b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100_000 + b"\r\n\r\n"
    for data, status, code in [(big, 431, "header_too_large"), (b"GARBAGE\r\n\r\n", 400, "bad_request")]:
        with connect(api["port"]) as s:
            s.sendall(data)
            resp = recv_response(s, 10)
            assert_json_error(resp, status, {code}, what=f"{data[:20]!r}")
            assert resp["headers"].get("connection", "").lower() == "close", describe(resp)
            s.settimeout(5)
            assert s.recv(1) == b"", "connection not closed after a parser error"


def test_parser_error_after_pipelined_requests_waits_for_their_answers(api):
    """Two good requests and then garbage in one packet: both answers come first, in order, then the JSON 400."""
    data = (request_bytes("GET", "/healthz") + request_bytes("GET", "/readyz") + b"GARBAGE\r\n\r\n")
    with connect(api["port"]) as s:
        s.sendall(data)
        first, second, third = (recv_response(s, 10) for _ in range(3))
        assert first["status"] == 200 and json.loads(first["body"])["data"]["live"] is True, describe(first)
        assert second["status"] == 200 and "cycle" in json.loads(second["body"])["data"], describe(second)
        assert_json_error(third, 400, {"bad_request"}, what="garbage after two pipelined requests")


def test_pipelined_requests_are_answered_in_order(api):
    paths = ["/healthz", "/readyz", "/api/cluster/nodes", "/nope", "/api/cluster/slot-stats?start_slot=x",
             "/api/cluster/nodes/metrics", url(api, "/api/nodes/{id}/metrics"), "/metrics"]
    methods = ["GET", "GET", "GET", "GET", "GET", "POST", "GET", "GET"]
    expected = [200, 200, 200, 404, 400, 405, 200, 200]
    data = b"".join(request_bytes(m, p, body=b"x" if m == "POST" else b"") for m, p in zip(methods, paths))
    with connect(api["port"]) as s:
        s.sendall(data)
        got = []
        for _ in paths:
            resp = recv_response(s, 10)
            assert resp is not None, f"closed after {len(got)} pipelined answers: {got}"
            got.append(resp["status"])
            if resp["status"] != 200 or resp["headers"].get("content-type", "").startswith("application/json"):
                assert json_body(resp) is not None
    recv_response.pending.clear()
    assert got == expected


def test_zz_nothing_reached_valkey_and_no_descriptor_leaked(api, cluster):
    """Runs last in this module: the exporter's Valkey connections are the same ones, each node's command
    counts grew only by what the collection cycles (and our own valkey-cli calls) explain, and the exporter's
    file descriptor count is back where it was."""
    e = api["exporter"]
    assert e.proc.poll() is None
    wait_fds(api["pid"], api["fds"])
    # Fewer is fine (an idle keep-alive connection timed out, a Valkey connection was replaced); more is a leak.
    assert fd_count(api["pid"]) <= api["fds"]
    cycles = e.get("/readyz")[2]["data"]["cycle"] - api["cycle"]
    after = command_counts(cluster)
    assert exporter_clients(cluster) == api["clients"], "the exporter opened or lost Valkey connections"
    for port in cluster.ports:
        b, a = api["commands"][port], after[port]
        grown = {c: a.get(c, 0) - b.get(c, 0) for c in a if a.get(c, 0) != b.get(c, 0)}
        # One INFO per node per cycle (+1 for our INFO commandstats, +1 for a cycle in flight); discovery
        # asks one node for CLUSTER NODES/INFO per cycle; the valkey-cli CLIENT LIST calls add client|list.
        assert grown.get("info", 0) <= cycles + 2, (port, cycles, grown)
        assert grown.get("cluster|nodes", 0) <= cycles + 1, (port, cycles, grown)
        assert grown.get("cluster|slot-stats", 0) <= 3 * (cycles + 1), (port, cycles, grown)
        unexpected = set(grown) - {"info", "cluster|nodes", "cluster|info", "cluster|slot-stats",
                                   "cluster|myshardid", "client|list", "ping", "replconf", "command|docs",
                                   "command", "psync", "select", "multi", "exec", "dbsize"}
        assert not unexpected, (port, grown)
