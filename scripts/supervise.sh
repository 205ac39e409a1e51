#!/usr/bin/env bash
# Keep one process running: start it again when it exits, after a pause that doubles with each
# quick failure (1 s up to 30 s; back to 1 s once it has run for a minute), and say so in the log.
# TERM or INT stops the process and this loop.
#   scripts/supervise.sh <name> <command> [args...]
set -uo pipefail
name=$1; shift
child=0
stop() {
  [ "$child" != 0 ] && kill -TERM "$child" 2>/dev/null && wait "$child" 2>/dev/null
  exit 0
}
trap stop INT TERM HUP
pause=1
while true; do
  started=$(date +%s)
  "$@" &
  child=$!
  wait "$child"
  rc=$?
  child=0
  if [ $(( $(date +%s) - started )) -ge 60 ]; then pause=1; fi
  echo "[supervise] $(date -u +%FT%TZ) $name exited with status $rc; starting it again in ${pause}s" >&2
  sleep "$pause" & wait $!
  pause=$(( pause * 2 > 30 ? 30 : pause * 2 ))
done
