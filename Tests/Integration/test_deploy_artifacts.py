"""Deploy/ (systemd, container, Kubernetes) checked by the real tools, each check with a case proving it can fail.

  systemd     `systemd-analyze verify` prints nothing; `systemd-analyze security --offline=true` rates the unit below
              2.0; the real exporter runs against the live cluster under the unit's own ExecStart=, credential,
              system-call filter, address families, MemoryDenyWriteExecute=, no capabilities, no new privileges, as
              nobody, with a read-only `/`, private /tmp, no homes and a process-only /proc (systemd_sandbox.py,
              SANDBOX_MOUNTS; systemd is not PID 1 here, so it cannot start the unit itself).
  container   hadolint (every rule, style included); `docker-compose config -q` (Debian's Compose 1.29; no engine runs
              here, so no image is built); the compose file's Prometheus configuration through `promtool check
              config` with the rule file compose mounts; Grafana's provisioning paths and datasource URL against
              the compose mounts and service names.
  Kubernetes  every document of Deploy/kubernetes/*.yaml: core kinds with `kubernetes-validate --strict` for
              Kubernetes 1.30.0 and 1.37.0; ServiceMonitor / PrometheusRule with the pydantic models generated from
              the prometheus-operator 0.80.1 CRDs (types and patterns, strict) plus a walk over the model fields that
              rejects unknown keys (the models ignore them); the kustomization lists exactly the manifests.
  scripts     lib.sh's apt_install_quietly with a stand-in apt-get: the policy file is there during the install and
              gone afterwards, also after a failure; the caller's EXIT trap survives.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import types
import typing
import urllib.parse
from pathlib import Path

import pydantic
import pytest
import yaml
from cloudcoil.models.prometheus_operator import v1 as promop

from conftest import EXPORTER, EXPORTER_USER, PASSWORD_FILE, REPO, free_port, http

DEPLOY = REPO / "Deploy"
UNIT = DEPLOY / "systemd" / "valkey-cluster-exporter.service"
DOCKERFILE = DEPLOY / "container" / "Dockerfile"
COMPOSE = DEPLOY / "container" / "compose.yaml"
COMPOSE_PROMETHEUS = DEPLOY / "container" / "prometheus.yml"
KUBERNETES = DEPLOY / "kubernetes"
ALERTS = DEPLOY / "prometheus" / "alerts.yml"
SANDBOX = Path(__file__).with_name("systemd_sandbox.py")
SYSTEM_PYTHON = "/usr/bin/python3"          # has python3-seccomp (scripts/install-deploy-tools.sh)
KUBERNETES_VERSIONS = ("1.30.0", "1.37.0")  # oldest and newest we claim; the schemas ship with kubernetes-validate
CORE_API_VERSIONS = {"v1", "apps/v1", "policy/v1", "networking.k8s.io/v1", "autoscaling/v2"}
OPERATOR_KINDS = {"ServiceMonitor": promop.ServiceMonitor, "PrometheusRule": promop.PrometheusRule}


def tool(name):
    """A tool from the venv running the tests (hadolint, kubernetes-validate), else from PATH; missing = failure."""
    path = Path(sys.executable).parent / name
    found = str(path) if path.exists() else shutil.which(name)
    assert found, f"{name} not found: run `make tools`"
    return found


def run(*args, timeout=60, **kwargs):
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=timeout, **kwargs)


# ---------------------------------------------------------------------------------------------------- systemd ----

def unit_for_verify(tmp_path, text=None):
    """The unit as `systemd-analyze verify` can check it here: ExecStart= must name an existing binary, so it points
    at the exporter under test instead of /usr/local/bin."""
    text = UNIT.read_text() if text is None else text
    path = tmp_path / UNIT.name
    path.write_text(text.replace("/usr/local/bin/valkey-cluster-exporter", str(Path(EXPORTER).resolve())))
    return path


def verify(path):
    out = run("systemd-analyze", "verify", "--man=no", path)
    return out.returncode, (out.stdout + out.stderr).strip()


def exposure(path):
    out = run("systemd-analyze", "security", "--offline=true", "--no-pager", path)
    match = re.search(r"Overall exposure level for \S+: (\d+\.\d+) (\S+)", out.stdout)
    assert out.returncode == 0 and match, out.stdout + out.stderr
    return float(match.group(1)), match.group(2)


def test_systemd_unit_verifies_without_warnings(tmp_path):
    rc, output = verify(unit_for_verify(tmp_path))
    assert rc == 0 and output == "", output


def test_systemd_verify_catches_a_misspelled_setting_and_a_missing_binary(tmp_path):
    text = UNIT.read_text()
    rc, output = verify(unit_for_verify(tmp_path, text.replace("ProtectSystem=strict", "ProtectSytem=strict")))
    assert "Unknown key 'ProtectSytem'" in output, output
    missing = tmp_path / "missing"
    missing.mkdir()
    (missing / UNIT.name).write_text(text.replace("/usr/local/bin/valkey-cluster-exporter", str(missing / "nothing")))
    rc, output = verify(missing / UNIT.name)
    assert rc != 0 and "nothing" in output, output


def test_systemd_security_exposure_below_2(tmp_path):
    score, verdict = exposure(unit_for_verify(tmp_path))
    print(f"systemd-analyze security: {score} {verdict}")
    assert score < 2.0, f"exposure {score} {verdict}"


def test_systemd_security_rates_an_unhardened_unit_above_2(tmp_path):
    bare = tmp_path / "bare.service"
    bare.write_text(f"[Service]\nExecStart={Path(EXPORTER).resolve()}\nDynamicUser=yes\n")
    score, _ = exposure(bare)
    assert score > 2.0, score


# The file-system side of the unit, rebuilt in a mount namespace of the sandboxed process's own (the host's mounts are
# not touched): ProtectSystem=strict (`/` read-only), ProtectProc=invisible + ProcSubset=pid (a /proc of processes
# only), PrivateTmp= (empty /tmp and /var/tmp), ProtectHome= (empty, inaccessible /home, /root, /run/user).
SANDBOX_MOUNTS = """
mount --bind / / && mount -o bind,remount,ro /
mount -t proc -o subset=pid,hidepid=invisible proc /proc
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /tmp && mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /var/tmp
for home in /home /root /run/user; do if [ -d "$home" ]; then mount -t tmpfs -o mode=000 tmpfs "$home"; fi; done
exec "$@"
"""


def sandbox_command(sandbox_dir, unit, command):
    """`command` as nobody under `unit`'s seccomp filter, capabilities and no_new_privs (systemd_sandbox.py), inside
    SANDBOX_MOUNTS. unshare, sh and python3 all exec in place, so the process's PID is the sandboxed program's.
    Everything it needs lives in `sandbox_dir` (under /run: neither a temporary nor a home directory)."""
    helper = sandbox_dir / SANDBOX.name
    shutil.copy(SANDBOX, helper)
    helper.chmod(0o644)
    return ["unshare", "--mount", "--propagation", "private", "--", "sh", "-ec", SANDBOX_MOUNTS, "sh",
            SYSTEM_PYTHON, str(helper), str(unit), "--", *map(str, command)]


def service_line(key, text=None):
    lines = [line.split("=", 1)[1] for line in (text or UNIT.read_text()).splitlines() if line.startswith(key + "=")]
    assert len(lines) == 1, (key, lines)
    return lines[0]


@pytest.fixture
def sandbox_dir():
    """A directory nobody can read: the exporter binary and the credential (as systemd lays it out) go there."""
    path = Path(tempfile.mkdtemp(prefix="valkey-exporter-sandbox-", dir="/run"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def start_sandboxed_exporter(sandbox_dir, unit_text, cluster):
    """Runs the unit's own ExecStart= (binary path and ${CREDENTIALS_DIRECTORY} filled in) under the unit's sandbox,
    with the settings an EnvironmentFile= would give, against the live cluster as its least-privilege user."""
    binary = sandbox_dir / "valkey-cluster-exporter"
    if not binary.exists():
        shutil.copy2(EXPORTER, binary)
        binary.chmod(0o755)
    credentials = sandbox_dir / "credentials"
    credentials.mkdir(exist_ok=True)
    shutil.copy(PASSWORD_FILE, credentials / "valkey-password")   # LoadCredential=valkey-password:...
    for p, mode in ((credentials, 0o500), (credentials / "valkey-password", 0o400)):
        os.chown(p, 65534, 65534)
        p.chmod(mode)
    unit = sandbox_dir / UNIT.name
    unit.write_text(unit_text)
    exec_start = service_line("ExecStart", unit_text).split()
    assert exec_start[0] == "/usr/local/bin/valkey-cluster-exporter", exec_start
    args = [a.replace("${CREDENTIALS_DIRECTORY}", str(credentials)) for a in exec_start[1:]]
    port = free_port()
    env = {"PATH": "/usr/bin:/bin", "CREDENTIALS_DIRECTORY": str(credentials), "VALKEY_ADDRESS": cluster.seed,
           "VALKEY_USERNAME": EXPORTER_USER, "LISTEN_ADDRESS": f"127.0.0.1:{port}", "SCRAPE_INTERVAL": "1s"}
    log = open(sandbox_dir / "exporter.log", "w")
    proc = subprocess.Popen(sandbox_command(sandbox_dir, unit, [binary, *args]), env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    return proc, port, sandbox_dir / "exporter.log"


def test_exporter_runs_under_the_units_sandbox(cluster, sandbox_dir):
    proc, port, log = start_sandboxed_exporter(sandbox_dir, UNIT.read_text(), cluster)
    try:
        deadline = time.time() + 30
        body = ""
        while time.time() < deadline:
            assert proc.poll() is None, f"exited with {proc.returncode}:\n{log.read_text()}"
            try:
                status, _, body = http(f"http://127.0.0.1:{port}/metrics")
                if status == 200 and body.count("\nvalkey_slot_keys{") == 16384:
                    break
            except OSError:
                pass
            time.sleep(0.3)
        up = re.findall(r"^valkey_up\{[^}]*\} (\d+)$", body, re.M)
        assert up == ["1"] * 6, f"valkey_up {up} (the credential must have logged in on every node):\n{log.read_text()}"
        assert body.count("\nvalkey_slot_keys{") == 16384
        status = dict(line.split(":\t", 1) for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines()
                      if ":\t" in line)
        assert status["Uid"].split()[0] == "65534" and status["NoNewPrivs"] == "1", status
        assert status["Seccomp"] == "2" and int(status["CapBnd"], 16) == 0, status

        # ExecReload= as the unit writes it: the exporter reads the credential again and carries on.
        reload = service_line("ExecReload").replace("$MAINPID", str(proc.pid)).split()
        assert run(*reload).returncode == 0
        deadline = time.time() + 10
        while "SIGHUP" not in log.read_text() and time.time() < deadline:
            time.sleep(0.1)
        assert "SIGHUP" in log.read_text(), log.read_text()
        time.sleep(1.5)
        assert proc.poll() is None and http(f"http://127.0.0.1:{port}/readyz")[0] == 200, log.read_text()
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(15)
    text = log.read_text()
    assert code == 0, text
    assert "level=error" not in text and "level=critical" not in text, text


def test_sandbox_kills_a_forbidden_system_call(cluster, sandbox_dir):
    """Without the unit's setpriority exception the exporter dies of SIGSYS at once (libdispatch calls it for each
    worker thread): the filter is real, and that line is needed."""
    text = UNIT.read_text()
    assert "\nSystemCallFilter=setpriority\n" in text
    proc, _, log = start_sandboxed_exporter(sandbox_dir, text.replace("\nSystemCallFilter=setpriority\n", "\n"),
                                            cluster)
    try:
        code = proc.wait(15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert code == -signal.SIGSYS, (code, log.read_text())


def test_sandbox_applies_memory_and_socket_rules(sandbox_dir):
    """The same sandbox around a probe: writable+executable memory and a netlink socket are refused, TCP is not;
    `/` is read-only, /tmp is empty and private, /proc shows processes only."""
    probe = sandbox_dir / "probe.py"
    probe.write_text(
        "import errno, mmap, os, socket\n"
        "try:\n    mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)\n    print('wx-allowed')\n"
        "except PermissionError:\n    print('wx-refused')\n"
        "try:\n    socket.socket(socket.AF_NETLINK, socket.SOCK_RAW)\n    print('netlink-allowed')\n"
        "except OSError as e:\n    print('netlink-refused' if e.errno == errno.EAFNOSUPPORT else e)\n"
        "socket.socket(socket.AF_INET, socket.SOCK_STREAM).close()\n"
        "print('uid', os.getuid())\n"
        "print('tmp', os.listdir('/tmp'), os.path.exists('/proc/meminfo'), os.path.exists('/proc/self/status'))\n"
        "try:\n    open('/tmp/x', 'w').close()\n    open('/var/lib/x', 'w')\nexcept OSError as e:\n"
        "    print('write', errno.errorcode[e.errno])\n")
    probe.chmod(0o644)
    unit = sandbox_dir / UNIT.name
    shutil.copy(UNIT, unit)
    out = run(*sandbox_command(sandbox_dir, unit, [SYSTEM_PYTHON, probe]))
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.splitlines() == ["wx-refused", "netlink-refused", "uid 65534", "tmp [] False True",
                                       "write EROFS"], out.stdout + out.stderr


# -------------------------------------------------------------------------------------------------- container ----

def hadolint(path, tmp_path):
    config = tmp_path / "hadolint.yaml"
    config.write_text("ignored: []\n")    # not whatever .hadolint.yaml the machine may have
    out = run(tool("hadolint"), "--config", config, "--failure-threshold", "style", "--format", "json", path)
    return out.returncode, json.loads(out.stdout or "[]"), out.stderr


def test_dockerfile_is_hadolint_clean(tmp_path):
    rc, findings, stderr = hadolint(DOCKERFILE, tmp_path)
    assert rc == 0 and findings == [], json.dumps(findings, indent=1) + stderr
    text = DOCKERFILE.read_text()
    stages = re.findall(r"^FROM (\S+)", text, re.M)
    assert stages[0].startswith("swift:") and not stages[-1].startswith("swift:"), stages
    assert all(":" in s and not s.endswith(":latest") for s in stages), stages
    assert "--static-swift-stdlib" in text and "-c release" in text
    user = re.findall(r"^USER (\d+)(?::(\d+))?$", text, re.M)
    assert user and user[-1][0] != "0" and user[-1][1] != "0", user
    assert re.search(r"^EXPOSE 9839$", text, re.M)
    assert re.search(r'^ENTRYPOINT \["/usr/local/bin/valkey-cluster-exporter"\]$', text, re.M)


def test_hadolint_flags_a_careless_dockerfile(tmp_path):
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM ubuntu:latest\nRUN apt-get update && apt-get install -y curl\nCMD curl localhost\n")
    rc, findings, _ = hadolint(bad, tmp_path)
    codes = {f["code"] for f in findings}
    assert rc != 0 and {"DL3007", "DL3008", "DL3009", "DL3015", "DL3025"} <= codes, codes


def test_dockerignore_keeps_build_outputs_out_and_what_the_dockerfile_copies_in():
    ignored = [line.strip() for line in (REPO / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")]
    for must in (".build", ".build-*", ".tools", ".run"):
        assert must in ignored, must
    copied = [m.group(1) for m in re.finditer(r"^COPY (?!--from)(\S+)", DOCKERFILE.read_text(), re.M)]
    assert copied, "no COPY from the build context"
    for source in copied:
        assert (REPO / source).exists(), source
        assert not any(Path(source).match(pattern) for pattern in ignored), source


def compose(*args, file=COMPOSE):
    return run("docker-compose", "-f", file, *args)


def compose_config():
    out = compose("config")
    assert out.returncode == 0, out.stderr
    return yaml.safe_load(out.stdout)


def mounts(service):
    """container path -> host path of a service's bind mounts, from `docker-compose config` (absolute paths)."""
    result = {}
    for volume in service.get("volumes", []):
        host, container = volume.split(":")[:2]
        result[container] = Path(host)
    return result


def test_compose_file_is_valid():
    out = compose("config", "-q")
    assert out.returncode == 0 and out.stdout == "" and out.stderr == "", out.stdout + out.stderr


def test_compose_rejects_a_broken_file(tmp_path):
    text = COMPOSE.read_text()
    for broken in (text.replace("    ports: [\"127.0.0.1:9839:9839\"]", "    portz: [\"127.0.0.1:9839:9839\"]"),
                   text.replace("condition: service_completed_successfully", "condition: when_ready"),
                   text.replace('["127.0.0.1:9839:9839"]', '["127.0.0.1:9839:metrics"]'),
                   text.replace("depends_on: [exporter]", "depends_on: [exporters]")):
        assert broken != text
        path = tmp_path / "compose.yaml"
        path.write_text(broken)
        out = compose("config", "-q", file=path)
        assert out.returncode != 0, broken


def test_compose_stack_shape():
    config = compose_config()
    services = config["services"]
    assert {f"valkey-{i}" for i in range(1, 7)} <= set(services)
    assert {"cluster-init", "exporter", "prometheus", "grafana"} <= set(services)
    published = {name: s["ports"] for name, s in services.items() if s.get("ports")}
    assert set(published) == {"exporter", "prometheus", "grafana"}, published
    for name, ports in published.items():
        for port in ports:
            text = port if isinstance(port, str) else f"{port.get('host_ip')}:{port['published']}"
            assert text.startswith("127.0.0.1:"), (name, port)
    for name, service in services.items():
        image = service.get("image", "")
        if "build" not in service:
            assert re.fullmatch(r"[\w./-]+:[\w.-]+", image) and not image.endswith(":latest"), (name, image)
    valkey_images = {services[f"valkey-{i}"]["image"] for i in range(1, 7)} | {services["cluster-init"]["image"]}
    assert len(valkey_images) == 1 and valkey_images.pop().startswith("valkey/valkey:9."), valkey_images
    init = " ".join(services["cluster-init"]["command"])
    assert "--cluster create" in init and "--cluster-replicas 1" in init and "--cluster-yes" in init
    exporter = services["exporter"]
    assert Path(exporter["build"]["context"], exporter["build"]["dockerfile"]).resolve() == DOCKERFILE
    assert exporter["user"] == "65532:65532" and exporter["read_only"] is True and exporter["cap_drop"] == ["ALL"]
    assert exporter["depends_on"]["cluster-init"]["condition"] == "service_completed_successfully"
    grafana = mounts(services["grafana"])
    assert REPO / "Dashboards" in grafana.values()
    for name in ("datasources", "dashboards"):
        assert grafana[f"/etc/grafana/provisioning/{name}/valkey-cluster-exporter.yaml"] == \
            REPO / "Dashboards" / "provisioning" / f"{name}.yaml"


def placeholder(path, tmp_path, text):
    """The real file once the work that writes it is merged; until then a minimal stand-in in tmp_path, so the
    check still runs. Only Deploy/prometheus/alerts.yml and Dashboards/provisioning/*.yaml are ever stood in for."""
    if path.exists():
        return path
    stand_in = tmp_path / "placeholders" / path.relative_to(REPO)
    stand_in.parent.mkdir(parents=True, exist_ok=True)
    stand_in.write_text(text)
    return stand_in


def test_compose_prometheus_config_and_its_rules_pass_promtool(tmp_path):
    """promtool checks the compose Prometheus configuration with the rule file compose mounts into the container,
    found by mapping the container path in rule_files back through the compose mounts."""
    prometheus = compose_config()["services"]["prometheus"]
    volume = mounts(prometheus)
    assert volume["/etc/prometheus/prometheus.yml"] == COMPOSE_PROMETHEUS
    config = yaml.safe_load(COMPOSE_PROMETHEUS.read_text())
    host_rules = []
    for container_path in config["rule_files"]:
        assert container_path in volume, f"rule file {container_path} is not mounted into the Prometheus container"
        host = volume[container_path]
        assert host == ALERTS, host
        host_rules.append(str(placeholder(host, tmp_path, "groups:\n  - name: placeholder\n    rules:\n"
                                          "      - alert: Placeholder\n        expr: vector(1)\n")))
    assert config["scrape_configs"][0]["static_configs"][0]["targets"] == ["exporter:9839"]
    config["rule_files"] = host_rules
    checked = tmp_path / "prometheus.yml"
    checked.write_text(yaml.safe_dump(config))
    out = run("promtool", "check", "config", checked)
    assert out.returncode == 0 and "SUCCESS" in out.stdout, out.stdout + out.stderr
    config["scrape_configs"][0]["scrape_timeout"] = "1m"     # longer than the scrape interval
    checked.write_text(yaml.safe_dump(config))
    assert run("promtool", "check", "config", checked).returncode != 0


def expand(value, env):
    """Grafana's $VAR / ${VAR} expansion in provisioning files."""
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: env.get(m.group(1) or m.group(2), ""), value)


def grafana_provisioning_problems(dashboards_file, datasources_file, grafana):
    """What would keep the compose Grafana from showing the dashboards: a provider path that is not the mounted
    Dashboards/ folder, a Prometheus datasource not pointing at the compose service `prometheus:9090`."""
    problems = []
    env = grafana.get("environment", {})
    dashboard_mounts = [c for c, h in mounts(grafana).items() if h == REPO / "Dashboards"]
    providers = (yaml.safe_load(dashboards_file.read_text()) or {}).get("providers") or []
    if not providers:
        problems.append("no dashboard provider")
    for provider in providers:
        path = expand(str((provider.get("options") or {}).get("path", "")), env).rstrip("/")
        if not any(path == m or path.startswith(m + "/") for m in dashboard_mounts):
            problems.append(f"provider {provider.get('name')} reads {path!r}, compose mounts Dashboards/ at {dashboard_mounts}")
    datasources = [d for d in (yaml.safe_load(datasources_file.read_text()) or {}).get("datasources") or []
                   if d.get("type") == "prometheus"]
    if not datasources:
        problems.append("no prometheus datasource")
    for source in datasources:
        url = urllib.parse.urlsplit(expand(str(source.get("url", "")), env))
        if (url.hostname, url.port) != ("prometheus", 9090):
            problems.append(f"datasource {source.get('name')} points at {url.geturl()!r}, not the compose prometheus:9090")
    return problems


GRAFANA_DASHBOARDS_STAND_IN = """apiVersion: 1
providers:
  - name: valkey-cluster-exporter
    type: file
    options:
      path: /var/lib/grafana/dashboards/valkey
"""
GRAFANA_DATASOURCES_STAND_IN = """apiVersion: 1
datasources:
  - name: Prometheus
    type: prometheus
    url: $PROMETHEUS_URL
"""


def test_compose_grafana_finds_the_dashboards_and_prometheus(tmp_path):
    grafana = compose_config()["services"]["grafana"]
    provisioning = REPO / "Dashboards" / "provisioning"
    dashboards = placeholder(provisioning / "dashboards.yaml", tmp_path, GRAFANA_DASHBOARDS_STAND_IN)
    datasources = placeholder(provisioning / "datasources.yaml", tmp_path, GRAFANA_DATASOURCES_STAND_IN)
    assert grafana_provisioning_problems(dashboards, datasources, grafana) == []
    wrong = tmp_path / "wrong"
    wrong.mkdir()
    (wrong / "dashboards.yaml").write_text(GRAFANA_DASHBOARDS_STAND_IN.replace("/var/lib/grafana", "/srv"))
    (wrong / "datasources.yaml").write_text(GRAFANA_DATASOURCES_STAND_IN.replace("$PROMETHEUS_URL",
                                                                                 "http://localhost:9090"))
    assert len(grafana_provisioning_problems(wrong / "dashboards.yaml", wrong / "datasources.yaml", grafana)) == 2


# ------------------------------------------------------------------------------------------------- Kubernetes ----

def documents(path):
    return [d for d in yaml.safe_load_all(path.read_text()) if d is not None]


def all_documents():
    files = sorted(KUBERNETES.glob("*.yaml"))
    assert files, "no manifests"
    return [(f, d) for f in files for d in documents(f)]


def kubernetes_validate(paths, version):
    out = run(tool("kubernetes-validate"), "--strict", "--kubernetes-version", version, *paths, timeout=120)
    return out.returncode, out.stdout + out.stderr


def unknown_fields(model, data, path=""):
    """Keys of `data` that the pydantic `model` does not declare under their wire name (the alias, as Kubernetes
    spells it), recursively. The cloudcoil models ignore unknown keys, so a typo would otherwise pass unseen."""
    if not isinstance(data, dict):
        return []      # wrong types are pydantic's to report
    if issubclass(model, pydantic.RootModel):
        return walk(model.model_fields["root"].annotation, data, path)
    declared = {(field.alias or name): field.annotation for name, field in model.model_fields.items()}
    problems = []
    for key, value in data.items():
        if key not in declared:
            problems.append(f"{path}{key}")
        else:
            problems += walk(declared[key], value, f"{path}{key}.")
    return problems


def walk(annotation, value, path):
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        return walk(args[0], value, path)
    if origin in (typing.Union, types.UnionType):
        options = [walk(a, value, path) for a in args if a is not type(None)]
        return min(options, key=len) if options else []
    if origin is list and isinstance(value, list):
        return [p for i, item in enumerate(value) for p in walk(args[0], item, f"{path}{i}.")]
    if origin is dict and isinstance(value, dict) and len(args) == 2:
        return [p for k, item in value.items() for p in walk(args[1], item, f"{path}{k}.")]
    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        return unknown_fields(annotation, value, path)
    return []


def operator_problems(document):
    """prometheus-operator CRD check of one ServiceMonitor / PrometheusRule: types, enums and patterns by the
    generated models in strict JSON mode (as the API server gets it), unknown keys by walking their fields."""
    model = OPERATOR_KINDS[document["kind"]]
    try:
        model.model_validate_json(json.dumps(document), strict=True)
    except pydantic.ValidationError as error:
        return [str(error)]
    return [f"unknown field {p}" for p in unknown_fields(model, document)]


def test_every_manifest_is_valid_for_its_schema(tmp_path):
    core, kinds = [], []
    for index, (source, document) in enumerate(all_documents()):
        api, kind = document.get("apiVersion"), document.get("kind")
        kinds.append(kind)
        if api in CORE_API_VERSIONS:
            split = tmp_path / f"{index:02}-{source.stem}.yaml"    # one document per file: clear messages
            split.write_text(yaml.safe_dump(document))
            core.append(split)
        elif api == "monitoring.coreos.com/v1" and kind in OPERATOR_KINDS:
            assert operator_problems(document) == [], (source, kind)
        elif api == "kustomize.config.k8s.io/v1beta1" and kind == "Kustomization":
            assert source.name == "kustomization.yaml"
        else:
            pytest.fail(f"{source}: no validator for {api} {kind}")
    assert "Secret" not in kinds, "do not commit a Secret: README.md shows `kubectl create secret`"
    assert {"Deployment", "Service", "ServiceMonitor", "Kustomization"} <= set(kinds), kinds
    for version in KUBERNETES_VERSIONS:
        rc, output = kubernetes_validate(core, version)
        assert rc == 0 and "WARN" not in output and "ERROR" not in output, output
        assert output.count("passed") == len(core), output


def test_kubernetes_validate_rejects_a_typo_and_a_wrong_type(tmp_path):
    deployment = (KUBERNETES / "deployment.yaml").read_text()
    for broken in (deployment.replace("readOnlyRootFilesystem", "readOnlyRootFilesytem"),
                   deployment.replace("containerPort: 9839", 'containerPort: "9839"')):
        assert broken != deployment
        path = tmp_path / "deployment.yaml"
        path.write_text(broken)
        rc, output = kubernetes_validate([path], KUBERNETES_VERSIONS[-1])
        assert rc != 0 and "ERROR" in output, output


def test_operator_check_rejects_unknown_fields_wrong_types_and_bad_durations():
    monitor = documents(KUBERNETES / "servicemonitor.yaml")[0]
    assert operator_problems(monitor) == []
    endpoint = monitor["spec"]["endpoints"][0]
    for change in ({"scrapeTimout": "10s"}, {"scrape_timeout": "10s"}, {"scrapeTimeout": 10},
                   {"interval": "30 seconds"}, {"port": 9839}, {"scheme": "tcp"}):
        broken = json.loads(json.dumps(monitor))
        broken["spec"]["endpoints"][0] = {**endpoint, **change}
        assert operator_problems(broken), change
    rule = {"apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule", "metadata": {"name": "r"},
            "spec": {"groups": [{"name": "g", "rules": [{"alert": "A", "expr": "up == 0", "for": "5m",
                                                         "labels": {"severity": "critical"}}]}]}}
    assert operator_problems(rule) == []
    for change in ({"expresion": "up == 0"}, {"for": "5 minutes"}, {"labels": {"severity": 1}}):
        broken = json.loads(json.dumps(rule))
        broken["spec"]["groups"][0]["rules"][0].update(change)
        assert operator_problems(broken), change


def test_kubernetes_manifests_fit_together():
    by_kind = {d["kind"]: d for _, d in all_documents()}
    deployment, service, monitor = by_kind["Deployment"], by_kind["Service"], by_kind["ServiceMonitor"]
    pod = deployment["spec"]["template"]
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["selector"]["matchLabels"].items() <= pod["metadata"]["labels"].items()
    assert service["spec"]["selector"].items() <= pod["metadata"]["labels"].items()
    assert monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    service_ports = {p["name"]: p for p in service["spec"]["ports"]}
    assert service_ports["metrics"]["port"] == 9839
    assert [e["port"] for e in monitor["spec"]["endpoints"]] == ["metrics"]
    for endpoint in monitor["spec"]["endpoints"]:
        assert "interval" in endpoint and "scrapeTimeout" in endpoint

    spec = pod["spec"]
    assert spec["securityContext"]["runAsNonRoot"] is True and spec["securityContext"]["runAsUser"] == 65532
    assert spec["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
    assert spec["automountServiceAccountToken"] is False
    (container,) = spec["containers"]
    context = container["securityContext"]
    assert context["readOnlyRootFilesystem"] is True and context["allowPrivilegeEscalation"] is False
    assert context["capabilities"]["drop"] == ["ALL"] and context["runAsNonRoot"] is True
    assert container["ports"] == [{"name": "metrics", "containerPort": 9839, "protocol": "TCP"}]
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "metrics"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "metrics"}
    resources = container["resources"]
    assert {"cpu", "memory"} <= resources["requests"].keys() and "memory" in resources["limits"]
    env = {e["name"]: e for e in container["env"]}
    assert "VALKEY_PASSWORD" not in env and not any("valueFrom" in e for e in env.values()), \
        "the password comes from a mounted file, never an env value"
    assert not container.get("args") and not container.get("command")
    volumes = {v["name"]: v for v in spec["volumes"]}
    mounted = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    password_dir = str(Path(env["VALKEY_PASSWORD_FILE"]["value"]).parent)
    assert "secret" in volumes[mounted[password_dir]]
    assert all(m.get("readOnly") for m in container["volumeMounts"])
    assert any(v["secret"].get("optional") for v in volumes.values() if "secret" in v), "optional TLS secret"


def test_kustomization_lists_exactly_the_manifests():
    kustomization = documents(KUBERNETES / "kustomization.yaml")[0]
    assert set(kustomization) <= {"apiVersion", "kind", "namespace", "resources", "images", "labels",
                                  "commonLabels", "commonAnnotations"}, kustomization.keys()
    listed = kustomization["resources"]
    assert len(listed) == len(set(listed))
    present = {p.name for p in KUBERNETES.glob("*.yaml")} - {"kustomization.yaml"}
    # prometheusrule.yaml is generated from Deploy/prometheus/alerts.yml: listed always, there whenever that is.
    if ALERTS.exists():
        assert "prometheusrule.yaml" in present, "alerts.yml exists but Deploy/kubernetes/prometheusrule.yaml does not"
    assert set(listed) == present | {"prometheusrule.yaml"}, (listed, present)
    for image in kustomization.get("images", []):
        assert image["name"] == "valkey-cluster-exporter" and image.get("newTag")


# ---------------------------------------------------------------------------------------------------- scripts ----

def test_apt_install_quietly_guards_and_cleans_up(tmp_path):
    """lib.sh's apt guard with a stand-in apt-get that records whether the policy file was in place: present during
    update and install, removed afterwards (after a failed install too), and the caller's EXIT trap kept."""
    fake = tmp_path / "bin"
    fake.mkdir()
    record, policy = tmp_path / "record", tmp_path / "policy-rc.d"
    (fake / "apt-get").write_text(f"#!/bin/sh\n"
                                  f"echo \"$* | $(tail -n 1 {policy} 2>/dev/null)\" >> {record}\n"
                                  f"case \"$*\" in *' missing-package'*) exit 100;; esac\n")
    (fake / "apt-get").chmod(0o755)
    script = (f"set -euo pipefail; PROG=t; source {REPO}/scripts/lib.sh; APT_POLICY_FILE={policy}\n"
              "trap 'echo caller-trap' EXIT\n"
              "apt_install_quietly some-package\n"
              f"test ! -e {policy} && echo removed-after-success\n"
              "if apt_install_quietly missing-package; then echo wrong; else echo failed-as-expected; fi\n"
              f"test ! -e {policy} && echo removed-after-failure\n")
    out = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=30,
                         env={**os.environ, "PATH": f"{fake}:{os.environ['PATH']}"})
    assert out.returncode == 0, out.stdout + out.stderr
    lines = out.stdout.splitlines()
    for expected in ("removed-after-success", "failed-as-expected", "removed-after-failure", "caller-trap"):
        assert expected in lines, out.stdout
    assert lines[-1] == "caller-trap"
    calls = record.read_text().splitlines()
    assert len(calls) == 4 and all(c.endswith("| exit 101") for c in calls), calls
    assert "install -y -qq --no-install-recommends some-package" in calls[1]
