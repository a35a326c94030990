#!/usr/bin/env bash
# install-test-stack.sh: put the real servers the integration tests talk to into ./.stack/bin.
#
#   prometheus, promtool, alertmanager, amtool   (scrape path, rules, alert delivery)
#   victoria-metrics, vmalert                    (OTLP/HTTP metrics in, Prometheus query API out)
#   docker-compose                               (validates compose/ against the compose spec; no engine)
#   promtool3                                    (Prometheus 3 config syntax, from Debian unstable)
#
# Debian 12 ships Prometheus 2.42 and a VictoriaMetrics without OTLP ingest, so the binaries are
# taken from Debian 13 (trixie) packages: `apt-get download` with a private sources list derived
# from this machine's own, then `dpkg-deb -x` into .stack (no system package is changed; the
# binaries need glibc >= 2.34). On Debian 13 the derived list is the machine's own.
# The one write outside .stack: Debian's Alertmanager reads its templates from a path compiled
# into the binary, /usr/share/prometheus/alertmanager/, so the two template files go there.
#
# Idempotent: a second run only checks the binaries. Env: STACK_DIR (default ./.stack).
set -euo pipefail

STACK_DIR=${STACK_DIR:-"$PWD/.stack"}
mkdir -p "$STACK_DIR"
STACK_DIR=$(cd "$STACK_DIR" && pwd)
SUITE=trixie
PKGS="prometheus promtool prometheus-alertmanager victoria-metrics docker-compose"
BIN="$STACK_DIR/bin" APT="$STACK_DIR/apt" ROOT="$STACK_DIR/root" STAMP="$STACK_DIR/.installed"
AM_SHARE=/usr/share/prometheus/alertmanager

log() { echo "[install-test-stack] $*" >&2; }

binaries_run() {
  "$BIN/prometheus" --version >/dev/null 2>&1 && "$BIN/promtool" --version >/dev/null 2>&1 &&
    "$BIN/alertmanager" --version >/dev/null 2>&1 && "$BIN/victoria-metrics" -version >/dev/null 2>&1 &&
    [ -x "$BIN/vmalert" ] && "$BIN/docker-compose" version >/dev/null 2>&1
}

place_alertmanager_templates() {
  if [ -f "$AM_SHARE/default.tmpl" ] && dpkg -S "$AM_SHARE/default.tmpl" >/dev/null 2>&1; then
    return 0  # a system package owns the file already
  fi
  mkdir -p "$AM_SHARE"
  cp "$ROOT$AM_SHARE"/*.tmpl "$AM_SHARE"/
}

if [ -f "$STAMP" ] && binaries_run; then
  place_alertmanager_templates
  log "already installed in $STACK_DIR"
  exit 0
fi

codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
[ -n "$codename" ] || { echo "cannot tell the Debian release from /etc/os-release" >&2; exit 1; }
log "Debian $codename: taking $PKGS from $SUITE"

mkdir -p "$APT/lists/partial" "$APT/parts" "$APT/prefs.d" "$APT/debs"
: > "$APT/derived.sources"
for f in /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] || continue
  grep -qE "^Suites:.*\b${codename}\b" "$f" || continue
  { sed -E "s/\b${codename}\b/${SUITE}/g" "$f"; echo; } >> "$APT/derived.sources"
done
SRC="$APT/derived.sources"
if [ ! -s "$SRC" ]; then  # one-line sources.list style
  SRC="$APT/derived.list"
  cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
    grep -E "^[[:space:]]*deb[[:space:]].*[[:space:]]${codename}([-/][a-z-]+)?[[:space:]]" |
    sed -E "s/\b${codename}\b/${SUITE}/g" > "$SRC" || true
  [ -s "$SRC" ] || { echo "no Debian '$codename' apt source to derive a '$SUITE' one from" >&2; exit 1; }
fi

OPTS=(-o "Dir::Etc::SourceList=$SRC" -o "Dir::Etc::SourceParts=$APT/parts" -o "Dir::State::Lists=$APT/lists"
      -o "Dir::Etc::Preferences=$APT/preferences" -o "Dir::Etc::PreferencesParts=$APT/prefs.d"
      -o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache=" -o "APT::Sandbox::User=root" -o "Acquire::Retries=3")
apt-get "${OPTS[@]}" -qq update
rm -f "$APT"/debs/*.deb
(cd "$APT/debs" && apt-get "${OPTS[@]}" -qq download $PKGS)

rm -rf "$ROOT" "$BIN"
mkdir -p "$ROOT" "$BIN"
for deb in "$APT"/debs/*.deb; do dpkg-deb -x "$deb" "$ROOT"; done
rm -f "$ROOT"/usr/bin/{vmagent,vmauth,vmbackup,vmrestore,vmctl} "$APT"/debs/*.deb
ln -sfn ../root/usr/bin/prometheus "$BIN/prometheus"
ln -sfn ../root/usr/bin/promtool "$BIN/promtool"
ln -sfn ../root/usr/bin/prometheus-alertmanager "$BIN/alertmanager"
ln -sfn ../root/usr/bin/amtool "$BIN/amtool"
ln -sfn ../root/usr/bin/victoria-metrics "$BIN/victoria-metrics"
ln -sfn ../root/usr/bin/vmalert "$BIN/vmalert"
ln -sfn ../root/usr/libexec/docker/cli-plugins/docker-compose "$BIN/docker-compose"
place_alertmanager_templates
binaries_run || { echo "the unpacked binaries do not run" >&2; exit 1; }

# Prometheus 3's config (the `otlp:` block) needs a promtool 3; Debian has one only in unstable.
# Optional: without it the compose test checks the config with promtool 2 minus that block.
SID="$APT/sid.sources"
awk -v RS= -v ORS="\n\n" '!/security/ { gsub(/Suites:[^\n]*/, "Suites: sid"); print }' "$APT/derived.sources" > "$SID" 2>/dev/null || true
rm -rf "$STACK_DIR/promtool3"
if [ -s "$SID" ] && mkdir -p "$APT/sid-lists/partial" &&
   apt-get "${OPTS[@]}" -o "Dir::Etc::SourceList=$SID" -o "Dir::State::Lists=$APT/sid-lists" -qq update &&
   (cd "$APT/debs" && apt-get "${OPTS[@]}" -o "Dir::Etc::SourceList=$SID" -o "Dir::State::Lists=$APT/sid-lists" \
      -qq download promtool) &&
   dpkg-deb -x "$APT"/debs/promtool_*.deb "$STACK_DIR/promtool3" && "$STACK_DIR/promtool3/usr/bin/promtool" --version >/dev/null 2>&1
then
  ln -sfn ../promtool3/usr/bin/promtool "$BIN/promtool3"
else
  log "no promtool 3 (Debian unstable unreachable); the compose test falls back to promtool 2"
fi
rm -f "$APT"/debs/*.deb
date -u +%FT%TZ > "$STAMP"
"$BIN/prometheus" --version 2>&1 | head -n1 >&2
"$BIN/victoria-metrics" -version 2>&1 | head -n1 >&2
log "done"
