#!/usr/bin/env python3
"""The benchmark report of issue 7 (`make bench`): every section in one run on this machine, one table each.

Sections, in the order they run (each starts and stops its own servers on its own loopback ports):
  render     the Swift RenderBenchmark: time and bytes to render a 6-node, 16384-slot snapshot, and gzip
  cycle      collection cycle vs a raw pipelined floor client; exporter CPU and memory; load on Valkey; the
             Swift ParseBenchmark's client-side cost of one primary's captured replies
  redis      side by side with Debian's redis_exporter (one /scrape?target= per node vs one /metrics)
  http       /metrics and /api/cluster/nodes/metrics under 1, 8 and 64 wrk connections, gzip on and off
  scale      3, 6, 30 real nodes and 300, 1000 fake nodes: cycle time, CPU, memory, /metrics size and latency

The report (markdown tables) goes to stdout and to .run/bench-report.md; progress goes to stderr. Every target the
issue sets is listed again at the end with the measured value. Nothing here passes or fails on a number: the exit
status is non-zero only when a measurement could not be made.
"""
import argparse
import importlib
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib  # noqa: E402

SECTIONS = {
    "render": None,  # a Swift executable, run below
    "cycle": "cycle",
    "redis": "redis_exporter_compare",
    "http": "http_load",
    "scale": "scale",
}


def render_section(exporter):
    """Runs the RenderBenchmark built beside the exporter and keeps its table as one section."""
    binary = Path(exporter).parent / "RenderBenchmark"
    if not binary.exists():
        sys.exit(f"{binary} is missing: build it with `swift build -c release --product RenderBenchmark`")
    out = subprocess.run([str(binary)], cwd=benchlib.REPO, check=True, capture_output=True, text=True).stdout
    section = benchlib.Section("Rendering /metrics (in process, no HTTP)", ["output"])
    section.preformatted = out.rstrip()
    return [section]


def header(exporter):
    commit = subprocess.run(["git", "-C", str(benchlib.REPO), "log", "-1", "--format=%h %s"], capture_output=True,
                            text=True).stdout.strip()
    load = os.getloadavg()
    return "\n".join([
        "## Benchmark report",
        "",
        f"- when: {time.strftime('%Y-%m-%d %H:%M:%S %Z')}; commit {commit}",
        f"- machine: {os.cpu_count()} cores, {platform.machine()}, Linux {platform.release()}; "
        f"load average at start {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}",
        f"- exporter: {exporter}",
        "",
    ])


def targets(sections):
    """Every note that states a target, gathered so the report ends with all of them in one list."""
    lines = [f"- {s.title}: {n}" for s in sections for n in s.notes if n.lower().startswith("target")]
    return "### Targets\n\n" + ("\n".join(lines) if lines else "- (no section reported a target)") + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--exporter", type=Path, default=benchlib.DEFAULT_EXPORTER)
    parser.add_argument("--only", default=",".join(SECTIONS),
                        help=f"comma-separated sections to run (default all: {','.join(SECTIONS)})")
    args = parser.parse_args()
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in SECTIONS]
    if unknown:
        parser.error(f"--only: unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    if not args.exporter.exists():
        sys.exit(f"--exporter: {args.exporter} does not exist (make build-release)")

    report = [header(args.exporter)]
    gathered = []
    started = time.time()
    for name in chosen:
        benchlib.log(f"section {name}")
        t0 = time.time()
        if name == "render":
            sections = render_section(args.exporter)
        else:
            sections = importlib.import_module(SECTIONS[name]).run(args.exporter)
        benchlib.log(f"section {name} took {time.time() - t0:.0f} s")
        gathered += sections
        for section in sections:
            report.append(section.render())
            print(report[-1], flush=True)
    report.append(targets(gathered))
    print(report[-1])
    print(f"(whole run: {time.time() - started:.0f} s)")
    benchlib.RUN_DIR.mkdir(exist_ok=True)
    (benchlib.RUN_DIR / "bench-report.md").write_text("\n".join(report))
    benchlib.log(f"report written to {benchlib.RUN_DIR / 'bench-report.md'}")


if __name__ == "__main__":
    main()
