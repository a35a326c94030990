#!/usr/bin/env bash
# build-go-stack.sh: build, from their Go modules, the compose stack's components that may be
# built here, at the versions compose/.env pins, into ./.stack/go (linked from ./.stack/bin):
#
#   otelcol      the OpenTelemetry Collector, by the collector builder, from go-stack/otelcol-builder.yaml
#   prometheus3  Prometheus 3 (cmd/prometheus, no web UI bundle), from the module in go-stack/prometheus
#
# Tempo, Loki and Grafana are not built: their modules are AGPL-licensed, which this project's
# build machines do not take; the tests stand in for them (see README, "What runs in the tests").
#
# Cached: a binary is rebuilt only when its version or recipe changes (a stamp beside it); Go's
# module and build caches (GOMODCACHE, GOCACHE) make a rebuild after a version bump cheaper.
# Env: STACK_DIR (default ./.stack), GO (default: go on PATH, else /usr/local/go/bin/go).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
STACK_DIR=${STACK_DIR:-"$ROOT/.stack"}
OUT="$STACK_DIR/go" BIN="$STACK_DIR/bin"
GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
[ -x "$GO" ] || { echo "no Go toolchain (go on PATH or /usr/local/go/bin/go)" >&2; exit 1; }
export PATH="$(dirname "$GO"):$PATH" GOFLAGS=-trimpath CGO_ENABLED=0
mkdir -p "$OUT" "$BIN"

log() { echo "[build-go-stack] $*" >&2; }
tag() { sed -n "s/^$1=.*:v\{0,1\}\(.*\)$/\1/p" compose/.env; }   # the image tag, without a leading v

OTELCOL_VERSION=$(tag OTELCOL_IMAGE)
PROMETHEUS_VERSION=$(tag PROMETHEUS_IMAGE)                    # 3.14.0
IFS=. read -r major minor patch <<<"$PROMETHEUS_VERSION"
[ "$major" = 3 ] || { echo "compose pins Prometheus $PROMETHEUS_VERSION; this script builds 3.x" >&2; exit 1; }
PROMETHEUS_MODULE=v0.$((300 + minor)).$patch                   # Prometheus 3.14.0 is module v0.314.0

recipe() { { echo "$1"; cat "${@:2}"; } | sha256sum; }   # recipe VERSION FILES...
fresh() {  # fresh NAME VERSION FILES...: the binary exists and was built from this recipe
  [ -x "$OUT/$1" ] && [ -f "$OUT/$1.stamp" ] && [ "$(cat "$OUT/$1.stamp")" = "$(recipe "${@:2}")" ]
}
stamp() { recipe "${@:2}" > "$OUT/$1.stamp"; }

recipe_otelcol=("$OTELCOL_VERSION" scripts/go-stack/otelcol-builder.yaml)
if fresh otelcol "${recipe_otelcol[@]}"; then
  log "otelcol $OTELCOL_VERSION: cached"
else
  start=$SECONDS
  log "otelcol $OTELCOL_VERSION: building with the collector builder"
  GOBIN="$OUT/tools" go install "go.opentelemetry.io/collector/cmd/builder@v$OTELCOL_VERSION"
  work="$OUT/otelcol-src"
  rm -rf "$work" && mkdir -p "$work"
  sed -e "s|VERSION|$OTELCOL_VERSION|g" -e "s|OUTPUT|$work|" scripts/go-stack/otelcol-builder.yaml > "$work.yaml"
  "$OUT/tools/builder" --config "$work.yaml" >"$OUT/otelcol-build.log" 2>&1 || { cat "$OUT/otelcol-build.log" >&2; exit 1; }
  mv "$work/otelcol" "$OUT/otelcol"
  stamp otelcol "${recipe_otelcol[@]}"
  log "otelcol built in $((SECONDS - start)) s"
fi

recipe_prometheus=("$PROMETHEUS_MODULE" scripts/go-stack/prometheus/go.mod scripts/go-stack/prometheus/go.sum)
if fresh prometheus3 "${recipe_prometheus[@]}"; then
  log "prometheus $PROMETHEUS_VERSION: cached"
else
  start=$SECONDS
  log "prometheus $PROMETHEUS_VERSION (module $PROMETHEUS_MODULE): building"
  (cd scripts/go-stack/prometheus &&
     { grep -q "github.com/prometheus/prometheus $PROMETHEUS_MODULE" go.mod ||
         go get -tool "github.com/prometheus/prometheus/cmd/prometheus@$PROMETHEUS_MODULE"; } &&
     go build -ldflags "-X github.com/prometheus/common/version.Version=$PROMETHEUS_VERSION" \
       -o "$OUT/prometheus3" github.com/prometheus/prometheus/cmd/prometheus)
  stamp prometheus3 "${recipe_prometheus[@]}"
  log "prometheus built in $((SECONDS - start)) s"
fi

ln -sfn ../go/otelcol "$BIN/otelcol"
ln -sfn ../go/prometheus3 "$BIN/prometheus3"
"$BIN/otelcol" --version >&2
"$BIN/prometheus3" --version 2>&1 | head -n1 >&2
