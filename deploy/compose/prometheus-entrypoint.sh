#!/bin/sh
# Prometheus for the compose stack: the scrape token comes from KILN_METRICS_TOKEN and is written where
# prometheus.yml's credentials_file points (secrets/metrics-token, relative to the configuration file).
set -eu
: "${KILN_METRICS_TOKEN:?set KILN_METRICS_TOKEN}"
mkdir -p /etc/prometheus/secrets /prometheus
umask 077
printf '%s' "$KILN_METRICS_TOKEN" > /etc/prometheus/secrets/metrics-token
exec prometheus --config.file=/etc/prometheus/prometheus.yml --storage.tsdb.path=/prometheus \
  --storage.tsdb.retention.time=15d --web.listen-address=:9090 "$@"
