#!/usr/bin/env bash
# Install what the TLS tests need besides Redis 7 (scripts/install-redis.sh) and Valkey (scripts/install-tools.sh):
#
#   socat     the TLS terminator in front of each plaintext Valkey 9 node (scripts/tls-cluster.sh valkey-*)
#   openssl   the command-line tool: test certificates (scripts/gen-certs.sh) and s_client checks
#
# Idempotent: when both run (socat -V, openssl version) nothing is installed. Otherwise runs `apt-get update` and
# `apt-get install -y --no-install-recommends` for the missing packages, with a temporary /usr/sbin/policy-rc.d that
# exits 101 so no package starts a service (socat and openssl ship none; the guard is there anyway). The policy file
# is removed afterwards, and only if this script created it. Prints the versions; fails loudly. Needs root (or sudo)
# for apt.
set -euo pipefail

readonly POLICY=/usr/sbin/policy-rc.d

die() { echo "install-tls-tools: error: $*" >&2; exit 1; }
log() { echo "install-tls-tools: $*"; }

CREATED_POLICY=0
SUDO=""

cleanup() {
    if [[ "${CREATED_POLICY}" -eq 1 ]]; then
        ${SUDO} rm -f "${POLICY}"
        CREATED_POLICY=0
    fi
}

socat_ok() { command -v socat >/dev/null 2>&1 && socat -V 2>/dev/null | grep -q 'socat version' \
    && socat -V 2>/dev/null | grep -q '#define WITH_OPENSSL 1'; }
openssl_ok() { command -v openssl >/dev/null 2>&1 && openssl version >/dev/null 2>&1; }

MISSING=()
socat_ok || MISSING+=(socat)
openssl_ok || MISSING+=(openssl)

if [[ "${#MISSING[@]}" -gt 0 ]]; then
    if [[ "$(id -u)" -ne 0 ]]; then
        command -v sudo >/dev/null 2>&1 || die "not root and no sudo: cannot apt-get install ${MISSING[*]}"
        SUDO="sudo"
    fi
    command -v apt-get >/dev/null 2>&1 || die "apt-get not found: install ${MISSING[*]} by hand (socat must be built with OpenSSL)"
    trap cleanup EXIT
    if [[ ! -e "${POLICY}" ]]; then
        # 101 = "action forbidden": invoke-rc.d / deb-systemd-invoke then skip starting a service.
        printf '#!/bin/sh\n# temporary, from install-tls-tools.sh: do not start services during install\nexit 101\n' \
            | ${SUDO} tee "${POLICY}" >/dev/null
        ${SUDO} chmod 0755 "${POLICY}"
        CREATED_POLICY=1
    else
        log "note: ${POLICY} exists already; leaving it as it is"
    fi
    APT=(env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300)
    if [[ -n "${SUDO}" ]]; then APT=("${SUDO}" "${APT[@]}"); fi
    log "apt-get update"
    "${APT[@]}" update -qq || die "apt-get update failed"
    log "apt-get install -y --no-install-recommends ${MISSING[*]}"
    "${APT[@]}" install -y -qq --no-install-recommends "${MISSING[@]}" \
        || die "apt-get install ${MISSING[*]} failed"
    cleanup
    trap - EXIT
fi

socat_ok || die "socat does not run or is built without OpenSSL: $(socat -V 2>&1 | head -n 3 || true)"
openssl_ok || die "openssl does not run: $(openssl version 2>&1 || true)"
if [[ "${#MISSING[@]}" -gt 0 ]]; then
    log "installed ${MISSING[*]}"
else
    log "already installed: socat, openssl"
fi
log "$(socat -V 2>/dev/null | grep -m1 'socat version')"
log "$(openssl version)"
