#!/usr/bin/env bash
# Start or stop a project-local PostgreSQL cluster and Redis in a state folder, on Unix sockets only.
#   scripts/services.sh start <dir>   # prints nothing on success; writes <dir>/env
#   scripts/services.sh stop <dir>
# Redis keeps an append-only file (queued jobs survive a restart) unless REDIS_APPENDONLY=no.
# As root, PostgreSQL runs as the `postgres` user (it refuses to run as root).
set -euo pipefail

cmd=${1:?usage: services.sh start|stop <dir>}
dir=$(mkdir -p "${2:?state folder}" && cd "$2" && pwd)
pgdata="$dir/pg"
sock="$dir/run"
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
[ -n "$pgbin" ] || pgbin=$(dirname "$(command -v pg_ctl)")

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
  mkdir -p "$sock"
  if [ "$(id -u)" = 0 ]; then
    # The postgres user must be able to reach the folder: open every parent for traversal.
    p="$dir"; while [ "$p" != / ]; do chmod o+x "$p" 2>/dev/null || true; p=$(dirname "$p"); done
    chown postgres "$sock"
  fi
  if [ ! -f "$pgdata/PG_VERSION" ]; then
    mkdir -p "$pgdata"
    [ "$(id -u)" = 0 ] && chown postgres "$pgdata"
    as_pg "$pgbin/initdb" -D "$pgdata" -U vindaris --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
  fi
  if ! as_pg "$pgbin/pg_ctl" -D "$pgdata" status >/dev/null 2>&1; then
    # listen_addresses='' : Unix socket only, so no TCP port can clash.
    as_pg "$pgbin/pg_ctl" -D "$pgdata" -l "$pgdata/server.log" -w -t 60 start \
      -o "-c listen_addresses='' -k $sock -c fsync=${PG_FSYNC:-on} -c max_connections=200" >/dev/null \
      || { tail -n 20 "$pgdata/server.log" >&2; exit 1; }
  fi
  if ! redis-cli -s "$sock/redis.sock" ping >/dev/null 2>&1; then
    redis-server --port 0 --unixsocket "$sock/redis.sock" --unixsocketperm 770 \
      --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --dir "$dir" \
      --save '' --appendonly "${REDIS_APPENDONLY:-yes}" >/dev/null
    for _ in $(seq 50); do redis-cli -s "$sock/redis.sock" ping >/dev/null 2>&1 && break; sleep 0.1; done
  fi
  for _ in $(seq 50); do
    "$pgbin/psql" -h "$sock" -U vindaris -d postgres -Atqc 'select 1' >/dev/null 2>&1 && break; sleep 0.1
  done
  if [ "$("$pgbin/psql" -h "$sock" -U vindaris -d postgres -Atqc "select 1 from pg_database where datname='vindaris'")" != 1 ]; then
    "$pgbin/createdb" -h "$sock" -U vindaris vindaris
  fi
  cat >"$dir/env" <<ENV
DATABASE_URL=postgres://vindaris@/vindaris?host=$sock
REDIS_URL=redis+socket://$sock/redis.sock
PGHOST=$sock
PGUSER=vindaris
PGDATABASE=vindaris
ENV
}

stop() {
  if [ -f "$dir/redis.pid" ]; then
    redis-cli -s "$sock/redis.sock" shutdown nosave >/dev/null 2>&1 || kill "$(cat "$dir/redis.pid")" 2>/dev/null || true
    rm -f "$dir/redis.pid"
  fi
  if [ -f "$pgdata/postmaster.pid" ]; then
    as_pg "$pgbin/pg_ctl" -D "$pgdata" -m fast -w stop >/dev/null 2>&1 || true
  fi
}

"$cmd"
