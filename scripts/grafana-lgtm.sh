#!/usr/bin/env bash
# grafana-lgtm.sh: otel-ml's dashboards and alert rules in one container, grafana/otel-lgtm
# (Grafana, Prometheus, Tempo, Loki and an OpenTelemetry Collector), on this machine's loopback.
#
#   bash scripts/grafana-lgtm.sh          # then, in another terminal:
#   OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 OTEL_METRIC_EXPORT_INTERVAL=1000 otel-ml demo
#   open http://127.0.0.1:3000 (dashboards in the otel_ml folder); Ctrl-C stops the container
#
# Mounted, read-only, from this repository:
#   grafana/dashboards/*.json            -> Grafana's dashboards, provisioned by grafana/lgtm/dashboards.yaml
#   grafana/provisioning/alerting/rules.yaml -> Grafana-managed alert rules (no contact points: the
#                                           compose stack's routes need its secrets; see compose/)
#   grafana/rules/*.yml                  -> Prometheus's alerting and recording rules (the fleet PSI
#                                           panels and `otel-ml report`'s alerts need them), added to
#                                           the image's own prometheus.yaml, which is copied out first
# The image's datasource uids (prometheus, tempo, loki) are the ones the dashboards use
# (tests/test_lgtm.py checks them against the image's provisioning files).
#
# Env: OTEL_LGTM_IMAGE (default grafana/otel-lgtm:0.31.0), CONTAINER_ENGINE (default docker, else
# podman), OTEL_LGTM_NAME (container name, default otel-ml-lgtm), OTEL_LGTM_WORK (where the
# Prometheus config is written, default .lgtm).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
IMAGE=${OTEL_LGTM_IMAGE:-grafana/otel-lgtm:0.31.0}
NAME=${OTEL_LGTM_NAME:-otel-ml-lgtm}
WORK=${OTEL_LGTM_WORK:-"$ROOT/.lgtm"}
ENGINE=${CONTAINER_ENGINE:-$(command -v docker || command -v podman || true)}
PROVISIONING=/otel-lgtm/grafana/conf/provisioning

if [ -z "$ENGINE" ]; then
  echo "grafana-lgtm.sh: needs docker or podman (CONTAINER_ENGINE=...)." >&2
  echo "Without a container engine: the compose stack's parts run as processes, see docs/grafana.md." >&2
  exit 1
fi
mkdir -p "$WORK"
# the image's own Prometheus config, plus otel-ml's rule files
container=$("$ENGINE" create "$IMAGE")
"$ENGINE" cp "$container:/otel-lgtm/prometheus.yaml" "$WORK/prometheus.yaml"
"$ENGINE" rm "$container" >/dev/null
if ! grep -q '^rule_files:' "$WORK/prometheus.yaml"; then
  printf '\n# added by otel-ml scripts/grafana-lgtm.sh\nrule_files:\n  - /otel-ml/rules/*.yml\n' >> "$WORK/prometheus.yaml"
fi

echo "grafana-lgtm.sh: Grafana on http://127.0.0.1:3000, OTLP on 127.0.0.1:4317 (gRPC) and :4318 (HTTP),"
echo "  Prometheus on http://127.0.0.1:9090. Send telemetry with:"
echo "  OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 OTEL_METRIC_EXPORT_INTERVAL=1000 otel-ml demo"
echo "  and write a report with: otel-ml report --model breast-cancer --sample-interval 1s"
exec "$ENGINE" run --rm --name "$NAME" \
  -p 127.0.0.1:3000:3000 -p 127.0.0.1:4317:4317 -p 127.0.0.1:4318:4318 -p 127.0.0.1:9090:9090 \
  -v "$ROOT/grafana/dashboards:$PROVISIONING/dashboards/otel-ml:ro" \
  -v "$ROOT/grafana/lgtm/dashboards.yaml:$PROVISIONING/dashboards/otel-ml.yaml:ro" \
  -v "$ROOT/grafana/provisioning/alerting/rules.yaml:$PROVISIONING/alerting/otel-ml-rules.yaml:ro" \
  -v "$ROOT/grafana/rules:/otel-ml/rules:ro" \
  -v "$WORK/prometheus.yaml:/otel-lgtm/prometheus.yaml:ro" \
  "$IMAGE"
