"""Our HTTP side secured by --web-config-file (issue 5, point 4), in the exporter-toolkit web-config format: HTTPS with
the generated test certificates, client certificates, bcrypt basic auth on every path, extra response headers,
certificate rotation without a restart, a real Prometheus scraping over HTTPS with basic auth, and bad files exiting 64
with the field named and no secret printed.

Every valid web-config file used here is also accepted by `promtool check web-config` (Prometheus 2.42's
exporter-toolkit), so the format is the real one. Tests that only need HTTP behaviour point the exporter at a closed
port: /healthz answers 200 whatever Valkey does, the data endpoints 503.
"""
import http.client as httpclient
import json
import os
import secrets
import shutil
import ssl
import statistics
import subprocess
import time
import urllib.parse
from base64 import b64encode
from pathlib import Path

import bcrypt
import pytest

from conftest import EXPORTER, Exporter, Prometheus, free_port
from tls_env import OPENSSL, certs

PASSWORD = "correct horse battery staple"
REALM = 'Basic realm="valkey-cluster-exporter"'


@pytest.fixture(scope="module")
def tls_certs(tmp_path_factory):
    return certs(tmp_path_factory.mktemp("certs"))


@pytest.fixture(scope="module")
def alice_hash():
    """A bcrypt hash as Python's bcrypt writes it ($2b$, cost 10, what exporter-toolkit's docs use)."""
    return bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=10)).decode()


def htpasswd_style(hash_2b):
    """The same hash spelt the way `htpasswd -nbBC 10` writes it ($2y$: the same algorithm)."""
    return "$2y$" + hash_2b[4:]


# --- web-config files (every valid one is also checked with promtool) -------------------------------------------

def tls_section(c, client_auth=None, ca=True, cert="server", extra=""):
    text = f"tls_server_config:\n  cert_file: {c[cert]}\n  key_file: {c[cert + '_key']}\n"
    if client_auth:
        text += f"  client_auth_type: {client_auth}\n"
        if ca:
            text += f"  client_ca_file: {c['ca']}\n"
    return text + extra


def users_section(**users):
    return "basic_auth_users:\n" + "".join(f"  {name}: {hash_}\n" for name, hash_ in users.items())


HEADERS_SECTION = ("http_server_config:\n  headers:\n    X-Frame-Options: deny\n    X-Content-Type-Options: nosniff\n"
                   "    Strict-Transport-Security: max-age=31536000\n    Content-Security-Policy: \"default-src 'none'\"\n")


def valid_configs(c, alice, rotation_dir=None):
    """name -> text of every valid web config these tests run the exporter with."""
    configs = {
        "tls": tls_section(c) + "  min_version: TLS12\n  max_version: TLS13\n",
        "mtls": tls_section(c, "RequireAndVerifyClientCert"),
        "mtls_optional": tls_section(c, "VerifyClientCertIfGiven"),
        "auth": users_section(alice=alice, bob=htpasswd_style(alice)),
        "tls_auth": tls_section(c) + users_section(alice=alice),
        "headers": HEADERS_SECTION,
        "headers_auth": HEADERS_SECTION + users_section(alice=alice),
    }
    if rotation_dir:
        configs["rotation"] = (f"tls_server_config:\n  cert_file: {rotation_dir / 'tls.crt'}\n"
                               f"  key_file: {rotation_dir / 'tls.key'}\n")
    return configs


def write_config(directory, name, text):
    path = Path(directory) / f"{name}.yml"
    path.write_text(text)
    return path


def promtool_check(path):
    return subprocess.run(["promtool", "check", "web-config", str(path)], capture_output=True, text=True, timeout=60)


# --- clients ------------------------------------------------------------------------------------------------------

def tls_context(c, client=None, ca="ca"):
    """A client context trusting certs[ca], checking the host name (the server certificate has IP:127.0.0.1)."""
    ctx = ssl.create_default_context(cafile=c[ca])
    if client:
        ctx.load_cert_chain(c[client], c[client + "_key"])
    return ctx


def basic(user, password):
    return {"Authorization": "Basic " + b64encode(f"{user}:{password}".encode()).decode()}


def https_get(port, path, ctx, headers=None, timeout=10):
    """One GET over a fresh HTTPS connection; returns (status, headers, parsed JSON or text)."""
    conn = httpclient.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        body = response.read().decode()
        try:
            return response.status, response.headers, json.loads(body)
        except ValueError:
            return response.status, response.headers, body
    finally:
        conn.close()


def http_get(port, path, headers=None, timeout=10):
    conn = httpclient.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        body = response.read().decode()
        try:
            return response.status, response.headers, json.loads(body)
        except ValueError:
            return response.status, response.headers, body
    finally:
        conn.close()


def refused(fn):
    """True when fn() gets no HTTP answer: the TLS handshake (or the first read after it, in TLS 1.3, where the
    server checks the client certificate after the client finished) fails and the connection closes."""
    try:
        fn()
    except (OSError, httpclient.HTTPException):   # ssl.SSLError and ConnectionResetError are OSErrors
        return True
    return False


def peer_serial(port, ctx):
    """Serial number (hex, as Python prints it) of the certificate a new connection is shown."""
    conn = httpclient.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=10)
    try:
        conn.connect()
        return conn.sock.getpeercert()["serialNumber"]
    finally:
        conn.close()


def web_exporter(config_path, *extra, seed=None):
    """An exporter with --web-config-file; Valkey at `seed` or a closed port (HTTP behaviour only)."""
    return Exporter("--valkey-address", seed or f"127.0.0.1:{free_port()}", "--web-config-file", config_path,
                    "--scrape-interval", "1s", "--connect-timeout", "300ms", "--command-timeout", "500ms", *extra)


@pytest.fixture
def started():
    """Exporters started by a test, stopped (and checked to exit 0) after it."""
    running = []
    yield running
    for e in running:
        assert e.stop() == 0, e.log()[-3000:]


def start(started, config_path, *extra, seed=None):
    e = web_exporter(config_path, *extra, seed=seed)
    started.append(e)
    e.wait_listening()
    return e


# --- the tests ----------------------------------------------------------------------------------------------------

def test_promtool_accepts_every_valid_config(tls_certs, alice_hash, tmp_path):
    rotation = tmp_path / "rotation"
    rotation.mkdir()
    shutil.copy(tls_certs["server"], rotation / "tls.crt")
    shutil.copy(tls_certs["server_key"], rotation / "tls.key")
    for name, text in valid_configs(tls_certs, alice_hash, rotation).items():
        result = promtool_check(write_config(tmp_path, name, text))
        assert result.returncode == 0, f"promtool refused {name}:\n{text}\n{result.stdout}{result.stderr}"


def test_https_with_the_ca_and_no_plaintext(tls_certs, alice_hash, tmp_path, started):
    e = start(started, write_config(tmp_path, "tls", valid_configs(tls_certs, alice_hash)["tls"]))
    status, headers, body = https_get(e.port, "/healthz", tls_context(tls_certs))
    assert status == 200, body
    status, headers, body = https_get(e.port, "/api/cluster/nodes", tls_context(tls_certs))
    assert status == 503 and body["error"]["code"] in ("not_ready", "cluster_unreachable") and int(headers["Retry-After"]) >= 1
    # curl, as an operator would check it.
    if shutil.which("curl"):
        out = subprocess.run(["curl", "-sS", "--cacert", tls_certs["ca"], "-o", "/dev/null", "-w", "%{http_code}",
                              f"https://127.0.0.1:{e.port}/healthz"], capture_output=True, text=True, timeout=30)
        assert out.stdout == "200", out
    # Plaintext HTTP to the TLS port gets no HTTP answer.
    assert refused(lambda: http_get(e.port, "/healthz"))
    # A client that does not trust our CA refuses the server certificate.
    assert refused(lambda: https_get(e.port, "/healthz", ssl.create_default_context(cafile=tls_certs["other_ca"])))
    # TLS 1.1 is not offered (min_version TLS12); TLS 1.2 and 1.3 both work.
    for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
        ctx = tls_context(tls_certs)
        ctx.minimum_version = ctx.maximum_version = version
        assert https_get(e.port, "/healthz", ctx)[0] == 200, version
    assert "scheme=https" in e.log()


def test_client_certificate_required_and_verified(tls_certs, alice_hash, tmp_path, started):
    e = start(started, write_config(tmp_path, "mtls", valid_configs(tls_certs, alice_hash)["mtls"]))
    assert refused(lambda: https_get(e.port, "/healthz", tls_context(tls_certs)))
    assert refused(lambda: https_get(e.port, "/healthz", tls_context(tls_certs, client="otherca_client")))
    assert https_get(e.port, "/healthz", tls_context(tls_certs, client="client"))[0] == 200
    # Still serving after the refusals.
    assert https_get(e.port, "/api/cluster/nodes", tls_context(tls_certs, client="client"))[0] == 503


def test_client_certificate_verified_if_given(tls_certs, alice_hash, tmp_path, started):
    e = start(started, write_config(tmp_path, "mtls_optional", valid_configs(tls_certs, alice_hash)["mtls_optional"]))
    assert https_get(e.port, "/healthz", tls_context(tls_certs))[0] == 200
    assert https_get(e.port, "/healthz", tls_context(tls_certs, client="client"))[0] == 200
    assert refused(lambda: https_get(e.port, "/healthz", tls_context(tls_certs, client="otherca_client")))


def assert_401(status, headers, body):
    assert status == 401, body
    assert headers["WWW-Authenticate"] == REALM
    assert headers["Content-Type"] == "application/json"
    assert body["status"] == "error" and body["error"]["code"] == "unauthorized" and body["timestamp"]


def test_basic_auth_on_every_path(tls_certs, alice_hash, tmp_path, started):
    e = start(started, write_config(tmp_path, "auth", valid_configs(tls_certs, alice_hash)["auth"]))
    for path in ["/healthz", "/readyz", "/metrics", "/", "/api/cluster/nodes", "/api/cluster/slot-stats", "/nope"]:
        assert_401(*http_get(e.port, path))
        assert_401(*http_get(e.port, path, basic("alice", PASSWORD + "x")))
        assert_401(*http_get(e.port, path, basic("mallory", PASSWORD)))
        assert_401(*http_get(e.port, path, {"Authorization": "Bearer " + PASSWORD}))
    assert http_get(e.port, "/healthz", basic("alice", PASSWORD))[0] == 200
    assert http_get(e.port, "/metrics", basic("alice", PASSWORD))[0] == 200
    assert http_get(e.port, "/api/cluster/nodes", basic("alice", PASSWORD))[0] == 503    # authorised; no Valkey
    assert http_get(e.port, "/nope", basic("alice", PASSWORD))[0] == 404
    # bob's hash is in htpasswd's $2y$ spelling.
    assert http_get(e.port, "/healthz", basic("bob", PASSWORD))[0] == 200
    assert_401(*http_get(e.port, "/healthz", basic("bob", "wrong")))


def timed(fn, n=7):
    samples = []
    for _ in range(n):
        started_at = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started_at)
    return statistics.median(samples)


def test_unknown_users_cost_bcrypt_too_and_good_logins_are_cached(tls_certs, tmp_path, started):
    """An unknown user takes as long as a known user with a wrong password (bcrypt runs for both), so timing does
    not tell which users exist; a correct login is verified once and then served from the cache."""
    slow_hash = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=12)).decode()   # ~0.2 s per check
    e = start(started, write_config(tmp_path, "auth12", users_section(alice=slow_hash)))
    known = timed(lambda: http_get(e.port, "/healthz", basic("alice", "wrong")), n=5)
    unknown = timed(lambda: http_get(e.port, "/healthz", basic("mallory", "wrong")), n=5)
    assert known > 0.03, f"bcrypt cost 12 should take tens of ms, took {known:.4f}s"
    assert 0.6 < unknown / known < 1.6, f"unknown user {unknown:.4f}s vs known user {known:.4f}s"
    first = timed(lambda: http_get(e.port, "/healthz", basic("alice", PASSWORD)), n=1)
    cached = timed(lambda: http_get(e.port, "/healthz", basic("alice", PASSWORD)), n=5)
    assert cached < first / 3, f"repeated good login {cached:.4f}s vs first {first:.4f}s"


def test_headers_on_every_response(tls_certs, alice_hash, tmp_path, started):
    e = start(started, write_config(tmp_path, "headers_auth", valid_configs(tls_certs, alice_hash)["headers_auth"]))
    want = {"X-Frame-Options": "deny", "X-Content-Type-Options": "nosniff",
            "Strict-Transport-Security": "max-age=31536000", "Content-Security-Policy": "default-src 'none'"}
    for path, headers, status in [("/healthz", basic("alice", PASSWORD), 200), ("/healthz", None, 401),
                                  ("/nope", basic("alice", PASSWORD), 404), ("/metrics", basic("alice", PASSWORD), 200),
                                  ("/api/cluster/nodes", basic("alice", PASSWORD), 503)]:
        got_status, got, _ = http_get(e.port, path, headers)
        assert got_status == status
        for name, value in want.items():
            assert got[name] == value, (path, name, dict(got))


def test_prometheus_scrapes_over_https_with_basic_auth(cluster, tls_certs, alice_hash, tmp_path, started):
    e = start(started, write_config(tmp_path, "tls_auth", valid_configs(tls_certs, alice_hash)["tls_auth"]),
              seed=cluster.seed)
    password_file = tmp_path / "scrape-password"
    password_file.write_text(PASSWORD)
    job = ("    scheme: https\n"
           "    tls_config:\n"
           f"      ca_file: {tls_certs['ca']}\n"
           "    basic_auth:\n"
           "      username: alice\n"
           f"      password_file: {password_file}\n")
    prom = Prometheus([f"127.0.0.1:{e.port}"], job_settings=job)
    try:
        prom.wait_ready()
        deadline = time.time() + 60
        up = cluster_state = []
        while time.time() < deadline:
            up = prom.query('up{job="valkey-cluster-exporter"}')
            cluster_state = prom.query("valkey_cluster_state")
            if up and up[0][1] == 1 and cluster_state:
                break
            time.sleep(0.5)
        assert up and up[0][1] == 1, f"up={up}\n{prom.log()[-3000:]}"
        assert cluster_state and cluster_state[0][1] == 1
        targets = prom.api("/api/v1/targets")["activeTargets"]
        assert targets[0]["scrapeUrl"].startswith("https://") and targets[0]["health"] == "up", targets
    finally:
        prom.stop()


def make_server_cert(c, directory, serial):
    """A new key and server certificate signed by the test CA (the same SANs as server.pem), with `serial`."""
    directory = Path(directory)
    key, csr, crt, ext = (directory / f"new-{serial}.{s}" for s in ("key", "csr", "crt", "ext"))
    ext.write_text("basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
                   "extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n")
    run = lambda *a: subprocess.run([OPENSSL, *map(str, a)], check=True, capture_output=True, timeout=60)
    run("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", key)
    run("req", "-new", "-key", key, "-subj", f"/CN=rotated-{serial}", "-out", csr)
    run("x509", "-req", "-in", csr, "-CA", c["ca"], "-CAkey", c["ca_key"], "-set_serial", f"0x{serial}",
        "-days", "30", "-sha256", "-extfile", ext, "-out", crt)
    return crt, key


def replace_file(source, target):
    """Write-then-rename, as certificate managers do."""
    temporary = Path(str(target) + ".tmp")
    shutil.copyfile(source, temporary)
    os.replace(temporary, target)


def wait_serial(port, ctx, serial, timeout=15):
    deadline = time.time() + timeout
    seen = None
    while time.time() < deadline:
        seen = peer_serial(port, ctx)
        if seen == serial:
            return
        time.sleep(0.2)
    raise AssertionError(f"new connections still see serial {seen}, want {serial}")


def test_certificate_rotation_without_restart(tls_certs, alice_hash, tmp_path, started):
    rotation = tmp_path / "rotation"
    rotation.mkdir()
    shutil.copy(tls_certs["server"], rotation / "tls.crt")
    shutil.copy(tls_certs["server_key"], rotation / "tls.key")
    e = start(started, write_config(tmp_path, "rotation", valid_configs(tls_certs, alice_hash, rotation)["rotation"]))
    ctx = tls_context(tls_certs)
    original = peer_serial(e.port, ctx)
    # A keep-alive connection opened before the rotation.
    held = httpclient.HTTPSConnection("127.0.0.1", e.port, context=ctx, timeout=10)
    held.request("GET", "/healthz")
    answer = held.getresponse()
    assert answer.status == 200 and answer.read()

    crt, key = make_server_cert(tls_certs, tmp_path, "5EED01")
    replace_file(key, rotation / "tls.key")     # key first: for a moment the pair on disk does not match
    replace_file(crt, rotation / "tls.crt")
    wait_serial(e.port, ctx, "5EED01")
    assert https_get(e.port, "/healthz", ctx)[0] == 200
    held.request("GET", "/healthz")               # the old connection carries on with its session
    answer = held.getresponse()
    assert answer.status == 200 and answer.read()
    held.close()

    # A broken certificate file keeps the current certificate in service and logs an error.
    (rotation / "tls.crt").write_text("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
    time.sleep(2.5)
    assert peer_serial(e.port, ctx) == "5EED01"
    assert https_get(e.port, "/healthz", ctx)[0] == 200
    assert "do not load" in e.log() and "tls_server_config.cert_file" in e.log()

    # Fixed again: the next valid pair is picked up.
    crt, key = make_server_cert(tls_certs, tmp_path, "5EED02")
    replace_file(key, rotation / "tls.key")
    replace_file(crt, rotation / "tls.crt")
    wait_serial(e.port, ctx, "5EED02")
    assert original not in ("5EED01", "5EED02")
    assert e.proc.poll() is None


def run_exporter(*args, env=None, timeout=30):
    full_env = dict(os.environ, **(env or {}))
    return subprocess.run([EXPORTER, "--valkey-address", f"127.0.0.1:{free_port()}", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, env=full_env)


def test_bad_web_configs_exit_64_naming_the_field(tls_certs, tmp_path):
    secret_hash = "$2y$10$ThisIsTheSecretHashValueNotToBePrinted0123456789abcdefg"  # 59 chars: invalid
    inline_key = Path(tls_certs["client_key"]).read_text()
    key_marker = inline_key.splitlines()[3]
    ok_tls = f"tls_server_config:\n  cert_file: {tls_certs['server']}\n  key_file: {tls_certs['server_key']}\n"
    cases = [
        ("basic_auth_user:\n  alice: x\n", "basic_auth_user"),
        (f"basic_auth_users:\n  alice: '{secret_hash}'\n", "basic_auth_users.alice"),
        (f"basic_auth_users:\n  alice: '{secret_hash}'\n  bob [\n", "line"),
        (f"tls_server_config:\n  cert_file: {tmp_path / 'missing.pem'}\n  key_file: {tls_certs['server_key']}\n",
         "tls_server_config.cert_file"),
        (f"tls_server_config:\n  cert_file: {tls_certs['server']}\n  key_file: {tls_certs['server']}\n",
         "tls_server_config.key_file"),
        (f"tls_server_config:\n  cert_file: {tls_certs['server']}\n  key: |\n"
         + "".join(f"    {line}\n" for line in inline_key.splitlines()), "tls_server_config.cert_file"),
        (f"tls_server_config:\n  cert_file: {tls_certs['server']}\n", "tls_server_config.key_file"),
        (ok_tls + "  client_auth_type: Sometimes\n", "tls_server_config.client_auth_type"),
        (ok_tls + "  client_auth_type: RequireAndVerifyClientCert\n", "tls_server_config.client_ca_file"),
        (ok_tls + "  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]\n", "tls_server_config.cipher_suites"),
        (ok_tls + "  min_version: TLS10\n", "tls_server_config.min_version"),
        ("http_server_config:\n  headers:\n    Server: nginx\n", "http_server_config.headers.Server"),
        ("http_server_config:\n  headers:\n    X-Frame-Options: allowall\n", "http_server_config.headers.X-Frame-Options"),
        ("tls_server_config:\n  min_version: TLS13\n", "tls_server_config.min_version"),
    ]
    for i, (text, field) in enumerate(cases):
        path = write_config(tmp_path, f"bad{i}", text)
        out = run_exporter("--web-config-file", path, "--log-level", "trace")
        output = out.stdout + out.stderr
        assert out.returncode == 64, (text, output)
        assert field in output and "--web-config-file" in output, (text, output)
        assert "ThisIsTheSecretHash" not in output and key_marker not in output, output
    out = run_exporter("--web-config-file", tmp_path / "no-such-file.yml")
    assert out.returncode == 64 and "--web-config-file" in out.stderr and "no-such-file.yml" in out.stderr
    path = write_config(tmp_path, "env-bad", "basic_auth_users: [a]\n")
    out = run_exporter(env={"WEB_CONFIG_FILE": str(path)})
    assert out.returncode == 64 and "WEB_CONFIG_FILE" in out.stderr and "basic_auth_users" in out.stderr


def test_secrets_never_in_logs_or_answers(tls_certs, tmp_path, started):
    """A unique password and its hash, through right and wrong logins at the most verbose log level: neither
    appears in the log, in any answer, nor in the process's command line."""
    password = "canary-" + secrets.token_hex(12)
    hash_ = bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4)).decode()
    config = write_config(tmp_path, "canary", tls_section(tls_certs) + users_section(carol=hash_) + HEADERS_SECTION)
    e = start(started, config, "--log-level", "trace")
    ctx = tls_context(tls_certs)
    bodies = []
    for path in ["/", "/healthz", "/metrics", "/api/cluster/nodes", "/api/cluster/nodes/metrics", "/nope"]:
        for headers in [None, basic("carol", password), basic("carol", password + "!"), basic(password, password)]:
            status, got, body = https_get(e.port, path, ctx, headers)
            bodies.append(json.dumps(body) + json.dumps(dict(got)))
    cmdline = Path(f"/proc/{e.proc.pid}/cmdline").read_bytes().decode(errors="replace")
    for haystack in [e.log(), "\n".join(bodies), cmdline]:
        assert password not in haystack and hash_ not in haystack and hash_[7:29] not in haystack


def test_help_documents_the_flag():
    out = subprocess.run([EXPORTER, "--help"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0 and "--web-config-file" in out.stdout and "WEB_CONFIG_FILE" in out.stdout
