#!/usr/bin/env bash
# Install Redis 7.0 (Debian's `redis-server` and `redis-tools`: /usr/bin/redis-server, /usr/bin/redis-cli) for
# the version-mix tests: a Redis 7.0 cluster has no CLUSTER SLOT-STATS.
#
# Idempotent: when /usr/bin/redis-server and /usr/bin/redis-cli are there and report 7.0.x, nothing is installed.
# Otherwise installs `redis-server redis-tools` with lib.sh's apt_install_quietly (no service is started during the
# install: the tests start their own servers on loopback, by PID). If a service manager started or enabled the
# packaged service anyway, it is stopped and disabled (it is ours: this run installed it). Prints the versions; fails
# loudly. Needs root (or sudo) for apt.
set -euo pipefail

PROG=install-redis
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib.sh
source "${SCRIPT_DIR}/lib.sh"

readonly WANT_SERIES="7.0"
readonly REDIS_SERVER_BIN=/usr/bin/redis-server
readonly REDIS_CLI_BIN=/usr/bin/redis-cli

log() { echo "${PROG}: $*"; }

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

apt_install_quietly redis-server redis-tools || die "could not install redis-server redis-tools"

# Belt and braces: the packaged service must neither run now nor start at boot (the tests start their own servers).
if [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null 2>&1; then
    if systemctl is-active --quiet redis-server 2>/dev/null; then
        log "stopping the redis-server service the package started"
        as_root systemctl stop redis-server || die "could not stop the redis-server service"
    fi
elif [[ -x /etc/init.d/redis-server && -s /run/redis/redis-server.pid ]] \
        && kill -0 "$(cat /run/redis/redis-server.pid 2>/dev/null)" 2>/dev/null; then
    log "stopping the redis-server service the package started"
    as_root /etc/init.d/redis-server stop || die "could not stop the redis-server service"
fi
# systemctl disable also works without a running systemd (it edits the unit links and the SysV rc links).
if command -v systemctl >/dev/null 2>&1; then
    as_root systemctl disable redis-server >/dev/null 2>&1 || log "warning: systemctl disable redis-server failed"
elif command -v update-rc.d >/dev/null 2>&1; then
    as_root update-rc.d redis-server disable >/dev/null 2>&1 || log "warning: update-rc.d redis-server disable failed"
fi

installed_ok || die "after apt-get install, ${REDIS_SERVER_BIN} / ${REDIS_CLI_BIN} are not Redis ${WANT_SERIES}.x: $("${REDIS_SERVER_BIN}" --version 2>&1 || true); $("${REDIS_CLI_BIN}" --version 2>&1 || true)"
log "installed $("${REDIS_SERVER_BIN}" --version)"
log "installed $("${REDIS_CLI_BIN}" --version)"
