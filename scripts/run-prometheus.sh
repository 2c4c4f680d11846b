#!/usr/bin/env bash
# Start Debian's Prometheus (scripts/install-prometheus.sh) on loopback, scraping the exporter that `make run`
# started, with the shipped alert rules (Deploy/prometheus/alerts.yml) loaded: the second step from `make run` to a
# Prometheus + Grafana view (README "From make run to Grafana").
#
#   scripts/run-prometheus.sh [--exporter HOST:PORT] [--listen HOST:PORT] [--interval 5s]
#
# Runs in the foreground; Ctrl-C stops it. Its configuration and data live in .run/prometheus-run/ (deleted on
# start, so every run starts empty). Only loopback addresses are accepted, because this is a local preview.
set -euo pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
EXPORTER_ADDR="127.0.0.1:9839"
LISTEN="127.0.0.1:9090"
INTERVAL="5s"

die() { echo "run-prometheus: error: $*" >&2; exit 64; }

while [[ $# -gt 0 ]]; do
    case "$1" in
        --exporter) [[ $# -ge 2 ]] || die "--exporter needs HOST:PORT"; EXPORTER_ADDR="$2"; shift 2 ;;
        --listen) [[ $# -ge 2 ]] || die "--listen needs HOST:PORT"; LISTEN="$2"; shift 2 ;;
        --interval) [[ $# -ge 2 ]] || die "--interval needs a duration such as 5s"; INTERVAL="$2"; shift 2 ;;
        -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument '$1' (see --help)" ;;
    esac
done

for addr in "${EXPORTER_ADDR}" "${LISTEN}"; do
    [[ "${addr}" =~ ^(127\.[0-9]+\.[0-9]+\.[0-9]+|localhost|\[::1\]):[0-9]+$ ]] \
        || die "'${addr}' is not a loopback HOST:PORT (this script is a local preview)"
done
[[ "${INTERVAL}" =~ ^[0-9]+(ms|s|m)$ ]] || die "--interval '${INTERVAL}' is not a Prometheus duration such as 5s"
command -v prometheus >/dev/null 2>&1 || die "prometheus not found: run 'make tools' (scripts/install-prometheus.sh)"
RULES="${REPO}/Deploy/prometheus/alerts.yml"
[[ -f "${RULES}" ]] || die "${RULES} is missing"

DIR="${REPO}/.run/prometheus-run"
rm -rf "${DIR}"
mkdir -p "${DIR}/data"
# The shipped rules, scraped at the exporter's own interval (scraping faster only re-reads the same snapshot).
cat > "${DIR}/prometheus.yml" <<EOF
global:
  scrape_interval: ${INTERVAL}
  evaluation_interval: ${INTERVAL}
rule_files:
  - ${RULES}
scrape_configs:
  - job_name: valkey-cluster-exporter
    static_configs:
      - targets: ["${EXPORTER_ADDR}"]
EOF

echo "Prometheus on http://${LISTEN} scraping http://${EXPORTER_ADDR}/metrics every ${INTERVAL}, alerts from ${RULES#"${REPO}"/}"
echo "  targets: http://${LISTEN}/targets   alerts: http://${LISTEN}/alerts"
echo "  Grafana: add a Prometheus data source at http://${LISTEN} and import Dashboards/*.json (README)."
exec prometheus --config.file="${DIR}/prometheus.yml" --storage.tsdb.path="${DIR}/data" \
    --web.listen-address="${LISTEN}" --log.level=warn
