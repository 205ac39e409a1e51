#!/usr/bin/env bash
# `make audit`: the supply chain and the code, zero unwaived findings.
#   - pip-audit on both lock files, exactly as pinned and hashed (no resolution, no install);
#   - bandit on our code (settings in .bandit).
# A finding that stays is listed in audit-waivers.toml with its reason; anything else fails.
#
# pip-audit asks PyPI about each pinned version. Where that service cannot be reached, nothing
# was audited: that fails too, unless AUDIT_OFFLINE_OK=1 (then it is reported and bandit alone
# decides). Findings always fail.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${VENV:-.venv}
out=$(mktemp -d "${TMPDIR:-/tmp}/vindaris-audit.XXXXXX")
trap 'rm -rf "$out"' EXIT

for lock in requirements.lock requirements-dev.lock; do
  echo "pip-audit: $lock"
  # Exit status 1 means "vulnerabilities found": the report below judges them against the waivers.
  "$venv/bin/pip-audit" --requirement "$lock" --require-hashes --disable-pip \
    --progress-spinner off --format json --output "$out/pip-audit-$lock.json" 2>"$out/pip-audit-$lock.log" \
    || [ -s "$out/pip-audit-$lock.json" ] || { cat "$out/pip-audit-$lock.log" >&2; exit 1; }
done

echo "bandit: $(sed -n 's/^targets *= *//p' .bandit)"
"$venv/bin/bandit" --ini .bandit --recursive --quiet --format json --output "$out/bandit.json" \
  2>"$out/bandit.log" || [ -s "$out/bandit.json" ] || { cat "$out/bandit.log" >&2; exit 1; }

"$venv/bin/python" scripts/audit_report.py --waivers audit-waivers.toml \
  --bandit "$out/bandit.json" "$out"/pip-audit-*.json
