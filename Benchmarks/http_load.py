#!/usr/bin/env python3
"""HTTP throughput and latency under load (issue 7, point 6).

One real 6-node cluster (20000 keys, slot stats on) on ports 7660-7665 and the exporter with its defaults (15 s
interval, all slot series). Debian's wrk (scripts/install-bench-tools.sh) loads `/metrics` (65k series, ~6.5 MB)
and `/api/cluster/nodes/metrics` (the JSON of every node) with 1, 8 and 64 connections (2 threads, or 1 for one
connection), plain and with `Accept-Encoding: gzip`, RUN_SECONDS each. wrk runs on the same 2 cores as the exporter
and Valkey, so its own time is in every number. Prints requests/s, p50/p90/p99 latency and bytes per response.
"""
import argparse
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib  # noqa: E402

BASE_PORT = 7660
NODES = 6
KEYS = 20000
RUN_SECONDS = 4
CONNECTIONS = (1, 8, 64)
PATHS = ("/metrics", "/api/cluster/nodes/metrics")
UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def to_ms(text):
    m = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    if not m:
        raise ValueError(f"wrk latency {text!r}")
    return float(m.group(1)) * UNITS[m.group(2)]


def wrk(url, connections, gzip):
    cmd = ["wrk", "--latency", "-d", f"{RUN_SECONDS}s", "-c", str(connections), "-t", str(min(2, connections)),
           "--timeout", "10s"]
    if gzip:
        cmd += ["-H", "Accept-Encoding: gzip"]
    out = subprocess.run(cmd + [url], check=True, capture_output=True, text=True).stdout
    # wrk pads some values with a trailing space ("99%    2.25s ").
    latency = {p: to_ms(v) for p, v in re.findall(r"^\s+(50|90|99)%\s+(\S+)\s*$", out, re.M)}
    if sorted(latency) != ["50", "90", "99"]:
        sys.exit(f"wrk printed no 50/90/99% latency for {url}:\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)", out)
    if errors:
        sys.exit(f"wrk reported errors for {url}: {errors.group(0)}")
    return rps, latency


def body_size(url, gzip):
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"} if gzip else {})
    with urllib.request.urlopen(request, timeout=30) as response:
        return len(response.read())


def run(exporter_binary):
    cluster = benchlib.Cluster(BASE_PORT, nodes=NODES, keys=KEYS)
    benchlib.log(f"http: starting the {NODES}-node cluster on {BASE_PORT}")
    cluster.start()
    section = benchlib.Section(
        f"HTTP under load (wrk, {RUN_SECONDS} s per row, {NODES} nodes, all slot series)",
        ["path", "gzip", "connections", "requests/s", "p50 ms", "p90 ms", "p99 ms", "bytes per response"])
    full_p50 = None
    try:
        with benchlib.Exporter(exporter_binary, f"127.0.0.1:{BASE_PORT}", "bench-http", interval="15s") as e:
            e.wait_cycles(1, timeout=60)
            for path in PATHS:
                for gzip in (False, True):
                    size = body_size(e.base + path, gzip)
                    for connections in CONNECTIONS:
                        benchlib.log(f"http: {path} gzip={gzip} connections={connections}")
                        rps, latency = wrk(e.base + path, connections, gzip)
                        section.add(path, "yes" if gzip else "no", connections, rps, latency["50"], latency["90"],
                                    latency["99"], size)
                        if path == "/metrics" and not gzip and connections == 1:
                            full_p50 = latency["50"]
    finally:
        cluster.stop()
    section.notes.append(
        f"target full /metrics p50 under 15 ms uncompressed: {full_p50:.2f} ms with 1 connection "
        f"({'met' if full_p50 < 15 else 'not met'})")
    section.notes.append("the exporter serves bytes rendered once per cycle: a request copies no exposition; "
                         "64 connections share 2 cores with wrk and the cluster")
    return [section]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--exporter", type=Path, default=benchlib.DEFAULT_EXPORTER)
    args = parser.parse_args()
    for section in run(args.exporter):
        print(section.render())


if __name__ == "__main__":
    main()
