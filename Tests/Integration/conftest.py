"""Fixtures for black-box tests of the real exporter binary against a real local Valkey cluster.

Every server these tests talk to is a real valkey-server 9.1.2 started by scripts/cluster.sh on 127.0.0.1,
stopped again by its PID. The only fake is `hanging_server`: a socket that accepts and never answers, to
hold the exporter before its first collection (a real server cannot be made to do that on demand).
"""
import gzip
import http.client as httpclient
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXPORTER = os.environ.get("EXPORTER", str(REPO / ".build/release/valkey-cluster-exporter"))
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


def http_raw(host, port, path, headers=None, timeout=30):
    """One GET over a fresh connection; returns (status, headers (case-insensitive), raw body bytes).
    Unlike `http`, sends only the headers given (no Accept-Encoding of its own) and never decodes the body."""
    conn = httpclient.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


OPENMETRICS_ACCEPT = "application/openmetrics-text;version=1.0.0"


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

    def metrics(self, accept=None, gzip_ok=False, extra_headers=None):
        """GET /metrics; returns (status, headers, body text), the body gunzipped when it came gzipped.
        The headers tell whether it was (Content-Encoding)."""
        headers = dict(extra_headers or {})
        if accept:
            headers["Accept"] = accept
        if gzip_ok:
            headers["Accept-Encoding"] = "gzip"
        status, hdrs, body = http_raw("127.0.0.1", self.port, "/metrics", headers)
        if hdrs.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        return status, hdrs, body.decode("utf-8")

    def wait_metrics(self, timeout=30):
        """Polls /metrics until it answers 200 (after the first cycle); returns its text."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            status, _, body = self.metrics()
            if status == 200:
                return body
            time.sleep(0.2)
        raise AssertionError(f"/metrics did not answer 200 within {timeout}s (last {status}: {body[:300]})")

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


class Prometheus:
    """A real Prometheus server (Debian's 2.42, see scripts/install-prometheus.sh) on a free loopback port,
    scraping the given targets every second; its data lives in a temporary directory removed on stop."""

    def __init__(self, targets, scrape_interval="1s", job_settings=""):
        """job_settings: extra YAML lines for the scrape job, indented by 4 spaces (e.g. scheme, tls_config,
        basic_auth)."""
        binary = shutil.which("prometheus")
        assert binary, "prometheus not on PATH: run scripts/install-prometheus.sh (make tools does)"
        self.dir = Path(tempfile.mkdtemp(prefix="prom-test-"))
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        config = self.dir / "prometheus.yml"
        config.write_text(
            "global:\n"
            f"  scrape_interval: {scrape_interval}\n"
            f"  scrape_timeout: {scrape_interval}\n"
            "scrape_configs:\n"
            "  - job_name: valkey-cluster-exporter\n"
            f"{job_settings}"
            "    static_configs:\n"
            f"      - targets: [{', '.join(json.dumps(t) for t in targets)}]\n")
        self.log_path = REPO / ".run" / f"prometheus-{self.port}.log"
        self.log_path.parent.mkdir(exist_ok=True)
        self.log_file = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [binary, f"--config.file={config}", f"--storage.tsdb.path={self.dir / 'data'}",
             f"--web.listen-address=127.0.0.1:{self.port}", "--log.level=info"],
            cwd=self.dir, stdout=self.log_file, stderr=subprocess.STDOUT)

    def log(self):
        if not self.log_file.closed:
            self.log_file.flush()
        return self.log_path.read_text()

    def api(self, path):
        status, _, body = http(self.base + path)
        assert status == 200 and isinstance(body, dict) and body.get("status") == "success", \
            f"Prometheus {path}: {status} {str(body)[:500]}"
        return body["data"]

    def wait_ready(self, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            assert self.proc.poll() is None, f"prometheus exited early:\n{self.log()[-3000:]}"
            try:
                status, _, _ = http(self.base + "/-/ready")
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"prometheus not ready within {timeout}s:\n{self.log()[-3000:]}")

    def query(self, expr):
        """Instant query; returns the result vector as a list of (labels, float value)."""
        data = self.api("/api/v1/query?query=" + urllib.parse.quote(expr))
        assert data["resultType"] == "vector", data
        return [(r["metric"], float(r["value"][1])) for r in data["result"]]

    def stop(self, timeout=20):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log_file.close()
        shutil.rmtree(self.dir, ignore_errors=True)
        return self.proc.returncode


class Cluster:
    def __init__(self, base_port):
        self.base_port = base_port
        self.ports = list(range(base_port, base_port + 6))
        self.seed = f"127.0.0.1:{base_port}"

    def sh(self, *args, timeout=120):
        out = run("scripts/cluster.sh", *args, "--base-port", self.base_port, timeout=timeout).stdout
        if args and args[0] == "restart-node" and getattr(self, "exporter_password", None):
            # A restarted node has lost its in-memory ACL users: give it the exporter user back.
            deadline = time.time() + 30
            while True:
                try:
                    create_exporter_user(args[1], self.exporter_password)
                    break
                except AssertionError:
                    if time.time() > deadline:
                        raise
                    time.sleep(0.2)
        return out

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


# The least the exporter needs (README "Security"). The session cluster creates this user on every node at start-up
# and the session exporter logs in as it, so every test that uses that exporter runs with exactly these permissions.
EXPORTER_ACL = ("-@all +hello +auth +client|setname +info +dbsize +multi +exec +cluster|nodes +cluster|info "
                "+cluster|myshardid +cluster|slot-stats +cluster|countkeysinslot")
EXPORTER_USER = "exporter"
PASSWORD_FILE = REPO / ".run" / "exporter-password"


def create_exporter_user(port, password):
    """ACL SETUSER through stdin, so the password is not in valkey-cli's arguments."""
    command = f"ACL SETUSER {EXPORTER_USER} reset on >{password} {EXPORTER_ACL}\n"
    out = subprocess.run([VALKEY_CLI, "-h", "127.0.0.1", "-p", str(port)], input=command, capture_output=True,
                         text=True, timeout=30)
    assert out.returncode == 0 and out.stdout.strip() == "OK", (port, out.stdout, out.stderr)


@pytest.fixture(scope="session")
def cluster():
    for binary in (EXPORTER, VALKEY_CLI):
        assert os.access(binary, os.X_OK), f"{binary} missing: run `make test`, which builds and installs it"
    c = Cluster(BASE_PORT)
    run("scripts/cluster.sh", "stop", "--base-port", BASE_PORT)
    c.sh("start")
    c.sh("load", "--keys", "10000")
    password = secrets.token_hex(16)
    PASSWORD_FILE.parent.mkdir(exist_ok=True)
    PASSWORD_FILE.write_text(password + "\n")
    PASSWORD_FILE.chmod(0o600)
    for port in c.ports:
        create_exporter_user(port, password)
    c.exporter_password = password
    yield c
    run("scripts/cluster.sh", "stop", "--base-port", BASE_PORT)


@pytest.fixture(scope="session")
def exporter(cluster):
    e = Exporter("--valkey-address", cluster.seed, "--scrape-interval", "1s", "--log-level", "debug",
                 "--valkey-username", EXPORTER_USER, "--valkey-password-file", PASSWORD_FILE)
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
