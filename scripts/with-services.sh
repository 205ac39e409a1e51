#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL and Redis, torn down on exit (even on failure).
#   scripts/with-services.sh <command> [args...]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vindaris-test.XXXXXX")
cleanup() { "$here/services.sh" stop "$tmp" || true; rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
PG_FSYNC=off REDIS_APPENDONLY=no "$here/services.sh" start "$tmp"
set -a; . "$tmp/env"; set +a
"$@"
