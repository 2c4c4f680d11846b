#!/usr/bin/env bash
# Install the Debian tools the benchmark harness (`make bench`, Benchmarks/) compares against and loads with:
#
#   prometheus-redis-exporter   redis_exporter (1.45), the peer exporter of Benchmarks/redis_exporter_compare.py
#   wrk                         the HTTP load generator of Benchmarks/http_load.py
#
# Idempotent: what already works is left alone and the script says so. Otherwise installs the missing packages with
# lib.sh's apt_install_quietly, whose temporary policy-rc.d keeps the package's service from starting: the
# benchmark starts its own redis_exporter on a free loopback port, by PID. Afterwards no prometheus-redis-exporter
# may be running because of this install: one that started during it (it was not there before and its start time
# is after the install began) is stopped by its PID; one that was already running is only reported.
# Prints the versions; fails loudly. Needs root (or sudo) for apt.
set -euo pipefail

PROG=install-bench-tools
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib.sh
source "${SCRIPT_DIR}/lib.sh"

readonly REDIS_EXPORTER=/usr/bin/prometheus-redis-exporter

log() { echo "${PROG}: $*"; }

redis_exporter_ok() { [[ -x "${REDIS_EXPORTER}" ]] && "${REDIS_EXPORTER}" --version >/dev/null 2>&1; }
wrk_ok() { command -v wrk >/dev/null 2>&1; }

# redis_exporter_pids: PIDs of running processes whose executable is the package's binary.
redis_exporter_pids() {
    local p exe
    for p in /proc/[0-9]*; do
        exe="$(readlink "${p}/exe" 2>/dev/null || true)"
        [[ "${exe}" == "${REDIS_EXPORTER}" ]] && echo "${p#/proc/}"
    done
    return 0
}

# start_ticks PID: the process's start time in clock ticks since boot (/proc/PID/stat field 22).
start_ticks() {
    local stat
    stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
    stat="${stat##*) }"
    # After "comm) " the fields start at field 3 (state); field 22 is the 20th of them.
    awk '{ print $20 }' <<<"${stat}"
}

# now_ticks: clock ticks since boot, comparable with start_ticks.
now_ticks() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%d\n", $1 * hz }' /proc/uptime; }

MISSING=()
redis_exporter_ok || MISSING+=(prometheus-redis-exporter)
wrk_ok || MISSING+=(wrk)

if [[ "${#MISSING[@]}" -gt 0 ]]; then
    mapfile -t BEFORE < <(redis_exporter_pids)
    INSTALL_START="$(now_ticks)"
    apt_install_quietly "${MISSING[@]}" || die "could not install ${MISSING[*]}"
    # Belt and braces: if a service manager started the unit anyway, stop it (we just installed it).
    if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet prometheus-redis-exporter 2>/dev/null; then
        log "stopping the prometheus-redis-exporter service the package started"
        as_root systemctl stop prometheus-redis-exporter || true
        as_root systemctl disable prometheus-redis-exporter >/dev/null 2>&1 || true
    fi
    for pid in $(redis_exporter_pids); do
        if [[ " ${BEFORE[*]:-} " == *" ${pid} "* ]]; then
            warn "prometheus-redis-exporter pid ${pid} was running before this install; leaving it alone"
            continue
        fi
        started="$(start_ticks "${pid}" || echo 0)"
        if [[ "${started}" -ge "${INSTALL_START}" ]]; then
            log "stopping prometheus-redis-exporter pid ${pid}, started by this install"
            as_root kill -TERM "${pid}" 2>/dev/null || true
        else
            warn "prometheus-redis-exporter pid ${pid} predates this install; leaving it alone"
        fi
    done
    log "installed ${MISSING[*]}"
else
    log "already installed: ${REDIS_EXPORTER}, $(command -v wrk)"
fi

redis_exporter_ok || die "${REDIS_EXPORTER} does not run: $("${REDIS_EXPORTER}" --version 2>&1 | head -n 1 || true)"
wrk_ok || die "wrk still not on PATH after install"
# --version prints a log line: keep its "Redis Metrics Exporter 1.45.0-2+b4 ... Go: go1.19.8" part.
REDIS_EXPORTER_VERSION="$("${REDIS_EXPORTER}" --version 2>&1 | head -n 1 | sed -e 's/.*msg="//' -e 's/".*//' -e 's/  */ /g')"
log "${REDIS_EXPORTER_VERSION}"
# wrk has no --version: its usage text (exit status 1) starts with the version line.
log "$(wrk -v 2>&1 | head -n 1 || true)"
