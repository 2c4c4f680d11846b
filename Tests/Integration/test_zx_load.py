"""Scenario 9: load while a fault is active. 20 clients (threads, each on its own persistent http.client
connection) x 1000 requests, mixing /metrics (plain and gzip, text and OpenMetrics) with the JSON endpoints,
against a dedicated exporter (--scrape-interval 500ms --command-timeout 1s) while one replica is frozen
(SIGSTOP via scripts/cluster.sh stop-node; SIGCONT at the end).

Every response must be 200 and parse; every /api/cluster/nodes/metrics response must be internally consistent
(its clusterInfo counts match its own nodes list). p50/p99 latency per endpoint is printed (run with -s).
The file is named test_zx_* so it runs after the read-only tests and before the other fault tests.
"""
import gzip
import http.client as httpclient
import json
import threading
import time
import zlib

from conftest import OPENMETRICS_ACCEPT, Exporter

CLIENTS = 20
REQUESTS = 1000
BUDGET_S = 90


def node_by_port(body, port):
    return next(n for n in body["data"]["nodes"] if n["nodeAddress"].endswith(f":{port}"))


def slot_count(text):
    total = 0
    for part in (text or "").split(","):
        part = part.strip()
        if not part:
            continue
        lo, _, hi = part.partition("-")
        total += (int(hi) if hi else int(lo)) - int(lo) + 1
    return total


def check_nodes_metrics(body, victim_port):
    """The answer agrees with itself; returns a problem description or None."""
    data = body["data"]
    nodes, info = data["nodes"], data["clusterInfo"]
    masters = [n for n in nodes if n["role"] == "master"]
    online = sum(n["status"] == "online" for n in nodes)
    problems = []
    if info["totalNodes"] != len(nodes):
        problems.append(f"totalNodes {info['totalNodes']} != {len(nodes)} nodes")
    if info["mastersCount"] != len(masters):
        problems.append(f"mastersCount {info['mastersCount']} != {len(masters)}")
    if info["slavesCount"] != sum(n["role"] == "slave" for n in nodes):
        problems.append("slavesCount does not match the list")
    if info["onlineNodes"] != online:
        problems.append(f"onlineNodes {info['onlineNodes']} != {online} online in the list")
    if info["slotsCovered"] != sum(slot_count(n["slots"]) for n in masters):
        problems.append(f"slotsCovered {info['slotsCovered']} != slots of the listed masters")
    expected_state = "ok" if online == len(nodes) else "degraded"
    if info["clusterState"] not in (expected_state, "fail"):
        problems.append(f"clusterState {info['clusterState']} with {online}/{len(nodes)} online")
    victim = node_by_port(body, victim_port)
    if victim["status"] == "online":
        problems.append("the frozen replica is reported online")
    for n in nodes:
        if n["status"] != "online" and (n["error"] is None or not n["error"]["reason"]):
            problems.append(f"{n['nodeAddress']} {n['status']} without error reason")
    return "; ".join(problems) or None


def check_metrics(resp_headers, raw, fmt, full):
    """Returns a problem or None. The body is checked for its first family and its proper end; gzip bodies are
    fully decompressed (CRC checked) when `full`, else only their first 64 KB."""
    if resp_headers.get("Content-Encoding") == "gzip":
        if full:
            text = gzip.decompress(raw)
            head, tail = text[:65536], text[-4096:]
        else:
            head = zlib.decompressobj(wbits=31).decompress(raw, 65536)
            tail = None
    else:
        head, tail = raw[:65536], raw[-4096:]
    if b"# TYPE valkey_up gauge" not in head:
        return f"no '# TYPE valkey_up gauge' in the first 64 KB: {head[:200]!r}"
    if tail is not None:
        if fmt == "openmetrics" and not tail.endswith(b"# EOF\n"):
            return f"OpenMetrics body does not end with # EOF: {tail[-100:]!r}"
        if b"valkey_exporter_series " not in tail:
            return f"body does not end with valkey_exporter_series: {tail[-200:]!r}"
    return None


def percentile(sorted_values, p):
    if not sorted_values:
        return float("nan")
    k = (len(sorted_values) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo)


def test_load_20_clients_x_1000_requests_with_a_frozen_replica(cluster):
    e = Exporter("--valkey-address", cluster.seed, "--scrape-interval", "500ms", "--command-timeout", "1s",
                 "--connect-timeout", "1s")
    victim = None
    try:
        e.wait_ready()
        e.wait_for(lambda b: len(b["data"]["nodes"]) == 6 and all(n["status"] == "online" for n in b["data"]["nodes"]),
                   what="every node online")
        nodes = e.get("/api/cluster/nodes/metrics")[2]["data"]["nodes"]
        node_ids = [n["nodeId"] for n in nodes]
        victim = [int(p) for p in cluster.sh("replicas").split()][0]
        cluster.sh("stop-node", victim)
        e.wait_for(lambda b: node_by_port(b, victim)["status"] == "offline", timeout=10, what="frozen replica offline")

        mix = [  # (label, path, headers, kind)
            ("metrics text", "/metrics", {}, "text"),
            ("nodes/metrics", "/api/cluster/nodes/metrics", {}, "nodes_metrics"),
            ("cluster/nodes", "/api/cluster/nodes", {}, "json"),
            ("metrics gzip", "/metrics", {"Accept-Encoding": "gzip"}, "text"),
            ("nodes/metrics", "/api/cluster/nodes/metrics", {}, "nodes_metrics"),
            ("nodes/{id}/metrics", None, {}, "json"),
            ("slot-stats", None, {}, "json"),
            ("readyz", "/readyz", {}, "json"),
            ("metrics om gzip", "/metrics", {"Accept-Encoding": "gzip", "Accept": OPENMETRICS_ACCEPT}, "openmetrics"),
            ("healthz", "/healthz", {}, "json"),
        ]
        latencies = {label: [] for label, *_ in mix}
        failures = []
        reconnects = [0]
        lock = threading.Lock()
        start_gate = threading.Barrier(CLIENTS)

        def client(index):
            conn = httpclient.HTTPConnection("127.0.0.1", e.port, timeout=30)
            mine = {label: [] for label in latencies}
            problems = []
            start_gate.wait()
            for i in range(REQUESTS):
                label, path, headers, kind = mix[(i + index) % len(mix)]
                if label == "nodes/{id}/metrics":
                    path = f"/api/nodes/{node_ids[(i // len(mix)) % len(node_ids)]}/metrics"
                elif label == "slot-stats":
                    start = (i * 97 + index * 811) % 16000
                    path = f"/api/cluster/slot-stats?start_slot={start}&end_slot={start + (i % 300)}"
                t0 = time.perf_counter()
                try:
                    conn.request("GET", path, headers=headers)
                    resp = conn.getresponse()
                    raw = resp.read()
                except (httpclient.RemoteDisconnected, ConnectionError) as error:
                    problems.append(f"GET {path} {headers}: {type(error).__name__}: {error}")
                    conn.close()
                    with lock:
                        reconnects[0] += 1
                    continue
                dt = time.perf_counter() - t0
                mine[label].append(dt)
                if resp.status != 200:
                    problems.append(f"GET {path} {headers} -> {resp.status} {raw[:300]!r}")
                    continue
                if kind in ("text", "openmetrics"):
                    problem = check_metrics(resp.headers, raw, kind, full=(i // len(mix)) % 5 == 0)
                else:
                    try:
                        body = json.loads(raw)
                    except ValueError:
                        problem = f"not JSON: {raw[:200]!r}"
                    else:
                        problem = None if body.get("status") == "success" else f"status {body.get('status')}"
                        if problem is None and kind == "nodes_metrics":
                            problem = check_nodes_metrics(body, victim)
                if problem:
                    problems.append(f"GET {path} {headers}: {problem}")
            conn.close()
            with lock:
                for label, values in mine.items():
                    latencies[label].extend(values)
                failures.extend(problems)

        rss_peak = [0]
        done = threading.Event()

        def watch_rss():
            while not done.is_set():
                with open(f"/proc/{e.proc.pid}/status") as f:
                    for line in f:
                        if line.startswith("VmRSS:"):
                            rss_peak[0] = max(rss_peak[0], int(line.split()[1]))
                time.sleep(0.1)

        watcher = threading.Thread(target=watch_rss, daemon=True)
        watcher.start()
        cycle_before = e.get("/readyz")[2]["data"]["cycle"]
        threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join(BUDGET_S + 30)
        elapsed = time.perf_counter() - started
        done.set()
        watcher.join()
        ready = e.get("/readyz")[2]["data"]
        total = sum(len(v) for v in latencies.values())

        print(f"\n[load] {CLIENTS} clients x {REQUESTS} requests: {total} answered in {elapsed:.1f} s "
              f"({total / elapsed:.0f} req/s), {len(failures)} failures, {reconnects[0]} dropped connections; "
              f"{ready['cycle'] - cycle_before} collection cycles meanwhile (last {ready['cycleDurationSeconds']:.3f} s); "
              f"exporter RSS peak {rss_peak[0] / 1024:.1f} MiB; frozen replica port {victim}")
        print(f"[load] {'endpoint':<20} {'n':>6} {'p50 ms':>9} {'p99 ms':>9} {'max ms':>9}")
        for label, values in latencies.items():
            if not values:
                continue
            s = sorted(values)
            print(f"[load] {label:<20} {len(s):>6} {percentile(s, 50) * 1000:>9.2f} {percentile(s, 99) * 1000:>9.2f} "
                  f"{s[-1] * 1000:>9.2f}")
        for f in failures[:20]:
            print("[load] FAILURE", f)

        assert not any(t.is_alive() for t in threads), "clients still running after the budget"
        assert e.proc.poll() is None, e.log()[-3000:]
        assert not failures, f"{len(failures)} failures, first: {failures[:5]}"
        assert total == CLIENTS * REQUESTS
        assert elapsed < BUDGET_S, f"load took {elapsed:.1f} s"
        # The fault was active the whole time, and collection kept going.
        assert ready["cycle"] - cycle_before >= 3
        body = e.get("/api/cluster/nodes/metrics")[2]
        assert node_by_port(body, victim)["status"] == "offline"
    finally:
        if victim is not None:
            cluster.sh("cont-node", victim)
        rc = e.stop()
    assert rc == 0, e.log()[-3000:]
    cluster.sh("wait-ok")
