# shellcheck shell=bash
# Source this file (do not execute it):   source scripts/tools-env.sh
#
# Exports
#   REPO_ROOT        absolute path of the repository
#   TOOLS_DIR        <repo>/.tools (unless already set)
#   VALKEY_SERVER    valkey-server 9.1.2  (unless already set)
#   VALKEY_SERVER_8  valkey-server 8.1.8  (unless already set)
#   VALKEY_CLI       valkey-cli 8.1.8     (unless already set)
#   REDIS_SERVER     redis-server 7.0     (unless already set; default /usr/bin/redis-server)
#   REDIS_CLI        redis-cli 7.0        (unless already set; default /usr/bin/redis-cli)
# and runs scripts/install-tools.sh when a default Valkey binary is missing. The Redis binaries come from
# apt (scripts/install-redis.sh, run by `make tools`, needs root); they are only exported here, never
# installed, and only the version-mix test needs them.
# It does not change the caller's shell options; it returns non-zero on failure.

if [[ "${BASH_SOURCE[0]}" == "${0}" ]]; then
    echo "tools-env.sh: source this file instead of running it: source ${0}" >&2
    exit 2
fi

__tools_env_main() {
    local script_dir
    script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)" || return 1
    REPO_ROOT="$(cd "${script_dir}/.." && pwd)" || return 1
    TOOLS_DIR="${TOOLS_DIR:-${REPO_ROOT}/.tools}"
    VALKEY_SERVER="${VALKEY_SERVER:-${TOOLS_DIR}/valkey-9.1.2/bin/valkey-server}"
    VALKEY_SERVER_8="${VALKEY_SERVER_8:-${TOOLS_DIR}/valkey-8.1.8/bin/valkey-server}"
    VALKEY_CLI="${VALKEY_CLI:-${TOOLS_DIR}/valkey-8.1.8/bin/valkey-cli}"
    REDIS_SERVER="${REDIS_SERVER:-/usr/bin/redis-server}"
    REDIS_CLI="${REDIS_CLI:-/usr/bin/redis-cli}"
    export REPO_ROOT TOOLS_DIR VALKEY_SERVER VALKEY_SERVER_8 VALKEY_CLI REDIS_SERVER REDIS_CLI

    local b missing=0
    for b in "${VALKEY_SERVER}" "${VALKEY_SERVER_8}" "${VALKEY_CLI}"; do
        [[ -x "${b}" ]] || missing=1
    done
    if [[ "${missing}" -eq 1 ]]; then
        TOOLS_DIR="${TOOLS_DIR}" "${script_dir}/install-tools.sh" --quiet >&2 || {
            echo "tools-env.sh: error: scripts/install-tools.sh failed" >&2
            return 1
        }
        for b in "${VALKEY_SERVER}" "${VALKEY_SERVER_8}" "${VALKEY_CLI}"; do
            if [[ ! -x "${b}" ]]; then
                echo "tools-env.sh: error: ${b} is missing or not executable (check VALKEY_SERVER/VALKEY_SERVER_8/VALKEY_CLI)" >&2
                return 1
            fi
        done
    fi
    return 0
}

__tools_env_main
__tools_env_rc=$?
unset -f __tools_env_main
if [[ "${__tools_env_rc}" -ne 0 ]]; then
    unset __tools_env_rc
    return 1
fi
unset __tools_env_rc
