#!/bin/bash
# The stack project's entrypoint for Debian's MariaDB, written to the official mariadb image's
# documented interface (see the Dockerfile). Initialises an empty data directory once, then execs
# the server.
set -eo pipefail
shopt -s nullglob

log() { printf '%s [entrypoint] %s\n' "$(date -u +%FT%TZ)" "$*"; }
die() { log "error: $*" >&2; exit 1; }
# env NAME: MARIADB_NAME, else MYSQL_NAME (the official image accepts both).
env_or() { local m="MARIADB_$1" y="MYSQL_$1"; printf '%s' "${!m:-${!y:-$2}}"; }
sql_quote() { local s=${1//\\/\\\\}; printf "'%s'" "${s//\'/\'\'}"; }

SOCKET=/run/mysqld/mysqld.sock
DATADIR=/var/lib/mysql

start_temp() {
  "$@" --skip-networking --socket="$SOCKET" --datadir="$DATADIR" &
  TEMP_PID=$!
  for _ in $(seq 1 60); do
    if mariadb-admin --socket="$SOCKET" -uroot ${ROOT_PW:+-p"$ROOT_PW"} ping >/dev/null 2>&1; then return; fi
    kill -0 "$TEMP_PID" 2>/dev/null || die "temporary server exited during initialisation"
    sleep 1
  done
  die "temporary server did not answer within 60 s"
}
stop_temp() {
  mariadb-admin --socket="$SOCKET" -uroot ${ROOT_PW:+-p"$ROOT_PW"} shutdown
  wait "$TEMP_PID"
}
# sql [database]: stdin as root over the socket.
sql() { MYSQL_PWD="$ROOT_PW" mariadb --protocol=socket --socket="$SOCKET" -uroot "$@"; }

if [ "${1:0:1}" = '-' ]; then set -- mariadbd "$@"; fi

if [ "$1" = mariadbd ] || [ "$1" = mysqld ]; then
  mkdir -p "$DATADIR" /run/mysqld
  if [ ! -d "$DATADIR/mysql" ]; then
    ROOT_PW=$(env_or ROOT_PASSWORD)
    DATABASE=$(env_or DATABASE)
    USER_NAME=$(env_or USER)
    USER_PW=$(env_or PASSWORD)
    ROOT_HOST=$(env_or ROOT_HOST %)
    if [ -z "$ROOT_PW" ] && [ -z "$(env_or ALLOW_EMPTY_ROOT_PASSWORD)" ]; then
      die "the data directory is empty and no MARIADB_ROOT_PASSWORD (or MYSQL_ROOT_PASSWORD) is set"
    fi
    log "initialising an empty data directory"
    mariadb-install-db --datadir="$DATADIR" --auth-root-authentication-method=normal \
      --skip-test-db --skip-name-resolve >/dev/null
    ROOT_PW_SET=$ROOT_PW; ROOT_PW=
    start_temp "$@"
    {
      echo "SET @@SESSION.SQL_LOG_BIN=0;"
      echo "DELETE FROM mysql.user WHERE user='';"
      # mariadb-install-db also creates root@127.0.0.1, root@::1 and root@<hostname> WITHOUT a
      # password: with skip-name-resolve a TCP client from 127.0.0.1 would be root for free.
      echo "DROP USER IF EXISTS 'root'@'127.0.0.1', 'root'@'::1';"
      echo "EXECUTE IMMEDIATE CONCAT('DROP USER IF EXISTS root@', QUOTE(@@hostname));"
      echo "ALTER USER 'root'@'localhost' IDENTIFIED BY $(sql_quote "$ROOT_PW_SET");"
      if [ "$ROOT_HOST" != localhost ]; then
        echo "CREATE USER IF NOT EXISTS 'root'@$(sql_quote "$ROOT_HOST") IDENTIFIED BY $(sql_quote "$ROOT_PW_SET");"
        echo "GRANT ALL ON *.* TO 'root'@$(sql_quote "$ROOT_HOST") WITH GRANT OPTION;"
      fi
      [ -n "$DATABASE" ] && echo "CREATE DATABASE IF NOT EXISTS \`$DATABASE\`;"
      if [ -n "$USER_NAME" ] && [ -n "$USER_PW" ]; then
        echo "CREATE USER IF NOT EXISTS $(sql_quote "$USER_NAME")@'%' IDENTIFIED BY $(sql_quote "$USER_PW");"
        [ -n "$DATABASE" ] && echo "GRANT ALL ON \`$DATABASE\`.* TO $(sql_quote "$USER_NAME")@'%';"
      fi
      echo "FLUSH PRIVILEGES;"
    } | MYSQL_PWD= mariadb --protocol=socket --socket="$SOCKET" -uroot
    ROOT_PW=$ROOT_PW_SET
    export MYSQL_PWD=
    for f in /docker-entrypoint-initdb.d/*; do
      case "$f" in
        *.sh) if [ -x "$f" ]; then log "running $f"; "$f"; else log "sourcing $f"; . "$f"; fi ;;
        *.sql) log "running $f"; sql ${DATABASE:+"$DATABASE"} <"$f" ;;
        *.sql.gz) log "running $f"; gunzip -c "$f" | sql ${DATABASE:+"$DATABASE"} ;;
        *) log "ignoring $f" ;;
      esac
    done
    unset MYSQL_PWD
    stop_temp
    log "initialisation complete"
  elif [ -n "$(env_or AUTO_UPGRADE)" ]; then
    ROOT_PW=$(env_or ROOT_PASSWORD)
    have=$(cat "$DATADIR/mysql_upgrade_info" 2>/dev/null || true)
    want=$(mariadbd --version | grep -oE '[0-9]+\.[0-9]+\.[0-9]+-MariaDB' | head -n1 || true)
    if [ -n "$want" ] && [ "${have#"$want"}" = "$have" ]; then
      log "upgrading the data directory (${have:-unknown} -> $want)"
      start_temp "$@"
      MYSQL_PWD="$ROOT_PW" mariadb-upgrade --socket="$SOCKET" -uroot
      stop_temp
    fi
  fi
  unset ROOT_PW ROOT_PW_SET USER_PW
fi
exec "$@"
