#!/usr/bin/env python3
"""Measures one collection cycle of a real 6-node Valkey cluster and the exporter's resident memory.

Starts its own cluster (scripts/cluster.sh, default base port 7600) with 20000 keys and cluster-slot-stats
enabled, runs the exporter against it with a short interval, and prints:
  - the median, p95, min and max cycle time over cycles 2..21 (20 cycles; cycle 1 includes connecting),
  - the resident memory (VmRSS) after 100 cycles, and its peak (VmHWM).
Cycle times come from the exporter's own debug log line `collection cycle finished ... duration_ms=`.
Not a pass/fail test: it prints numbers.
"""
import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid, field="VmRSS"):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not found")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--exporter", default=str(REPO / ".build/release/valkey-cluster-exporter"))
    parser.add_argument("--base-port", type=int, default=7600)
    parser.add_argument("--cycles", type=int, default=100)
    parser.add_argument("--interval", default="100ms")
    args = parser.parse_args()

    cluster = ["scripts/cluster.sh", "--base-port", str(args.base_port)]
    subprocess.run(cluster + ["stop"], cwd=REPO, check=True, capture_output=True)
    subprocess.run(cluster + ["start"], cwd=REPO, check=True, capture_output=True)
    try:
        subprocess.run(cluster + ["load", "--keys", "20000"], cwd=REPO, check=True, capture_output=True)
        log_path = REPO / ".run" / "bench-cycle.log"
        with open(log_path, "w") as log:
            proc = subprocess.Popen([args.exporter, "--valkey-address", f"127.0.0.1:{args.base_port}",
                                     "--listen-address", f"127.0.0.1:{free_port()}", "--scrape-interval", args.interval,
                                     "--log-level", "debug"], stdout=log, stderr=subprocess.STDOUT)
        try:
            durations = {}
            deadline = time.time() + 300
            while len(durations) < args.cycles and time.time() < deadline:
                time.sleep(0.2)
                for m in re.finditer(r'msg="collection cycle finished" cycle=(\d+) duration_ms=([\d.]+) failed=(\d+)',
                                     log_path.read_text()):
                    if m.group(3) != "0":
                        sys.exit(f"cycle {m.group(1)} had failed nodes; see {log_path}")
                    durations[int(m.group(1))] = float(m.group(2))
            if len(durations) < args.cycles:
                sys.exit(f"only {len(durations)} cycles in 300 s; see {log_path}")
            rss, hwm = rss_kib(proc.pid), rss_kib(proc.pid, "VmHWM")
        finally:
            proc.terminate()
            proc.wait(10)
    finally:
        subprocess.run(cluster + ["stop"], cwd=REPO, capture_output=True)

    sample = [durations[i] for i in range(2, 22)]
    q = statistics.quantiles(sample, n=20)
    print(f"exporter: {args.exporter}")
    print(f"6-node cluster, 20000 keys, all 16384 slot stats, interval {args.interval}")
    print(f"{'metric':<38}{'value':>12}")
    print(f"{'cycle median (cycles 2-21), ms':<38}{statistics.median(sample):>12.2f}")
    print(f"{'cycle p95, ms':<38}{q[18]:>12.2f}")
    print(f"{'cycle min / max, ms':<38}{min(sample):>6.2f} /{max(sample):>5.2f}")
    print(f"{'RSS after %d cycles, MiB' % args.cycles:<38}{rss / 1024:>12.1f}")
    print(f"{'peak RSS (VmHWM), MiB':<38}{hwm / 1024:>12.1f}")


if __name__ == "__main__":
    main()
