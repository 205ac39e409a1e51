"""The import benchmark: a 100,000-row Jira CSV (bench/import_files.py), read in its dry run and
applied, timed, in a process of its own (so that its peak memory is the import's).

Into a new organization of the benchmark database, as its lead: eight epics mapped to goals,
the rest without a goal, people by email (the 50 assignees are members), statuses by category.
Printed as JSON: the file's size, both phases' seconds and the process's peak memory after
each, the statements of the apply and its batches, and whether the coverage rows agree with
the tasks right after the apply.

    python -m bench.imports [rows]
"""

import json
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

MB = 1024 * 1024


def _peak_mb() -> float:
    """This process's peak resident memory (VmHWM: getrusage's maximum is carried over from
    the parent across exec, VmHWM starts afresh)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def measure(rows: int = 100_000) -> dict[str, Any]:
    import django

    django.setup()
    from django.core.files import File
    from django.db import connection
    from django.utils import timezone

    from bench.import_files import write_jira_csv
    from goals import services as goal_services
    from goals.models import GoalStatus
    from imports import services
    from imports.models import ImportRun, ImportState
    from traceability.selectors import coverage_headline
    from vindaris.tenancy.models import Membership, Organization, Role, User
    from work.models import LIVE_STATUSES, Task

    folder = Path(tempfile.mkdtemp(prefix="vindaris-import-bench-"))
    written = write_jira_csv(folder / "jira.csv", rows=rows)
    peak_file = _peak_mb()
    stamp = timezone.now().strftime("%Y%m%d%H%M%S")
    organization = Organization.objects.create(name="Import bench", slug=f"import-{stamp}")
    lead = User.objects.create_user(email=f"lead-{stamp}@import.bench", password=None)
    membership = Membership.objects.create(organization=organization, user=lead, role=Role.LEAD)
    for n in range(50):
        user, _ = User.objects.get_or_create(email=f"dev{n:02d}@example.com")
        Membership.objects.get_or_create(
            organization=organization, user=user, defaults={"role": Role.PLANNER}
        )
    goals = [
        goal_services.goal_create(
            organization=organization, actor=lead, title=f"Goal {n}", status=GoalStatus.ACTIVE
        )
        for n in range(8)
    ]
    with open(written.path, "rb") as binary:
        run = services.import_start(
            organization=organization,
            membership=membership,
            upload=File(binary, name="jira.csv"),
        )
    peak_upload = _peak_mb()
    epics = [f"BIG-{1 + 250 * n}" for n in range(8)]
    ImportRun.objects.filter(organization=organization, pk=run.pk).update(
        mapping={"groups": {epic: goal.key for epic, goal in zip(epics, goals, strict=True)}}
    )
    before = _peak_mb()
    started = time.perf_counter()
    services.run_pending(organization.pk)
    dry_run_s = time.perf_counter() - started
    dry_run_peak = _peak_mb()
    run.refresh_from_db()
    if run.state != ImportState.READY:
        raise SystemExit(f"the dry run failed: {run.error}")
    plan = run.plan
    services.import_apply(organization=organization, membership=membership, run=run)
    statements = 0

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        nonlocal statements
        statements += 1
        return execute(sql, params, many, context)

    started = time.perf_counter()
    with connection.execute_wrapper(count):  # counted, not kept: the SQL is megabytes
        services.run_pending(organization.pk)
    apply_s = time.perf_counter() - started
    run.refresh_from_db()
    if run.state != ImportState.APPLIED:
        raise SystemExit(f"the apply failed: {run.error}")
    headline = coverage_headline(organization=organization, viewer=membership, now=timezone.now())
    live = Task.objects.filter(organization=organization, status__in=LIVE_STATUSES)
    live_effort = sum(live.values_list("estimate", flat=True))
    orphaned = live.filter(goal__isnull=True).count()
    written.path.unlink()
    return {
        "rows": rows,
        "file_mb": round(written.size / MB, 1),
        "work_rows": plan["work_rows"],
        "tasks_created": run.result["tasks"]["new"],
        "linked_new": plan["linked_new"],
        "problems": plan["problems_count"],
        "dry_run_s": round(dry_run_s, 1),
        "apply_s": round(apply_s, 1),
        "peak_mb_file_written": peak_file,
        "peak_mb_uploaded": peak_upload,
        "peak_mb_before": before,
        "peak_mb_dry_run": dry_run_peak,
        "peak_mb_apply": _peak_mb(),
        "apply_statements": statements,
        "batches": -(-plan["work_rows"] // services.BATCH),
        "coverage_agrees": headline.live_effort == live_effort and headline.orphaned == orphaned,
    }


if __name__ == "__main__":
    print(json.dumps(measure(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)))
