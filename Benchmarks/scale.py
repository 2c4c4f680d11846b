#!/usr/bin/env python3
"""How the exporter's cost grows with the cluster (issue 7, point 5).

Real clusters of valkey-server processes on 8000-8029 (3 primaries without replicas, then 6 and 30 nodes with one
replica per primary, 20000 keys each), then Benchmarks/fake_cluster.py with 300 and 1000 fake nodes on 30000+
(half primaries, each answering INFO with a real node's reply captured from the 30-node cluster). For each size the
exporter (all slot series) runs CYCLES cycles after its first two; the table gives the median cycle time, CPU ms
per cycle (/proc delta / cycles) and per node, VmRSS, /metrics bytes and series, and the median of GET /metrics
(plain, Python client, 20 requests). The last column compares the growth of CPU per cycle with the growth of the
node count from the previous row: 1.0 is linear.
"""
import argparse
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib  # noqa: E402

REAL_BASE = 8000
FAKE_BASE = 30000
KEYS = 20000
CYCLES = 8
REAL_SIZES = ((3, 0), (6, 1), (30, 1))  # (nodes, replicas per primary)
FAKE_SIZES = (300, 1000)
INTERVALS = {3: "500ms", 6: "500ms", 30: "1s", 300: "3s", 1000: "8s"}
GETS = 20


def measure(exporter_binary, seed, nodes, name):
    interval = INTERVALS[nodes]
    with benchlib.Exporter(exporter_binary, seed, f"bench-scale-{name}", interval=interval) as e:
        seen = e.wait_cycles(2, timeout=180)
        first = max(seen)
        cpu0 = benchlib.cpu_seconds(e.pid)
        seen = e.wait_cycles(first + CYCLES, timeout=600)
        last = max(seen)
        cpu1 = benchlib.cpu_seconds(e.pid)
        durations = [seen[c][0] for c in range(first + 1, last + 1)]
        failed = max(seen[c][1] for c in range(first + 1, last + 1))
        times, size, series = [], 0, 0
        for _ in range(GETS):
            t0 = time.perf_counter()
            with urllib.request.urlopen(e.base + "/metrics", timeout=60) as response:
                body = response.read()
            times.append((time.perf_counter() - t0) * 1e3)
        size = len(body)
        series = sum(1 for line in body.split(b"\n") if line and not line.startswith(b"#"))
        rss = benchlib.proc_status_kib(e.pid) / 1024
    return {"nodes": nodes, "cycle_ms": benchlib.median(durations), "cycle_p95": benchlib.percentile(durations, 95),
            "cpu_ms": (cpu1 - cpu0) / (last - first) * 1e3, "rss": rss, "bytes": size, "series": series,
            "get_ms": benchlib.median(times), "failed": failed, "interval": interval}


def capture_info(port):
    """A real node's INFO reply, as the exporter asks for it, with CRLF line ends."""
    conn = benchlib.Resp(port)
    try:
        return conn.call("INFO", "server", "clients", "memory", "stats", "cpu", "replication", "keyspace", "cluster")
    finally:
        conn.close()


def run(exporter_binary):
    rows = []
    infos = {}
    for nodes, replicas in REAL_SIZES:
        benchlib.log(f"scale: {nodes} real nodes on {REAL_BASE}")
        cluster = benchlib.Cluster(REAL_BASE, nodes=nodes, replicas=replicas, keys=KEYS, timeout=240)
        cluster.start()
        try:
            rows.append(("real", measure(exporter_binary, f"127.0.0.1:{REAL_BASE}", nodes, f"real-{nodes}")))
            if nodes == REAL_SIZES[-1][0]:
                primaries = set(cluster.primaries())
                replica = next(p for p in cluster.ports() if p not in primaries)
                infos = {"primary": capture_info(min(primaries)), "replica": capture_info(replica)}
        finally:
            cluster.stop()
    work = benchlib.RUN_DIR / "bench-scale"
    work.mkdir(parents=True, exist_ok=True)
    for role, text in infos.items():
        (work / f"info-{role}.txt").write_text(text)
    for nodes in FAKE_SIZES:
        benchlib.log(f"scale: {nodes} fake nodes on {FAKE_BASE}")
        fake = subprocess.Popen([sys.executable, str(Path(__file__).resolve().parent / "fake_cluster.py"),
                                 "--base-port", str(FAKE_BASE), "--nodes", str(nodes),
                                 "--info-primary", str(work / "info-primary.txt"),
                                 "--info-replica", str(work / "info-replica.txt")],
                                stdout=subprocess.PIPE, text=True)
        try:
            if fake.stdout.readline().strip() != "ready":
                sys.exit("fake_cluster.py did not start")
            rows.append(("fake", measure(exporter_binary, f"127.0.0.1:{FAKE_BASE}", nodes, f"fake-{nodes}")))
        finally:
            fake.terminate()
            fake.wait(30)
    return [report(rows)]


def report(rows):
    section = benchlib.Section(
        "Scale: cost as the cluster grows (all slot series)",
        ["nodes", "kind", "interval", "cycle median ms", "cycle p95 ms", "CPU ms per cycle", "CPU ms per node",
         "VmRSS MiB", "/metrics bytes", "series", "GET /metrics p50 ms", "CPU growth / node growth"])
    previous = None
    for kind, r in rows:
        growth = "-" if previous is None else (r["cpu_ms"] / previous["cpu_ms"]) / (r["nodes"] / previous["nodes"])
        section.add(r["nodes"], kind, r["interval"], r["cycle_ms"], r["cycle_p95"], r["cpu_ms"],
                    r["cpu_ms"] / r["nodes"], r["rss"], r["bytes"], r["series"], r["get_ms"], growth)
        if r["failed"]:
            section.notes.append(f"{r['nodes']} nodes: {r['failed']} node(s) failed in some cycle")
        previous = r
    big = rows[-1][1]
    section.notes.append(
        f"target 1000 simulated nodes collected within the default 15 s interval: cycle median "
        f"{big['cycle_ms']:.0f} ms ({'met' if big['cycle_ms'] < 15000 else 'not met'})")
    section.notes.append("CPU per cycle includes rendering /metrics (plain and gzip) once per cycle; "
                         "fake nodes answer from one Python process on the same 2 cores")
    return section


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--exporter", type=Path, default=benchlib.DEFAULT_EXPORTER)
    args = parser.parse_args()
    print(run(args.exporter)[0].render())


if __name__ == "__main__":
    main()
