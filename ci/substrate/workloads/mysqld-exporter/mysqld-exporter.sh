#!/bin/bash
# Translates the official exporter's connection flags into what Debian's 0.14 reads: the
# DATA_SOURCE_NAME, or, when --config.my-cnf names a file with TLS options (ssl-ca, as the mysql
# chart writes for tls.enabled), a my.cnf with the address, user and password added (0.14 reads
# no password from the environment and no TLS from a DSN it did not build). That my.cnf is a pipe
# (bash process substitution): the password is never written to a file. Other flags pass through.
set -euo pipefail
addr=localhost:3306 user=root pass=${MYSQLD_EXPORTER_PASSWORD:-} cnf=""
args=()
for a in "$@"; do
  case "$a" in
    --mysqld.address=*) addr=${a#*=} ;;
    --mysqld.username=*) user=${a#*=} ;;
    --config.my-cnf=*) cnf=${a#*=} ;;
    *) args+=("$a") ;;
  esac
done
if [ -z "${DATA_SOURCE_NAME:-}" ] && [ -n "$cnf" ] && grep -Eq '^[[:space:]]*ssl-' "$cnf"; then
  # the [client] section's TLS lines after ours (host, port, user, password)
  exec /usr/bin/prometheus-mysqld-exporter "${args[@]}" --config.my-cnf=<(
    printf '[client]\nhost = %s\nport = %s\nuser = %s\npassword = """%s"""\n' "${addr%:*}" "${addr##*:}" "$user" "$pass"
    sed -n '/^\[client\]/,/^\[/{/^\[/d;/^[[:space:]]*ssl-/p}' "$cnf")
fi
if [ -z "${DATA_SOURCE_NAME:-}" ]; then
  export DATA_SOURCE_NAME="${user}:${pass}@(${addr})/"
fi
[ -n "$cnf" ] && args+=("--config.my-cnf=$cnf")
exec /usr/bin/prometheus-mysqld-exporter "${args[@]}"
