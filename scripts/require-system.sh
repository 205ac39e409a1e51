#!/usr/bin/env bash
# Make sure the system packages the project needs are present: Python >= 3.11 with venv,
# PostgreSQL and Redis servers (and, with --browser, for the whole test suite: Chromium and a
# Java runtime for the HTML checker). As root, install the missing ones
# from the distribution's packages; otherwise say exactly what to install.
set -euo pipefail

want_browser=0
[ "${1:-}" = "--browser" ] && want_browser=1
missing=()

py=${PYTHON:-python3}
if ! command -v "$py" >/dev/null || ! "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "Python 3.11 or newer is required (found: $("$py" --version 2>&1 || echo none))." >&2
  exit 1
fi
"$py" -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3-venv)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null || missing+=(postgresql)
command -v redis-server >/dev/null || missing+=(redis-server)
if [ $want_browser = 1 ] && [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then missing+=(chromium); fi
if [ $want_browser = 1 ] && ! command -v java >/dev/null; then missing+=(default-jre-headless); fi

[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "Missing system packages: ${missing[*]}" >&2
  echo "Install them with:  sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
