"""Judge pip-audit and bandit reports against audit-waivers.toml; exit 1 on any unwaived finding.

    python scripts/audit_report.py --waivers audit-waivers.toml --bandit bandit.json \
        pip-audit-a.json pip-audit-b.json

A bandit waiver names the test, the file and a piece of the flagged code (never a line number,
so it survives edits elsewhere in the file and dies with the code it excuses). A vulnerability
waiver names the advisory and the package. Every waiver gives its reason.
"""

import argparse
import json
import os
import re
import sys
import tomllib
from pathlib import Path
from typing import Any

UNREACHABLE = "Dependency not found on PyPI"
LINE_NUMBER = re.compile(r"^\d+ ?", re.MULTILINE)


def _load(path: str) -> Any:
    return json.loads(Path(path).read_text())


def _waived(finding: dict[str, Any], waivers: list[dict[str, str]], used: set[int]) -> str | None:
    """The reason of the first waiver matching `finding`, or None."""
    for i, w in enumerate(waivers):
        if all(
            w[k] in finding[k] if k == "code" else w[k] == finding[k] for k in w if k != "reason"
        ):
            used.add(i)
            return w["reason"]
    return None


KEYS = {"bandit": {"test", "file", "code"}, "vulnerability": {"id", "package"}}


def _valid_waivers(
    waivers: dict[str, list[dict[str, str]]], problems: list[str]
) -> dict[str, list[dict[str, str]]]:
    """The well-formed waivers by kind; each malformed one is a problem (and waives nothing)."""
    valid: dict[str, list[dict[str, str]]] = {kind: [] for kind in KEYS}
    for kind, entries in waivers.items():
        if kind not in KEYS:
            problems.append(f"unknown waiver table [[{kind}]]")
            continue
        for w in entries:
            if set(w) != KEYS[kind] | {"reason"} or not str(w.get("reason", "")).strip():
                problems.append(f"[[{kind}]] needs exactly {sorted(KEYS[kind])} and a reason: {w}")
            else:
                valid[kind].append(w)
    return valid


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--waivers", required=True)
    parser.add_argument("--bandit", required=True)
    parser.add_argument("pip_audit", nargs="+")
    args = parser.parse_args()

    problems: list[str] = []
    waivers = _valid_waivers(tomllib.loads(Path(args.waivers).read_text()), problems)
    bandit_waivers = waivers["bandit"]
    vuln_waivers = waivers["vulnerability"]
    used_bandit: set[int] = set()
    used_vuln: set[int] = set()
    unwaived: list[str] = []
    waived: list[str] = []

    # Dependencies -----------------------------------------------------------------------------
    audited = skipped = 0
    for path in args.pip_audit:
        for dep in _load(path)["dependencies"]:
            if "skip_reason" in dep:
                skipped += 1
                if not dep["skip_reason"].startswith(UNREACHABLE):
                    problems.append(f"{dep['name']}: not audited: {dep['skip_reason']}")
                continue
            audited += 1
            for vuln in dep.get("vulns", []):
                finding = {"id": vuln["id"], "package": dep["name"]}
                fixed = ", ".join(vuln.get("fix_versions") or []) or "no fix yet"
                label = f"{dep['name']} {dep['version']}: {vuln['id']} (fixed in: {fixed})"
                reason = _waived(finding, vuln_waivers, used_vuln)
                (waived if reason else unwaived).append(
                    f"{label}{f' — waived: {reason}' if reason else ''}"
                )
    print(f"pip-audit: {audited} pinned dependencies audited, {skipped} not audited")
    if skipped and not audited:
        message = (
            "the vulnerability service (PyPI's JSON API) could not be reached: nothing audited"
        )
        if os.environ.get("AUDIT_OFFLINE_OK") == "1":
            print(f"pip-audit: NOT RUN: {message} (AUDIT_OFFLINE_OK=1)")
        else:
            problems.append(f"pip-audit: {message}; set AUDIT_OFFLINE_OK=1 to go on without it")
    elif skipped:
        problems.append(f"pip-audit: {skipped} dependencies could not be audited")

    # Code ---------------------------------------------------------------------------------------
    report = _load(args.bandit)
    for error in report.get("errors", []):
        problems.append(f"bandit could not scan {error.get('filename')}: {error.get('reason')}")
    for r in report["results"]:
        finding = {
            "test": r["test_id"],
            "file": r["filename"].removeprefix("./"),
            "code": LINE_NUMBER.sub("", r["code"]),
        }
        label = f"{finding['file']}:{r['line_number']} {r['test_id']} {r['issue_text']}"
        reason = _waived(finding, bandit_waivers, used_bandit)
        (waived if reason else unwaived).append(
            f"{label}{f' — waived: {reason}' if reason else ''}"
        )
    print(f"bandit: {len(report['results'])} findings")

    for i, w in enumerate(bandit_waivers):
        if i not in used_bandit:
            print(f"note: stale bandit waiver (matches nothing; remove it): {w}")
    for i, w in enumerate(vuln_waivers):
        if i not in used_vuln:
            print(f"note: stale vulnerability waiver (matches nothing; remove it): {w}")
    if waived:
        print(f"\nWaived ({len(waived)}):\n  " + "\n  ".join(waived))
    if unwaived:
        print(
            f"\nUNWAIVED FINDINGS ({len(unwaived)}): fix them, or waive each with its reason "
            f"in {args.waivers}:\n  " + "\n  ".join(unwaived)
        )
    for p in problems:
        print(f"ERROR: {p}")
    if unwaived or problems:
        return 1
    print("\nAudit clean: no unwaived findings.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
