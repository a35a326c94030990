#!/bin/sh
# Random secrets for compose/compose.yaml, one file each, readable by you only:
#   sh compose/make-secrets.sh [directory]      (default: compose/secrets, next to this script)
# An existing file is kept, so that tokens survive a second run; delete it to get a new one.
set -eu
dir="${1:-$(dirname "$0")/secrets}"
umask 077
mkdir -p "$dir"
for name in rollback-token deploy-token grafana-admin-password grafana-secret-key; do
  if [ ! -s "$dir/$name" ]; then
    # 32 random bytes as hex: 64 characters, past every minimum length
    od -An -N32 -tx1 /dev/urandom | tr -d ' \n' > "$dir/$name"
    echo "wrote $dir/$name"
  fi
done
# the containers run as their own users (Grafana 472, the demo 10001): compose mounts secret files
# with the file's mode, so let them read, and nobody else on this host but you
chmod 644 "$dir"/*
chmod 700 "$dir"
