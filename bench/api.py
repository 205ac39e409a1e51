"""The public API's list and detail operations at each scale (bench/run.py), asked with a
read-only personal access token of the organization's lead, the member the pages are measured
as; through Django's test client with the real middleware, as the pages are. There is no floor:
each operation reads through the same selectors as the page that shows the same thing, whose
floor bench/floors.py measures."""

import math
import statistics
import time
from typing import Any

# (key, label, path under /api/v1/o/<slug>/): the path's {busiest} is the goal with the most
# tasks, {task} its newest task, {outcome} the organization's first outcome of that goal.
OPERATIONS = [
    ("api_goals", "API goal list", "goals/"),
    ("api_goal", "API goal (busiest)", "goals/{busiest}/"),
    ("api_outcomes", "API outcomes of a goal", "goals/{busiest}/outcomes/"),
    ("api_outcome", "API outcome", "outcomes/{outcome}/"),
    ("api_tasks", "API task list", "tasks/"),
    ("api_tasks_suspect", "API suspect tasks", "tasks/?gap=suspect"),
    ("api_tasks_of_goal", "API task list of a goal", "tasks/?goal=G-{busiest}"),
    ("api_task", "API task", "tasks/{task}/"),
    ("api_coverage", "API coverage", "coverage/"),
    ("api_coverage_goals", "API per-goal coverage", "coverage/goals/"),
    ("api_flags", "API open flags", "coverage/flags/"),
    ("api_members", "API members", "members/"),
]
P95_MS = 20  # at L, every list and detail operation
WARMUP = 5


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def measure(target: Any, requests: int) -> dict[str, dict[str, Any]]:
    """p50, p95 and the query count of every operation for one scale's `target`
    (bench.floors.Target)."""
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from api import services
    from goals.models import Goal, Outcome
    from vindaris.tenancy.models import Membership, Organization
    from work.models import Task

    settings.API_RATE_LIMIT = 10**9  # the benchmark measures the work, not the limit
    organization = Organization.objects.get(pk=target.org_id)
    member = Membership.objects.select_related("user").get(
        organization=organization, user_id=target.user_id
    )
    _, token = services.token_create(
        organization=organization, actor=member.user, member=member, name="bench"
    )
    goal = Goal.objects.get(organization=organization, number=target.busiest_goal)
    task = Task.objects.filter(organization=organization, goal=goal).order_by("-number").first()
    outcome = Outcome.objects.filter(organization=organization, goal=goal).order_by("number")
    outcome_number = outcome.first() or Outcome.objects.filter(organization=organization).first()
    values = {
        "busiest": target.busiest_goal,
        "task": task.number if task else 1,
        "outcome": outcome_number.number if outcome_number else 1,
    }
    client = Client(headers={"Authorization": f"Bearer {token}"})
    base = f"/api/v1/o/{organization.slug}/"
    results: dict[str, dict[str, Any]] = {}
    for key, _, path in OPERATIONS:
        url = base + path.format(**values)
        result: dict[str, Any] = {"url": url}
        try:
            for _ in range(WARMUP):
                response = client.get(url)
                if response.status_code != 200:
                    raise RuntimeError(f"{url} answered {response.status_code}")
            times = []
            for _ in range(requests):
                started = time.perf_counter()
                client.get(url)
                times.append(time.perf_counter() - started)
            with CaptureQueriesContext(connection) as ctx:
                client.get(url)
        except Exception as e:  # an operation that fails is reported, and the run goes on
            result["status"] = f"error: {type(e).__name__}: {e}"[:300]
            results[key] = result
            continue
        result.update(
            status="ok",
            p50_ms=round(statistics.median(times) * 1000, 2),
            p95_ms=round(_p95(times) * 1000, 2),
            queries=len(ctx.captured_queries),
            bytes=len(response.content),
        )
        results[key] = result
    return results


def targets(by_scale: dict[str, dict[str, dict[str, Any]]], scales: list[str]) -> list[tuple]:
    """(name, measured, met) of the API's targets: the same query count at every scale, and
    p95 ≤ P95_MS at L."""
    found = []
    for key, label, _ in OPERATIONS:
        rows = [by_scale.get(s, {}).get(key, {}) for s in scales]
        counts = [r.get("queries") for r in rows]
        found.append(
            (
                f"{label}: same query count at S, M, L",
                " / ".join(
                    str(c) if c is not None else r.get("status", "missing")[:5]
                    for c, r in zip(counts, rows, strict=True)
                ),
                None not in counts and len(set(counts)) == 1,
            )
        )
        at_l = by_scale.get("L", {}).get(key, {})
        found.append(
            (
                f"{label} at L: p95 ≤ {P95_MS} ms",
                f"{at_l['p95_ms']} ms" if "p95_ms" in at_l else at_l.get("status", "missing"),
                "p95_ms" in at_l and at_l["p95_ms"] <= P95_MS,
            )
        )
    return found


def report_rows(by_scale: dict[str, dict[str, dict[str, Any]]]) -> list[str]:
    lines = ["| API operation | scale | queries | p50 ms | p95 ms |", "|---|---|--:|--:|--:|"]
    for key, label, _ in OPERATIONS:
        for scale, operations in by_scale.items():
            r = operations.get(key, {})
            lines.append(
                f"| {label} | {scale} | {r.get('queries', r.get('status', '—'))} "
                f"| {r.get('p50_ms', '—')} | {r.get('p95_ms', '—')} |"
            )
    return lines
