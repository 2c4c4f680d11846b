#!/usr/bin/env bash
# TLS test clusters on 127.0.0.1 (see usage below): a TLS-only Redis 7 cluster, and a plaintext Valkey 9 cluster behind
# one socat TLS terminator per node. Both are real scripts/cluster.sh clusters; this script adds the TLS parts.
set -euo pipefail

PROG="tls-cluster.sh"
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib.sh
source "${SCRIPT_DIR}/lib.sh"

usage() {
    cat <<'EOF'
usage: tls-cluster.sh redis  <command> [options] [-- extra redis-server args (start only)]
       tls-cluster.sh valkey <command> [options] [-- extra valkey-server args (start only)]

Certificates come from scripts/gen-certs.sh DIR (ca.pem, server.pem/.key, client.pem/.key, expired, wronghost,
otherca-server, ...); pass DIR with --certs to start. TLS clients: scripts/tls-cli.sh (redis-cli --tls; the
valkey-cli in .tools/ has no TLS).

REDIS: Debian's redis-server 7.0.15, TLS only (--port 0 --tls-port P, --tls-cluster yes, --tls-replication yes; the
nodes use client.pem for their own bus and replication links), cluster created and keys loaded over TLS.
  redis start --certs DIR [--base-port N] [--auth-clients optional|yes|no] [--keys N] [--dir D] [--timeout S]
                        --base-port default 7900 (TLS ports N..N+5, bus N+10000..); --auth-clients default optional;
                        --keys default 10000 (0 = none); run dir default <repo>/.run/tls-redis-<base-port>
  redis <cmd> [--base-port N | --dir D] ...
                        any other scripts/cluster.sh command, over TLS: stop, status, wait-ok, load, kill-node P,
                        stop-node P, cont-node P, restart-node P, ports, primaries, replicas
  Examples: TLS_CERT_DIR=DIR scripts/tls-cli.sh -p 7900 cluster info
            scripts/tls-cluster.sh redis stop --base-port 7900

VALKEY: valkey-server 9.1.2 (built without TLS) on plaintext ports N..N+5, plus one socat terminator per node on
T..T+5 (OPENSSL-LISTEN on 127.0.0.1:T+i -> TCP 127.0.0.1:N+i), and on every node
CONFIG SET cluster-announce-client-port T+i, so CLUSTER NODES / CLUSTER SLOTS / MOVED show the TLS ports and a client
that discovers the cluster through TLS reaches every node through its terminator (the bus stays on N+i+10000).
  valkey start --certs DIR [--base-port N] [--tls-base-port T] [--verify-clients] [--keys N] [--dir D] [--timeout S]
                        --base-port default 7920; --tls-base-port default N+20; keys are loaded (plaintext) before
                        the ports are announced; run dir default <repo>/.run/tls-valkey-<base-port>, terminators
                        in <run dir>-terminators
  valkey stop           stop the terminators (whole process groups, by PID), then the nodes
  valkey status         cluster.sh status plus each terminator (port, pid, cert, client verification)
  valkey wait-ok        like cluster.sh wait-ok, but also waits until every node lists every node by its TLS port
  valkey announce [P]   (re)apply cluster-announce-client-port on node P (node or TLS port) or on all live nodes
  valkey restart-node P start a dead node again (cluster.sh restart-node --no-wait), announce it, wait-ok
  valkey term-restart P [--cert NAME] [--verify-clients yes|no] [--min-tls V] [--max-tls V]
                        restart the terminator of node P (node port or TLS port; its open connections drop) presenting
                        DIR/NAME.pem + NAME.key (server, expired, wronghost, otherca-server, ...; default: what it had)
                        and requiring a client cert signed by ca.pem or not; V = TLS1.2 | TLS1.3 ("" = no limit)
  valkey term-reset [P] every terminator (or P's) back to server.pem and the --verify-clients given to start
  valkey term-stop P    stop P's terminator (connections to its TLS port are then refused); term-start P restarts it
  valkey terms          print "node_port tls_port" per node
  valkey kill-node P | stop-node P | cont-node P | ports | primaries | replicas
                        passed to cluster.sh (P = node port; primaries/replicas print the announced TLS ports)
Everything is started and stopped by PID (terminators by the process group of the socat each one runs in).
EOF
}

bad_usage() { echo "usage: tls-cluster.sh redis|valkey <command> [options]  (--help for details)" >&2; die "$*"; }

# ---------------------------------------------------------------- arguments
[[ $# -ge 1 ]] || bad_usage "missing redis|valkey"
case "$1" in
    -h|--help|help) usage; exit 0 ;;
    redis|valkey) FLAVOUR="$1"; shift ;;
    *) bad_usage "first argument must be redis or valkey, got '$1'" ;;
esac
[[ $# -ge 1 ]] || bad_usage "missing command"
case "$1" in -h|--help|help) usage; exit 0 ;; esac
CMD="$1"; shift

CERT_DIR=""
BASE_PORT=""
TLS_BASE_PORT=""
RUN_DIR=""
AUTH_CLIENTS="optional"
VERIFY_CLIENTS=""       # valkey start: yes|no; term-restart: yes|no|"" (keep)
TERM_CERT=""
MIN_TLS="-"             # "-" = keep what the terminator had
MAX_TLS="-"
KEYS=10000
TIMEOUT=60
POS=()
PASS=()                 # options handed to cluster.sh as they are
EXTRA_ARGS=()

while [[ $# -gt 0 ]]; do
    arg="$1"; val=""; has_val=0
    if [[ "${arg}" == --*=* ]]; then val="${arg#*=}"; arg="${arg%%=*}"; has_val=1; fi
    case "${arg}" in
        --certs|--base-port|--tls-base-port|--dir|--auth-clients|--cert|--min-tls|--max-tls|--keys|--timeout|--nodes|--replicas)
            if [[ "${has_val}" -eq 0 ]]; then
                [[ $# -ge 2 ]] || bad_usage "option ${arg} needs a value"
                val="$2"; shift
            fi
            case "${arg}" in
                --certs) CERT_DIR="${val}" ;;
                --base-port) BASE_PORT="${val}" ;;
                --tls-base-port) TLS_BASE_PORT="${val}" ;;
                --dir) RUN_DIR="${val}" ;;
                --auth-clients) AUTH_CLIENTS="${val}" ;;
                --cert) TERM_CERT="${val}" ;;
                --min-tls) MIN_TLS="${val}" ;;
                --max-tls) MAX_TLS="${val}" ;;
                --keys) KEYS="${val}"; PASS+=(--keys "${val}") ;;
                --timeout) TIMEOUT="${val}"; PASS+=(--timeout "${val}") ;;
                --nodes|--replicas) PASS+=("${arg}" "${val}") ;;
            esac
            ;;
        --verify-clients)
            if [[ "${has_val}" -eq 1 ]]; then VERIFY_CLIENTS="${val}"
            elif [[ $# -ge 2 && ( "$2" == yes || "$2" == no ) ]]; then VERIFY_CLIENTS="$2"; shift
            else VERIFY_CLIENTS="yes"; fi
            ;;
        --no-wait) PASS+=(--no-wait) ;;
        -h|--help) usage; exit 0 ;;
        --) shift; EXTRA_ARGS=("$@"); break ;;
        -*) bad_usage "unknown option: ${arg}" ;;
        *) POS+=("${arg}") ;;
    esac
    shift
done

need_uint "--keys" "${KEYS}" 0
need_uint "--timeout" "${TIMEOUT}" 1
case "${AUTH_CLIENTS}" in optional|yes|no) ;; *) bad_usage "--auth-clients must be optional, yes or no" ;; esac
case "${VERIFY_CLIENTS}" in ""|yes|no) ;; *) bad_usage "--verify-clients takes yes or no" ;; esac
for v in "${MIN_TLS}" "${MAX_TLS}"; do
    case "${v}" in -|""|TLS1.2|TLS1.3) ;; *) bad_usage "--min-tls/--max-tls take TLS1.2, TLS1.3 or \"\", got '${v}'" ;; esac
done

# shellcheck source=scripts/tools-env.sh
source "${SCRIPT_DIR}/tools-env.sh"
PLAIN_CLI="${VALKEY_CLI}"    # valkey-cli 8.1.8, plaintext only
CLUSTER_SH="${SCRIPT_DIR}/cluster.sh"

if [[ -z "${BASE_PORT}" ]]; then
    if [[ "${FLAVOUR}" == "redis" ]]; then BASE_PORT=7900; else BASE_PORT=7920; fi
fi
need_port "--base-port" "${BASE_PORT}"
[[ -n "${RUN_DIR}" ]] || RUN_DIR="${REPO_ROOT}/.run/tls-${FLAVOUR}-${BASE_PORT}"
[[ "${RUN_DIR}" == /* ]] || RUN_DIR="${PWD}/${RUN_DIR}"
RUN_DIR="${RUN_DIR%/}"

need_certs() {
    [[ -n "${CERT_DIR}" ]] || die "--certs DIR is required (generate it with scripts/gen-certs.sh DIR)"
    [[ -d "${CERT_DIR}" ]] || die "--certs ${CERT_DIR}: no such directory (scripts/gen-certs.sh DIR)"
    CERT_DIR="$(cd "${CERT_DIR}" && pwd)"
    local f
    for f in ca.pem server.pem server.key client.pem client.key; do
        [[ -r "${CERT_DIR}/${f}" ]] || die "${CERT_DIR}/${f} missing (run scripts/gen-certs.sh ${CERT_DIR})"
    done
}

# ================================================================ REDIS
redis_main() {
    local tls_env="${RUN_DIR}/tls.env"
    export VALKEY_CLI="${SCRIPT_DIR}/tls-cli.sh"
    export TLS_CA=ca TLS_CLIENT_CERT=client
    if [[ "${CMD}" == "start" ]]; then
        [[ "${#POS[@]}" -eq 0 ]] || bad_usage "start takes no positional argument"
        need_certs
        export TLS_CERT_DIR="${CERT_DIR}"
        [[ -x "${REDIS_SERVER}" ]] || die "${REDIS_SERVER} not found: run scripts/install-redis.sh (make tools)"
        "${REDIS_SERVER}" --version 2>/dev/null | grep -q '^Redis server v=7\.' \
            || die "${REDIS_SERVER} is not Redis 7: $("${REDIS_SERVER}" --version 2>&1 || true)"
        local tls_args=(
            --tls-cert-file "${CERT_DIR}/server.pem" --tls-key-file "${CERT_DIR}/server.key"
            --tls-client-cert-file "${CERT_DIR}/client.pem" --tls-client-key-file "${CERT_DIR}/client.key"
            --tls-ca-cert-file "${CERT_DIR}/ca.pem"
            --tls-cluster yes --tls-replication yes --tls-auth-clients "${AUTH_CLIENTS}"
        )
        local pass=()
        local i
        for (( i = 0; i < ${#PASS[@]}; i++ )); do
            case "${PASS[i]}" in
                --keys) i=$(( i + 1 )) ;;   # load is a separate step
                *) pass+=("${PASS[i]}") ;;
            esac
        done
        REDIS_SERVER="${REDIS_SERVER}" "${CLUSTER_SH}" start --base-port "${BASE_PORT}" --dir "${RUN_DIR}" \
            --server "${SCRIPT_DIR}/tls-redis-server.sh" "${pass[@]}" -- "${tls_args[@]}" "${EXTRA_ARGS[@]}"
        {
            echo "CERT_DIR=${CERT_DIR}"
            echo "AUTH_CLIENTS=${AUTH_CLIENTS}"
        } >"${tls_env}.tmp"
        mv "${tls_env}.tmp" "${tls_env}"
        if [[ "${KEYS}" -gt 0 ]]; then
            "${CLUSTER_SH}" load --keys "${KEYS}" --base-port "${BASE_PORT}" --dir "${RUN_DIR}" >/dev/null \
                || { "${CLUSTER_SH}" stop --base-port "${BASE_PORT}" --dir "${RUN_DIR}" || true; die "loading keys over TLS failed; cluster stopped"; }
            note "loaded ${KEYS} keys over TLS"
        fi
        note "TLS-only Redis cluster on 127.0.0.1:${BASE_PORT}.. (certs ${CERT_DIR}); client: TLS_CERT_DIR=${CERT_DIR} ${SCRIPT_DIR}/tls-cli.sh -p ${BASE_PORT} ..."
        return 0
    fi
    [[ "${#EXTRA_ARGS[@]}" -eq 0 ]] || bad_usage "extra server arguments after -- are only accepted by start"
    if [[ -f "${tls_env}" ]]; then
        local key value
        while IFS='=' read -r key value; do
            if [[ "${key}" == "CERT_DIR" ]]; then CERT_DIR="${value}"; fi
        done <"${tls_env}"
    fi
    if [[ -z "${CERT_DIR}" && "${CMD}" != "stop" ]]; then
        die "no ${tls_env} (is a TLS Redis cluster running from ${RUN_DIR}?); pass --certs DIR"
    fi
    export TLS_CERT_DIR="${CERT_DIR:-/nonexistent}"
    REDIS_SERVER="${REDIS_SERVER}" exec "${CLUSTER_SH}" "${CMD}" "${POS[@]}" --base-port "${BASE_PORT}" --dir "${RUN_DIR}" "${PASS[@]}"
}

# ================================================================ VALKEY
TERM_DIR="${RUN_DIR}-terminators"
TERM_ENV="${TERM_DIR}/terminators.env"
NODES=6
PORTS=()

load_term_env() {
    [[ -f "${TERM_ENV}" ]] || return 1
    local key value
    while IFS='=' read -r key value; do
        case "${key}" in
            CERT_DIR) CERT_DIR="${value}" ;;
            BASE_PORT) BASE_PORT="${value}" ;;
            TLS_BASE_PORT) TLS_BASE_PORT="${value}" ;;
            NODES) NODES="${value}" ;;
            VERIFY_CLIENTS) DEFAULT_VERIFY="${value}" ;;
        esac
    done <"${TERM_ENV}"
    PORTS=()
    local i
    for (( i = 0; i < NODES; i++ )); do PORTS+=( $(( BASE_PORT + i )) ); done
}

require_term_env() {
    load_term_env || die "no Valkey-behind-TLS cluster at ${RUN_DIR} (no ${TERM_ENV}); start one with: tls-cluster.sh valkey start --certs DIR --base-port ${BASE_PORT}"
}

tls_port_of() { echo $(( $1 - BASE_PORT + TLS_BASE_PORT )); }

# node_port_arg P: P may be a node port or a TLS port; print the node port.
node_port_arg() {
    local p="$1"
    need_port "PORT" "${p}"
    if (( p >= BASE_PORT && p < BASE_PORT + NODES )); then echo "${p}"; return 0; fi
    if (( p >= TLS_BASE_PORT && p < TLS_BASE_PORT + NODES )); then echo $(( p - TLS_BASE_PORT + BASE_PORT )); return 0; fi
    die "port ${p} is neither a node port (${BASE_PORT}..$(( BASE_PORT + NODES - 1 ))) nor a TLS port (${TLS_BASE_PORT}..$(( TLS_BASE_PORT + NODES - 1 )))"
}

# pid_is_our_socat PID TLS_PORT: PID is a live socat whose listen address is OPENSSL-LISTEN:TLS_PORT,...
pid_is_our_socat() {
    local pid="$1" tport="$2" argv=()
    is_uint "${pid}" && [[ "${pid}" -gt 1 ]] || return 1
    { mapfile -d '' -t argv <"/proc/${pid}/cmdline"; } 2>/dev/null || return 1
    [[ "${#argv[@]}" -ge 3 ]] || return 1
    [[ "${argv[0]##*/}" == "socat" ]] || return 1
    local a
    for a in "${argv[@]}"; do
        [[ "${a}" == "OPENSSL-LISTEN:${tport},"* ]] && return 0
    done
    return 1
}

term_pid() {
    local node="$1" pid
    pid="$(read_pidfile "${TERM_DIR}/${node}/socat.pid")" || return 1
    pid_is_our_socat "${pid}" "$(tls_port_of "${node}")" || return 1
    echo "${pid}"
}

# term_setting NODE KEY: a setting of NODE's terminator (cert, verify, min, max).
term_setting() {
    local f="${TERM_DIR}/$1/settings" key value
    [[ -f "${f}" ]] || return 0
    while IFS='=' read -r key value; do
        if [[ "${key}" == "$2" ]]; then echo "${value}"; return 0; fi
    done <"${f}"
}

# term_start NODE CERT VERIFY MIN MAX: start socat for NODE in its own session (so its process group is its PID),
# wait until it listens.
term_start() {
    local node="$1" cert="$2" verify="$3" min="$4" max="$5" tport d pid i busy
    tport="$(tls_port_of "${node}")"
    d="${TERM_DIR}/${node}"
    mkdir -p "${d}"
    if pid="$(term_pid "${node}")"; then die "terminator of node ${node} already runs (pid ${pid}, port ${tport})"; fi
    [[ -r "${CERT_DIR}/${cert}.pem" && -r "${CERT_DIR}/${cert}.key" ]] \
        || die "certificate ${CERT_DIR}/${cert}.pem / ${cert}.key not readable (names: see scripts/gen-certs.sh --help)"
    busy="$(ports_busy "${tport}")"
    [[ -z "${busy}" ]] || die "TLS port ${tport} is in use on 127.0.0.1"
    local opts="bind=127.0.0.1,reuseaddr,fork,nodelay,cert=${CERT_DIR}/${cert}.pem,key=${CERT_DIR}/${cert}.key,cafile=${CERT_DIR}/ca.pem"
    if [[ "${verify}" == "yes" ]]; then opts+=",verify=1"; else opts+=",verify=0"; fi
    [[ -z "${min}" ]] || opts+=",openssl-min-proto-version=${min}"
    [[ -z "${max}" ]] || opts+=",openssl-max-proto-version=${max}"
    {
        echo "cert=${cert}"
        echo "verify=${verify}"
        echo "min=${min}"
        echo "max=${max}"
    } >"${d}/settings.new"
    rm -f "${d}/socat.pid"
    echo "---- $(date -u +%FT%TZ) start: cert=${cert} verify=${verify} min=${min:-none} max=${max:-none}" >>"${d}/socat.log"
    # setsid: socat leads its own process group (pgid = pid), so stopping it also ends the children it forked
    # for open connections. Not a group leader here (no job control), so setsid execs in place and $! is socat.
    setsid socat -d "OPENSSL-LISTEN:${tport},${opts}" "TCP:127.0.0.1:${node},nodelay" \
        </dev/null >>"${d}/socat.log" 2>&1 &
    pid=$!
    echo "${pid}" >"${d}/socat.pid"
    local state
    for (( i = 0; i < 100; i++ )); do
        state="$(proc_state "${pid}")" || state="gone"
        if [[ "${state}" == "gone" || "${state}" == "Z" ]]; then
            tail -n 5 "${d}/socat.log" >&2
            die "socat for ${tport} -> ${node} exited"
        fi
        # Until setsid has exec'd socat, the command line is not socat's yet.
        if pid_is_our_socat "${pid}" "${tport}" && [[ -n "$(ports_busy "${tport}")" ]]; then
            mv -f "${d}/settings.new" "${d}/settings"
            return 0
        fi
        sleep 0.05
    done
    tail -n 5 "${d}/socat.log" >&2
    die "socat for ${tport} -> ${node} (pid ${pid}) does not listen after 5 s"
}

term_stop() {
    local node="$1" pid i
    pid="$(term_pid "${node}")" || return 0
    kill -TERM -- "-${pid}" 2>/dev/null || kill -TERM "${pid}" 2>/dev/null || true
    for (( i = 0; i < 50; i++ )); do
        pid_is_our_socat "${pid}" "$(tls_port_of "${node}")" || break
        sleep 0.05
    done
    if pid_is_our_socat "${pid}" "$(tls_port_of "${node}")"; then
        warn "socat pid ${pid} ignored SIGTERM; SIGKILL"
        kill -KILL -- "-${pid}" 2>/dev/null || kill -KILL "${pid}" 2>/dev/null || true
    fi
    # Children forked for open connections are in the same group; give them a moment to go.
    for (( i = 0; i < 40; i++ )); do
        pgrep_group "${pid}" || break
        sleep 0.05
    done
    rm -f "${TERM_DIR}/${node}/socat.pid"
}

# pgrep_group PGID: some live process (not a zombie) is still in process group PGID.
pgrep_group() {
    local want="$1" p stat rest fields
    for p in /proc/[0-9]*/stat; do
        stat="$(cat "${p}" 2>/dev/null)" || continue
        rest="${stat##*) }"
        read -r -a fields <<<"${rest}"
        # fields: state ppid pgrp ...
        [[ "${#fields[@]}" -ge 3 && "${fields[2]}" == "${want}" && "${fields[0]}" != "Z" ]] && return 0
    done
    return 1
}

# node helpers (cluster.sh layout: <run dir>/<port>/node.pid)
node_pid() {
    local port="$1" dir="${RUN_DIR}/$1" pid
    [[ -d "${dir}" ]] || return 1
    if pid="$(read_pidfile "${dir}/node.pid")" && pid_is_our_server "${pid}" "${port}" "${dir}"; then
        echo "${pid}"; return 0
    fi
    find_our_server "${port}" "${dir}"
}

node_usable() {
    local pid state
    pid="$(node_pid "$1")" || return 1
    state="$(proc_state "${pid}")" || return 1
    [[ "${state}" != "T" && "${state}" != "t" && "${state}" != "Z" ]]
}

pcli() { timeout 5 "${PLAIN_CLI}" -h 127.0.0.1 -p "$1" -t 2 "${@:2}"; }

announce_node() {
    local node="$1" out
    out="$(pcli "${node}" config set cluster-announce-client-port "$(tls_port_of "${node}")" 2>&1)" \
        || die "CONFIG SET cluster-announce-client-port on ${node} failed: ${out}"
    [[ "${out}" == "OK" ]] || die "CONFIG SET cluster-announce-client-port on ${node}: ${out}"
}

NOT_OK_REASON=""
# valkey_ok: every usable node has cluster_state:ok and all slots, replicas have their link up, every node lists every
# node by its TLS port (announcements spread over the bus), no handshakes, no live node flagged failing, one slot map.
valkey_ok() {
    local live=() live_tls="" p info repl nodes sig first_sig="" first_port="" bad
    for p in "${PORTS[@]}"; do
        if node_usable "${p}"; then live+=("${p}"); live_tls+=" $(tls_port_of "${p}")"; fi
    done
    if [[ "${#live[@]}" -eq 0 ]]; then NOT_OK_REASON="no node is running"; return 1; fi
    for p in "${live[@]}"; do
        info="$(pcli "${p}" cluster info 2>&1)" || { NOT_OK_REASON="node ${p} does not answer CLUSTER INFO: ${info}"; return 1; }
        info="${info//$'\r'/}"
        [[ "${info}" == *"cluster_state:ok"* ]] || { NOT_OK_REASON="node ${p}: cluster_state is not ok"; return 1; }
        [[ "${info}" == *"cluster_slots_assigned:16384"* ]] || { NOT_OK_REASON="node ${p}: not all slots assigned"; return 1; }
        repl="$(pcli "${p}" info replication 2>&1)" || { NOT_OK_REASON="node ${p} does not answer INFO: ${repl}"; return 1; }
        repl="${repl//$'\r'/}"
        if [[ "${repl}" == *"role:slave"* && "${repl}" != *"master_link_status:up"* ]]; then
            NOT_OK_REASON="replica ${p}: master link is not up"; return 1
        fi
        nodes="$(pcli "${p}" cluster nodes 2>&1)" || { NOT_OK_REASON="node ${p} does not answer CLUSTER NODES: ${nodes}"; return 1; }
        sig="$(awk -v live="${live_tls} " -v tlo="${TLS_BASE_PORT}" -v n="${NODES}" '
            {
                addr = $2; sub(/@.*/, "", addr); k = split(addr, a, ":"); port = a[k] + 0
                if ($3 ~ /handshake/) { print "BAD handshake with " $2; next }
                if ($3 ~ /noaddr/) next
                if (port < tlo || port >= tlo + n) { print "BAD " $1 " still listed with client port " port; next }
                if (index(live, " " port " ") > 0 && $3 ~ /(^|,)fail\??(,|$)/) { print "BAD " port " flagged " $3; next }
                if ($3 ~ /master/) {
                    s = ""
                    for (i = 9; i <= NF; i++) if (substr($i, 1, 1) != "[") s = s " " $i
                    if (s != "") print "M " $1 s
                }
            }' <<<"${nodes//$'\r'/}" | sort)"
        bad="$(grep -m1 '^BAD' <<<"${sig}" || true)"
        if [[ -n "${bad}" ]]; then NOT_OK_REASON="node ${p} sees: ${bad#BAD }"; return 1; fi
        if [[ -z "${first_port}" ]]; then first_sig="${sig}"; first_port="${p}"
        elif [[ "${sig}" != "${first_sig}" ]]; then NOT_OK_REASON="nodes ${first_port} and ${p} disagree on the slot map"; return 1; fi
    done
    return 0
}

valkey_wait_ok() {
    local deadline=$(( SECONDS + TIMEOUT )) start=${SECONDS}
    while true; do
        if valkey_ok; then note "valkey-behind-TLS cluster ok after $(( SECONDS - start )) s"; return 0; fi
        if (( SECONDS >= deadline )); then
            echo "${PROG}: error: timed out after ${TIMEOUT} s waiting for the cluster at ${RUN_DIR}: ${NOT_OK_REASON}" >&2
            return 1
        fi
        sleep 0.2
    done
}

stop_all_terms() {
    local p
    for p in "${PORTS[@]}"; do term_stop "${p}"; done
}

valkey_main() {
    [[ "${#EXTRA_ARGS[@]}" -eq 0 || "${CMD}" == "start" ]] || bad_usage "extra server arguments after -- are only accepted by start"
    DEFAULT_VERIFY="no"
    case "${CMD}" in
        start)
            [[ "${#POS[@]}" -eq 0 ]] || bad_usage "start takes no positional argument"
            need_certs
            command -v socat >/dev/null 2>&1 || die "socat not found: run scripts/install-tls-tools.sh (make tools)"
            command -v setsid >/dev/null 2>&1 || die "setsid not found (util-linux)"
            [[ -n "${TLS_BASE_PORT}" ]] || TLS_BASE_PORT=$(( BASE_PORT + 20 ))
            need_port "--tls-base-port" "${TLS_BASE_PORT}"
            local p i
            for (( i = 0; i < ${#PASS[@]}; i++ )); do
                [[ "${PASS[i]}" == "--nodes" ]] && NODES="${PASS[i+1]}"
            done
            need_uint "--nodes" "${NODES}" 1 1000
            if (( TLS_BASE_PORT < BASE_PORT + NODES && BASE_PORT < TLS_BASE_PORT + NODES )); then
                die "TLS ports ${TLS_BASE_PORT}.. overlap the node ports ${BASE_PORT}.. (pick --tls-base-port)"
            fi
            if (( TLS_BASE_PORT < BASE_PORT + NODES + 10000 && BASE_PORT + 10000 < TLS_BASE_PORT + NODES )); then
                die "TLS ports ${TLS_BASE_PORT}.. overlap the bus ports $(( BASE_PORT + 10000 )).."
            fi
            if [[ -f "${TERM_ENV}" ]]; then
                local keep_tls="${TLS_BASE_PORT}" keep_cert="${CERT_DIR}" keep_nodes="${NODES}"
                load_term_env
                for p in "${PORTS[@]}"; do
                    if term_pid "${p}" >/dev/null; then die "terminators from ${TERM_DIR} still run; tls-cluster.sh valkey stop first"; fi
                done
                TLS_BASE_PORT="${keep_tls}"; CERT_DIR="${keep_cert}"; NODES="${keep_nodes}"
            fi
            PORTS=()
            for (( i = 0; i < NODES; i++ )); do PORTS+=( $(( BASE_PORT + i )) ); done
            local tports=()
            for p in "${PORTS[@]}"; do tports+=( $(( p - BASE_PORT + TLS_BASE_PORT )) ); done
            local busy
            busy="$(ports_busy "${tports[@]}")"
            [[ -z "${busy}" ]] || die "TLS port(s) in use on 127.0.0.1: $(tr '\n' ' ' <<<"${busy}")(pick another --tls-base-port)"

            [[ -n "${VERIFY_CLIENTS}" ]] || VERIFY_CLIENTS="no"
            local pass=()
            for (( i = 0; i < ${#PASS[@]}; i++ )); do
                case "${PASS[i]}" in --keys) i=$(( i + 1 )) ;; *) pass+=("${PASS[i]}") ;; esac
            done
            "${CLUSTER_SH}" start --base-port "${BASE_PORT}" --dir "${RUN_DIR}" "${pass[@]}" -- "${EXTRA_ARGS[@]}"
            # From here on, a failure stops what this start started.
            # shellcheck disable=SC2154  # rc is assigned inside the trap
            trap 'rc=$?; if [[ ${rc} -ne 0 ]]; then echo "${PROG}: start failed; stopping terminators and nodes" >&2; stop_all_terms || true; "${CLUSTER_SH}" stop --base-port "${BASE_PORT}" --dir "${RUN_DIR}" || true; fi' EXIT
            if [[ "${KEYS}" -gt 0 ]]; then
                "${CLUSTER_SH}" load --keys "${KEYS}" --base-port "${BASE_PORT}" --dir "${RUN_DIR}" >/dev/null
                note "loaded ${KEYS} keys (plaintext, before announcing the TLS ports)"
            fi
            rm -rf "${TERM_DIR}"
            mkdir -p "${TERM_DIR}"
            {
                echo "CERT_DIR=${CERT_DIR}"
                echo "BASE_PORT=${BASE_PORT}"
                echo "TLS_BASE_PORT=${TLS_BASE_PORT}"
                echo "NODES=${NODES}"
                echo "VERIFY_CLIENTS=${VERIFY_CLIENTS}"
            } >"${TERM_ENV}"
            DEFAULT_VERIFY="${VERIFY_CLIENTS}"
            for p in "${PORTS[@]}"; do term_start "${p}" server "${VERIFY_CLIENTS}" "" ""; done
            for p in "${PORTS[@]}"; do announce_node "${p}"; done
            valkey_wait_ok
            trap - EXIT
            for p in "${PORTS[@]}"; do echo "127.0.0.1:$(tls_port_of "${p}") tls -> 127.0.0.1:${p}"; done
            note "Valkey cluster behind TLS: seed 127.0.0.1:${TLS_BASE_PORT} (certs ${CERT_DIR}, client certs $([[ "${VERIFY_CLIENTS}" == yes ]] && echo required || echo not required))"
            ;;
        stop)
            if load_term_env; then
                stop_all_terms
                rm -rf "${TERM_DIR}"
            elif [[ -d "${TERM_DIR}" ]]; then
                note "no ${TERM_ENV}; terminator dir left alone"
            fi
            "${CLUSTER_SH}" stop --base-port "${BASE_PORT}" --dir "${RUN_DIR}"
            ;;
        status)
            require_term_env
            "${CLUSTER_SH}" status --base-port "${BASE_PORT}" --dir "${RUN_DIR}"
            local p pid
            printf '%-6s %-6s %-8s %-16s %-7s %s\n' NODE TLS PID CERT VERIFY PROTO
            for p in "${PORTS[@]}"; do
                pid="$(term_pid "${p}")" || pid="-"
                printf '%-6s %-6s %-8s %-16s %-7s %s\n' "${p}" "$(tls_port_of "${p}")" "${pid}" \
                    "$(term_setting "${p}" cert)" "$(term_setting "${p}" verify)" \
                    "min=$(term_setting "${p}" min) max=$(term_setting "${p}" max)"
            done
            ;;
        wait-ok) require_term_env; valkey_wait_ok || exit 1 ;;
        terms)
            require_term_env
            local p
            for p in "${PORTS[@]}"; do echo "${p} $(tls_port_of "${p}")"; done
            ;;
        announce)
            require_term_env
            local p
            if [[ "${#POS[@]}" -eq 1 ]]; then
                announce_node "$(node_port_arg "${POS[0]}")"
            else
                [[ "${#POS[@]}" -eq 0 ]] || bad_usage "announce takes at most one PORT"
                for p in "${PORTS[@]}"; do if node_usable "${p}"; then announce_node "${p}"; fi; done
            fi
            ;;
        restart-node)
            require_term_env
            [[ "${#POS[@]}" -eq 1 ]] || bad_usage "restart-node needs exactly one PORT"
            local node
            node="$(node_port_arg "${POS[0]}")"
            "${CLUSTER_SH}" restart-node "${node}" --no-wait --base-port "${BASE_PORT}" --dir "${RUN_DIR}"
            announce_node "${node}"
            local no_wait=0 a
            for a in "${PASS[@]}"; do [[ "${a}" == "--no-wait" ]] && no_wait=1; done
            [[ "${no_wait}" -eq 1 ]] || valkey_wait_ok || exit 1
            ;;
        term-restart|term-start|term-stop|term-reset)
            require_term_env
            local nodes=() node cert verify min max
            if [[ "${#POS[@]}" -eq 1 ]]; then nodes=("$(node_port_arg "${POS[0]}")")
            elif [[ "${#POS[@]}" -eq 0 && "${CMD}" == "term-reset" ]]; then nodes=("${PORTS[@]}")
            else bad_usage "${CMD} needs exactly one PORT (node port or TLS port)"; fi
            for node in "${nodes[@]}"; do
                cert="$(term_setting "${node}" cert)"; verify="$(term_setting "${node}" verify)"
                min="$(term_setting "${node}" min)"; max="$(term_setting "${node}" max)"
                if [[ "${CMD}" == "term-reset" ]]; then
                    cert=server; verify="${DEFAULT_VERIFY}"; min=""; max=""
                else
                    [[ -z "${TERM_CERT}" ]] || cert="${TERM_CERT}"
                    [[ -z "${VERIFY_CLIENTS}" ]] || verify="${VERIFY_CLIENTS}"
                    [[ "${MIN_TLS}" == "-" ]] || min="${MIN_TLS}"
                    [[ "${MAX_TLS}" == "-" ]] || max="${MAX_TLS}"
                fi
                cert="${cert:-server}"; verify="${verify:-${DEFAULT_VERIFY}}"
                term_stop "${node}"
                if [[ "${CMD}" != "term-stop" ]]; then
                    term_start "${node}" "${cert}" "${verify}" "${min}" "${max}"
                    note "terminator 127.0.0.1:$(tls_port_of "${node}") -> ${node}: cert=${cert} verify-clients=${verify} min=${min:-none} max=${max:-none} (pid $(term_pid "${node}"))"
                else
                    note "terminator 127.0.0.1:$(tls_port_of "${node}") -> ${node} stopped"
                fi
            done
            ;;
        kill-node|stop-node|cont-node|ports|primaries|replicas)
            exec "${CLUSTER_SH}" "${CMD}" "${POS[@]}" --base-port "${BASE_PORT}" --dir "${RUN_DIR}"
            ;;
        *) bad_usage "unknown valkey command: ${CMD}" ;;
    esac
}

case "${FLAVOUR}" in
    redis) redis_main ;;
    valkey) valkey_main ;;
esac
