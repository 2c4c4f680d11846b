#!/usr/bin/env bash
# Install Redis 7.0 (Debian's `redis-server` and `redis-tools`: /usr/bin/redis-server, /usr/bin/redis-cli) for
# the version-mix tests: a Redis 7.0 cluster has no CLUSTER SLOT-STATS.
#
# Idempotent: when /usr/bin/redis-server and /usr/bin/redis-cli are there and report 7.0.x, nothing is installed.
# Otherwise runs `apt-get update` and `apt-get install -y --no-install-recommends redis-server redis-tools`, with a
# temporary /usr/sbin/policy-rc.d that exits 101 so the package's postinst does not start a redis-server service
# (the tests start their own servers on loopback, by PID). The policy file is removed afterwards, and only if this
# script created it. If a service manager started or enabled the packaged service anyway, it is stopped and
# disabled (it is ours: this run installed it). Prints the versions; fails loudly. Needs root (or sudo) for apt.
set -euo pipefail

readonly WANT_SERIES="7.0"
readonly REDIS_SERVER_BIN=/usr/bin/redis-server
readonly REDIS_CLI_BIN=/usr/bin/redis-cli
readonly POLICY=/usr/sbin/policy-rc.d

die() { echo "install-redis: error: $*" >&2; exit 1; }
log() { echo "install-redis: $*"; }

CREATED_POLICY=0
SUDO=""

cleanup() {
    if [[ "${CREATED_POLICY}" -eq 1 ]]; then
        ${SUDO} rm -f "${POLICY}"
        CREATED_POLICY=0
    fi
}

# redis_version BINARY: print the version BINARY reports ("Redis server v=7.0.15 ..." / "redis-cli 7.0.15").
redis_version() {
    local out
    out="$("$1" --version 2>/dev/null)" || return 1
    if [[ "${out}" =~ v=([0-9][0-9.]*) ]] || [[ "${out}" =~ ^redis-cli\ ([0-9][0-9.]*) ]]; then
        echo "${BASH_REMATCH[1]}"
        return 0
    fi
    return 1
}

# installed_ok: both binaries run and are Redis ${WANT_SERIES}.x (not Valkey's redis-* compatibility links).
installed_ok() {
    local b v
    for b in "${REDIS_SERVER_BIN}" "${REDIS_CLI_BIN}"; do
        [[ -x "${b}" ]] || return 1
        v="$(redis_version "${b}")" || return 1
        [[ "${v}" == "${WANT_SERIES}."* ]] || return 1
    done
    "${REDIS_SERVER_BIN}" --version 2>/dev/null | grep -q '^Redis server' || return 1
}

if installed_ok; then
    log "already installed: $("${REDIS_SERVER_BIN}" --version), $("${REDIS_CLI_BIN}" --version)"
    exit 0
fi
for b in "${REDIS_SERVER_BIN}" "${REDIS_CLI_BIN}"; do
    # Something else owns this path (another Redis, or Valkey's redis-* links): do not replace it behind the
    # user's back. A missing binary (say redis-tools alone is installed) is fine: apt adds it.
    if [[ -e "${b}" ]] && { ! v="$(redis_version "${b}")" || [[ "${v}" != "${WANT_SERIES}."* ]]; }; then
        die "${b} exists but is not Redis ${WANT_SERIES}.x ($("${b}" --version 2>&1 || true)); the version-mix test needs Redis ${WANT_SERIES} (no CLUSTER SLOT-STATS): remove it or run on a machine without it"
    fi
done

if [[ "$(id -u)" -ne 0 ]]; then
    command -v sudo >/dev/null 2>&1 || die "not root and no sudo: cannot apt-get install redis-server"
    SUDO="sudo"
fi
command -v apt-get >/dev/null 2>&1 || die "apt-get not found: install Redis ${WANT_SERIES} (redis-server + redis-cli in /usr/bin) by hand"

trap cleanup EXIT
if [[ ! -e "${POLICY}" ]]; then
    # 101 = "action forbidden": invoke-rc.d / deb-systemd-invoke then skip starting the service.
    printf '#!/bin/sh\n# temporary, from install-redis.sh: do not start services during install\nexit 101\n' \
        | ${SUDO} tee "${POLICY}" >/dev/null
    ${SUDO} chmod 0755 "${POLICY}"
    CREATED_POLICY=1
else
    log "note: ${POLICY} exists already; leaving it as it is"
    grep -q 'exit 101' "${POLICY}" 2>/dev/null \
        || log "warning: ${POLICY} does not look like it forbids starting services; will stop the service after install"
fi

APT=(env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300)
if [[ -n "${SUDO}" ]]; then APT=("${SUDO}" "${APT[@]}"); fi
log "apt-get update"
"${APT[@]}" update -qq || die "apt-get update failed"
log "apt-get install -y --no-install-recommends redis-server redis-tools"
"${APT[@]}" install -y -qq --no-install-recommends redis-server redis-tools \
    || die "apt-get install redis-server redis-tools failed"
cleanup
trap - EXIT

# Belt and braces: the packaged service must neither run now nor start at boot (the tests start their own servers).
if [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null 2>&1; then
    if systemctl is-active --quiet redis-server 2>/dev/null; then
        log "stopping the redis-server service the package started"
        ${SUDO} systemctl stop redis-server || die "could not stop the redis-server service"
    fi
elif [[ -x /etc/init.d/redis-server && -s /run/redis/redis-server.pid ]] \
        && kill -0 "$(cat /run/redis/redis-server.pid 2>/dev/null)" 2>/dev/null; then
    log "stopping the redis-server service the package started"
    ${SUDO} /etc/init.d/redis-server stop || die "could not stop the redis-server service"
fi
# systemctl disable also works without a running systemd (it edits the unit links and the SysV rc links).
if command -v systemctl >/dev/null 2>&1; then
    ${SUDO} systemctl disable redis-server >/dev/null 2>&1 || log "warning: systemctl disable redis-server failed"
elif command -v update-rc.d >/dev/null 2>&1; then
    ${SUDO} update-rc.d redis-server disable >/dev/null 2>&1 || log "warning: update-rc.d redis-server disable failed"
fi

installed_ok || die "after apt-get install, ${REDIS_SERVER_BIN} / ${REDIS_CLI_BIN} are not Redis ${WANT_SERIES}.x: $("${REDIS_SERVER_BIN}" --version 2>&1 || true); $("${REDIS_CLI_BIN}" --version 2>&1 || true)"
log "installed $("${REDIS_SERVER_BIN}" --version)"
log "installed $("${REDIS_CLI_BIN}" --version)"
