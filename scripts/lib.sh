# shellcheck shell=bash
# Helpers shared by the scripts in scripts/ (cluster and server control, tool installers). Source it after setting
# PROG (used in messages). It only defines functions and variables: sourcing it changes no shell option.

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

# ---- apt ----------------------------------------------------------------------------------------------------------

# as_root COMMAND...: run COMMAND as root: directly when we are root, else through sudo.
as_root() {
    if [[ "$(id -u)" -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

APT_POLICY_FILE=/usr/sbin/policy-rc.d
__apt_created_policy=0
__apt_sudo=""
__apt_saved_exit_trap=""

# Removes the policy file, and only if this process created it.
__apt_remove_policy() {
    if [[ "${__apt_created_policy}" -eq 1 ]]; then
        ${__apt_sudo} rm -f "${APT_POLICY_FILE}"
        __apt_created_policy=0
    fi
}

# EXIT trap while apt runs: remove the policy file, then run the caller's own EXIT trap, if it had one.
__apt_on_exit() {
    __apt_remove_policy
    if [[ -n "${__apt_saved_exit_trap}" ]]; then
        local -a saved
        eval "saved=(${__apt_saved_exit_trap})"    # trap -- 'COMMAND' EXIT
        eval "${saved[2]}"
    fi
}

# apt_install_quietly PACKAGE...: `apt-get update` then `apt-get install -y --no-install-recommends PACKAGE...`, as root
# (through sudo when not root), printing one line per step and apt's own output only on failure. A temporary
# /usr/sbin/policy-rc.d that exits 101 ("action forbidden") keeps every package's postinst from starting a service:
# the tests start their own servers on loopback, by PID. The file is removed afterwards, also when the script exits
# or is interrupted in between, and only if this call created it; an existing one is left as it is. The caller's EXIT
# trap is kept (run after the clean-up) and restored afterwards. Waits up to 300 s for the dpkg lock. Returns non-zero
# after printing why; callers check the result of the install themselves (a package can install and still not work).
apt_install_quietly() {
    local prog="${PROG:-script}" rc=0 out
    [[ $# -gt 0 ]] || { echo "${prog}: error: apt_install_quietly: no package named" >&2; return 2; }
    __apt_sudo=""
    if [[ "$(id -u)" -ne 0 ]]; then
        command -v sudo >/dev/null 2>&1 || { echo "${prog}: error: not root and no sudo: cannot apt-get install $*" >&2; return 1; }
        __apt_sudo="sudo"
    fi
    command -v apt-get >/dev/null 2>&1 || { echo "${prog}: error: apt-get not found: install $* by hand" >&2; return 1; }

    __apt_saved_exit_trap="$(trap -p EXIT)"
    trap __apt_on_exit EXIT
    if [[ ! -e "${APT_POLICY_FILE}" ]]; then
        printf '#!/bin/sh\n# temporary, from %s: do not start services during install\nexit 101\n' "${prog}" \
            | ${__apt_sudo} tee "${APT_POLICY_FILE}" >/dev/null
        ${__apt_sudo} chmod 0755 "${APT_POLICY_FILE}"
        __apt_created_policy=1
    else
        echo "${prog}: note: ${APT_POLICY_FILE} exists already; leaving it as it is"
        grep -q 'exit 101' "${APT_POLICY_FILE}" 2>/dev/null \
            || echo "${prog}: warning: ${APT_POLICY_FILE} does not look like it forbids starting services"
    fi

    local -a apt=(env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300)
    if [[ -n "${__apt_sudo}" ]]; then apt=("${__apt_sudo}" "${apt[@]}"); fi
    echo "${prog}: apt-get update"
    if ! out="$("${apt[@]}" update -qq 2>&1)"; then
        echo "${out}" >&2
        echo "${prog}: error: apt-get update failed" >&2
        rc=1
    else
        echo "${prog}: apt-get install -y --no-install-recommends $*"
        if ! out="$("${apt[@]}" install -y -qq --no-install-recommends "$@" 2>&1)"; then
            echo "${out}" >&2
            echo "${prog}: error: apt-get install $* failed" >&2
            rc=1
        fi
    fi

    __apt_remove_policy
    if [[ -n "${__apt_saved_exit_trap}" ]]; then eval "${__apt_saved_exit_trap}"; else trap - EXIT; fi
    __apt_saved_exit_trap=""
    return "${rc}"
}
