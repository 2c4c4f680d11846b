#!/usr/bin/env python3
"""Soak: run the exporter against its own 6-node cluster for a bounded time with faults sprinkled in, sample
its resident memory, descriptors and per-node connections, and report the RSS slope.

  make soak                                  # 30 minutes at a 200ms interval (SOAK_MINUTES, SOAK_INTERVAL)
  scripts/soak.py --minutes 3 --exporter /path/to/valkey-cluster-exporter

What it does:
  - starts a cluster with scripts/cluster.sh on its own base port (default 7800, bus 17800-17805), loads 20000
    keys, and stops it again at exit (also on Ctrl-C / SIGTERM; a frozen node is thawed first);
  - runs the exporter (--scrape-interval INTERVAL, --command-timeout / --connect-timeout 500ms, all slot series)
    with a light HTTP load on the side: /metrics (gzip, both formats) and the JSON API, like a scraper and a
    dashboard, about 5 requests per second;
  - every --sample-every seconds (10) records: cycle, RSS trough (lowest VmRSS of 20 readings over 2 s: within a
    cycle RSS swings by ~20 MiB while 2 x 6.7 MB of exposition are rendered, the trough is what is kept), fds
    (lowest of the same readings), and per node the exporter's connections as the server lists them in
    CLIENT LIST (told apart from other exporters by the local port of its sockets) plus "orphans" (clients named
    valkey-cluster-exporter whose peer socket is no longer ESTABLISHED on this host);
  - after the baseline sample (taken after --warmup: 10% of the run, 90 s to 5 min: RSS climbs from ~50 to ~64 MiB
    over the first minutes with the HTTP load (measured before the slot-stats cache fix, when each cached
    full-range answer kept ~7 MiB), then stays on that plateau; without HTTP load it stays flat at ~50 MiB), every --fault-every seconds (60; less in runs too short
    for the whole rotation) applies the next fault of a rotation: CLIENT KILL of the exporter's
    connection on a primary, SIGSTOP of a replica for 3 s, CLIENT PAUSE ALL of a primary for 1 s, SIGKILL of a
    replica + restart-node, CLIENT KILL on every node;
  - at the end heals everything (wait-ok), waits for 20 clean cycles, takes the final sample and prints a table,
    the before/after numbers and the least-squares RSS slope over the second half of the run, in KiB/hour.

Exits 1 when (thresholds are flags):
  - the RSS slope exceeds --max-slope-kib-h (default 12288 KiB/h = 12 MiB/h). At a 200ms interval (~17,500 cycles
    an hour on 2 cores) that is about 0.7 KiB per cycle. The clean runs measured +6.4 +-1.6 MiB/h over minutes 15-30
    of a 30-minute run with the trough moving between levels ~1 MiB apart (glibc heap top), so 8 MiB/h would fail
    about one run in six without a leak. The fit is only judged when its window spans at least --min-slope-window
    minutes (10): over a short window the trough noise (+-1-2 MiB) dominates (the standard error is printed);
  - the final RSS trough exceeds baseline x 1.10 + 6 MiB. At a 200ms interval the trough moves between levels up to
    ~4 MiB apart even after it has settled (test_zv_leaks.py, whose back-to-back cycles keep it steadier, uses
    5% + 4 MiB); the slope is the finer check;
  - final fds exceed the baseline by more than --fd-slack (2);
  - any node does not show exactly one exporter connection (the pool size) or shows an orphan;
  - any HTTP request failed, or the exporter exited.
Exits 2 on a setup error, 130 on Ctrl-C.
"""
import argparse
import gzip
import http.client as httpclient
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
VALKEY_CLI = os.environ.get("VALKEY_CLI", str(REPO / ".tools/valkey-8.1.8/bin/valkey-cli"))
EXPORTER_NAME = "name=valkey-cluster-exporter"
POOL_SIZE = 1  # ConnectionPool: one connection per node address, shared by discovery and collection
RSS_FACTOR, RSS_SLACK_KIB = 1.10, 6 * 1024
OPENMETRICS_ACCEPT = "application/openmetrics-text;version=1.0.0"


def log(msg):
    print(msg, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli(port, *args, timeout=10):
    out = subprocess.run([VALKEY_CLI, "-h", "127.0.0.1", "-p", str(port), *map(str, args)],
                         capture_output=True, text=True, timeout=timeout, check=True)
    return out.stdout.strip()


# ---- /proc ----------------------------------------------------------------------------------------------------

def status_kib(pid, field):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} missing")


def socket_inodes(pid):
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            m = re.fullmatch(r"socket:\[(\d+)\]", os.readlink(f"/proc/{pid}/fd/{fd}"))
        except OSError:
            continue
        if m:
            inodes.add(int(m.group(1)))
    return inodes


def tcp_table():
    rows = []
    for path in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = open(path).read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            rows.append((int(parts[1].rsplit(":", 1)[1], 16), parts[3], int(parts[9])))
    return rows


def connections(pid, ports):
    """{port: (ours, orphans, our client ids)} from CLIENT LIST of each node."""
    inodes = socket_inodes(pid)
    table = tcp_table()
    ours_local = {lp for lp, _, inode in table if inode in inodes}
    established = {lp for lp, st, _ in table if st == "01"}
    result = {}
    for port in ports:
        lines = [l for l in cli(port, "CLIENT", "LIST").splitlines() if EXPORTER_NAME in l]
        local = lambda l: int(re.search(r"\baddr=\S+:(\d+)\b", l).group(1))
        mine = [l for l in lines if local(l) in ours_local]
        orphans = [l for l in lines if local(l) not in established]
        result[port] = (len(mine), len(orphans), [re.search(r"\bid=(\d+)", l).group(1) for l in mine])
    return result


# ---- the processes ------------------------------------------------------------------------------------------

class Cluster:
    def __init__(self, base_port):
        self.base_port = base_port
        self.ports = list(range(base_port, base_port + 6))
        self.frozen, self.killed = set(), set()

    def sh(self, *args, timeout=180):
        out = subprocess.run(["scripts/cluster.sh", *map(str, args), "--base-port", str(self.base_port)],
                             cwd=REPO, capture_output=True, text=True, timeout=timeout)
        if out.returncode != 0:
            raise RuntimeError(f"cluster.sh {' '.join(map(str, args))}: {out.stderr.strip() or out.stdout.strip()}")
        return out.stdout

    def primaries(self):
        return [int(p) for p in self.sh("primaries").split()]

    def replicas(self):
        return [int(p) for p in self.sh("replicas").split()]

    def heal(self):
        """Best effort: thaw frozen nodes, restart killed ones."""
        for port in list(self.frozen):
            try:
                self.sh("cont-node", port)
            except Exception as error:  # keep healing the others
                log(f"soak: cont-node {port}: {error}")
            self.frozen.discard(port)
        for port in list(self.killed):
            try:
                self.sh("restart-node", port)
            except Exception as error:
                log(f"soak: restart-node {port}: {error}")
            self.killed.discard(port)


class Exporter:
    def __init__(self, binary, seed, interval, log_path):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.log_file = open(log_path, "w")
        self.proc = subprocess.Popen(
            [binary, "--valkey-address", seed, "--listen-address", f"127.0.0.1:{self.port}",
             "--scrape-interval", interval, "--command-timeout", "500ms", "--connect-timeout", "500ms",
             "--log-level", "debug"],
            stdout=self.log_file, stderr=subprocess.STDOUT, start_new_session=True)

    def get(self, path, headers=None, timeout=10):
        request = urllib.request.Request(self.base + path, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def cycle(self):
        try:
            status, body = self.get("/readyz")
        except OSError:  # not listening yet
            return 0
        return json.loads(body)["data"]["cycle"] if status == 200 else 0

    def all_online(self):
        status, body = self.get("/api/cluster/nodes/metrics")
        if status != 200:
            return False
        nodes = json.loads(body)["data"]["nodes"]
        return len(nodes) == 6 and all(n["status"] == "online" for n in nodes)

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log_file.close()
        return self.proc.returncode


class HTTPLoad(threading.Thread):
    """About 5 requests per second: /metrics gzip (both formats) on one persistent connection, the JSON API with a
    new connection per request. Fixed slot-stats ranges, so the slot-stats cache is bounded by design."""

    def __init__(self, e):
        super().__init__(daemon=True)
        self.e = e
        self.halt = threading.Event()
        self.requests = 0
        self.failures = []

    def fail(self, what):
        if len(self.failures) < 50:
            self.failures.append(f"{time.strftime('%H:%M:%S')} {what}")

    def run(self):
        conn = httpclient.HTTPConnection("127.0.0.1", self.e.port, timeout=10)
        paths = ["/api/cluster/nodes", "/api/cluster/nodes/metrics", "/api/cluster/slot-stats?start_slot=0&end_slot=99",
                 "/api/cluster/slot-stats", "/readyz"]
        i = 0
        while not self.halt.wait(0.2):
            if i % 2 == 0:
                accept = {"Accept-Encoding": "gzip"}
                if i % 4 == 0:
                    accept["Accept"] = OPENMETRICS_ACCEPT
                try:
                    conn.request("GET", "/metrics", headers=accept)
                    response = conn.getresponse()
                    body = response.read()
                    if response.status != 200 or b"valkey_up" not in gzip.decompress(body)[:200000]:
                        self.fail(f"/metrics {response.status}")
                except (OSError, httpclient.HTTPException) as error:
                    self.fail(f"/metrics {error!r}")
                    conn.close()
                    conn = httpclient.HTTPConnection("127.0.0.1", self.e.port, timeout=10)
            else:
                path = paths[(i // 2) % len(paths)]
                try:
                    status, _ = self.e.get(path)
                    if status != 200:
                        self.fail(f"{path} {status}")
                except OSError as error:
                    self.fail(f"{path} {error!r}")
            self.requests += 1
            i += 1
        conn.close()


# ---- sampling, faults, report -------------------------------------------------------------------------------

def sample(e, cluster, started):
    rss, fds = [], []
    for _ in range(20):
        rss.append(status_kib(e.proc.pid, "VmRSS"))
        fds.append(len(os.listdir(f"/proc/{e.proc.pid}/fd")))
        time.sleep(0.1)
    live = [p for p in cluster.ports if p not in cluster.frozen | cluster.killed]
    return {"t": time.time() - started, "cycle": e.cycle(), "rss": min(rss), "fds": min(fds),
            "conns": connections(e.proc.pid, live)}


def fmt_row(s, ports):
    conns = " ".join(f"{s['conns'][p][0]}" + (f"+{s['conns'][p][1]}o" if s["conns"][p][1] else "")
                     if p in s["conns"] else "-" for p in ports)
    return f"{s['t'] / 60:>7.2f} {s['cycle']:>7} {s['rss'] / 1024:>9.1f} {s['fds']:>4}  {conns}"


def slope(points):
    """Least squares y = a + b t; returns (b, standard error of b)."""
    n = len(points)
    if n < 3:
        return float("nan"), float("nan")
    tm = statistics.fmean(t for t, _ in points)
    ym = statistics.fmean(y for _, y in points)
    sxx = sum((t - tm) ** 2 for t, _ in points)
    if sxx == 0:
        return float("nan"), float("nan")
    b = sum((t - tm) * (y - ym) for t, y in points) / sxx
    residual = sum((y - ym - b * (t - tm)) ** 2 for t, y in points)
    return b, (residual / (n - 2) / sxx) ** 0.5


def main():
    env = os.environ
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--minutes", "--duration", type=float, default=float(env.get("SOAK_MINUTES", 30)),
                        help="run time in minutes, fractions allowed [SOAK_MINUTES, default 30]")
    parser.add_argument("--interval", default=env.get("SOAK_INTERVAL", "200ms"),
                        help="exporter --scrape-interval [SOAK_INTERVAL, default 200ms]")
    parser.add_argument("--base-port", type=int, default=int(env.get("SOAK_BASE_PORT", 7800)))
    parser.add_argument("--exporter", default=env.get("EXPORTER", str(REPO / ".build/release/valkey-cluster-exporter")))
    parser.add_argument("--keys", type=int, default=20000)
    parser.add_argument("--sample-every", type=float, default=10.0, help="seconds between samples (10)")
    parser.add_argument("--fault-every", type=float, default=None,
                        help="seconds between faults (60, shorter for short runs so the whole rotation of 5 runs)")
    parser.add_argument("--warmup", type=float, default=None,
                        help="seconds before the baseline sample (10%% of the run, 90 s to 5 min: RSS climbs for the "
                             "first minutes, then plateaus)")
    parser.add_argument("--max-slope-kib-h", type=float, default=12288.0)
    parser.add_argument("--min-slope-window", type=float, default=10.0,
                        help="minutes the second-half fit must span for the slope to be judged (10)")
    parser.add_argument("--fd-slack", type=int, default=2)
    args = parser.parse_args()
    if args.warmup is None:
        args.warmup = max(90.0, min(300.0, args.minutes * 6))
    if args.fault_every is None:
        # The rotation has 5 faults (the longest takes ~5 s); none starts in the last 20 s.
        args.fault_every = max(10.0, min(60.0, (args.minutes * 60 - args.warmup - 40) / 5))
    if not os.access(args.exporter, os.X_OK):
        sys.exit(f"soak: {args.exporter} is not executable (make soak builds it)")
    if not os.access(VALKEY_CLI, os.X_OK):
        sys.exit(f"soak: {VALKEY_CLI} missing: source scripts/tools-env.sh (make soak does)")

    # Ctrl-C and SIGTERM end the run through `finally`; a second signal during cleanup is ignored.
    def on_term(signum, _frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGHUP, on_term)

    cluster = Cluster(args.base_port)
    e = load = None
    samples, problems = [], []
    faults_done = []
    interrupted = False
    (REPO / ".run").mkdir(exist_ok=True)
    log_path = REPO / ".run" / f"soak-exporter-{args.base_port}.log"
    try:
        cluster.sh("stop")
        log(f"soak: starting a 6-node cluster on {args.base_port}-{args.base_port + 5}")
        cluster.sh("start")
        cluster.sh("load", "--keys", args.keys)
        e = Exporter(args.exporter, f"127.0.0.1:{args.base_port}", args.interval, log_path)
        deadline = time.time() + 60
        while e.cycle() < 2:
            if not e.alive() or time.time() > deadline:
                raise RuntimeError(f"exporter not ready; see {log_path}")
            time.sleep(0.2)
        started = time.time()
        end = started + args.minutes * 60
        log(f"soak: exporter pid {e.proc.pid} on {e.base}, interval {args.interval}, {args.minutes:g} min, "
            f"a fault every {args.fault_every:.0f} s, log {log_path}")
        load = HTTPLoad(e)
        load.start()

        primaries, replicas = cluster.primaries(), cluster.replicas()

        def kill_ours(port):
            for client_id in connections(e.proc.pid, [port])[port][2]:
                cli(port, "CLIENT", "KILL", "ID", client_id)

        def freeze(port, seconds):
            cluster.sh("stop-node", port)
            cluster.frozen.add(port)
            time.sleep(seconds)
            cluster.sh("cont-node", port)
            cluster.frozen.discard(port)

        def pause(port, millis):
            cli(port, "CLIENT", "PAUSE", millis, "ALL")
            time.sleep(millis / 1000 + 0.3)

        def kill_restart(port):
            cluster.sh("kill-node", port)
            cluster.killed.add(port)
            time.sleep(3)
            cluster.sh("restart-node", port)
            cluster.killed.discard(port)

        rotation = [
            ("CLIENT KILL on a primary", lambda: kill_ours(primaries[0])),
            ("SIGSTOP a replica 3 s", lambda: freeze(replicas[0], 3)),
            ("CLIENT PAUSE ALL a primary 1 s", lambda: pause(primaries[1], 1000)),
            ("SIGKILL + restart a replica", lambda: kill_restart(replicas[1])),
            ("CLIENT KILL on every node", lambda: [kill_ours(p) for p in cluster.ports]),
        ]
        header = f"{'min':>7} {'cycle':>7} {'RSS MiB':>9} {'fds':>4}  conns per node {' '.join(map(str, cluster.ports))}"
        log(header)
        next_sample = started
        next_fault = started + args.warmup + min(args.fault_every, args.sample_every)
        baseline = None
        while time.time() < end:
            if not e.alive():
                raise RuntimeError(f"exporter exited with {e.proc.returncode}; see {log_path}")
            now = time.time()
            if now >= next_sample:
                s = sample(e, cluster, started)
                samples.append(s)
                if baseline is None and s["t"] >= args.warmup and s["cycle"] >= 50:
                    baseline = s
                    s["mark"] = "baseline"
                log(fmt_row(s, cluster.ports) + ("  <- baseline" if s is baseline else ""))
                next_sample += args.sample_every
            elif now >= next_fault and baseline is not None and now + 20 < end:
                name, apply = rotation[len(faults_done) % len(rotation)]
                t0 = time.time()
                apply()
                faults_done.append(name)
                log(f"        fault: {name} ({time.time() - t0:.1f} s, cycle {e.cycle()})")
                next_fault = t0 + args.fault_every
            else:
                time.sleep(min(0.2, max(0.0, min(next_sample, next_fault) - now)))

        load.halt.set()
        load.join(30)
        cluster.heal()
        cluster.sh("wait-ok")
        t0 = time.time()
        while not e.all_online():
            if time.time() - t0 > 60:
                raise RuntimeError("not every node online 60 s after healing")
            time.sleep(0.2)
        target = e.cycle() + 20
        while e.cycle() < target:
            if time.time() - t0 > 120:
                raise RuntimeError("no 20 clean cycles within 120 s")
            time.sleep(0.2)
        final = sample(e, cluster, started)
        settle = time.time() + 5
        while time.time() < settle and not all(c[0] == POOL_SIZE and c[1] == 0 for c in final["conns"].values()):
            time.sleep(0.5)
            final["conns"] = connections(e.proc.pid, cluster.ports)
        samples.append(final)
        log(fmt_row(final, cluster.ports) + "  <- final (faults healed, load stopped, 20 clean cycles)")
        hwm = status_kib(e.proc.pid, "VmHWM")
        text = log_path.read_text()
        opened = len(re.findall(r"msg=connected ", text))
        failed_cycles = len(re.findall(r'msg="collection cycle finished" .*failed=[1-9]', text))
        errors = {}
        status, body = e.get("/metrics")
        for m in re.finditer(r'^valkey_exporter_collection_errors_total\{[^}]*reason="(\w+)"\} (\S+)$',
                             body.decode(), re.M):
            errors[m.group(1)] = errors.get(m.group(1), 0) + int(float(m.group(2)))

        # ---- report -------------------------------------------------------------------------------------
        if baseline is None:
            baseline = samples[0]
            problems.append("run too short for a warmed-up baseline; the first sample is used")
        log("")
        log(f"soak summary: {args.minutes:g} min, interval {args.interval}, exporter {args.exporter}")
        step = max(1, len(samples) // 30)
        table = samples[::step]
        if table[-1] is not final:
            table.append(final)
        log(header)
        for s in table:
            log(fmt_row(s, cluster.ports) + (f"  <- {s['mark']}" if "mark" in s else "")
                + ("  <- final" if s is final else ""))
        half = [s for s in samples[:-1] if s["t"] >= samples[-2]["t"] / 2] if len(samples) > 2 else []
        points = [(s["t"] / 3600, s["rss"]) for s in half]
        b, se = slope(points)
        window_min = (half[-1]["t"] - half[0]["t"]) / 60 if half else 0
        cycles_per_h = (final["cycle"] - baseline["cycle"]) / max(1e-9, (final["t"] - baseline["t"]) / 3600)
        log("")
        log(f"{'':<34}{'baseline':>12}{'final':>12}")
        log(f"{'at minute / cycle':<34}{baseline['t'] / 60:>6.1f}/{baseline['cycle']:<5}{final['t'] / 60:>6.1f}/{final['cycle']}")
        log(f"{'RSS trough, MiB':<34}{baseline['rss'] / 1024:>12.1f}{final['rss'] / 1024:>12.1f}")
        log(f"{'fds':<34}{baseline['fds']:>12}{final['fds']:>12}")
        for p in cluster.ports:
            bc, fc = baseline["conns"].get(p, ("-", "-")), final["conns"][p]
            log(f"{'connections (orphans) ' + str(p):<34}{f'{bc[0]} ({bc[1]})':>12}{f'{fc[0]} ({fc[1]})':>12}")
        log(f"peak RSS (VmHWM) {hwm / 1024:.1f} MiB; {final['cycle']} cycles ({cycles_per_h:.0f}/h); "
            f"{len(faults_done)} faults; {load.requests} HTTP requests, {len(load.failures)} failed; "
            f"connections opened {opened}; cycles with failed nodes {failed_cycles}; errors {errors}")
        kib_per_cycle = b / cycles_per_h if cycles_per_h else float("nan")
        log(f"RSS slope (least squares over the second half, {len(points)} samples, {window_min:.1f} min): "
            f"{b:+.0f} KiB/hour (+-{se:.0f} standard error; {kib_per_cycle:+.3f} KiB/cycle)")

        if window_min >= args.min_slope_window:
            if b > args.max_slope_kib_h:
                problems.append(f"RSS slope {b:.0f} KiB/h > {args.max_slope_kib_h:.0f} KiB/h")
        else:
            log(f"  (slope not judged: the window is under {args.min_slope_window:g} min, too short to tell a "
                f"leak from noise; the other checks apply)")
        bound = baseline["rss"] * RSS_FACTOR + RSS_SLACK_KIB
        if final["rss"] > bound:
            problems.append(f"final RSS trough {final['rss']} KiB > bound {bound:.0f} KiB")
        if final["fds"] > baseline["fds"] + args.fd_slack:
            problems.append(f"fds grew {baseline['fds']} -> {final['fds']}")
        for p, (ours, orphans, _) in final["conns"].items():
            if ours != POOL_SIZE:
                problems.append(f"node {p}: {ours} exporter connections, pool size {POOL_SIZE}")
            if orphans:
                problems.append(f"node {p}: {orphans} orphaned exporter-named clients")
        if load.failures:
            problems.append(f"HTTP failures: {load.failures[:5]}")
    except KeyboardInterrupt:
        interrupted = True
        log("soak: interrupted; cleaning up")
    except (RuntimeError, subprocess.SubprocessError, OSError) as error:
        problems.append(f"setup/run error: {error}")
        log(f"soak: error: {error}")
        if e is not None:
            log(f"soak: exporter log: {log_path}")
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if load is not None:
            load.halt.set()
        if e is not None:
            e.stop()
        cluster.heal()
        subprocess.run(["scripts/cluster.sh", "stop", "--base-port", str(args.base_port)], cwd=REPO,
                       capture_output=True, timeout=120)
    if interrupted:
        return 130
    if any(p.startswith("setup/run error") for p in problems):
        return 2
    if problems:
        log("soak: FAIL")
        for p in problems:
            log(f"  - {p}")
        return 1
    log("soak: PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
