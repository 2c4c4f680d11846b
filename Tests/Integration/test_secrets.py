"""Secrets never leak (issue 5): a canary password, unique per run, goes through every path that handles a password
at the most verbose log level, and is then searched for in everything the process printed or served.

Scenarios, one exporter each, all at --log-level trace:
1. a wrong password from a file (every node refuses it; the exporter backs off), then the right one written to the
   same file and SIGHUP: the nodes come back on new connections, and the healthy ones keep theirs;
2. the right password from VALKEY_PASSWORD, with TLS turned on against the plaintext cluster (every handshake fails);
3. a password file the exporter cannot use (a directory) given at start: exit 64 naming the flag.
Searched: stdout and stderr (one log file), /metrics in both formats, every JSON endpoint (including each node's),
`--help`, and /proc/PID/cmdline. Zero hits for the canary and for the wrong password.
"""
import os
import re
import secrets
import signal
import subprocess
import time

import pytest

from conftest import EXPORTER, EXPORTER_ACL, VALKEY_CLI, Exporter
from tls_env import certs

USER = "canary-user"


def set_user(cluster, password):
    command = f"ACL SETUSER {USER} reset on >{password} {EXPORTER_ACL}\n"
    for port in cluster.ports:
        out = subprocess.run([VALKEY_CLI, "-p", str(port)], input=command, capture_output=True, text=True, timeout=30)
        assert out.stdout.strip() == "OK", out


def everything_served(e):
    """Every answer the exporter gives, concatenated."""
    texts = []
    for path in ["/", "/healthz", "/readyz", "/api/cluster/nodes", "/api/cluster/nodes/metrics",
                 "/api/cluster/slot-stats", "/api/cluster/slot-stats?start_slot=0&end_slot=10", "/nope"]:
        status, _, body = e.get(path)
        texts.append(str(body))
    status, _, body = e.get("/api/cluster/nodes")
    if status == 200:
        for node in body["data"]["nodes"]:
            texts.append(str(e.get(f"/api/nodes/{node['nodeId']}/metrics")[2]))
    for accept in (None, "application/openmetrics-text; version=1.0.0"):
        status, _, text = e.metrics(accept=accept)
        texts.append(text)
    return "\n".join(texts)


def cmdline(pid):
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        return f.read().replace(b"\0", b" ").decode()


def assert_absent(where, text, *needles):
    for needle in needles:
        assert needle not in text, f"secret found in {where}"


@pytest.fixture
def canary(cluster):
    value = "canary-" + secrets.token_hex(16)
    set_user(cluster, value)
    yield value
    for port in cluster.ports:
        subprocess.run([VALKEY_CLI, "-p", str(port), "ACL", "DELUSER", USER], capture_output=True, timeout=30)


def test_password_never_leaks(cluster, canary, tmp_path):
    wrong = "wrong-" + secrets.token_hex(16)
    pwfile = tmp_path / "password"
    pwfile.write_text(wrong + "\n")

    # 1. wrong password, then the right one and SIGHUP
    e = Exporter("--valkey-address", cluster.seed, "--valkey-username", USER, "--valkey-password-file", pwfile,
                 "--scrape-interval", "1s", "--log-level", "trace")
    try:
        e.wait_listening()
        deadline = time.time() + 20
        while time.time() < deadline and "authentication failed" not in e.log():
            time.sleep(0.2)
        assert "authentication failed" in e.log(), e.log()[-3000:]
        served_wrong = everything_served(e)
        pwfile.write_text(canary + "\n")
        e.proc.send_signal(signal.SIGHUP)
        e.wait_for(lambda b: all(n["status"] == "online" for n in b["data"]["nodes"]), timeout=30,
                   what="every node online with the new password")
        assert "password file re-read" in e.log()
        # SIGHUP again with an unreadable file: the previous password is kept, the error names no content.
        pwfile.chmod(0o000) if os.geteuid() != 0 else pwfile.write_text("")
        e.proc.send_signal(signal.SIGHUP)
        deadline = time.time() + 10
        while time.time() < deadline and "not re-read" not in e.log():
            time.sleep(0.2)
        assert "not re-read" in e.log()
        served = everything_served(e)
        args = cmdline(e.proc.pid)
    finally:
        assert e.stop() == 0
    log = e.log()
    assert "level=trace" in log or "level=debug" in log, "the exporter did not log at trace level"
    # service-lifecycle logs each service's description at debug level: no options struct is dumped there (it would
    # carry every field added to the options later, whatever they hold).
    assert "service=PasswordReloader" in log and "ExporterOptions(" not in log, log[:3000]
    for where, text in (("log", log), ("HTTP answers (wrong password)", served_wrong), ("HTTP answers", served),
                        ("cmdline", args)):
        assert_absent(where, text, canary, wrong)


def test_password_never_leaks_on_tls_failure(cluster, canary, tmp_path):
    c = certs(tmp_path / "certs")
    e = Exporter("--valkey-address", cluster.seed, "--valkey-username", USER, "--valkey-tls-ca-file", c["ca"],
                 "--connect-timeout", "500ms", "--scrape-interval", "1s", "--log-level", "trace",
                 env={"VALKEY_PASSWORD": canary})
    try:
        e.wait_listening()
        deadline = time.time() + 15
        while time.time() < deadline and "cluster unreachable" not in e.log():
            time.sleep(0.2)
        assert "cluster unreachable" in e.log(), e.log()[-3000:]
        served = everything_served(e)
        args = cmdline(e.proc.pid)
    finally:
        assert e.stop() == 0
    for where, text in (("log", e.log()), ("HTTP answers", served), ("cmdline", args)):
        assert_absent(where, text, canary)


def test_password_never_in_errors_or_help(canary, tmp_path):
    pwfile = tmp_path / "password"
    pwfile.write_text(canary)
    help_text = subprocess.run([EXPORTER, "--help"], capture_output=True, text=True, timeout=30,
                               env=dict(os.environ, VALKEY_PASSWORD=canary, VALKEY_PASSWORD_FILE=str(pwfile)))
    assert help_text.returncode == 0
    assert_absent("--help", help_text.stdout + help_text.stderr, canary)
    # A setting error with the password configured: the message names the flag, not the password.
    out = subprocess.run([EXPORTER, "--valkey-password-file", str(tmp_path), "--log-level", "trace"],
                         capture_output=True, text=True, timeout=30, env=dict(os.environ, VALKEY_PASSWORD=canary))
    assert out.returncode == 64 and "--valkey-password-file" in out.stderr, out.stderr
    out2 = subprocess.run([EXPORTER, "--valkey-password-file", str(pwfile), "--scrape-interval", "never"],
                          capture_output=True, text=True, timeout=30)
    assert out2.returncode == 64
    assert_absent("setting errors", out.stdout + out.stderr + out2.stdout + out2.stderr, canary)
