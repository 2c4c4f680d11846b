#!/usr/bin/env bash
# tls-redis-server.sh: a redis-server 7 that listens on TLS only, for scripts/cluster.sh --server (used by
# scripts/tls-cluster.sh redis ...; not meant to be run by hand).
#
# Rewrites the first `--port P` it is given into `--port 0 --tls-port P` and execs the real server (REDIS_SERVER, default
# /usr/bin/redis-server) with everything else unchanged, so cluster.sh starts, tracks (by pidfile and by the "redis-server"
# argv[0] after exec), restarts and stops TLS nodes exactly like plaintext ones. The TLS settings themselves
# (--tls-cert-file, --tls-cluster yes, ...) come from the extra server arguments cluster.sh records in its run dir, so a
# restart-node gets them again. `--version` and friends pass straight through.
set -euo pipefail

SERVER="${REDIS_SERVER:-/usr/bin/redis-server}"
[[ -x "${SERVER}" ]] || { echo "tls-redis-server.sh: error: ${SERVER} not found (scripts/install-redis.sh)" >&2; exit 1; }

args=()
rewritten=0
while [[ $# -gt 0 ]]; do
    if [[ "${rewritten}" -eq 0 && "$1" == "--port" && $# -ge 2 ]]; then
        args+=(--port 0 --tls-port "$2")
        rewritten=1
        shift 2
        continue
    fi
    args+=("$1")
    shift
done
exec "${SERVER}" "${args[@]}"
