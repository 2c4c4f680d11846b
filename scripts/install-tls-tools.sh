#!/usr/bin/env bash
# Install what the TLS tests need besides Redis 7 (scripts/install-redis.sh) and Valkey (scripts/install-tools.sh):
#
#   socat     the TLS terminator in front of each plaintext Valkey 9 node (scripts/tls-cluster.sh valkey-*)
#   openssl   the command-line tool: test certificates (scripts/gen-certs.sh) and s_client checks
#
# Idempotent: when both run (socat -V, openssl version) nothing is installed. Otherwise installs the missing packages
# with lib.sh's apt_install_quietly (no service is started during the install; socat and openssl ship none anyway).
# Prints the versions; fails loudly. Needs root (or sudo) for apt.
set -euo pipefail

PROG=install-tls-tools
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib.sh
source "${SCRIPT_DIR}/lib.sh"

log() { echo "${PROG}: $*"; }

socat_ok() { command -v socat >/dev/null 2>&1 && socat -V 2>/dev/null | grep -q 'socat version' \
    && socat -V 2>/dev/null | grep -q '#define WITH_OPENSSL 1'; }
openssl_ok() { command -v openssl >/dev/null 2>&1 && openssl version >/dev/null 2>&1; }

MISSING=()
socat_ok || MISSING+=(socat)
openssl_ok || MISSING+=(openssl)

if [[ "${#MISSING[@]}" -gt 0 ]]; then
    apt_install_quietly "${MISSING[@]}" || die "could not install ${MISSING[*]} (socat must be built with OpenSSL)"
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
