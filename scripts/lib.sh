# shellcheck shell=bash
# Helpers shared by cluster.sh and standalone.sh. Source it after setting PROG (used in messages).

die() { echo "${PROG:-script}: error: $*" >&2; exit 1; }
warn() { echo "${PROG:-script}: warning: $*" >&2; }
note() { echo "${PROG:-script}: $*" >&2; }

# is_uint VALUE: VALUE is a non-negative decimal integer.
is_uint() { [[ "$1" =~ ^[0-9]+$ ]]; }

# need_uint NAME VALUE [MIN [MAX]]
need_uint() {
    local name="$1" value="$2" min="${3:-0}" max="${4:-}"
    is_uint "${value}" || die "${name} must be a non-negative integer, got '${value}'"
    (( 10#${value} >= min )) || die "${name} must be >= ${min}, got ${value}"
    if [[ -n "${max}" ]]; then
        (( 10#${value} <= max )) || die "${name} must be <= ${max}, got ${value}"
    fi
}

# need_port NAME VALUE
need_port() { need_uint "$1" "$2" 1 65535; }

# read_pidfile FILE: print the PID in FILE, if FILE holds one.
read_pidfile() {
    local f="$1" pid=""
    [[ -f "${f}" ]] || return 1
    read -r pid <"${f}" || true
    is_uint "${pid}" && [[ "${pid}" -gt 0 ]] || return 1
    echo "${pid}"
}

# pid_is_our_server PID PORT [DIR]: PID is a live valkey-server or redis-server (by argv[0], else by
# /proc/PID/exe; Debian's /usr/bin/redis-server is a link to redis-check-rdb, so its exe does not say
# redis-server but its argv[0] does), its command line carries PORT as a whole number (the server rewrites
# its title to "bin 127.0.0.1:PORT [cluster]"; before that it is "bin --port PORT ..."), and, when DIR is
# given, its working directory is DIR (the server chdirs to its --dir).
pid_is_our_server() {
    local pid="$1" port="$2" dir="${3:-}" exe="" cmdline="" cwd="" argv=()
    is_uint "${pid}" && [[ "${pid}" -gt 1 ]] || return 1
    # Builtins only until the cheap checks pass: this runs for every process when scanning /proc.
    { mapfile -d '' -t argv <"/proc/${pid}/cmdline"; } 2>/dev/null || return 1
    [[ "${#argv[@]}" -gt 0 ]] || return 1    # zombie or kernel thread
    cmdline="${argv[*]}"
    [[ " ${cmdline} " =~ [^0-9]${port}[^0-9] ]] || return 1
    local argv0="${cmdline%% *}"
    if [[ "${argv0##*/}" != valkey-server* && "${argv0##*/}" != redis-server* ]]; then
        exe="$(readlink "/proc/${pid}/exe" 2>/dev/null || true)"
        [[ "${exe##*/}" == valkey-server* || "${exe##*/}" == redis-server* ]] || return 1
    fi
    if [[ -n "${dir}" ]]; then
        cwd="$(readlink "/proc/${pid}/cwd" 2>/dev/null)" || return 1
        [[ "${cwd}" == "$(cd "${dir}" 2>/dev/null && pwd -P)" ]] || return 1
    fi
    return 0
}

# find_our_server PORT DIR: print the PID of the valkey-server/redis-server serving PORT from DIR, found by
# scanning /proc (used when a pidfile is missing or stale).
find_our_server() {
    local port="$1" dir="$2" p pid
    for p in /proc/[0-9]*; do
        pid="${p#/proc/}"
        if pid_is_our_server "${pid}" "${port}" "${dir}"; then
            echo "${pid}"
            return 0
        fi
    done
    return 1
}

# proc_state PID: one-letter state from /proc/PID/stat (R, S, T, Z, ...), or nothing.
proc_state() {
    local stat
    stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
    stat="${stat##*) }"
    echo "${stat%% *}"
}

# ports_busy PORT...: print, one per line, the ports that cannot be bound on 127.0.0.1
# (tried with SO_REUSEADDR, as valkey does).
ports_busy() {
    python3 - "$@" <<'PY'
import socket, sys
busy = []
for p in sys.argv[1:]:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", int(p)))
    except OSError:
        busy.append(p)
    finally:
        s.close()
for p in busy:
    print(p)
PY
}

# vcli PORT ARGS...: valkey-cli against 127.0.0.1:PORT with a hard 5 s limit (a SIGSTOPped server
# accepts the connection but never answers).
vcli() {
    local port="$1"; shift
    timeout 5 "${VALKEY_CLI}" -h 127.0.0.1 -p "${port}" -t 2 "$@"
}

# wait_ping PORT TIMEOUT_S PID: wait until the server answers PING; fail early if PID dies.
wait_ping() {
    local port="$1" timeout_s="$2" pid="${3:-}" deadline
    deadline=$(( SECONDS + timeout_s ))
    while (( SECONDS < deadline )); do
        if [[ "$(vcli "${port}" ping 2>/dev/null)" == "PONG" ]]; then
            return 0
        fi
        if [[ -n "${pid}" ]] && ! kill -0 "${pid}" 2>/dev/null; then
            return 1
        fi
        sleep 0.1
    done
    return 1
}

# terminate_server PID PORT DIR: SIGTERM (plus SIGCONT in case it is stopped), wait 5 s, then SIGKILL.
# Only ever signals PID if it is our valkey-server/redis-server on PORT running from DIR.
terminate_server() {
    local pid="$1" port="$2" dir="$3" i
    pid_is_our_server "${pid}" "${port}" "${dir}" || return 0
    kill -TERM "${pid}" 2>/dev/null || true
    kill -CONT "${pid}" 2>/dev/null || true
    for (( i = 0; i < 50; i++ )); do
        pid_is_our_server "${pid}" "${port}" "${dir}" || return 0
        sleep 0.1
    done
    if pid_is_our_server "${pid}" "${port}" "${dir}"; then
        warn "pid ${pid} (port ${port}) did not exit within 5 s of SIGTERM; sending SIGKILL"
        kill -KILL "${pid}" 2>/dev/null || true
        for (( i = 0; i < 20; i++ )); do
            pid_is_our_server "${pid}" "${port}" "${dir}" || return 0
            sleep 0.1
        done
        warn "pid ${pid} (port ${port}) still present after SIGKILL"
        return 1
    fi
}

# print_log_tail FILE: show the end of a server log on stderr.
print_log_tail() {
    local f="$1"
    if [[ -f "${f}" ]]; then
        echo "---- last lines of ${f} ----" >&2
        tail -n 20 "${f}" >&2
        echo "----" >&2
    fi
}
