#!/usr/bin/env bash
# tls-cli.sh [redis-cli args]: redis-cli over TLS with the test certificates of scripts/gen-certs.sh.
#
#   TLS_CERT_DIR=DIR scripts/tls-cli.sh -h 127.0.0.1 -p 7900 cluster info
#
# Runs `redis-cli --tls --cacert DIR/ca.pem --cert DIR/client.pem --key DIR/client.key ARGS...`. redis-cli (Debian's 7.0,
# REDIS_CLI, default /usr/bin/redis-cli) is used because the valkey-cli 8.1.8 of .tools/ is built without TLS; it talks
# to Valkey 9 just as well. Env:
#   TLS_CERT_DIR      (required) the directory gen-certs.sh wrote
#   TLS_CLIENT_CERT   client certificate name in TLS_CERT_DIR (default "client"; "none" = send no client certificate)
#   TLS_CA            CA name in TLS_CERT_DIR (default "ca")
# Also serves as VALKEY_CLI for scripts/cluster.sh (scripts/tls-cluster.sh redis ... sets that up): redis-cli 7.0 has no
# `-t SECONDS` (valkey-cli's connect timeout, which lib.sh's vcli passes as `-h H -p P -t 2 ...`), so a `-t NUMBER`
# among the first six arguments is dropped (lib.sh wraps every call in `timeout 5` anyway).
set -euo pipefail

die() { echo "tls-cli.sh: error: $*" >&2; exit 2; }
CLI="${REDIS_CLI:-/usr/bin/redis-cli}"
[[ -x "${CLI}" ]] || die "${CLI} not found (scripts/install-redis.sh installs redis-tools)"
[[ -n "${TLS_CERT_DIR:-}" ]] || die "TLS_CERT_DIR is not set (the directory scripts/gen-certs.sh wrote)"
ca="${TLS_CERT_DIR}/${TLS_CA:-ca}.pem"
[[ -r "${ca}" ]] || die "${ca} not readable"
tls=(--tls --cacert "${ca}")
client="${TLS_CLIENT_CERT:-client}"
if [[ "${client}" != "none" ]]; then
    [[ -r "${TLS_CERT_DIR}/${client}.pem" && -r "${TLS_CERT_DIR}/${client}.key" ]] \
        || die "${TLS_CERT_DIR}/${client}.pem / .key not readable"
    tls+=(--cert "${TLS_CERT_DIR}/${client}.pem" --key "${TLS_CERT_DIR}/${client}.key")
fi
args=("$@")
for (( i = 0; i < ${#args[@]} - 1 && i < 6; i++ )); do
    if [[ "${args[i]}" == "-t" && "${args[i+1]}" =~ ^[0-9]+(\.[0-9]+)?$ ]]; then
        args=("${args[@]:0:i}" "${args[@]:i+2}")
        break
    fi
done
exec "${CLI}" "${tls[@]}" "${args[@]}"
