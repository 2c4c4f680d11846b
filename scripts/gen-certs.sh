#!/usr/bin/env bash
# gen-certs.sh DIR: generate the TLS test certificates into DIR with openssl (at test time; never commit them).
#
# Every key is an unencrypted RSA 2048 PKCS#8 PEM ("BEGIN PRIVATE KEY"), mode 600. Every certificate is PEM, X.509 v3,
# SHA-256. "the SANs" below means: IP:127.0.0.1, DNS:localhost, DNS:valkey.test (valkey.test only resolves through a
# server-name override / SNI, which is what it is for).
#
#   ca.pem, ca.key                   the test CA ("valkey-exporter test CA"), valid 2019-01-01 .. 10 years from now:
#                                    what clients and servers trust
#   server.pem, server.key           server cert signed by ca.pem, the SANs, EKU serverAuth, valid 10 years from 1 day ago
#   client.pem, client.key           client cert signed by ca.pem (CN=exporter-test-client), EKU clientAuth, for mTLS;
#                                    the Redis TLS nodes also use it for their own outgoing bus / replication links
#   expired.pem, expired.key         server cert signed by ca.pem, the SANs, valid 2020-01-01 .. 2020-01-02 only:
#                                    "certificate has expired" (issued with `openssl ca -startdate/-enddate`)
#   wronghost.pem, wronghost.key     server cert signed by ca.pem with SAN DNS:wrong.example ONLY (CN=wrong.example):
#                                    "hostname mismatch" / "IP address mismatch" for 127.0.0.1, localhost, valkey.test
#   other-ca.pem, other-ca.key       a second, unrelated CA ("valkey-exporter OTHER test CA", same validity), trusted by
#                                    nobody
#   otherca-server.pem, .key         server cert with the SANs signed by other-ca.pem: "unable to get local issuer
#   (otherca-server.key)             certificate" for a client trusting ca.pem
#   otherca-client.pem, .key         client cert signed by other-ca.pem: rejected by a server that verifies clients
#   (otherca-client.key)             against ca.pem
#   server-chain.pem                 server.pem followed by ca.pem (for tools that want the chain in one file)
#
# Idempotent: when every file is there, the keys are mode 600, the certificates chain to their CA and the
# valid ones have more than 1 day left, nothing is regenerated (so concurrent test processes may share a DIR;
# generation itself is serialised with flock). Otherwise everything is regenerated (a new CA invalidates all).
# Prints the absolute path of every file, one per line. Needs only openssl (scripts/install-tls-tools.sh).
set -euo pipefail

PROG="gen-certs.sh"
die() { echo "${PROG}: error: $*" >&2; exit 1; }

usage() {
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'
}

[[ $# -ge 1 ]] || { usage >&2; die "missing DIR"; }
case "$1" in -h|--help) usage; exit 0 ;; esac
[[ $# -eq 1 ]] || die "exactly one argument expected (DIR), got $#"
command -v openssl >/dev/null 2>&1 || die "openssl not found (run scripts/install-tls-tools.sh or make tools)"

DIR="$1"
mkdir -p "${DIR}" || die "cannot create ${DIR}"
DIR="$(cd "${DIR}" && pwd)"

readonly SANS="IP:127.0.0.1,DNS:localhost,DNS:valkey.test"
readonly CERTS=(ca server client expired wronghost other-ca otherca-server otherca-client)

list_files() {
    local n
    for n in "${CERTS[@]}"; do
        echo "${DIR}/${n}.pem"
        echo "${DIR}/${n}.key"
    done
    echo "${DIR}/server-chain.pem"
}

# all_ok: every file exists, keys are 600, each cert matches its key and chains as documented.
all_ok() {
    local n f
    while read -r f; do [[ -s "${f}" ]] || return 1; done < <(list_files)
    for n in "${CERTS[@]}"; do
        [[ "$(stat -c %a "${DIR}/${n}.key")" == "600" ]] || return 1
        [[ "$(openssl x509 -in "${DIR}/${n}.pem" -noout -pubkey 2>/dev/null)" \
            == "$(openssl pkey -in "${DIR}/${n}.key" -pubout 2>/dev/null)" ]] || return 1
    done
    for n in ca server client wronghost; do
        openssl verify -CAfile "${DIR}/ca.pem" -attime "$(( $(date +%s) + 86400 ))" "${DIR}/${n}.pem" >/dev/null 2>&1 || return 1
    done
    for n in other-ca otherca-server otherca-client; do
        openssl verify -CAfile "${DIR}/other-ca.pem" -attime "$(( $(date +%s) + 86400 ))" "${DIR}/${n}.pem" >/dev/null 2>&1 || return 1
    done
    # expired.pem: chains to ca.pem while it was valid (2020-01-01 12:00 UTC), and is expired now.
    openssl verify -CAfile "${DIR}/ca.pem" -attime 1577880000 "${DIR}/expired.pem" >/dev/null 2>&1 || return 1
    ! openssl x509 -in "${DIR}/expired.pem" -noout -checkend 0 >/dev/null 2>&1 || return 1
}

# Serialise concurrent runs on the same DIR.
if command -v flock >/dev/null 2>&1; then
    exec 9>"${DIR}/.gen-certs.lock"
    flock -w 120 9 || die "timed out waiting for the lock ${DIR}/.gen-certs.lock"
fi

if all_ok; then
    echo "${PROG}: certificates in ${DIR} are complete and valid; left as they are" >&2
    list_files
    exit 0
fi

umask 077
WORK="$(mktemp -d "${DIR}/.gen.XXXXXX")"
trap 'rm -rf "${WORK}"' EXIT

cat >"${WORK}/ext.cnf" <<EOF
[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[server_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = ${SANS}

[wronghost_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:wrong.example

[client_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF

# openssl ca needs a config with a database; it is the only OpenSSL 3.0 way to set an arbitrary notBefore
# (x509 -not_before arrived in 3.4). All leaf certificates are issued with it, so they share one code path.
make_ca_config() {
    local name="$1" d="${WORK}/ca-${1}"
    mkdir -p "${d}/new"
    : >"${d}/index.txt"
    openssl rand -hex 16 >"${d}/serial"
    cat >"${d}/ca.cnf" <<EOF
[ca]
default_ca = this_ca

[this_ca]
dir = ${d}
database = ${d}/index.txt
new_certs_dir = ${d}/new
serial = ${d}/serial
certificate = ${WORK}/${name}.pem
private_key = ${WORK}/${name}.key
default_md = sha256
policy = policy_any
unique_subject = no
copy_extensions = none
email_in_dn = no

[policy_any]
commonName = supplied
organizationName = optional
EOF
}

genkey() { openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "${WORK}/$1.key" 2>/dev/null \
    || die "openssl genpkey failed for $1"; }

# make_ca NAME CN: a self-signed CA, valid from 2019-01-01 (so expired.pem was once valid under it) for 10 years
# from now. Issued with `openssl ca -selfsign`, since `openssl req -x509` in OpenSSL 3.0 cannot set notBefore.
make_ca() {
    local name="$1" cn="$2"
    genkey "${name}"
    make_ca_config "${name}"
    openssl req -new -key "${WORK}/${name}.key" -out "${WORK}/${name}.csr" \
        -subj "/O=valkey-cluster-exporter tests/CN=${cn}" 2>"${WORK}/err" \
        || { cat "${WORK}/err" >&2; die "openssl req failed for ${name}"; }
    openssl ca -batch -notext -selfsign -config "${WORK}/ca-${name}/ca.cnf" -keyfile "${WORK}/${name}.key" \
        -in "${WORK}/${name}.csr" -out "${WORK}/${name}.pem" -extfile "${WORK}/ext.cnf" -extensions ca_ext \
        -startdate 20190101000000Z -enddate "${PLUS_10Y}" >"${WORK}/err" 2>&1 \
        || { cat "${WORK}/err" >&2; die "openssl ca -selfsign failed for ${name}"; }
    rm -f "${WORK}/${name}.csr"
}

# issue NAME CA CN EXTENSIONS STARTDATE ENDDATE (dates YYYYMMDDHHMMSSZ)
issue() {
    local name="$1" ca="$2" cn="$3" ext="$4" start="$5" end="$6"
    genkey "${name}"
    openssl req -new -key "${WORK}/${name}.key" -out "${WORK}/${name}.csr" \
        -subj "/O=valkey-cluster-exporter tests/CN=${cn}" 2>"${WORK}/err" \
        || { cat "${WORK}/err" >&2; die "openssl req failed for ${name}"; }
    openssl ca -batch -notext -config "${WORK}/ca-${ca}/ca.cnf" -in "${WORK}/${name}.csr" -out "${WORK}/${name}.pem" \
        -extfile "${WORK}/ext.cnf" -extensions "${ext}" -startdate "${start}" -enddate "${end}" \
        >"${WORK}/err" 2>&1 \
        || { cat "${WORK}/err" >&2; die "openssl ca failed for ${name}"; }
    rm -f "${WORK}/${name}.csr"
}

NOW_MINUS_1D="$(date -u -d '1 day ago' +%Y%m%d%H%M%SZ)"
PLUS_10Y="$(date -u -d '10 years' +%Y%m%d%H%M%SZ)"

make_ca ca "valkey-exporter test CA"
make_ca other-ca "valkey-exporter OTHER test CA"
issue server ca "localhost" server_ext "${NOW_MINUS_1D}" "${PLUS_10Y}"
issue client ca "exporter-test-client" client_ext "${NOW_MINUS_1D}" "${PLUS_10Y}"
issue expired ca "localhost" server_ext 20200101000000Z 20200102000000Z
issue wronghost ca "wrong.example" wronghost_ext "${NOW_MINUS_1D}" "${PLUS_10Y}"
issue otherca-server other-ca "localhost" server_ext "${NOW_MINUS_1D}" "${PLUS_10Y}"
issue otherca-client other-ca "exporter-test-client" client_ext "${NOW_MINUS_1D}" "${PLUS_10Y}"
cat "${WORK}/server.pem" "${WORK}/ca.pem" >"${WORK}/server-chain.pem"

# Publish: keys 600, certificates 644 (only the keys are secret), each file moved into place atomically.
for n in "${CERTS[@]}"; do
    chmod 600 "${WORK}/${n}.key"
    chmod 644 "${WORK}/${n}.pem"
    mv -f "${WORK}/${n}.key" "${DIR}/${n}.key"
    mv -f "${WORK}/${n}.pem" "${DIR}/${n}.pem"
done
chmod 644 "${WORK}/server-chain.pem"
mv -f "${WORK}/server-chain.pem" "${DIR}/server-chain.pem"

all_ok || die "generated certificates in ${DIR} do not verify as expected (openssl $(openssl version))"
echo "${PROG}: generated test certificates in ${DIR}" >&2
list_files
