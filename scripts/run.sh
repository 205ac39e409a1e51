#!/usr/bin/env bash
# `make run`: set everything up on this machine and serve Vindaris with demo data, a Celery
# worker and beat. Ctrl-C (SIGINT), SIGTERM or closing the terminal stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
state="$root/.state"
port=${PORT:-8000}

scripts/require-system.sh
make -s venv
mkdir -p "$state/mail" "$state/logs"

# One `make run` per checkout: a second one would share, then stop, the first one's services.
if [ -f "$state/run.pid" ] && kill -0 "$(cat "$state/run.pid")" 2>/dev/null; then
  echo "Vindaris is already running from this folder (process $(cat "$state/run.pid"))." >&2
  exit 1
fi
py="$root/.venv/bin/python"
if ! "$py" -c 'import socket, sys; socket.create_server(("127.0.0.1", int(sys.argv[1]))).close()' \
  "$port" 2>/dev/null; then
  echo "Port $port on 127.0.0.1 is in use; pick another, e.g.  PORT=8001 make run" >&2
  exit 1
fi
echo $$ >"$state/run.pid"

# Each process runs in a session of its own, so that only this script handles Ctrl-C and the
# terminal's signals, and stopping one stops all of its children (the Celery pool included).
pids=()
spawn() {
  local log=$1; shift
  setsid "$@" >"$state/logs/$log.log" 2>&1 &
  pids+=($!)
}
cleanup() {
  local rc=$?
  # Finish stopping the services whatever happens now: ignore further signals (make forwards its
  # own SIGTERM) and errors (a closed terminal).
  trap "" INT TERM HUP
  trap - EXIT
  set +e
  echo; echo "Stopping Vindaris..."
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null; done
  for _ in $(seq 100); do # up to 10 seconds to stop gracefully, then force it
    alive=0
    for pid in "${pids[@]}"; do kill -0 -- "-$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do kill -KILL -- "-$pid" 2>/dev/null; done
  wait 2>/dev/null
  scripts/services.sh stop "$state"
  rm -f "$state/run.pid"
  echo "Stopped."
  exit "$rc"
}
trap cleanup EXIT
# Ctrl-C is the normal way to stop: exit cleanly.
trap 'exit 0' INT TERM HUP

scripts/services.sh start "$state"
set -a; . "$state/env"; set +a
export DJANGO_SETTINGS_MODULE=vindaris.settings.base
export DEBUG=${DEBUG:-true}
export SITE_URL=${SITE_URL:-http://127.0.0.1:$port}
# django-environ reads filemail:////abs/path as absolute (with three slashes the path is relative).
export EMAIL_URL=${EMAIL_URL:-filemail:///$state/mail}
export STATIC_ROOT="$state/static"

# Static files are collected while the database is migrated and seeded (it needs no database).
"$py" manage.py collectstatic --no-input -v0 &
collect=$!
"$py" manage.py migrate --no-input -v0
"$py" manage.py seed_demo
wait "$collect"

# Each under scripts/supervise.sh: a worker, beat or web server that exits is started again
# (with backoff, said in its log); the others and the databases keep running.
spawn worker scripts/supervise.sh worker "$root/.venv/bin/celery" -A vindaris worker -c 2 -l info
spawn beat scripts/supervise.sh beat \
  "$root/.venv/bin/celery" -A vindaris beat -l info -s "$state/celerybeat-schedule"
# migrate ran the system checks already.
spawn web scripts/supervise.sh web \
  "$py" manage.py runserver "127.0.0.1:$port" --noreload --skip-checks
web=${pids[-1]}

up=0
for _ in $(seq 150); do
  kill -0 "$web" 2>/dev/null || break
  if "$py" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' \
    "http://127.0.0.1:$port/healthz" 2>/dev/null; then
    up=1; break
  fi
  sleep 0.2
done
if [ $up = 0 ]; then
  echo "The web server did not start; the end of $state/logs/web.log:" >&2
  tail -n 20 "$state/logs/web.log" >&2
  exit 1
fi

cat <<MSG

  Vindaris is running at http://127.0.0.1:$port/

  Demo logins (password for all: vindaris-demo)
    admin@acme.example     Acme admin
    lead@acme.example      Acme lead
    planner@acme.example   Acme planner
    viewer@acme.example    Acme viewer
    admin@globex.example   Globex admin
    lead@globex.example    Globex lead

  Emails are written to    $state/mail/
  Logs (web, worker, beat) $state/logs/
  Press Ctrl-C to stop everything.

MSG
wait -n "${pids[@]}" || true
echo "A supervisor stopped unexpectedly; see $state/logs/." >&2
exit 1
