#!/bin/bash
# Translates the official exporter's connection flags into the DATA_SOURCE_NAME of Debian's 0.14.
set -euo pipefail
addr=localhost:3306 user=root pass=${MYSQLD_EXPORTER_PASSWORD:-}
args=()
for a in "$@"; do
  case "$a" in
    --mysqld.address=*) addr=${a#*=} ;;
    --mysqld.username=*) user=${a#*=} ;;
    *) args+=("$a") ;;
  esac
done
if [ -z "${DATA_SOURCE_NAME:-}" ]; then
  export DATA_SOURCE_NAME="${user}:${pass}@(${addr})/"
fi
exec /usr/bin/prometheus-mysqld-exporter "${args[@]}"
