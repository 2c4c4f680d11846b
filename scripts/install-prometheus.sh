#!/usr/bin/env bash
# Install Prometheus and promtool (Debian's `prometheus` package, 2.42) for the exposition tests.
#
# Idempotent: when `promtool` and `prometheus` are already on PATH nothing is installed. Otherwise installs the
# package with lib.sh's apt_install_quietly (no service is started during the install: the tests start their own
# Prometheus on loopback, by PID). Prints both versions; fails loudly. Needs root (or sudo) for apt.
set -euo pipefail

PROG=install-prometheus
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib.sh
source "${SCRIPT_DIR}/lib.sh"

log() { echo "${PROG}: $*"; }

if command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1; then
    log "already installed: $(command -v promtool), $(command -v prometheus)"
else
    apt_install_quietly prometheus || die "could not install prometheus (Prometheus 2.x: prometheus + promtool)"
    # Belt and braces: if a service manager started it anyway, stop that service (it is ours: we just installed it).
    if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet prometheus 2>/dev/null; then
        log "stopping the prometheus service the package started"
        as_root systemctl stop prometheus || true
        as_root systemctl disable prometheus >/dev/null 2>&1 || true
    fi
fi

command -v promtool >/dev/null 2>&1 || die "promtool still not on PATH after install"
command -v prometheus >/dev/null 2>&1 || die "prometheus still not on PATH after install"
PROMTOOL_VERSION="$(promtool --version 2>&1 | head -n 1)" || die "promtool --version failed: ${PROMTOOL_VERSION}"
PROMETHEUS_VERSION="$(prometheus --version 2>&1 | head -n 1)" || die "prometheus --version failed: ${PROMETHEUS_VERSION}"
[[ "${PROMTOOL_VERSION}" == *"version "* ]] || die "promtool --version printed no version: ${PROMTOOL_VERSION}"
[[ "${PROMETHEUS_VERSION}" == *"version "* ]] || die "prometheus --version printed no version: ${PROMETHEUS_VERSION}"
log "${PROMTOOL_VERSION}"
log "${PROMETHEUS_VERSION}"
