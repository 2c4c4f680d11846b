#!/usr/bin/env bash
# Install Prometheus and promtool (Debian's `prometheus` package, 2.42) for the exposition tests.
#
# Idempotent: when `promtool` and `prometheus` are already on PATH nothing is installed. Otherwise runs
# `apt-get update` once and `apt-get install -y --no-install-recommends prometheus`, with a temporary
# /usr/sbin/policy-rc.d that exits 101 so the package's postinst does not start a prometheus service
# (the tests start their own Prometheus on loopback, by PID). The policy file is removed afterwards, and
# only if this script created it. Prints both versions; fails loudly. Needs root (or sudo) for apt.
set -euo pipefail

die() { echo "install-prometheus: error: $*" >&2; exit 1; }
log() { echo "install-prometheus: $*"; }

POLICY=/usr/sbin/policy-rc.d
CREATED_POLICY=0

cleanup() {
    if [[ "${CREATED_POLICY}" -eq 1 ]]; then
        ${SUDO} rm -f "${POLICY}"
    fi
}

SUDO=""
if [[ "$(id -u)" -ne 0 ]]; then
    command -v sudo >/dev/null 2>&1 || die "not root and no sudo: cannot apt-get install prometheus"
    SUDO="sudo"
fi

if command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1; then
    log "already installed: $(command -v promtool), $(command -v prometheus)"
else
    command -v apt-get >/dev/null 2>&1 || die "apt-get not found: install Prometheus 2.x (prometheus + promtool) by hand"
    trap cleanup EXIT
    if [[ ! -e "${POLICY}" ]]; then
        # 101 = "action forbidden": invoke-rc.d / deb-systemd-invoke then skip starting the service.
        printf '#!/bin/sh\n# temporary, from install-prometheus.sh: do not start services during install\nexit 101\n' \
            | ${SUDO} tee "${POLICY}" >/dev/null
        ${SUDO} chmod 0755 "${POLICY}"
        CREATED_POLICY=1
    else
        log "note: ${POLICY} exists already; leaving it as it is"
    fi
    log "apt-get update"
    ${SUDO} env DEBIAN_FRONTEND=noninteractive apt-get update -qq \
        || die "apt-get update failed"
    log "apt-get install -y --no-install-recommends prometheus"
    ${SUDO} env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus \
        || die "apt-get install prometheus failed"
    cleanup
    CREATED_POLICY=0
    trap - EXIT
    # Belt and braces: if a service manager started it anyway, stop that service (it is ours: we just installed it).
    if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet prometheus 2>/dev/null; then
        log "stopping the prometheus service the package started"
        ${SUDO} systemctl stop prometheus || true
        ${SUDO} systemctl disable prometheus >/dev/null 2>&1 || true
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
