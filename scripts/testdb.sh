#!/usr/bin/env bash
# testdb.sh start|stop — a throwaway PostgreSQL cluster on loopback for the
# store and job tests. "start" installs Debian's postgresql when it is
# missing, creates a cluster under $SNSOS_TESTDB_DIR (default
# /tmp/snsos-testdb), starts it on 127.0.0.1:$SNSOS_TESTDB_PORT (default
# 55432), creates a fresh database and prints its URL on stdout.
set -euo pipefail

dir=${SNSOS_TESTDB_DIR:-/tmp/snsos-testdb}
port=${SNSOS_TESTDB_PORT:-55432}
db=snsos_test

log() { echo "testdb: $*" >&2; }

bindir() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$d" ] && [ -x "$d/initdb" ] && echo "$d"
}

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-start}" in
start)
  if [ -z "$(bindir)" ]; then
    log "installing PostgreSQL (Debian package postgresql)"
    if [ "$(id -u)" != 0 ]; then log "need root to install postgresql"; exit 1; fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 || true
    apt-get install -y -qq postgresql >&2
  fi
  bin=$(bindir)
  mkdir -p "$dir"
  if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$dir"; fi
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    log "creating cluster in $dir/data"
    as_pg "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --no-locale >/dev/null
  fi
  if ! as_pg "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" start >/dev/null
  fi
  PGOPTIONS=--client-min-messages=warning as_pg "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -qAt \
    -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db" >/dev/null
  echo "postgres://postgres@127.0.0.1:$port/$db?sslmode=disable"
  ;;
stop)
  bin=$(bindir) || exit 0
  if [ -f "$dir/data/PG_VERSION" ]; then
    as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  ;;
*)
  echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
