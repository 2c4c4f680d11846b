"""Fixtures for black-box tests of the real exporter binary against a real local Valkey cluster.

Every server these tests talk to is a real valkey-server 9.1.2 started by scripts/cluster.sh on 127.0.0.1,
stopped again by its PID. The only fake is `hanging_server`: a socket that accepts and never answers, to
hold the exporter before its first collection (a real server cannot be made to do that on demand).
"""
import json
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXPORTER = os.environ.get("EXPORTER", str(REPO / ".build/debug/valkey-cluster-exporter"))
VALKEY_CLI = os.environ.get("VALKEY_CLI", str(REPO / ".tools/valkey-8.1.8/bin/valkey-cli"))
BASE_PORT = int(os.environ.get("TEST_CLUSTER_BASE_PORT", "7400"))
STANDALONE_PORT = int(os.environ.get("TEST_STANDALONE_PORT", "6395"))


def run(*args, check=True, timeout=120):
    return subprocess.run(list(map(str, args)), cwd=REPO, check=check, timeout=timeout,
                          capture_output=True, text=True)


def cli(port, *args):
    """Ground truth: runs valkey-cli against one node and returns its stdout."""
    out = run(VALKEY_CLI, "-h", "127.0.0.1", "-p", port, *args)
    return out.stdout.strip()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(url, method="GET", headers=None):
    """Returns (status, headers, parsed JSON or raw text)."""
    request = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status, hdrs, body = response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        status, hdrs, body = error.code, dict(error.headers), error.read()
    text = body.decode()
    try:
        return status, hdrs, json.loads(text)
    except ValueError:
        return status, hdrs, text


class Exporter:
    """One exporter process on a free loopback port."""

    def __init__(self, *args, env=None):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        full_env = {k: v for k, v in os.environ.items() if not k.startswith(("VALKEY_ADDRESS", "LISTEN_"))}
        full_env.update(env or {})
        self.stderr_path = REPO / ".run" / f"exporter-{self.port}.log"
        self.stderr_path.parent.mkdir(exist_ok=True)
        self.stderr = open(self.stderr_path, "w")
        self.proc = subprocess.Popen([EXPORTER, "--listen-address", f"127.0.0.1:{self.port}", *map(str, args)],
                                     cwd=REPO, env=full_env, stdout=self.stderr, stderr=subprocess.STDOUT)

    def get(self, path, **kw):
        return http(self.base + path, **kw)

    def wait_listening(self, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            assert self.proc.poll() is None, f"exporter exited early:\n{self.log()}"
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        raise AssertionError(f"exporter did not listen within {timeout}s:\n{self.log()}")

    def wait_ready(self, timeout=30):
        self.wait_listening(timeout)
        deadline = time.time() + timeout
        while time.time() < deadline:
            status, _, _ = self.get("/readyz")
            if status == 200:
                return
            time.sleep(0.1)
        raise AssertionError(f"exporter not ready within {timeout}s:\n{self.log()}")

    def wait_for(self, predicate, timeout=30, interval=0.2, what="condition"):
        """Polls the metrics endpoint until predicate(body) is true; returns that body."""
        deadline = time.time() + timeout
        body = None
        while time.time() < deadline:
            status, _, body = self.get("/api/cluster/nodes/metrics")
            if status == 200 and predicate(body):
                return body
            time.sleep(interval)
        raise AssertionError(f"timed out waiting for {what}; last body: {json.dumps(body)[:2000]}")

    def log(self):
        if not self.stderr.closed:
            self.stderr.flush()
        return self.stderr_path.read_text()

    def stop(self, sig=signal.SIGTERM, timeout=10):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError(f"exporter did not stop within {timeout}s of {sig!r}")
        self.stderr.close()
        return self.proc.returncode


class Cluster:
    def __init__(self, base_port):
        self.base_port = base_port
        self.ports = list(range(base_port, base_port + 6))
        self.seed = f"127.0.0.1:{base_port}"

    def sh(self, *args, timeout=120):
        return run("scripts/cluster.sh", *args, "--base-port", self.base_port, timeout=timeout).stdout

    def nodes(self):
        """CLUSTER NODES from a live node, parsed into dicts keyed by node id."""
        for port in self.ports:
            try:
                text = cli(port, "CLUSTER", "NODES")
            except subprocess.CalledProcessError:
                continue
            if not text or "ERR" in text[:4]:
                continue
            result = {}
            for line in text.splitlines():
                parts = line.split()
                result[parts[0]] = {
                    "addr": parts[1].split("@")[0], "flags": parts[2].split(","),
                    "primary": None if parts[3] == "-" else parts[3], "link": parts[7],
                    "slots": [p for p in parts[8:] if not p.startswith("[")],
                }
            return result
        raise AssertionError("no cluster node answered CLUSTER NODES")

    def live_primary_ports(self):
        return [int(p) for p in self.sh("primaries").split()]


@pytest.fixture(scope="session")
def cluster():
    for binary in (EXPORTER, VALKEY_CLI):
        assert os.access(binary, os.X_OK), f"{binary} missing: run `make test`, which builds and installs it"
    c = Cluster(BASE_PORT)
    run("scripts/cluster.sh", "stop", "--base-port", BASE_PORT)
    c.sh("start")
    c.sh("load", "--keys", "10000")
    yield c
    run("scripts/cluster.sh", "stop", "--base-port", BASE_PORT)


@pytest.fixture(scope="session")
def exporter(cluster):
    e = Exporter("--valkey-address", cluster.seed, "--scrape-interval", "1s", "--log-level", "debug")
    e.wait_ready()
    # Two cycles so CPU rates exist.
    e.wait_for(lambda b: all(n["cpu"] and n["cpu"]["percent"] is not None for n in b["data"]["nodes"]),
               what="cpu percent on every node")
    yield e
    assert e.stop() == 0, e.log()


@pytest.fixture
def hanging_server():
    """A fake node that accepts TCP connections and never answers (like a SIGSTOPped server)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
                held.append(conn)
            except OSError:
                pass

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    listener.close()
