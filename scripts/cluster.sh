#!/usr/bin/env bash
# Manage a local Valkey cluster of real valkey-server processes on 127.0.0.1 (see usage below).
# Also runs a Redis 7 cluster (--server /usr/bin/redis-server): Valkey-only options are then left out.
set -euo pipefail

PROG="cluster.sh"
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib.sh
source "${SCRIPT_DIR}/lib.sh"

usage() {
    cat <<'EOF'
usage: cluster.sh <command> [options] [-- extra valkey-server args (start only)]

commands:
  start                 start N nodes, create the cluster, wait until it is ok, print the addresses
  stop                  stop every node (TERM, KILL after 5 s) and remove the run dir; safe if none runs
  load [--keys N]       write N string keys (key:0 .. key:N-1, default 10000) over all slots; print DBSIZE sum
  status                port, pid, alive, role (and cluster_state, replica link) of every node
  wait-ok [--timeout S] wait (default 60 s) until every live node has cluster_state:ok, every replica
                        master_link_status:up, and all live nodes agree on the 16384-slot map
  kill-node PORT        SIGKILL the node
  stop-node PORT        SIGSTOP the node (freeze)
  cont-node PORT        SIGCONT the node
  restart-node PORT [--no-wait] [--timeout S]
                        start a dead node again from its dir and nodes.conf, then wait-ok
  ports                 print the node ports, one per line
  primaries | replicas  print the ports of live primaries / replicas by current role (CLUSTER NODES)

options (env var in brackets):
  --base-port N   first port [CLUSTER_BASE_PORT, default 7000]; nodes use N..N+nodes-1, bus port = port+10000
  --nodes N       number of nodes [CLUSTER_NODES, default 6]
  --replicas N    replicas per primary [CLUSTER_REPLICAS, default 1]
  --dir PATH      run dir [CLUSTER_DIR, default <repo>/.run/cluster-<base-port>]
  --server PATH   valkey-server binary [VALKEY_SERVER, default <repo>/.tools/valkey-9.1.2/bin/valkey-server];
                  a redis-server 7 (e.g. /usr/bin/redis-server, scripts/install-redis.sh) works too: nodes
                  then start without the Valkey-only --cluster-slot-stats-enabled
  --keys N        number of keys for load (default 10000)
  --timeout S     seconds for start / wait-ok / restart-node (default 60)
  --no-wait       restart-node: do not wait for the cluster to be ok
After start, the other commands read nodes/base port/server from <run dir>/cluster.env.
EOF
}

bad_usage() { usage | head -n 1 >&2; echo "(run with --help for details)" >&2; die "$*"; }

# ---------------------------------------------------------------- arguments
BASE_PORT="${CLUSTER_BASE_PORT:-7000}"
NODES="${CLUSTER_NODES:-6}"
REPLICAS="${CLUSTER_REPLICAS:-1}"
RUN_DIR="${CLUSTER_DIR:-}"
SERVER=""
KEYS=10000
TIMEOUT=60
NO_WAIT=0
CMD=""
POS=()
EXTRA_ARGS=()

while [[ $# -gt 0 ]]; do
    arg="$1"
    val=""
    has_val=0
    if [[ "${arg}" == --*=* ]]; then
        val="${arg#*=}"
        arg="${arg%%=*}"
        has_val=1
    fi
    case "${arg}" in
        --base-port|--nodes|--replicas|--dir|--server|--keys|--timeout)
            if [[ "${has_val}" -eq 0 ]]; then
                [[ $# -ge 2 ]] || bad_usage "option ${arg} needs a value"
                val="$2"
                shift
            fi
            case "${arg}" in
                --base-port) BASE_PORT="${val}" ;;
                --nodes) NODES="${val}" ;;
                --replicas) REPLICAS="${val}" ;;
                --dir) RUN_DIR="${val}" ;;
                --server) SERVER="${val}" ;;
                --keys) KEYS="${val}" ;;
                --timeout) TIMEOUT="${val}" ;;
            esac
            ;;
        --no-wait) NO_WAIT=1 ;;
        -h|--help|help) usage; exit 0 ;;
        --) shift; EXTRA_ARGS=("$@"); break ;;
        -*) bad_usage "unknown option: ${arg}" ;;
        *)
            if [[ -z "${CMD}" ]]; then CMD="${arg}"; else POS+=("${arg}"); fi
            ;;
    esac
    shift
done

[[ -n "${CMD}" ]] || bad_usage "missing command"
case "${CMD}" in
    start|stop|load|status|wait-ok|ports|primaries|replicas)
        [[ "${#POS[@]}" -eq 0 ]] || bad_usage "'${CMD}' takes no positional argument (got: ${POS[*]})" ;;
    kill-node|stop-node|cont-node|restart-node)
        [[ "${#POS[@]}" -eq 1 ]] || bad_usage "'${CMD}' needs exactly one PORT" ;;
    *) bad_usage "unknown command: ${CMD}" ;;
esac
if [[ "${#EXTRA_ARGS[@]}" -gt 0 && "${CMD}" != "start" ]]; then
    bad_usage "extra valkey-server arguments after -- are only accepted by start"
fi

need_port "--base-port" "${BASE_PORT}"
need_uint "--nodes" "${NODES}" 1 1000
need_uint "--replicas" "${REPLICAS}" 0 100
need_uint "--keys" "${KEYS}" 0
need_uint "--timeout" "${TIMEOUT}" 1

# shellcheck source=scripts/tools-env.sh
source "${SCRIPT_DIR}/tools-env.sh"
SERVER="${SERVER:-${VALKEY_SERVER}}"

[[ -n "${RUN_DIR}" ]] || RUN_DIR="${REPO_ROOT}/.run/cluster-${BASE_PORT}"
[[ "${RUN_DIR}" == /* ]] || RUN_DIR="${PWD}/${RUN_DIR}"
RUN_DIR="${RUN_DIR%/}"
STATE_FILE="${RUN_DIR}/cluster.env"
ARGS_FILE="${RUN_DIR}/server-args"

PORTS=()
compute_ports() {
    PORTS=()
    local i
    for (( i = 0; i < NODES; i++ )); do
        PORTS+=( $(( BASE_PORT + i )) )
    done
}

# load_state: read the layout recorded by start (overrides --base-port/--nodes/--replicas/--server).
load_state() {
    [[ -f "${STATE_FILE}" ]] || return 1
    local key value
    while IFS='=' read -r key value; do
        case "${key}" in
            BASE_PORT) BASE_PORT="${value}" ;;
            NODES) NODES="${value}" ;;
            REPLICAS) REPLICAS="${value}" ;;
            SERVER) SERVER="${value}" ;;
        esac
    done <"${STATE_FILE}"
    need_port "BASE_PORT in ${STATE_FILE}" "${BASE_PORT}"
    need_uint "NODES in ${STATE_FILE}" "${NODES}" 1
    compute_ports
    EXTRA_ARGS=()
    if [[ -s "${ARGS_FILE}" ]]; then
        mapfile -t EXTRA_ARGS <"${ARGS_FILE}"
    fi
}

require_state() {
    load_state || die "no cluster at ${RUN_DIR} (start one with: cluster.sh start --base-port ${BASE_PORT}, or pass --dir/--base-port)"
}

node_dir() { echo "${RUN_DIR}/$1"; }

# node_pid PORT: PID of our live server on PORT (from its pidfile, else by scanning /proc).
node_pid() {
    local port="$1" dir pid
    dir="$(node_dir "${port}")"
    [[ -d "${dir}" ]] || return 1
    if pid="$(read_pidfile "${dir}/node.pid")" && pid_is_our_server "${pid}" "${port}" "${dir}"; then
        echo "${pid}"
        return 0
    fi
    find_our_server "${port}" "${dir}"
}

# node_usable PORT: node runs and is not stopped (SIGSTOP) - i.e. can answer commands.
node_usable() {
    local pid state
    pid="$(node_pid "$1")" || return 1
    state="$(proc_state "${pid}")" || return 1
    [[ "${state}" != "T" && "${state}" != "t" && "${state}" != "Z" ]]
}

usable_ports() {
    local p
    for p in "${PORTS[@]}"; do
        if node_usable "${p}"; then echo "${p}"; fi
    done
}

require_member() {
    local port="$1" p
    need_port "PORT" "${port}"
    for p in "${PORTS[@]}"; do
        [[ "${p}" == "${port}" ]] && return 0
    done
    die "port ${port} is not a node of the cluster at ${RUN_DIR} (nodes: ${PORTS[*]})"
}

# server_kind: set SERVER_KIND to "redis" when SERVER is a Redis server ("Redis server v=7.0.15 ..."),
# else "valkey" (valkey-server says "Valkey server v=..."). Asked once per run, not in a subshell (die exits).
SERVER_KIND=""
server_kind() {
    [[ -z "${SERVER_KIND}" ]] || return 0
    local version
    version="$("${SERVER}" --version 2>&1)" || die "${SERVER} --version failed: ${version}"
    case "${version}" in
        "Redis server"*) SERVER_KIND="redis" ;;
        *) SERVER_KIND="valkey" ;;
    esac
}

# start_node PORT: launch one daemonized server from its node dir; wait for its pidfile and PING.
start_node() {
    local port="$1" dir pid i kind_args=()
    dir="$(node_dir "${port}")"
    mkdir -p "${dir}"
    rm -f "${dir}/node.pid"
    server_kind
    # Redis 7 has no CLUSTER SLOT-STATS and exits on the unknown directive (FATAL CONFIG FILE ERROR).
    if [[ "${SERVER_KIND}" == "valkey" ]]; then kind_args=(--cluster-slot-stats-enabled yes); fi
    if ! "${SERVER}" \
        --port "${port}" --bind 127.0.0.1 \
        --cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout 2000 \
        --repl-diskless-sync-delay 0 --save '' --appendonly no \
        "${kind_args[@]}" --enable-debug-command local \
        --logfile "${dir}/node.log" --pidfile "${dir}/node.pid" --dir "${dir}" \
        --daemonize yes "${EXTRA_ARGS[@]}" >"${dir}/launch.out" 2>&1; then
        cat "${dir}/launch.out" >&2
        print_log_tail "${dir}/node.log"
        die "${SERVER_KIND}-server for port ${port} failed to start (${SERVER})"
    fi
    for (( i = 0; i < 100; i++ )); do
        if pid="$(read_pidfile "${dir}/node.pid")" && pid_is_our_server "${pid}" "${port}" "${dir}"; then
            break
        fi
        pid=""
        sleep 0.1
    done
    if [[ -z "${pid}" ]]; then
        print_log_tail "${dir}/node.log"
        die "${SERVER_KIND}-server for port ${port} did not come up (no live pid in ${dir}/node.pid after 10 s)"
    fi
    if ! wait_ping "${port}" 10 "${pid}"; then
        print_log_tail "${dir}/node.log"
        die "${SERVER_KIND}-server for port ${port} (pid ${pid}) does not answer PING"
    fi
}

# stop_all: stop every node of the cluster at RUN_DIR (by pid, verified) and remove RUN_DIR.
stop_all() {
    local p pid dir failed=0
    for p in "${PORTS[@]}"; do
        dir="$(node_dir "${p}")"
        if pid="$(node_pid "${p}")"; then
            terminate_server "${pid}" "${p}" "${dir}" || failed=1
        fi
    done
    if [[ "${failed}" -ne 0 ]]; then
        die "some nodes could not be stopped; left ${RUN_DIR} in place"
    fi
    rm -rf "${RUN_DIR}"
}

# ---------------------------------------------------------------- health
NOT_OK_REASON=""

# cluster_ok: one check of every usable node. Sets NOT_OK_REASON on failure.
cluster_ok() {
    local live p info repl nodes sig first_sig="" first_port="" bad
    mapfile -t live < <(usable_ports)
    if [[ "${#live[@]}" -eq 0 ]]; then
        NOT_OK_REASON="no node is running"
        return 1
    fi
    for p in "${live[@]}"; do
        if ! info="$(vcli "${p}" cluster info 2>&1)"; then
            NOT_OK_REASON="node ${p} does not answer CLUSTER INFO: ${info}"
            return 1
        fi
        info="${info//$'\r'/}"
        if [[ "${info}" != *"cluster_state:ok"* ]]; then
            NOT_OK_REASON="node ${p}: $(grep -m1 '^cluster_state:' <<<"${info}" || echo "no cluster_state")"
            return 1
        fi
        if [[ "${info}" != *"cluster_slots_assigned:16384"* ]]; then
            NOT_OK_REASON="node ${p}: $(grep -m1 '^cluster_slots_assigned:' <<<"${info}" || echo "no cluster_slots_assigned")"
            return 1
        fi
        if ! repl="$(vcli "${p}" info replication 2>&1)"; then
            NOT_OK_REASON="node ${p} does not answer INFO replication: ${repl}"
            return 1
        fi
        repl="${repl//$'\r'/}"
        if [[ "${repl}" == *"role:slave"* && "${repl}" != *"master_link_status:up"* ]]; then
            NOT_OK_REASON="replica ${p}: master link is not up"
            return 1
        fi
        if ! nodes="$(vcli "${p}" cluster nodes 2>&1)"; then
            NOT_OK_REASON="node ${p} does not answer CLUSTER NODES: ${nodes}"
            return 1
        fi
        # Slot map signature (primary id + its slot ranges), plus problems seen from this node:
        # handshakes, live nodes still flagged fail/fail?, slots owned by a dead or stopped node.
        sig="$(awk -v live=" ${live[*]} " '
            {
                addr = $2; sub(/@.*/, "", addr); n = split(addr, a, ":"); port = a[n]
                if ($3 ~ /handshake/) { print "BAD handshake with " $2; next }
                if (index(live, " " port " ") > 0 && $3 ~ /(^|,)fail\??(,|$)/) { print "BAD " port " flagged " $3; next }
                if ($3 ~ /master/) {
                    s = ""
                    for (i = 9; i <= NF; i++) if (substr($i, 1, 1) != "[") s = s " " $i
                    if (s != "") {
                        print "M " $1 s
                        if (index(live, " " port " ") == 0) print "BAD slots owned by " port ", which is not running (or stopped)"
                    }
                }
            }' <<<"${nodes//$'\r'/}" | sort)"
        bad="$(grep -m1 '^BAD' <<<"${sig}" || true)"
        if [[ -n "${bad}" ]]; then
            NOT_OK_REASON="node ${p} sees: ${bad#BAD }"
            return 1
        fi
        if [[ -z "${first_port}" ]]; then
            first_sig="${sig}"
            first_port="${p}"
        elif [[ "${sig}" != "${first_sig}" ]]; then
            NOT_OK_REASON="nodes ${first_port} and ${p} disagree on the slot map"
            return 1
        fi
    done
    return 0
}

wait_ok() {
    local timeout_s="$1" deadline start=${SECONDS}
    deadline=$(( SECONDS + timeout_s ))
    while true; do
        if cluster_ok; then
            note "cluster ok after $(( SECONDS - start )) s"
            return 0
        fi
        if (( SECONDS >= deadline )); then
            echo "${PROG}: error: timed out after ${timeout_s} s waiting for the cluster at ${RUN_DIR} to be ok: ${NOT_OK_REASON}" >&2
            return 1
        fi
        sleep 0.2
    done
}

# cluster_nodes_text: CLUSTER NODES from the first usable node.
cluster_nodes_text() {
    local p out
    for p in "${PORTS[@]}"; do
        if node_usable "${p}" && out="$(vcli "${p}" cluster nodes 2>/dev/null)" && [[ -n "${out}" ]]; then
            printf '%s\n' "${out//$'\r'/}"
            return 0
        fi
    done
    die "no live node of the cluster at ${RUN_DIR} answers CLUSTER NODES"
}

# ports_by_role master|slave: ports of nodes with that role, not flagged fail/noaddr/handshake.
ports_by_role() {
    local role="$1"
    cluster_nodes_text | awk -v role="${role}" '
        $3 ~ /(^|,)(fail|noaddr|handshake)(,|$)/ { next }
        {
            n = split($3, f, ",")
            for (i = 1; i <= n; i++) if (f[i] == role) {
                addr = $2; sub(/@.*/, "", addr); k = split(addr, a, ":"); print a[k]
            }
        }' | sort -n
}

# ---------------------------------------------------------------- commands
cmd_start() {
    compute_ports
    local masters=$(( NODES / (REPLICAS + 1) ))
    (( NODES % (REPLICAS + 1) == 0 )) \
        || die "--nodes ${NODES} is not a multiple of --replicas ${REPLICAS} + 1"
    (( masters >= 3 )) \
        || die "a cluster needs at least 3 primaries: --nodes ${NODES} with --replicas ${REPLICAS} gives ${masters}"
    (( BASE_PORT + NODES - 1 + 10000 <= 65535 )) \
        || die "ports ${BASE_PORT}..$(( BASE_PORT + NODES - 1 )) leave no room for bus ports (port+10000 <= 65535)"
    [[ -x "${SERVER}" ]] || die "server binary (valkey-server or redis-server) not found or not executable: ${SERVER}"
    local p pid
    for p in "${EXTRA_ARGS[@]}"; do
        [[ "${p}" != *$'\n'* ]] || die "extra server arguments must not contain newlines"
    done

    if [[ -f "${STATE_FILE}" ]]; then
        local old_ports=("${PORTS[@]}") old_args=("${EXTRA_ARGS[@]}") old_nodes="${NODES}" old_base="${BASE_PORT}" old_repl="${REPLICAS}" old_server="${SERVER}" running=()
        load_state
        for p in "${PORTS[@]}"; do
            if pid="$(node_pid "${p}")"; then running+=("${p}(pid ${pid})"); fi
        done
        if [[ "${#running[@]}" -gt 0 ]]; then
            die "a cluster is already running from ${RUN_DIR}: ${running[*]}; use 'cluster.sh stop' (same --base-port/--dir) first"
        fi
        note "removing stale run dir ${RUN_DIR} (no node of it is running)"
        rm -rf "${RUN_DIR}"
        PORTS=("${old_ports[@]}"); EXTRA_ARGS=("${old_args[@]}")
        NODES="${old_nodes}"; BASE_PORT="${old_base}"; REPLICAS="${old_repl}"; SERVER="${old_server}"
    elif [[ -e "${RUN_DIR}" ]] && [[ -n "$(ls -A "${RUN_DIR}" 2>/dev/null)" ]]; then
        die "${RUN_DIR} exists, is not empty and is not a cluster run dir (no cluster.env); refusing to use it"
    fi

    local check=() busy
    for p in "${PORTS[@]}"; do check+=("${p}" $(( p + 10000 ))); done
    busy="$(ports_busy "${check[@]}")"
    if [[ -n "${busy}" ]]; then
        die "port(s) in use on 127.0.0.1: $(tr '\n' ' ' <<<"${busy}")(nodes need ${PORTS[0]}..${PORTS[-1]} and bus ports $(( PORTS[0] + 10000 ))..$(( PORTS[-1] + 10000 )); pick another --base-port)"
    fi

    mkdir -p "${RUN_DIR}"
    {
        echo "BASE_PORT=${BASE_PORT}"
        echo "NODES=${NODES}"
        echo "REPLICAS=${REPLICAS}"
        echo "SERVER=${SERVER}"
    } >"${STATE_FILE}"
    if [[ "${#EXTRA_ARGS[@]}" -gt 0 ]]; then printf '%s\n' "${EXTRA_ARGS[@]}" >"${ARGS_FILE}"; else : >"${ARGS_FILE}"; fi

    # From here on, any failure stops what was started.
    local t0=${SECONDS}
    trap 'rc=$?; if [[ ${rc} -ne 0 ]]; then echo "${PROG}: start failed; stopping the nodes started so far" >&2; stop_all || true; fi' EXIT

    for p in "${PORTS[@]}"; do
        start_node "${p}"
    done
    local addrs=()
    for p in "${PORTS[@]}"; do addrs+=("127.0.0.1:${p}"); done
    if ! "${VALKEY_CLI}" --cluster create "${addrs[@]}" --cluster-replicas "${REPLICAS}" --cluster-yes \
            >"${RUN_DIR}/create.log" 2>&1; then
        cat "${RUN_DIR}/create.log" >&2
        die "valkey-cli --cluster create failed"
    fi
    wait_ok "${TIMEOUT}" || exit 1
    trap - EXIT

    echo "cluster started in $(( SECONDS - t0 )) s from ${RUN_DIR} (server: $("${SERVER}" --version | awk '{print $3}'))"
    local primaries
    primaries=" $(ports_by_role master | tr '\n' ' ')"
    for p in "${PORTS[@]}"; do
        if [[ "${primaries}" == *" ${p} "* ]]; then
            echo "127.0.0.1:${p} primary"
        else
            echo "127.0.0.1:${p} replica"
        fi
    done
}

cmd_stop() {
    if ! load_state; then
        if [[ -d "${RUN_DIR}" ]]; then
            note "no cluster.env in ${RUN_DIR}; nothing to stop (directory left alone)"
        else
            note "no cluster at ${RUN_DIR}; nothing to stop"
        fi
        return 0
    fi
    local p n=0
    for p in "${PORTS[@]}"; do
        if node_pid "${p}" >/dev/null; then n=$(( n + 1 )); fi
    done
    stop_all
    note "stopped ${n} node(s), removed ${RUN_DIR}"
}

cmd_status() {
    require_state
    local p pid state alive role detail info repl
    printf '%-6s %-8s %-8s %-8s %-14s %s\n' PORT PID ALIVE ROLE CLUSTER_STATE DETAIL
    for p in "${PORTS[@]}"; do
        pid="-"; alive="no"; role="-"; state="-"; detail=""
        if pid="$(node_pid "${p}")"; then
            alive="yes"
            case "$(proc_state "${pid}")" in
                T|t) alive="stopped" ;;
                Z) alive="zombie" ;;
            esac
            if [[ "${alive}" == "yes" ]]; then
                if repl="$(vcli "${p}" info replication 2>/dev/null)"; then
                    repl="${repl//$'\r'/}"
                    case "$(sed -n 's/^role://p' <<<"${repl}")" in
                        master) role="primary"; detail="replicas=$(sed -n 's/^connected_slaves://p' <<<"${repl}")" ;;
                        slave)
                            role="replica"
                            detail="of=$(sed -n 's/^master_port://p' <<<"${repl}") link=$(sed -n 's/^master_link_status://p' <<<"${repl}")" ;;
                        *) role="?" ;;
                    esac
                else
                    role="?"; detail="not answering"
                fi
                if info="$(vcli "${p}" cluster info 2>/dev/null)"; then
                    state="$(sed -n 's/^cluster_state://p' <<<"${info//$'\r'/}")"
                fi
            fi
        else
            pid="-"
        fi
        printf '%-6s %-8s %-8s %-8s %-14s %s\n' "${p}" "${pid}" "${alive}" "${role}" "${state:--}" "${detail}"
    done
}

cmd_signal_node() {
    local sig="$1" port="$2" pid dir
    require_state
    require_member "${port}"
    dir="$(node_dir "${port}")"
    pid="$(node_pid "${port}")" || die "node ${port} is not running (no live server from ${dir})"
    pid_is_our_server "${pid}" "${port}" "${dir}" || die "pid ${pid} is not our server on port ${port}"
    kill "-${sig}" "${pid}" || die "kill -${sig} ${pid} failed"
    if [[ "${sig}" == "KILL" ]]; then
        local i
        for (( i = 0; i < 50; i++ )); do
            pid_is_our_server "${pid}" "${port}" "${dir}" || break
            sleep 0.1
        done
    fi
    note "sent SIG${sig} to node ${port} (pid ${pid})"
}

cmd_restart_node() {
    local port="$1" pid busy
    require_state
    require_member "${port}"
    if pid="$(node_pid "${port}")"; then
        die "node ${port} is already running (pid ${pid}); kill-node or stop it first"
    fi
    [[ -f "$(node_dir "${port}")/nodes.conf" ]] || die "no nodes.conf in $(node_dir "${port}"); cannot rejoin"
    busy="$(ports_busy "${port}" $(( port + 10000 )))"
    [[ -z "${busy}" ]] || die "port(s) in use on 127.0.0.1: $(tr '\n' ' ' <<<"${busy}")"
    start_node "${port}"
    note "node ${port} restarted (pid $(node_pid "${port}"))"
    if [[ "${NO_WAIT}" -eq 0 ]]; then
        wait_ok "${TIMEOUT}" || exit 1
    fi
}

cmd_load() {
    require_state
    local nodes tmp t0=${SECONDS}
    nodes="$(cluster_nodes_text)"
    tmp="$(mktemp -d "${TMPDIR:-/tmp}/cluster-load.XXXXXX")"
    # shellcheck disable=SC2064  # expand tmp now
    trap "rm -rf '${tmp}'" EXIT
    printf '%s\n' "${nodes}" >"${tmp}/nodes.txt"
    # Route each key to the primary that owns its hash slot (CRC16/XMODEM mod 16384, with hash tags)
    # and write one RESP file per primary for valkey-cli --pipe.
    python3 - "${tmp}/nodes.txt" "${KEYS}" "${tmp}" >"${tmp}/plan.txt" <<'PY'
import sys

nodes_file, nkeys, outdir = sys.argv[1], int(sys.argv[2]), sys.argv[3]

table = []
for i in range(256):
    c = i << 8
    for _ in range(8):
        c = ((c << 1) ^ 0x1021) if c & 0x8000 else (c << 1)
    table.append(c & 0xFFFF)

def crc16(data):
    crc = 0
    for b in data:
        crc = ((crc << 8) & 0xFFFF) ^ table[((crc >> 8) ^ b) & 0xFF]
    return crc

def keyslot(key):
    s = key.find(b"{")
    if s != -1:
        e = key.find(b"}", s + 1)
        if e != -1 and e != s + 1:
            key = key[s + 1:e]
    return crc16(key) & 16383

assert keyslot(b"123456789") == 12739  # CRC16/XMODEM check value 0x31C3 mod 16384

owner = [None] * 16384
replicas = {}  # primary id -> live replicas, for the WAIT that ends each primary's pipe
ports_by_id = {}
with open(nodes_file) as f:
    for line in f:
        p = line.split()
        if len(p) >= 8 and "slave" in p[2].split(",") and "fail" not in p[2].split(","):
            replicas[p[3]] = replicas.get(p[3], 0) + 1
        if len(p) < 8 or "master" not in p[2].split(",") or "fail" in p[2].split(","):
            continue
        port = int(p[1].split("@")[0].rsplit(":", 1)[1])
        ports_by_id[p[0]] = port
        for r in p[8:]:
            if r.startswith("["):
                continue
            a, _, b = r.partition("-")
            for s in range(int(a), int(b or a) + 1):
                owner[s] = port
missing = [s for s in range(16384) if owner[s] is None]
if missing:
    sys.exit("slot %d (and %d more) has no primary; is the cluster ok? (cluster.sh wait-ok)" % (missing[0], len(missing) - 1))

bufs, counts = {}, {}
for i in range(nkeys):
    k = b"key:%d" % i
    v = b"value:%d" % i
    port = owner[keyslot(k)]
    bufs.setdefault(port, []).append(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(k), k, len(v), v))
    counts[port] = counts.get(port, 0) + 1
# Each pipe ends with WAIT for all of that primary's replicas, so load returns only when the replicas hold
# the keys too: a test that compares a replica's key count with DBSIZE right after start() must not race replication.
replicas_by_port = {ports_by_id[i]: n for i, n in replicas.items() if i in ports_by_id}
for port, chunks in bufs.items():
    n = b"%d" % replicas_by_port.get(port, 0)
    chunks.append(b"*3\r\n$4\r\nWAIT\r\n$%d\r\n%s\r\n$5\r\n10000\r\n" % (len(n), n))
    path = "%s/%d.resp" % (outdir, port)
    with open(path, "wb") as f:
        f.write(b"".join(chunks))
    print(port, path, counts[port] + 1)
PY
    local port path count pids=() ports=() counts=() i rc=0 out
    while read -r port path count; do
        "${VALKEY_CLI}" -h 127.0.0.1 -p "${port}" --pipe --pipe-timeout 30 <"${path}" >"${tmp}/${port}.out" 2>&1 &
        pids+=("$!"); ports+=("${port}"); counts+=("${count}")
    done <"${tmp}/plan.txt"
    for i in "${!pids[@]}"; do
        if ! wait "${pids[i]}"; then
            rc=1
        fi
        out="$(cat "${tmp}/${ports[i]}.out")"
        if [[ "${out}" != *"errors: 0, replies: ${counts[i]}"* ]]; then
            echo "${out}" >&2
            rc=1
            warn "pipe to primary ${ports[i]} did not get ${counts[i]} error-free replies"
        fi
    done
    [[ "${rc}" -eq 0 ]] || die "load failed"
    local total=0 n p
    for p in $(ports_by_role master); do
        n="$(vcli "${p}" dbsize)" || die "DBSIZE failed on ${p}"
        total=$(( total + n ))
    done
    note "wrote ${KEYS} keys to ${#pids[@]} primaries in $(( SECONDS - t0 )) s"
    echo "${total}"
}

case "${CMD}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    load) cmd_load ;;
    wait-ok) require_state; wait_ok "${TIMEOUT}" || exit 1 ;;
    ports) require_state; printf '%s\n' "${PORTS[@]}" ;;
    primaries) require_state; ports_by_role master ;;
    replicas) require_state; ports_by_role slave ;;
    kill-node) cmd_signal_node KILL "${POS[0]}" ;;
    stop-node) cmd_signal_node STOP "${POS[0]}" ;;
    cont-node) cmd_signal_node CONT "${POS[0]}" ;;
    restart-node) cmd_restart_node "${POS[0]}" ;;
esac
