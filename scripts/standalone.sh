#!/usr/bin/env bash
# Run one non-cluster valkey-server (9.1.2 by default) on 127.0.0.1.
set -euo pipefail

PROG="standalone.sh"
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/lib.sh
source "${SCRIPT_DIR}/lib.sh"

usage() {
    cat <<'EOF'
usage: standalone.sh start|stop|status [--port N] [--dir PATH] [--server PATH] [-- extra valkey-server args (start only)]

  start    start a daemonized, non-cluster valkey-server on 127.0.0.1:PORT and wait for PING;
           fails if one already runs from the same dir or the port is busy
  stop     stop it (SIGTERM, SIGKILL after 5 s; only our valkey-server on PORT from DIR) and remove DIR;
           safe when nothing runs
  status   print port, pid and whether it is running

options (env var in brackets):
  --port N       port [STANDALONE_PORT, default 6390]
  --dir PATH     run dir [STANDALONE_DIR, default <repo>/.run/standalone-<port>]
  --server PATH  valkey-server binary [VALKEY_SERVER, default <repo>/.tools/valkey-9.1.2/bin/valkey-server]
EOF
}

bad_usage() { usage | head -n 1 >&2; echo "(run with --help for details)" >&2; die "$*"; }

PORT="${STANDALONE_PORT:-6390}"
RUN_DIR="${STANDALONE_DIR:-}"
SERVER=""
CMD=""
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
        --port|--dir|--server)
            if [[ "${has_val}" -eq 0 ]]; then
                [[ $# -ge 2 ]] || bad_usage "option ${arg} needs a value"
                val="$2"
                shift
            fi
            case "${arg}" in
                --port) PORT="${val}" ;;
                --dir) RUN_DIR="${val}" ;;
                --server) SERVER="${val}" ;;
            esac
            ;;
        -h|--help|help) usage; exit 0 ;;
        --) shift; EXTRA_ARGS=("$@"); break ;;
        -*) bad_usage "unknown option: ${arg}" ;;
        *)
            [[ -z "${CMD}" ]] || bad_usage "unexpected argument: ${arg}"
            CMD="${arg}"
            ;;
    esac
    shift
done

[[ -n "${CMD}" ]] || bad_usage "missing command"
case "${CMD}" in
    start|stop|status) ;;
    *) bad_usage "unknown command: ${CMD}" ;;
esac
[[ "${#EXTRA_ARGS[@]}" -eq 0 || "${CMD}" == "start" ]] || bad_usage "extra valkey-server arguments are only accepted by start"
need_port "--port" "${PORT}"

# shellcheck source=scripts/tools-env.sh
source "${SCRIPT_DIR}/tools-env.sh"
SERVER="${SERVER:-${VALKEY_SERVER}}"
[[ -n "${RUN_DIR}" ]] || RUN_DIR="${REPO_ROOT}/.run/standalone-${PORT}"
[[ "${RUN_DIR}" == /* ]] || RUN_DIR="${PWD}/${RUN_DIR}"
RUN_DIR="${RUN_DIR%/}"
MARKER="${RUN_DIR}/standalone.env"
PIDFILE="${RUN_DIR}/server.pid"
LOGFILE="${RUN_DIR}/server.log"

# load_marker: the port recorded by start in RUN_DIR overrides --port (so stop/status/start checks
# always look at the server that really runs from RUN_DIR).
load_marker() {
    [[ -f "${MARKER}" ]] || return 1
    local key value recorded=""
    while IFS='=' read -r key value; do
        if [[ "${key}" == "PORT" ]]; then recorded="${value}"; fi
    done <"${MARKER}"
    need_port "PORT in ${MARKER}" "${recorded}"
    if [[ "${recorded}" != "${PORT}" ]]; then
        note "${RUN_DIR} belongs to port ${recorded}; using that instead of ${PORT}"
        PORT="${recorded}"
    fi
}

# server_pid: PID of our live server (pidfile, else /proc scan by port and working dir).
server_pid() {
    local pid
    [[ -d "${RUN_DIR}" ]] || return 1
    if pid="$(read_pidfile "${PIDFILE}")" && pid_is_our_server "${pid}" "${PORT}" "${RUN_DIR}"; then
        echo "${pid}"
        return 0
    fi
    find_our_server "${PORT}" "${RUN_DIR}"
}

cmd_start() {
    local pid busy i
    [[ -x "${SERVER}" ]] || die "valkey-server not found or not executable: ${SERVER}"
    if [[ -f "${MARKER}" ]]; then
        local want_port="${PORT}"
        load_marker
        if pid="$(server_pid)"; then
            die "a standalone server is already running on port ${PORT} from ${RUN_DIR} (pid ${pid}); use 'standalone.sh stop' first"
        fi
        note "removing stale run dir ${RUN_DIR}"
        rm -rf "${RUN_DIR}"
        PORT="${want_port}"
    elif [[ -e "${RUN_DIR}" ]] && [[ -n "$(ls -A "${RUN_DIR}" 2>/dev/null)" ]]; then
        die "${RUN_DIR} exists, is not empty and is not a standalone run dir (no standalone.env); refusing to use it"
    fi
    busy="$(ports_busy "${PORT}")"
    [[ -z "${busy}" ]] || die "port ${PORT} is in use on 127.0.0.1; pick another --port"

    mkdir -p "${RUN_DIR}"
    printf 'PORT=%s\nSERVER=%s\n' "${PORT}" "${SERVER}" >"${MARKER}"
    if ! "${SERVER}" --port "${PORT}" --bind 127.0.0.1 \
        --save '' --appendonly no --enable-debug-command local \
        --logfile "${LOGFILE}" --pidfile "${PIDFILE}" --dir "${RUN_DIR}" \
        --daemonize yes "${EXTRA_ARGS[@]}" >"${RUN_DIR}/launch.out" 2>&1; then
        cat "${RUN_DIR}/launch.out" >&2
        print_log_tail "${LOGFILE}"
        rm -rf "${RUN_DIR}"
        die "valkey-server failed to start (${SERVER})"
    fi
    pid=""
    for (( i = 0; i < 100; i++ )); do
        if pid="$(read_pidfile "${PIDFILE}")" && pid_is_our_server "${pid}" "${PORT}" "${RUN_DIR}"; then
            break
        fi
        pid=""
        sleep 0.1
    done
    if [[ -z "${pid}" ]] || ! wait_ping "${PORT}" 10 "${pid}"; then
        print_log_tail "${LOGFILE}"
        if [[ -n "${pid}" ]]; then terminate_server "${pid}" "${PORT}" "${RUN_DIR}" || true; fi
        rm -rf "${RUN_DIR}"
        die "valkey-server on port ${PORT} did not come up within 10 s"
    fi
    echo "standalone valkey-server $("${SERVER}" --version | awk '{print $3}') running at 127.0.0.1:${PORT} (pid ${pid}, dir ${RUN_DIR})"
}

cmd_stop() {
    local pid
    if ! load_marker; then
        note "no standalone server at ${RUN_DIR}; nothing to stop"
        return 0
    fi
    if pid="$(server_pid)"; then
        terminate_server "${pid}" "${PORT}" "${RUN_DIR}" || die "could not stop pid ${pid}; left ${RUN_DIR} in place"
        note "stopped pid ${pid} (port ${PORT})"
    else
        note "server on port ${PORT} was not running"
    fi
    rm -rf "${RUN_DIR}"
}

cmd_status() {
    local pid
    load_marker || true
    if pid="$(server_pid)"; then
        case "$(proc_state "${pid}")" in
            T|t) echo "port ${PORT} pid ${pid} stopped (SIGSTOP)" ;;
            *) echo "port ${PORT} pid ${pid} running" ;;
        esac
    else
        echo "port ${PORT} not running"
        return 1
    fi
}

case "${CMD}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
esac
