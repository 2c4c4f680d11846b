#!/usr/bin/env python3
"""Side by side with redis_exporter (issue 7, point 3): what it costs Prometheus to get every node's metrics.

On one 6-node cluster (benchlib.Cluster, 3 primaries + 3 replicas, 20000 keys) this runs Debian's redis_exporter
(`prometheus-redis-exporter`, scripts/install-bench-tools.sh) in multi-target mode (`-redis.addr=`, one
`/scrape?target=redis://127.0.0.1:PORT` per node, as its README advises for clusters) and our exporter twice,
`--slot-metrics none` (node-level series only: the information redis_exporter gives) and `--slot-metrics all`.

Two phases, so that each number measures one thing:
  1. Collection CPU. Ours collects on a schedule and serves from memory, so its cost per Prometheus interval is one
     collection cycle plus one GET. Each of ours runs alone (two at once on 2 cores inflate each other's CPU time)
     with a 500 ms interval and no HTTP traffic; CPU per cycle is the /proc CPU-seconds delta (benchlib.cpu_seconds)
     over 10 cycles divided by 10. Its VmRSS is read afterwards.
  2. Rounds. Fresh instances of ours with a 60 s interval (so no cycle runs during the rounds: the GETs are measured
     alone) and redis_exporter. 3 unmeasured warm-up rounds, then 60 rounds, interleaved, each fetch 30 ms after the one before (SETTLE_S); each round:
       - redis_exporter: the 6 /scrape requests in parallel (6 threads, as Prometheus scrapes its targets), then the
         same 6 one after another, then the 6 in parallel again with `Accept-Encoding: gzip` (Prometheus's default);
       - ours: one GET /metrics of the `none` instance, the same with gzip, one of the `all` instance, and one
         GET /healthz (a tiny body: what the client, the HTTP round trip and waking an idle server alone cost, the
         floor under ours').
     Wall time of each (request sent until the last body is read; persistent HTTP/1.1 connections, one per target;
     plain bodies except the gzip fetches, which must answer gzip). CPU per round of each process is its
     CPU-seconds delta over the measured rounds divided by their number (per-request deltas would be below
     /proc's 10 ms resolution); the gzip fetches' CPU is their own per-fetch
     schedstat delta and is taken out of that; redis_exporter's remaining 12 plain scrapes per round make its CPU
     for one plain set of 6 half the rest. Series (non-comment sample lines) and bytes per exposition (plain and
     gzip), VmRSS of each process, and `promtool check metrics` warnings on each output are taken after the rounds.

Clients are Python threads with a raw-socket HTTP/1.1 client (Fetcher) on the same 2-core machine as the servers and
Valkey: the client's own time is in every wall time (more in ours-all, whose body is ~6 MB). Ratios are redis_exporter / ours, measured in the same run.
Prints numbers, never fails on them: exits non-zero only when a measurement cannot be made (a request fails, a
scrape reports redis_up 0, a tool is missing).
"""
import argparse
import concurrent.futures
import gzip
import socket
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib  # noqa: E402

REDIS_EXPORTER = "/usr/bin/prometheus-redis-exporter"
BASE_PORT = 7700
NODES = 6
KEYS = 20000
WARMUP_ROUNDS = 3
ROUNDS = 60
# Pause before each fetch of a round, so that none is timed while the previous one's aftermath (the other
# process's threads, Go's GC, the servers) still holds a core: Prometheus's scrapes of different targets are spread
# over the interval, not back to back. The same for every fetch.
SETTLE_S = 0.03
ROUNDS_TIME_LIMIT_S = 120    # rounds stop early (and say so) if the machine is this slow
CPU_CYCLES = 10              # collection cycles measured for CPU per cycle
CPU_INTERVAL = "500ms"
ROUNDS_INTERVAL = "60s"      # longer than the rounds take: no collection runs while GETs are timed
PROMTOOL_SHOWN = 6           # distinct promtool warnings quoted in the notes


# ---------------------------------------------------------------- HTTP

class ServerClosed(Exception):
    """The server closed a keep-alive connection before answering."""


class Fetcher:
    """One persistent HTTP/1.1 connection to one URL path, as a Prometheus scrape loop keeps one per target.

    A raw-socket client, not http.client: http.client parses every header through the email package, which costs
    measurably more than a raw socket (GET /metrics of `--slot-metrics none`, alternating, 1900 each: 0.239 vs 0.201
    ms median), a sixth of what is being measured, while Prometheus's Go client costs a few microseconds. Both exporters are read by this same client, so its remaining cost (one recv loop, a
    header split, Content-Length or chunked framing) is in every wall time alike; GET /healthz still measures it."""

    def __init__(self, port, path):
        self.port, self.path = port, path
        self.sock = None
        self.encoding = None

    def _connect(self):
        self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.pending = b""

    def _recv(self):
        data = self.sock.recv(1 << 20)
        if not data:
            raise ServerClosed()
        return data

    def _read_exactly(self, count):
        while len(self.pending) < count:
            self.pending += self._recv()
        data, self.pending = self.pending[:count], self.pending[count:]
        return data

    def _read_line(self):
        while (end := self.pending.find(b"\r\n")) < 0:
            self.pending += self._recv()
        line, self.pending = self.pending[:end], self.pending[end + 2:]
        return line

    def _request(self, headers):
        if self.sock is None:
            self._connect()
        lines = [f"GET {self.path} HTTP/1.1", f"Host: 127.0.0.1:{self.port}"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        status_line = self._read_line()
        fields = {}
        while line := self._read_line():
            name, _, value = line.decode("latin-1").partition(":")
            fields[name.strip().lower()] = value.strip()
        status = int(status_line.split()[1])
        if "content-length" in fields:
            body = self._read_exactly(int(fields["content-length"]))
        elif fields.get("transfer-encoding", "").lower() == "chunked":
            parts = []
            while size := int(self._read_line().split(b";")[0], 16):
                parts.append(self._read_exactly(size))
                self._read_exactly(2)
            while self._read_line():  # trailers, then the empty line
                pass
            body = b"".join(parts)
        else:
            raise RuntimeError(f"GET :{self.port}{self.path}: neither Content-Length nor chunked")
        if fields.get("connection", "").lower() == "close":
            self.close()
        return status, fields, body

    def get(self, headers=None):
        """The body (raw bytes as sent); raises unless the answer is a complete 200."""
        try:
            status, fields, body = self._request(headers)
        except (ServerClosed, ConnectionResetError, BrokenPipeError):
            # The server closed an idle keep-alive connection: reconnect once (counted in this request's time).
            self.close()
            status, fields, body = self._request(headers)
        if status != 200:
            raise RuntimeError(f"GET :{self.port}{self.path} answered {status}: {body[:200]!r}")
        self.encoding = fields.get("content-encoding")
        return body

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None


def wait_http(port, path, proc, timeout=60):
    """Waits until GET path answers 200 (the process must stay alive meanwhile)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            sys.exit(f"process on :{port} exited with {proc.returncode}")
        try:
            Fetcher(port, path).get()
            return
        except (OSError, RuntimeError, ValueError, ServerClosed):
            time.sleep(0.1)
    sys.exit(f"GET :{port}{path} not 200 within {timeout} s")


def gzipped(fetcher, headers):
    """The body of a GET with `headers`; exits unless the answer is gzip (a plain answer would not be comparable)."""
    body = fetcher.get(headers)
    if fetcher.encoding != "gzip":
        sys.exit(f"GET :{fetcher.port}{fetcher.path} with Accept-Encoding: gzip answered {fetcher.encoding or 'plain'}")
    return body


def timed(action):
    t0 = time.perf_counter()
    result = action()
    return time.perf_counter() - t0, result


# ---------------------------------------------------------------- redis_exporter

class RedisExporter:
    """redis_exporter in multi-target mode on a free loopback port, log in .run/; stopped by its PID."""

    def __init__(self):
        benchlib.RUN_DIR.mkdir(exist_ok=True)
        self.port = benchlib.free_port()
        self.log_path = benchlib.RUN_DIR / "bench-redis-exporter.log"
        # -redis.addr= (empty): no default target, only /scrape?target=; -set-client-name stays on (its default).
        self.cmd = [REDIS_EXPORTER, "-redis.addr=", "-web.listen-address", f"127.0.0.1:{self.port}"]
        self.proc = None

    def start(self):
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(self.cmd, stdout=self.log, stderr=subprocess.STDOUT)
        wait_http(self.port, "/metrics", self.proc)
        return self

    @property
    def pid(self):
        return self.proc.pid

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self.log.close()


def redis_exporter_version():
    out = subprocess.run([REDIS_EXPORTER, "--version"], capture_output=True, text=True)
    text = out.stdout + out.stderr
    # A log line: ... msg="Redis Metrics Exporter 1.45.0-2+b4    build date: ...".
    return text.split('msg="', 1)[-1].split("build date")[0].replace("Redis Metrics Exporter", "").strip() or "?"


# ---------------------------------------------------------------- expositions

def series_count(body):
    return sum(1 for line in body.decode().splitlines() if line and not line.startswith("#"))


def promtool_warnings(body):
    """The lines `promtool check metrics` prints about one exposition (none when it is clean)."""
    out = subprocess.run(["promtool", "check", "metrics"], input=body, capture_output=True, timeout=120)
    return [line for line in (out.stdout + out.stderr).decode().splitlines() if line.strip()]


def gzip_size(port, path):
    fetcher = Fetcher(port, path)
    body = fetcher.get({"Accept-Encoding": "gzip"})
    fetcher.close()
    if fetcher.encoding != "gzip":
        return None
    gzip.decompress(body)  # a truncated or corrupt body raises here
    return len(body)


def rss_mib(pid):
    return benchlib.proc_status_kib(pid) / 1024


# ---------------------------------------------------------------- phases

def measure_cycle_cpu(binary, seed, mode):
    """Phase 1: (CPU s per cycle, VmRSS MiB, cycles) of ours in `mode`, alone (two at once inflate each other's CPU
    on 2 cores) and with no HTTP traffic."""
    e = benchlib.Exporter(binary, seed, f"bench-redis-compare-cpu-{mode}", interval=CPU_INTERVAL,
                          extra=["--slot-metrics", mode])
    try:
        e.start()
        e.wait_cycles(2, timeout=60)  # cycle 1 connects and discovers: count from the end of cycle 2
        first, cpu0 = max(e.cycles()), benchlib.cpu_seconds(e.pid)
        e.wait_cycles(first + CPU_CYCLES, timeout=60)
        cpu1, last = benchlib.cpu_seconds(e.pid), max(e.cycles())
        return (cpu1 - cpu0) / (last - first), rss_mib(e.pid), last - first
    finally:
        e.stop()


def task_cpu_seconds(pid):
    """CPU seconds of the process's live threads from /proc/PID/task/*/schedstat (nanoseconds, where /proc/PID/stat
    has 10 ms ticks: fine enough for one sub-millisecond request). Threads that exited are not counted; the rounds
    cross-check the sum against benchlib.cpu_seconds."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            pass  # the thread exited between listing and reading
    return total / 1e9


def measured(pid, action):
    """(wall s, CPU s of process pid, result) of one fetch; CPU read outside the timed window."""
    cpu0 = task_cpu_seconds(pid)
    wall, result = timed(action)
    return wall, task_cpu_seconds(pid) - cpu0, result


def run_rounds(redis_exporter, ours, ports):
    """Phase 2: {fetch: [wall s]}, {fetch: [CPU s]}, the last bodies, rounds, cycles of ours during the rounds, and
    {process: (schedstat CPU sum, /proc stat CPU delta)} over the measured rounds."""
    targets = [Fetcher(redis_exporter.port, f"/scrape?target=redis://127.0.0.1:{p}") for p in ports]
    mine = {mode: Fetcher(e.port, "/metrics") for mode, e in ours.items()}
    health = Fetcher(ours["none"].port, "/healthz")
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=len(targets))
    # Prometheus asks for gzip by default (Accept-Encoding: gzip): the *_gzip fetches are what it really does.
    gzip_header = {"Accept-Encoding": "gzip"}
    fetches = {  # name: (process, action)
        "parallel": (redis_exporter.pid, lambda: list(pool.map(lambda f: f.get(), targets))),
        "sequential": (redis_exporter.pid, lambda: [f.get() for f in targets]),
        "parallel_gzip": (redis_exporter.pid, lambda: list(pool.map(lambda f: gzipped(f, gzip_header), targets))),
        "none": (ours["none"].pid, mine["none"].get),
        "none_gzip": (ours["none"].pid, lambda: gzipped(mine["none"], gzip_header)),
        "all": (ours["all"].pid, mine["all"].get),
        "healthz": (ours["none"].pid, health.get),
    }
    procs = {"redis_exporter": redis_exporter.pid, "none": ours["none"].pid, "all": ours["all"].pid}
    owner = {"parallel": "redis_exporter", "sequential": "redis_exporter", "parallel_gzip": "redis_exporter",
             "none": "none", "none_gzip": "none", "all": "all", "healthz": "none"}
    walls = {name: [] for name in fetches}
    cpus = {name: [] for name in fetches}
    bodies = {}
    try:
        deadline = time.time() + ROUNDS_TIME_LIMIT_S
        stat0 = cycles0 = None
        rounds = 0
        for r in range(WARMUP_ROUNDS + ROUNDS):
            if r == WARMUP_ROUNDS:
                stat0 = {name: benchlib.cpu_seconds(pid) for name, pid in procs.items()}
                cycles0 = {mode: len(e.cycles()) for mode, e in ours.items()}
            elif r > WARMUP_ROUNDS and time.time() > deadline:
                benchlib.log(f"redis compare: time limit reached after {rounds} rounds")
                break
            results = {}
            for name, (pid, action) in fetches.items():
                time.sleep(SETTLE_S)
                results[name] = measured(pid, action)
            gunzipped = [gzip.decompress(b) for b in results["parallel_gzip"][2]]
            for body in results["parallel"][2] + results["sequential"][2] + gunzipped:
                if b"\nredis_up 1\n" not in b"\n" + body:
                    sys.exit("a redis_exporter /scrape did not reach its node (no `redis_up 1`)")
            bodies = {"redis_exporter": results["sequential"][2], "none": results["none"][2],
                      "all": results["all"][2]}
            if r >= WARMUP_ROUNDS:
                rounds += 1
                for name, (wall, cpu, _) in results.items():
                    walls[name].append(wall)
                    cpus[name].append(cpu)
        cross = {proc: (sum(sum(cpus[f]) for f in fetches if owner[f] == proc),
                        benchlib.cpu_seconds(pid) - stat0[proc]) for proc, pid in procs.items()}
        cycles_during = {mode: len(e.cycles()) - cycles0[mode] for mode, e in ours.items()}
        return walls, cpus, bodies, rounds, cycles_during, cross
    finally:
        pool.shutdown()
        for f in targets + list(mine.values()) + [health]:
            f.close()


# ---------------------------------------------------------------- report

def ms(seconds):
    return seconds * 1e3


def sections(walls, cpu, cpu_by_fetch, bodies, rounds, cycles_during, cycle_cpu, rss, gz, version):
    p50 = {k: benchlib.median(v) for k, v in walls.items()}
    p95 = {k: benchlib.percentile(v, 95) for k, v in walls.items()}
    # CPU of the gzip fetches from the per-fetch schedstat deltas; the plain ones are the rest of each process's
    # /proc delta per round (redis_exporter's rest: 12 plain scrapes, 6 parallel + 6 sequential).
    gzip_cpu = {name: sum(cpu_by_fetch[name]) / rounds for name in ("parallel_gzip", "none_gzip")}
    re_cpu6 = (cpu["redis_exporter"] - gzip_cpu["parallel_gzip"]) / 2
    cpu = {**cpu, "none": cpu["none"] - gzip_cpu["none_gzip"]}

    timing = benchlib.Section(
        f"redis_exporter vs ours: getting every node of the {NODES}-node cluster ({rounds} interleaved rounds)",
        ["fetch", "requests", "p50 ms", "p95 ms", "redis_exporter parallel p50 / this p50", "exporter CPU ms"])
    timing.add(f"redis_exporter {version}: 6 x /scrape?target=, parallel", NODES, ms(p50["parallel"]),
               ms(p95["parallel"]), 1.0, ms(re_cpu6))
    timing.add("redis_exporter: the same 6, sequential", NODES, ms(p50["sequential"]), ms(p95["sequential"]),
               p50["parallel"] / p50["sequential"], ms(re_cpu6))
    timing.add("redis_exporter: 6 in parallel, gzip (as Prometheus asks)", NODES, ms(p50["parallel_gzip"]),
               ms(p95["parallel_gzip"]), p50["parallel"] / p50["parallel_gzip"], ms(gzip_cpu["parallel_gzip"]))
    for mode in ("none", "all"):
        timing.add(f"ours --slot-metrics {mode}: 1 x GET /metrics", 1, ms(p50[mode]), ms(p95[mode]),
                   p50["parallel"] / p50[mode], ms(cpu[mode]))
    timing.add("ours --slot-metrics none: 1 x GET /metrics, gzip (as Prometheus asks)", 1, ms(p50["none_gzip"]),
               ms(p95["none_gzip"]), p50["parallel"] / p50["none_gzip"], ms(gzip_cpu["none_gzip"]))
    timing.add("client + HTTP floor: ours GET /healthz (tiny body)", 1, ms(p50["healthz"]), ms(p95["healthz"]),
               p50["parallel"] / p50["healthz"], "-")

    re_series = sum(series_count(b) for b in bodies["redis_exporter"])
    re_bytes = sum(len(b) for b in bodies["redis_exporter"])
    re_warn = [promtool_warnings(b) for b in bodies["redis_exporter"]]
    warn = {mode: promtool_warnings(bodies[mode]) for mode in ("none", "all")}
    interval_cpu = {mode: cycle_cpu[mode] + cpu[mode] for mode in ("none", "all")}

    expo = benchlib.Section(
        "redis_exporter vs ours: series, bytes, CPU and memory",
        ["exporter", "series", "bytes", "gzip bytes", "CPU ms per collection", "CPU ms per Prometheus interval",
         "VmRSS MiB", "promtool warnings"])
    expo.add(f"redis_exporter (sum of the {NODES} /scrape)", re_series, re_bytes,
             "n/a" if None in gz["redis_exporter"] else sum(gz["redis_exporter"]), ms(re_cpu6), ms(re_cpu6),
             rss["redis_exporter"], sum(len(w) for w in re_warn))
    for mode in ("none", "all"):
        expo.add(f"ours --slot-metrics {mode}", series_count(bodies[mode]), len(bodies[mode]),
                 "n/a" if gz[mode] is None else gz[mode], ms(cycle_cpu[mode]), ms(interval_cpu[mode]), rss[mode],
                 len(warn[mode]))

    speedup = p50["parallel"] / p50["none"]
    speedup_gzip = p50["parallel_gzip"] / p50["none_gzip"]
    expo.notes += [
        f"target ours --slot-metrics none >= 20x faster than redis_exporter's {NODES} /scrape: plain "
        f"{ms(p50['parallel']):.2f} ms parallel / {ms(p50['none']):.2f} ms = {speedup:.1f}x "
        f"({'met' if speedup >= 20 else 'not met'}); gzip, as Prometheus scrapes: {ms(p50['parallel_gzip']):.2f} / "
        f"{ms(p50['none_gzip']):.2f} ms = {speedup_gzip:.1f}x ({'met' if speedup_gzip >= 20 else 'not met'}); "
        f"plain sequential {ms(p50['sequential']):.2f} ms = {p50['sequential'] / p50['none']:.1f}x; ours is near "
        f"the floor of one request to an idle process (GET /healthz {ms(p50['healthz']):.2f} ms: the client, the "
        "HTTP round trip, waking the server's threads), so these ratios are bounded by that, not by the exporter's work",
        f"target no promtool warnings for ours: none {len(warn['none'])}, all {len(warn['all'])} "
        f"({'met' if not warn['none'] and not warn['all'] else 'not met'}); redis_exporter "
        f"{sum(len(w) for w in re_warn)} ({', '.join(str(len(w)) for w in re_warn)} per node)",
        "ratios redis_exporter / ours none: "
        f"CPU per Prometheus interval {re_cpu6 / interval_cpu['none']:.1f}x, "
        f"VmRSS {rss['redis_exporter'] / rss['none']:.2f}x, series {re_series / series_count(bodies['none']):.1f}x, "
        f"bytes {re_bytes / len(bodies['none']):.1f}x",
        "CPU ms per collection: ours = one collection cycle of the whole cluster (phase 1, "
        f"{cycle_cpu['cycles']} cycles, no HTTP); redis_exporter collects while it serves, so = its {NODES} scrapes. "
        "CPU ms per Prometheus interval: ours = one cycle + one GET; redis_exporter = its 6 scrapes",
        "exporter CPU ms (first table): CPU-seconds delta of the process over the measured rounds / rounds, less "
        "the gzip fetches' own (per-fetch schedstat) CPU; redis_exporter's rest / 2, it served 6 parallel + 6 "
        f"sequential plain scrapes per round; ours ran {ROUNDS_INTERVAL} "
        f"cycles, {cycles_during['none']} + {cycles_during['all']} cycles fell in the rounds",
        "VmRSS: redis_exporter after the rounds; ours after phase 1's cycles "
        f"(the round instances: none {rss['rounds_none']:.1f} MiB, all {rss['rounds_all']:.1f} MiB)",
    ]
    distinct = sorted({w for ws in re_warn for w in ws})
    if distinct:
        expo.notes.append(f"redis_exporter promtool warnings (first {min(PROMTOOL_SHOWN, len(distinct))} of "
                          f"{len(distinct)} distinct): " + "; ".join(distinct[:PROMTOOL_SHOWN]))
    for mode in ("none", "all"):
        if warn[mode]:
            expo.notes.append(f"ours --slot-metrics {mode} promtool warnings: " + "; ".join(warn[mode][:PROMTOOL_SHOWN]))
    return [timing, expo]


# ---------------------------------------------------------------- run

def check_tools():
    if not Path(REDIS_EXPORTER).exists():
        sys.exit(f"{REDIS_EXPORTER} missing: run scripts/install-bench-tools.sh")
    if not shutil.which("promtool"):
        sys.exit("promtool missing: run scripts/install-prometheus.sh")


def run(exporter):
    check_tools()
    version = redis_exporter_version()
    cluster = benchlib.Cluster(BASE_PORT, nodes=NODES, keys=KEYS)
    seed = f"127.0.0.1:{BASE_PORT}"
    benchlib.log(f"redis compare: starting the {NODES}-node cluster on {BASE_PORT}")
    cluster.start()
    try:
        benchlib.log(f"redis compare: CPU per collection cycle ({CPU_CYCLES} cycles at {CPU_INTERVAL})")
        phase1 = {mode: measure_cycle_cpu(exporter, seed, mode) for mode in ("none", "all")}
        redis_exporter = RedisExporter()
        ours = {mode: benchlib.Exporter(exporter, seed, f"bench-redis-compare-{mode}", interval=ROUNDS_INTERVAL,
                                        extra=["--slot-metrics", mode]) for mode in ("none", "all")}
        try:
            redis_exporter.start()
            for e in ours.values():
                e.start()
            for e in ours.values():
                e.wait_cycles(1, timeout=60)
            benchlib.log(f"redis compare: {WARMUP_ROUNDS} + {ROUNDS} rounds")
            walls, cpu_by_fetch, bodies, rounds, cycles_during, cross = run_rounds(redis_exporter, ours, cluster.ports())
            # CPU per round of each process: its /proc delta over the measured rounds / rounds.
            cpu = {proc: stat_delta / rounds for proc, (_, stat_delta) in cross.items()}
            rss = {"redis_exporter": rss_mib(redis_exporter.pid), "none": phase1["none"][1],
                   "all": phase1["all"][1], "rounds_none": rss_mib(ours["none"].pid),
                   "rounds_all": rss_mib(ours["all"].pid)}
            gz = {"redis_exporter": [gzip_size(redis_exporter.port, f"/scrape?target=redis://127.0.0.1:{p}")
                                     for p in cluster.ports()],
                  "none": gzip_size(ours["none"].port, "/metrics"), "all": gzip_size(ours["all"].port, "/metrics")}
        finally:
            redis_exporter.stop()
            for e in ours.values():
                e.stop()
    finally:
        cluster.stop()
    cycle_cpu = {"none": phase1["none"][0], "all": phase1["all"][0], "cycles": phase1["none"][2]}
    benchlib.log("redis compare: promtool check metrics on every exposition")
    return sections(walls, cpu, cpu_by_fetch, bodies, rounds, cycles_during, cycle_cpu, rss, gz, version)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--exporter", type=Path, default=benchlib.DEFAULT_EXPORTER)
    args = parser.parse_args()
    if not args.exporter.exists():
        sys.exit(f"--exporter: {args.exporter} does not exist")
    for section in run(args.exporter):
        print(section.render())


if __name__ == "__main__":
    main()
