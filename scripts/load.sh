#!/usr/bin/env bash
# `make load` / `make drill`: the benchmark's PostgreSQL and Redis under .state/bench/ (the
# generated database is reused, as by `make bench`), then bench/load.py. Stopped on exit.
#   scripts/load.sh [--drill]
set -euo pipefail
cd "$(dirname "$0")/.."
state=.state/bench
trap 'scripts/services.sh stop "$state"' EXIT
trap 'exit 130' INT TERM
scripts/services.sh start "$state"
set -a; . "$state/env"; set +a
.venv/bin/python -m bench.load "$@"
