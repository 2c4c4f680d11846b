"""Shared pieces of the benchmark harness (`make bench`): processes, /proc readings, statistics, tables.

Every section module in Benchmarks/ imports this and exposes `run(args) -> Section`; Benchmarks/bench.py runs the
sections in one go and prints their tables. Nothing here asserts: benchmarks print numbers.
Only loopback is ever a target; every process started here is stopped by its PID.
"""
import math
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RUN_DIR = REPO / ".run"
TOOLS = Path(os.environ.get("TOOLS_DIR", REPO / ".tools"))
VALKEY_SERVER = os.environ.get("VALKEY_SERVER", str(TOOLS / "valkey-9.1.2/bin/valkey-server"))
VALKEY_CLI = os.environ.get("VALKEY_CLI", str(TOOLS / "valkey-8.1.8/bin/valkey-cli"))
DEFAULT_EXPORTER = REPO / ".build/release/valkey-cluster-exporter"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------- statistics

def percentile(values, p):
    """Nearest-rank percentile (p in 0..100) of a non-empty sequence."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1))]


def median(values):
    return statistics.median(values)


# ---------------------------------------------------------------- /proc

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_status_kib(pid, field_name="VmRSS"):
    """A `kB` field of /proc/PID/status (VmRSS, VmHWM, ...)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field_name} not in /proc/{pid}/status")


def cpu_seconds(pid):
    """User + system CPU seconds the process has used so far (/proc/PID/stat utime + stime)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


# ---------------------------------------------------------------- processes

def cluster_cmd(base_port, *args, nodes=None, replicas=None):
    cmd = [str(REPO / "scripts/cluster.sh"), "--base-port", str(base_port)]
    if nodes is not None:
        cmd += ["--nodes", str(nodes)]
    if replicas is not None:
        cmd += ["--replicas", str(replicas)]
    return cmd + [str(a) for a in args]


class Cluster:
    """A real local cluster of valkey-server processes (scripts/cluster.sh), stopped again by `stop()`."""

    def __init__(self, base_port, nodes=6, replicas=1, keys=20000, timeout=120):
        self.base_port, self.nodes, self.replicas, self.keys, self.timeout = base_port, nodes, replicas, keys, timeout

    def start(self):
        subprocess.run(cluster_cmd(self.base_port, "stop"), cwd=REPO, capture_output=True)
        subprocess.run(cluster_cmd(self.base_port, "start", "--timeout", self.timeout, nodes=self.nodes,
                                   replicas=self.replicas), cwd=REPO, check=True, capture_output=True)
        if self.keys:
            subprocess.run(cluster_cmd(self.base_port, "load", "--keys", self.keys), cwd=REPO, check=True,
                           capture_output=True)
        return self

    def stop(self):
        subprocess.run(cluster_cmd(self.base_port, "stop"), cwd=REPO, capture_output=True)

    def ports(self):
        return [self.base_port + i for i in range(self.nodes)]

    def primaries(self):
        out = subprocess.run(cluster_cmd(self.base_port, "primaries"), cwd=REPO, check=True, capture_output=True,
                             text=True).stdout
        return [int(p) for p in out.split()]

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


CYCLE_LINE = re.compile(r'msg="collection cycle finished" cycle=(\d+) duration_ms=([\d.]+) failed=(\d+)')


class Exporter:
    """The exporter binary on a free loopback port with debug logs in .run/<name>.log; stopped by `stop()`."""

    def __init__(self, binary, seed, name, interval="1s", extra=(), env=None):
        RUN_DIR.mkdir(exist_ok=True)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = RUN_DIR / f"{name}.log"
        self.cmd = [str(binary), "--valkey-address", seed, "--listen-address", f"127.0.0.1:{self.port}",
                    "--scrape-interval", interval, "--log-level", "debug", *extra]
        self.env = env
        self.proc = None
        self._log_offset = 0
        self._cycles = {}

    def start(self):
        self.log = open(self.log_path, "w")
        self._log_offset, self._cycles = 0, {}
        self.proc = subprocess.Popen(self.cmd, stdout=self.log, stderr=subprocess.STDOUT,
                                     env={**os.environ, **(self.env or {})})
        return self

    @property
    def pid(self):
        return self.proc.pid

    def cycles(self):
        """{cycle number: (duration ms, failed node count)} from the debug log so far.

        Reads only what the log gained since the last call (a line still being written waits for the next): the
        cycle bench polls while the exporter runs, and re-reading the whole growing log on every poll took CPU from
        the cycle being measured, which the floor's runs never paid."""
        with open(self.log_path, "rb") as log:
            log.seek(self._log_offset)
            fresh = log.read()
        complete = fresh[:fresh.rfind(b"\n") + 1]
        self._log_offset += len(complete)
        for m in CYCLE_LINE.finditer(complete.decode(errors="replace")):
            self._cycles[int(m.group(1))] = (float(m.group(2)), int(m.group(3)))
        return dict(self._cycles)

    def wait_cycles(self, count, timeout=300, allow_failed=False):
        """Waits until cycle `count` has finished; returns the cycles as from `cycles()`."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                sys.exit(f"exporter exited with {self.proc.returncode}; see {self.log_path}")
            seen = self.cycles()
            if not allow_failed:
                bad = [c for c, (_, failed) in seen.items() if failed]
                if bad:
                    sys.exit(f"cycle {bad[0]} had failed nodes; see {self.log_path}")
            if count in seen:
                return seen
            time.sleep(0.05)
        sys.exit(f"cycle {count} not finished within {timeout} s; see {self.log_path}")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self.log.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def cli(port, *args):
    """valkey-cli against 127.0.0.1:port; returns stdout."""
    return subprocess.run([VALKEY_CLI, "-h", "127.0.0.1", "-p", str(port), *map(str, args)], check=True,
                          capture_output=True, text=True).stdout


def info_fields(port, section):
    """INFO SECTION as {field: value} (strings)."""
    result = {}
    for line in cli(port, "INFO", section).splitlines():
        if ":" in line and not line.startswith("#"):
            key, _, value = line.partition(":")
            result[key] = value.strip()
    return result


# ---------------------------------------------------------------- tables

@dataclass
class Section:
    """One block of the final report: a title, column names, rows of cells, and notes printed under it."""
    title: str
    columns: list
    rows: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    # Output of a Swift benchmark executable, shown as is instead of rows.
    preformatted: str = None

    def add(self, *cells):
        self.rows.append([format_cell(c) for c in cells])

    def render(self):
        if self.preformatted is not None:
            return f"### {self.title}\n\n```\n{self.preformatted}\n```\n"
        widths = [max(len(str(c)) for c in col) for col in zip(self.columns, *self.rows)]
        line = lambda cells: "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"
        out = [f"### {self.title}", "", line(self.columns), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
        out += [line(r) for r in self.rows]
        out += [""] + [f"- {n}" for n in self.notes]
        return "\n".join(out) + "\n"


def format_cell(value):
    if isinstance(value, float):
        if value == 0:
            return "0"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        if abs(value) >= 10:
            return f"{value:.1f}"
        return f"{value:.2f}" if abs(value) >= 0.1 else f"{value:.3g}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def log(message):
    """Progress on stderr, so stdout holds only the tables."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- a raw RESP2 client for measurements

class Resp:
    """A minimal RESP2 client on one persistent loopback connection: no handshake, so measuring adds exactly the
    commands sent here to a node's statistics (valkey-cli may send its own on connect)."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.file = self.sock.makefile("rb")

    def call(self, *args):
        payload = b"*%d\r\n" % len(args) + b"".join(
            b"$%d\r\n%s\r\n" % (len(a), a) for a in (str(x).encode() for x in args))
        self.sock.sendall(payload)
        return self._read()

    def _read(self):
        line = self.file.readline().rstrip(b"\r\n")
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RuntimeError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            size = int(rest)
            if size < 0:
                return None
            data = self.file.read(size + 2)[:-2]
            return data.decode()
        if kind == b"*":
            return [self._read() for _ in range(int(rest))]
        raise RuntimeError(f"unexpected RESP reply {line[:40]!r}")

    def info(self, section):
        result = {}
        for row in self.call("INFO", section).splitlines():
            if ":" in row and not row.startswith("#"):
                key, _, value = row.partition(":")
                result[key] = value.strip()
        return result

    def close(self):
        self.sock.close()


def resp_encode(args):
    """One command as RESP bytes (what any client sends)."""
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in (str(x).encode() for x in args))
