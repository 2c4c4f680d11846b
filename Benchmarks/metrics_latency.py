#!/usr/bin/env python3
"""Measures GET /metrics latency of the exporter over loopback.

Starts its own cluster (scripts/cluster.sh, default base port 7700) with 20000 keys and cluster-slot-stats
enabled, runs the given exporter binary against it with a 1 s interval, waits for the first cycle, and then,
for 1 and 8 concurrent clients, plain and with `Accept-Encoding: gzip`, sends ~2000 requests per case over
persistent HTTP/1.1 connections (one http.client connection per client thread) and prints one table:
median, p99 and max latency (request sent -> whole body read), requests per second, body bytes.
Also prints the exposition's size: body bytes plain and gzip, samples (series) and families.

Clients are Python threads on the same (2-core) machine, so with 8 clients the numbers include the client's
own share of the CPU and the GIL: compare runs with each other, not with other tools. The exporter keeps
collecting every second while it is measured, as it would in production.
Not a pass/fail test: it prints numbers (it fails only when a request fails).
"""
import argparse
import gzip
import http.client
import math
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(conn, headers):
    conn.request("GET", "/metrics", headers=headers)
    response = conn.getresponse()
    body = response.read()
    if response.status != 200:
        raise RuntimeError(f"/metrics answered {response.status}: {body[:300]!r}")
    return response, body


def wait_ready(port, proc, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            sys.exit(f"exporter exited with {proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/metrics")
            response = conn.getresponse()
            response.read()
            conn.close()
            if response.status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    sys.exit(f"/metrics not ready within {timeout} s")


def run_case(port, clients, requests, use_gzip):
    """Returns (latencies in seconds, wall seconds, body bytes of the last answer)."""
    headers = {"Accept-Encoding": "gzip"} if use_gzip else {}
    per_client = [requests // clients + (1 if i < requests % clients else 0) for i in range(clients)]
    latencies = [[] for _ in range(clients)]
    errors = []
    sizes = [0] * clients
    start_barrier = threading.Barrier(clients + 1)

    def client(i):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            get(conn, headers)  # warm the connection (not measured)
            start_barrier.wait()
            for _ in range(per_client[i]):
                t0 = time.perf_counter()
                response, body = get(conn, headers)
                latencies[i].append(time.perf_counter() - t0)
                sizes[i] = len(body)
                if use_gzip != (response.getheader("Content-Encoding") == "gzip"):
                    raise RuntimeError(f"Content-Encoding {response.getheader('Content-Encoding')!r} with gzip={use_gzip}")
                if response.getheader("Connection", "").lower() == "close" or response.will_close:
                    raise RuntimeError("server closed the persistent connection")
            conn.close()
        except Exception as error:  # noqa: BLE001 - reported below, the benchmark must not hang
            errors.append(error)
            try:
                start_barrier.abort()
            except threading.BrokenBarrierError:
                pass

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    try:
        start_barrier.wait()
    except threading.BrokenBarrierError:
        pass
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    if errors:
        sys.exit(f"request failed ({clients} clients, gzip={use_gzip}): {errors[0]}")
    return [x for lat in latencies for x in lat], wall, max(sizes)


def percentile(values, p):
    """Nearest-rank percentile."""
    values = sorted(values)
    return values[max(0, min(len(values) - 1, math.ceil(p / 100 * len(values)) - 1))]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--exporter", default=str(REPO / ".build/release/valkey-cluster-exporter"))
    parser.add_argument("--base-port", type=int, default=7700)
    parser.add_argument("--keys", type=int, default=20000)
    parser.add_argument("--requests", type=int, default=2000, help="requests per case (default 2000)")
    parser.add_argument("--interval", default="1s")
    parser.add_argument("--slot-metrics", default=None, help="passed to the exporter's --slot-metrics when given")
    args = parser.parse_args()
    if not Path(args.exporter).is_file():
        sys.exit(f"{args.exporter} not found: build it (make bench-metrics builds the release binary)")

    cluster = ["scripts/cluster.sh", "--base-port", str(args.base_port)]
    subprocess.run(cluster + ["stop"], cwd=REPO, check=True, capture_output=True)
    subprocess.run(cluster + ["start"], cwd=REPO, check=True, capture_output=True)
    try:
        subprocess.run(cluster + ["load", "--keys", str(args.keys)], cwd=REPO, check=True, capture_output=True)
        port = free_port()
        log_path = REPO / ".run" / "bench-metrics.log"
        extra = ["--slot-metrics", args.slot_metrics] if args.slot_metrics else []
        with open(log_path, "w") as log:
            proc = subprocess.Popen([args.exporter, "--valkey-address", f"127.0.0.1:{args.base_port}",
                                     "--listen-address", f"127.0.0.1:{port}", "--scrape-interval", args.interval,
                                     *extra], stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_ready(port, proc)
            time.sleep(2.5)  # let a couple of cycles pass: steady state, connections warm
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            _, plain = get(conn, {})
            _, gz = get(conn, {"Accept-Encoding": "gzip"})
            conn.close()
            text = plain.decode()
            if gzip.decompress(gz).count(b"\n# TYPE ") != plain.count(b"\n# TYPE "):
                sys.exit("the gzip body does not hold the same exposition")
            samples = sum(1 for line in text.splitlines() if line and not line.startswith("#"))
            families = sum(1 for line in text.splitlines() if line.startswith("# TYPE "))
            rows = []
            for clients in (1, 8):
                for use_gzip in (False, True):
                    lat, wall, size = run_case(port, clients, args.requests, use_gzip)
                    rows.append((clients, "gzip" if use_gzip else "plain", len(lat), statistics.median(lat) * 1e3,
                                 percentile(lat, 99) * 1e3, max(lat) * 1e3, len(lat) / wall, size))
            if proc.poll() is not None:
                sys.exit(f"exporter died during the benchmark; see {log_path}")
        finally:
            proc.terminate()
            proc.wait(10)
    finally:
        subprocess.run(cluster + ["stop"], cwd=REPO, capture_output=True)

    print(f"exporter: {args.exporter}")
    print(f"6-node cluster, {args.keys} keys, interval {args.interval}"
          + (f", --slot-metrics {args.slot_metrics}" if args.slot_metrics else ", all 16384 slots")
          + "; Python http.client clients, persistent HTTP/1.1 connections over loopback")
    print(f"exposition: {len(plain)} bytes plain, {len(gz)} bytes gzip ({len(gz) / len(plain) * 100:.1f}%), "
          f"{samples} samples (series), {families} families")
    print(f"{'clients':>7} {'encoding':>8} {'requests':>8} {'median ms':>10} {'p99 ms':>9} {'max ms':>9} "
          f"{'req/s':>8} {'body bytes':>11}")
    for clients, enc, n, med, p99, mx, rps, size in rows:
        print(f"{clients:>7} {enc:>8} {n:>8} {med:>10.2f} {p99:>9.2f} {mx:>9.2f} {rps:>8.1f} {size:>11}")


if __name__ == "__main__":
    main()
