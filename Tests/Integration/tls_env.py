"""Helpers for the TLS tests: test certificates, a TLS-only Redis 7 cluster, a Valkey 9 cluster behind socat TLS
terminators, and TLS clients that give ground truth (redis-cli --tls, openssl s_client).

Everything is real and on 127.0.0.1: the servers and terminators are started and stopped by PID through
scripts/tls-cluster.sh (which drives scripts/cluster.sh), the certificates come from scripts/gen-certs.sh at test time.
Needs `make tools` (socat and openssl: scripts/install-tls-tools.sh; redis-server/redis-cli 7.0: scripts/install-redis.sh).

    from tls_env import certs, RedisTLSCluster, ValkeyBehindTLS, tls_ping, tls_cli

    c = certs(tmp_path_factory.mktemp("certs"))          # dict of paths: c["ca"], c["client"], c["client_key"], ...
    with RedisTLSCluster(7900, c) as redis:              # TLS-only, 6 nodes, 10000 keys, cluster_state:ok
        redis.seed                                       # "127.0.0.1:7900"
        redis.cli(7901, "DBSIZE")                        # redis-cli --tls ... -p 7901 DBSIZE -> "3323"
    with ValkeyBehindTLS(7920, c) as vk:                 # plaintext 7920.., TLS terminators 7940..
        vk.seed                                          # "127.0.0.1:7940" (a TLS endpoint)
        vk.cli(7940, "CLUSTER", "SLOT-STATS", "SLOTSRANGE", "0", "10")
        vk.set_terminator(7941, cert="expired")          # node 7921 now presents an expired certificate
        tls_ping(7941, c).verify_error                   # "certificate has expired"
        vk.reset_terminators()

The valkey-cli in .tools/ is built without TLS, so TLS clients here use Debian's redis-cli 7.0 (REDIS_CLI), which
talks to Valkey 9 just as well. redis-cli does not check host names; tls_ping (openssl s_client) does.
"""
import dataclasses
import os
import re
import selectors
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = REPO / "scripts"
REDIS_CLI = os.environ.get("REDIS_CLI", "/usr/bin/redis-cli")
VALKEY_CLI = os.environ.get("VALKEY_CLI", str(REPO / ".tools/valkey-8.1.8/bin/valkey-cli"))
OPENSSL = os.environ.get("OPENSSL", "openssl")

# Certificate names written by scripts/gen-certs.sh (NAME.pem + NAME.key each); see its header for what each is.
CERT_NAMES = ("ca", "server", "client", "expired", "wronghost", "other-ca", "otherca-server", "otherca-client")
# Server certificates a terminator can present (ValkeyBehindTLS.set_terminator(cert=...)).
SERVER_CERTS = ("server", "expired", "wronghost", "otherca-server")


def _run(args, check=True, timeout=180, env=None):
    return subprocess.run([str(a) for a in args], cwd=REPO, check=False, timeout=timeout, capture_output=True,
                          text=True, env=env, stdin=subprocess.DEVNULL)


def _checked(result, what):
    if result.returncode != 0:
        raise RuntimeError(f"{what} failed (exit {result.returncode}):\nstdout:\n{result.stdout[-4000:]}\n"
                           f"stderr:\n{result.stderr[-4000:]}")
    return result


def certs(tmpdir):
    """Runs scripts/gen-certs.sh TMPDIR (idempotent: reuses valid certificates already there) and returns a dict of
    absolute paths (str): for each NAME in CERT_NAMES, key NAME with '-' -> '_' is the certificate (PEM) and
    NAME_key its private key, e.g. "ca", "ca_key", "server", "server_key", "client", "client_key", "expired",
    "expired_key", "wronghost", "wronghost_key", "other_ca", "other_ca_key", "otherca_server",
    "otherca_server_key", "otherca_client", "otherca_client_key"; plus "server_chain" (server.pem + ca.pem) and
    "dir" (the directory). Generating takes about 3 s: share one directory per session."""
    directory = Path(tmpdir).resolve()
    result = _checked(_run([SCRIPTS / "gen-certs.sh", directory]), f"gen-certs.sh {directory}")
    listed = set(result.stdout.split())
    paths = {"dir": str(directory)}
    for name in CERT_NAMES:
        key = name.replace("-", "_")
        paths[key] = str(directory / f"{name}.pem")
        paths[key + "_key"] = str(directory / f"{name}.key")
    paths["server_chain"] = str(directory / "server-chain.pem")
    missing = [p for k, p in paths.items() if k != "dir" and p not in listed]
    assert not missing, f"gen-certs.sh did not list {missing}"
    return paths


def tls_cli(port, *args, certs, client="client", ca="ca", host="127.0.0.1", sni=None, user=None, password=None,
            check=True, timeout=15):
    """redis-cli --tls against HOST:PORT with CA certs[ca] and client certificate certs[client] (None: send none);
    returns stdout stripped. check=False returns the CompletedProcess instead (stdout, stderr, returncode), for
    expected failures. A password goes through REDISCLI_AUTH, never the command line."""
    cmd = [REDIS_CLI, "--tls", "--cacert", certs[ca.replace("-", "_")]]
    if client:
        name = client.replace("-", "_")
        cmd += ["--cert", certs[name], "--key", certs[name + "_key"]]
    if sni:
        cmd += ["--sni", sni]
    env = dict(os.environ)
    env.pop("REDISCLI_AUTH", None)
    if user:
        cmd += ["--user", user]
    if password is not None:
        env["REDISCLI_AUTH"] = password
    cmd += ["-h", host, "-p", str(port), *map(str, args)]
    result = _run(cmd, timeout=timeout, env=env)
    if not check:
        return result
    _checked(result, f"redis-cli --tls -h {host} -p {port} {' '.join(map(str, args))}")
    out = result.stdout.strip()
    # redis-cli exits 0 after printing a connection error when a command is given; make that loud.
    if not out and result.stderr.strip():
        raise RuntimeError(f"redis-cli -p {port} {' '.join(map(str, args))}: {result.stderr.strip()}")
    return out


def plain_cli(port, *args, check=True, timeout=15):
    """valkey-cli (plaintext) against 127.0.0.1:PORT; returns stdout stripped."""
    cmd = [VALKEY_CLI, "-h", "127.0.0.1", "-p", str(port), *map(str, args)]
    result = _run(cmd, timeout=timeout)
    if not check:
        return result
    _checked(result, " ".join(cmd))
    return result.stdout.strip()


@dataclasses.dataclass
class TLSCheck:
    """What `openssl s_client` saw. ok: handshake done, certificate verified and PING answered +PONG.
    verify_code / verify_error: OpenSSL's X509 verification result when it failed (e.g. 10 / "certificate has
    expired", 62 / "hostname mismatch", 64 / "IP address mismatch", 20 / "unable to get local issuer certificate").
    alert: a TLS alert or SSL error from the handshake, e.g. "tlsv13 alert certificate required",
    "tlsv1 alert unknown ca", "tlsv1 alert protocol version", "sslv3 alert handshake failure", "certificate verify
    failed" (the local side's error when verify_error is set), or "connect:errno=111" (connection refused).
    protocol: "TLSv1.3" / "TLSv1.2" when the handshake completed. output: everything s_client printed."""
    ok: bool
    reply: str
    verify_code: int | None
    verify_error: str | None
    alert: str | None
    protocol: str | None
    output: str


def tls_ping(port, certs, host="127.0.0.1", client=None, ca="ca", servername=None, verify_name=None,
             tls_version=None, timeout=5.0):
    """Ground truth for one TLS endpoint: `openssl s_client -connect HOST:PORT -CAfile certs[ca] -verify_return_error`
    with host name verification, then PING. verify_name defaults to servername or host; an IP literal is checked
    with -verify_ip (against IP SANs), a name with -verify_hostname (DNS SANs). servername sets SNI. client: a
    certificate name in certs ("client", "otherca-client") or None. tls_version: "1.2" or "1.3" to force one.
    Returns a TLSCheck; never raises for TLS failures."""
    name = verify_name or servername or host
    cmd = [OPENSSL, "s_client", "-brief", "-connect", f"{host}:{port}", "-CAfile", certs[ca.replace("-", "_")],
           "-verify_return_error"]
    cmd += ["-verify_ip", name] if re.fullmatch(r"[0-9.]+|[0-9a-fA-F:]*:[0-9a-fA-F:.]*", name) else ["-verify_hostname", name]
    if servername:
        cmd += ["-servername", servername]
    if client:
        key = client.replace("-", "_")
        cmd += ["-cert", certs[key], "-key", certs[key + "_key"]]
    if tls_version:
        cmd += ["-tls1_" + {"1.2": "2", "1.3": "3"}[tls_version]]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = b""
    err = b""
    try:
        proc.stdin.write(b"PING\r\n")
        proc.stdin.flush()
    except BrokenPipeError:
        pass
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    sel.register(proc.stderr, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    open_streams = 2
    while open_streams and time.monotonic() < deadline and b"+PONG" not in out:
        for key, _ in sel.select(timeout=max(0.0, deadline - time.monotonic())):
            chunk = os.read(key.fileobj.fileno(), 65536)
            if not chunk:
                sel.unregister(key.fileobj)
                open_streams -= 1
            elif key.fileobj is proc.stdout:
                out += chunk
            else:
                err += chunk
    sel.close()
    if proc.poll() is None:
        proc.kill()
    try:
        rest_out, rest_err = proc.communicate(timeout=5)
        out += rest_out or b""
        err += rest_err or b""
    except (subprocess.TimeoutExpired, ValueError):
        pass
    text = err.decode(errors="replace") + out.decode(errors="replace")
    verify = re.search(r"verify error:num=(\d+):([^\n]+)", text)
    alert = re.search(r"SSL routines:[^:]*:([^:\n]*alert[^:\n]*)", text) \
        or re.search(r"SSL routines:[^:]*:([^:\n]+):", text)
    if not alert:
        alert = re.search(r"(connect:errno=\d+)", text)  # e.g. errno=111: nothing listens (terminator stopped)
    proto = re.search(r"Protocol version: (\S+)", text)
    reply = "PONG" if b"+PONG" in out else out.decode(errors="replace").strip()
    return TLSCheck(ok=reply == "PONG" and verify is None, reply=reply,
                    verify_code=int(verify.group(1)) if verify else None,
                    verify_error=verify.group(2).strip() if verify else None,
                    alert=alert.group(1).strip() if alert else None,
                    protocol=proto.group(1) if proto else None, output=text)


def _parse_nodes(text):
    result = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) < 8:
            continue
        result[parts[0]] = {
            "addr": parts[1].split("@")[0], "port": int(parts[1].split("@")[0].rsplit(":", 1)[1] or 0),
            "flags": parts[2].split(","), "primary": None if parts[3] == "-" else parts[3], "link": parts[7],
            "slots": [p for p in parts[8:] if not p.startswith("[")],
        }
    return result


class _TLSCluster:
    flavour = ""

    def __init__(self, base_port, certs, nodes=6, keys=10000, server_args=()):
        self.base_port = int(base_port)
        self.certs = certs
        self.nodes_count = nodes
        self.keys = keys
        self.server_args = [str(a) for a in server_args]
        self.run_dir = REPO / ".run" / f"tls-{self.flavour}-{self.base_port}"
        self.started = False

    def sh(self, *args, timeout=180, check=True):
        """scripts/tls-cluster.sh FLAVOUR ARGS --base-port BASE; returns stdout (raises with the output on failure)."""
        # --base-port right after the command: anything after a "--" in ARGS goes to the servers.
        result = _run([SCRIPTS / "tls-cluster.sh", self.flavour, args[0], "--base-port", self.base_port, *args[1:]],
                      timeout=timeout)
        if check:
            _checked(result, f"tls-cluster.sh {self.flavour} {' '.join(map(str, args))}")
        return result.stdout

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    def stop(self):
        """Stops everything this cluster runs (by PID); safe when nothing runs."""
        self.sh("stop")
        self.started = False

    def kill_node(self, port):
        self.sh("kill-node", port)

    def stop_node(self, port):
        """SIGSTOP (freeze) the node; cont_node resumes it."""
        self.sh("stop-node", port)

    def cont_node(self, port):
        self.sh("cont-node", port)

    def restart_node(self, port, wait=True):
        self.sh("restart-node", port, *([] if wait else ["--no-wait"]))

    def wait_ok(self, timeout=60):
        self.sh("wait-ok", "--timeout", timeout, timeout=timeout + 30)

    def primaries(self):
        """Client ports (TLS ports) of the live primaries, by CLUSTER NODES."""
        return [int(p) for p in self.sh("primaries").split()]

    def replicas(self):
        return [int(p) for p in self.sh("replicas").split()]

    def nodes(self):
        """CLUSTER NODES from the first node that answers, parsed: {id: {addr, port, flags, primary, link, slots}}."""
        for port in self.ports:
            try:
                text = self.cli(port, "CLUSTER", "NODES")
            except (RuntimeError, subprocess.SubprocessError):
                continue
            if text and not text.startswith("ERR"):
                return _parse_nodes(text)
        raise AssertionError("no node answered CLUSTER NODES over TLS")


class RedisTLSCluster(_TLSCluster):
    """A 6-node (3 primaries + 3 replicas) TLS-only Redis 7.0.15 cluster: TLS ports base_port..base_port+5 (no
    plaintext port; bus on port+10000, also TLS), server.pem for clients and the bus, client.pem for the nodes' own
    bus/replication links, tls-auth-clients = auth_clients ("optional": a client cert is checked if sent; "yes":
    required; "no"), `keys` keys loaded over TLS. start() leaves cluster_state:ok on every node.

    .seed "127.0.0.1:BASE", .ports [BASE..BASE+5] (all TLS), .certs, .run_dir; cli(port, *args, client="client"),
    sh(...) (any scripts/cluster.sh command over TLS), kill_node/stop_node/cont_node/restart_node/wait_ok,
    primaries()/replicas() -> ports, nodes() -> parsed CLUSTER NODES."""
    flavour = "redis"

    def __init__(self, base_port=7900, certs=None, auth_clients="optional", keys=10000, server_args=()):
        assert certs, "RedisTLSCluster needs certs=tls_env.certs(dir)"
        super().__init__(base_port, certs, keys=keys, server_args=server_args)
        assert auth_clients in ("optional", "yes", "no"), auth_clients
        self.auth_clients = auth_clients
        self.ports = list(range(self.base_port, self.base_port + self.nodes_count))
        self.seed = f"127.0.0.1:{self.base_port}"

    def start(self):
        self.sh("stop")  # a leftover from an aborted run of the same ports
        extra = ["--", *self.server_args] if self.server_args else []
        self.sh("start", "--certs", self.certs["dir"], "--auth-clients", self.auth_clients, "--keys", self.keys,
                *extra)
        self.started = True
        return self

    def cli(self, port, *args, client="client", **kw):
        """redis-cli --tls to 127.0.0.1:PORT (see tls_cli for client=None, user/password, check=False)."""
        return tls_cli(port, *args, certs=self.certs, client=client, **kw)


class ValkeyBehindTLS(_TLSCluster):
    """A 6-node Valkey 9.1.2 cluster (plaintext on node ports base_port..+5, bus on +10000) with one socat TLS
    terminator per node on tls_base_port..+5 (default base_port+20) forwarding to its node, and every node announcing
    its terminator's port (CONFIG SET cluster-announce-client-port), so CLUSTER NODES / SLOTS / SHARDS and MOVED give
    TLS ports and a client seeded at .seed discovers and reaches every node through TLS. Terminators present
    server.pem and, with verify_clients=True, require a client certificate signed by ca.pem. `keys` keys are loaded
    before the ports are announced. cluster-slot-stats-enabled is on, so SLOT-STATS has all four metrics.

    .seed "127.0.0.1:TLS_BASE", .ports [TLS ports], .node_ports [plaintext node ports], .tls_port(p), .node_port(p)
    (either kind of port in, the other out); cli(port, *args) over TLS through the terminator (node ports are mapped
    to their TLS port); plain_cli(port, *args) straight to the node, plaintext (ground truth); set_terminator(port,
    cert=..., verify_clients=..., min_tls=..., max_tls=...), reset_terminators(port=None), stop_terminator(port),
    start_terminator(port); plus everything RedisTLSCluster has (primaries()/replicas() give TLS ports).
    restart_node re-announces the node's TLS port."""
    flavour = "valkey"

    def __init__(self, base_port=7920, certs=None, tls_base_port=None, verify_clients=False, keys=10000,
                 server_args=()):
        assert certs, "ValkeyBehindTLS needs certs=tls_env.certs(dir)"
        super().__init__(base_port, certs, keys=keys, server_args=server_args)
        self.tls_base_port = int(tls_base_port or self.base_port + 20)
        self.verify_clients = bool(verify_clients)
        self.node_ports = list(range(self.base_port, self.base_port + self.nodes_count))
        self.ports = list(range(self.tls_base_port, self.tls_base_port + self.nodes_count))
        self.seed = f"127.0.0.1:{self.tls_base_port}"
        self.terminator_dir = Path(str(self.run_dir) + "-terminators")

    def tls_port(self, port):
        port = int(port)
        if port in self.ports:
            return port
        assert port in self.node_ports, f"{port} is neither a node port {self.node_ports} nor a TLS port {self.ports}"
        return port - self.base_port + self.tls_base_port

    def node_port(self, port):
        port = int(port)
        if port in self.node_ports:
            return port
        assert port in self.ports, f"{port} is neither a node port {self.node_ports} nor a TLS port {self.ports}"
        return port - self.tls_base_port + self.base_port

    def start(self):
        self.sh("stop")
        extra = ["--", *self.server_args] if self.server_args else []
        self.sh("start", "--certs", self.certs["dir"], "--tls-base-port", self.tls_base_port,
                "--verify-clients", "yes" if self.verify_clients else "no", "--keys", self.keys, *extra)
        self.started = True
        return self

    def cli(self, port, *args, client="client", **kw):
        """redis-cli --tls to the terminator of PORT (node or TLS port)."""
        return tls_cli(self.tls_port(port), *args, certs=self.certs, client=client, **kw)

    def plain_cli(self, port, *args, **kw):
        """valkey-cli straight to the node (plaintext, bypassing the terminator)."""
        return plain_cli(self.node_port(port), *args, **kw)

    def set_terminator(self, port, cert=None, verify_clients=None, min_tls=None, max_tls=None):
        """Restarts PORT's terminator (its open connections drop). cert: a name from SERVER_CERTS (None: keep);
        verify_clients: True/False (None: keep); min_tls/max_tls: "TLS1.2"/"TLS1.3", "" to clear, None to keep."""
        args = ["term-restart", self.tls_port(port)]
        if cert is not None:
            args += ["--cert", cert]
        if verify_clients is not None:
            args += ["--verify-clients", "yes" if verify_clients else "no"]
        if min_tls is not None:
            args += ["--min-tls", min_tls]
        if max_tls is not None:
            args += ["--max-tls", max_tls]
        self.sh(*args)

    def reset_terminators(self, port=None):
        """Every terminator (or PORT's) back to server.pem, the start-up verify_clients and no version limits."""
        self.sh("term-reset", *([self.tls_port(port)] if port is not None else []))

    def stop_terminator(self, port):
        """Stops PORT's terminator: its TLS port then refuses connections (the node keeps running)."""
        self.sh("term-stop", self.tls_port(port))

    def start_terminator(self, port):
        """Starts PORT's terminator again with the settings it had."""
        self.sh("term-start", self.tls_port(port))

    def terminator_pid(self, port):
        """PID of PORT's socat (its process group leader), or None."""
        try:
            return int((self.terminator_dir / str(self.node_port(port)) / "socat.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def announce(self, port=None):
        """(Re)applies cluster-announce-client-port on PORT's node or on every live node."""
        self.sh("announce", *([self.node_port(port)] if port is not None else []))
