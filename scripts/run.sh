#!/usr/bin/env bash
# `make run`: set everything up on this machine and serve Vindaris with demo data, a Celery
# worker and beat. Ctrl-C (or SIGINT/SIGTERM) stops everything this script started.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
state="$root/.state"
port=${PORT:-8000}

scripts/require-system.sh
make -s venv
mkdir -p "$state/mail" "$state/logs"

pids=()
cleanup() {
  trap - INT TERM EXIT
  echo; echo "Stopping Vindaris..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  scripts/services.sh stop "$state"
  echo "Stopped."
}
trap cleanup EXIT
trap 'exit 130' INT TERM

scripts/services.sh start "$state"
set -a; . "$state/env"; set +a
export DJANGO_SETTINGS_MODULE=vindaris.settings.base
export DEBUG=${DEBUG:-true}
export SITE_URL=${SITE_URL:-http://127.0.0.1:$port}
export EMAIL_URL=${EMAIL_URL:-filemail://$state/mail}
export STATIC_ROOT="$state/static"
py="$root/.venv/bin/python"

"$py" manage.py migrate --no-input -v0
"$py" manage.py seed_demo
"$py" manage.py collectstatic --no-input -v0

"$root/.venv/bin/celery" -A vindaris worker -c 2 -l info >"$state/logs/worker.log" 2>&1 &
pids+=($!)
"$root/.venv/bin/celery" -A vindaris beat -l info -s "$state/celerybeat-schedule" >"$state/logs/beat.log" 2>&1 &
pids+=($!)
"$py" manage.py runserver "127.0.0.1:$port" --noreload >"$state/logs/web.log" 2>&1 &
pids+=($!)

for _ in $(seq 100); do
  "$py" - "$port" <<'PY' 2>/dev/null && break
import sys, urllib.request
urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/healthz", timeout=1)
PY
  sleep 0.2
done

cat <<MSG

  Vindaris is running at http://127.0.0.1:$port/

  Demo logins (password for all: vindaris-demo)
    admin@acme.example     Acme admin
    lead@acme.example      Acme lead
    planner@acme.example   Acme planner
    viewer@acme.example    Acme viewer
    lead@globex.example    Globex lead   (admin@globex.example administers Globex)

  Emails are written to   $state/mail/
  Logs (web, worker, beat) $state/logs/
  Press Ctrl-C to stop everything.

MSG
wait -n "${pids[@]}" || true
echo "A process stopped; see $state/logs/." >&2
