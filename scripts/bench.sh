#!/usr/bin/env bash
# The benchmark (`make bench`): its own PostgreSQL and Redis under .state/bench/, stopped on exit
# but kept on disk, so the generated database is reused by the next run (see bench/README.md).
#   scripts/bench.sh [--rebuild]
set -euo pipefail
cd "$(dirname "$0")/.."
state=.state/bench
trap 'scripts/services.sh stop "$state"' EXIT
trap 'exit 130' INT TERM
scripts/services.sh start "$state"
set -a; . "$state/env"; set +a
.venv/bin/python -m bench "$@"
