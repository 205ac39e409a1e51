#!/usr/bin/env bash
# The benchmark (`make bench`) and the load drills (`make load`, `make drill`): their own
# PostgreSQL and Redis under .state/bench/, stopped on exit but kept on disk, so the generated
# database is reused by the next run (see bench/README.md).
#   scripts/bench.sh [--rebuild]           the benchmark (bench/__main__.py)
#   scripts/bench.sh --load [--drill]      the load or the drill (bench/load.py)
set -euo pipefail
cd "$(dirname "$0")/.."
state=.state/bench
module=bench
if [ "${1:-}" = "--load" ]; then module=bench.load; shift; fi
trap 'scripts/services.sh stop "$state"' EXIT
trap 'exit 130' INT TERM
scripts/services.sh start "$state"
set -a; . "$state/env"; set +a
.venv/bin/python -m "$module" "$@"
