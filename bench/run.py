"""Measure the pages, the reconciler and the digest on the benchmark database, beside their
floors, and check the targets of the performance issue.

Pages are requested through Django's test client with the real middleware (sessions, CSRF
checks, authentication, htmx, CSP) under `vindaris.settings.base` with DEBUG off, signed in as
the lead of each scale's organization. Server time is the wall time of `Client.request`, which
includes the client's own overhead of a fraction of a millisecond. Each page's floor
(`bench.floors`) runs through its own psycopg connection, interleaved with the page's requests.

Peak memory is tracemalloc's peak of Python allocations during one request (C-level buffers,
such as libpq's, are not included); the process's maximum resident set is reported beside it.

Run by `python -m bench` (see bench/__main__.py), which points DATABASE_URL at a fresh copy of
the generated database.
"""

import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import api as api_bench
from bench import floors
from bench.generate import SCALES, lead_email

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / os.environ.get("BENCH_RESULTS", "bench-results.json")
REQUESTS = max(30, int(os.environ.get("BENCH_REQUESTS", "30")))
# A partial run while working on one part: BENCH_ONLY=work_list,digest BENCH_SCALES=L measures
# those alone and prints their figures, without the table or a verdict.
ONLY = {k for k in os.environ.get("BENCH_ONLY", "").split(",") if k}
ONLY_SCALES = [s for s in os.environ.get("BENCH_SCALES", "").split(",") if s]
WARMUP = 5
# A page slower than this gets one warm-up request instead of WARMUP.
SLOW_S = 1.0

MB = 1024 * 1024


@dataclass(frozen=True)
class Page:
    key: str
    label: str
    url_name: str
    with_goal: str = ""  # which target goal the URL names: "busiest" or "expand"
    htmx: bool = False
    post: bool = False


PAGES = [
    Page("coverage", "coverage dashboard", "coverage"),
    Page("trace_root", "trace root", "trace"),
    Page("trace_expand", "node expansion", "trace_goal_children", "expand", htmx=True),
    Page("goal_page", "goal page (busiest goal)", "goal_detail", "busiest"),
    Page("work_list", "work list", "work_list"),
    Page("add_task", "inline add-task POST (htmx)", "goal_task_add", "busiest", True, True),
]

# Server time targets at L, in milliseconds (p95).
TIME_TARGETS = {"trace_expand": 25, "goal_page": 30, "work_list": 30, "add_task": 25}
COVERAGE_ABSOLUTE_MS = 150
COVERAGE_FLOOR_FACTOR, COVERAGE_RENDER_MS = 1.5, 30
RECONCILE_FACTOR = 2
DIGEST_SECONDS, DIGEST_QUERIES = 2.0, 10
PEAK_MB = 50


class BenchError(RuntimeError):
    pass


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def _url(page: Page, t: floors.Target) -> str | None:
    from django.urls import NoReverseMatch, reverse

    kwargs: dict[str, Any] = {"org_slug": t.slug}
    if page.with_goal:
        kwargs["goal_number"] = t.busiest_goal if page.with_goal == "busiest" else t.expand_goal
    try:
        return reverse(page.url_name, kwargs=kwargs)
    except NoReverseMatch:
        return None


class Session:
    """One scale: its organization's lead signed in to a test client that checks CSRF."""

    def __init__(self, scale: str, cursor: Any) -> None:
        from django.test import Client

        from vindaris.tenancy.models import User

        spec = SCALES[scale]
        self.scale = scale
        self.target = floors.target(cursor, spec.slug, lead_email(spec.slug))
        self.client = Client(enforce_csrf_checks=True)
        self.client.force_login(User.objects.get(pk=self.target.user_id))
        self.sent = 0
        goal_url = _url(PAGES[3], self.target)
        if goal_url is None:
            raise BenchError(f"{scale}: the goal page has no URL")
        response = self.client.get(goal_url)
        if response.status_code != 200:
            raise BenchError(f"{scale}: the goal page answered {response.status_code}")
        self.csrf = self.client.cookies["csrftoken"].value

    def request(self, page: Page, url: str) -> Any:
        headers: dict[str, Any] = {"HTTP_HX_REQUEST": "true"} if page.htmx else {}
        if page.post:
            self.sent += 1
            response = self.client.post(
                url,
                {
                    "title": f"Follow up on the quarterly review {self.sent}",
                    "outcome": "",
                    "assignee": "",
                    "estimate": "2",
                    "due_date": "",
                },
                HTTP_X_CSRFTOKEN=self.csrf,
                **headers,
            )
        else:
            response = self.client.get(url, **headers)
        if response.status_code != 200:
            raise BenchError(f"{page.label} at {self.scale} answered {response.status_code}")
        return response


def _floor_call(page: Page, cur: Any, t: floors.Target, conn: Any) -> Callable[[], Any]:
    function = floors.PAGES[page.key]
    if page.post:
        return lambda: function(cur, t, atomic=conn.transaction)
    return lambda: function(cur, t)


def measure_page(session: Session, page: Page, cur: Any, conn: Any, keep_sql: bool) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    t = session.target
    url = _url(page, t)
    floor = _floor_call(page, cur, t, conn)
    result: dict[str, Any] = {"url": url, "status": "ok" if url else "missing"}
    try:
        for i in range(WARMUP):
            started = time.perf_counter()
            if url:
                session.request(page, url)
            floor()
            if i == 0 and time.perf_counter() - started > SLOW_S:
                break
    except Exception as e:  # a page that fails is reported, and the run goes on
        url, result["status"] = None, f"error: {type(e).__name__}: {e}"[:300]
    page_times, floor_times = [], []
    for _ in range(REQUESTS):
        if url:
            started = time.perf_counter()
            session.request(page, url)
            page_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        floor()
        floor_times.append(time.perf_counter() - started)
    result["floor_p50_ms"] = _ms(statistics.median(floor_times))
    result["floor_p95_ms"] = _ms(_p95(floor_times))
    if not url:
        return result
    result["p50_ms"] = _ms(statistics.median(page_times))
    result["p95_ms"] = _ms(_p95(page_times))
    result["ratio_p95"] = round(result["p95_ms"] / result["floor_p95_ms"], 2)
    with CaptureQueriesContext(connection) as ctx:
        response = session.request(page, url)
    result["queries"] = len(ctx.captured_queries)
    result["bytes"] = len(response.content)
    if keep_sql:
        result["sql"] = [
            {"ms": round(float(q["time"]) * 1000, 2), "sql": q["sql"][:400]}
            for q in ctx.captured_queries
        ]
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        session.request(page, url)
        result["peak_mb"] = round((tracemalloc.get_traced_memory()[1] - base) / MB, 2)
    finally:
        tracemalloc.stop()
    return result


def measure_reconciler(cur: Any) -> dict:
    """Every organization reconciled, three times; beside it the floor's answers for all."""
    from django.utils import timezone

    from traceability import services
    from vindaris.tenancy.models import Organization

    organizations = list(Organization.objects.order_by("pk"))
    large = SCALES["L"].slug

    def app() -> tuple[float, float, int, int]:
        total = large_time = 0.0
        raised = resolved = 0
        for organization in organizations:
            started = time.perf_counter()
            outcome = services.flags_reconcile(organization=organization)
            took = time.perf_counter() - started
            total += took
            large_time += took if organization.slug == large else 0
            raised, resolved = raised + outcome.raised, resolved + outcome.resolved
        return total, large_time, raised, resolved

    def floor() -> tuple[float, float, int, int]:
        total = large_time = 0.0
        raised = resolved = 0
        now = timezone.now()
        for organization in organizations:
            started = time.perf_counter()
            r, s = floors.reconcile(cur, organization.pk, organization.starved_grace_days, now)
            took = time.perf_counter() - started
            total += took
            large_time += took if organization.slug == large else 0
            raised, resolved = raised + r, resolved + s
        return total, large_time, raised, resolved

    first = app()  # settles what changed since the database was generated
    runs, floor_runs = [], []
    for _ in range(3):
        floor_runs.append(floor())
        runs.append(app())
    median = sorted(runs)[1]
    floor_median = sorted(floor_runs)[1]
    return {
        "organizations": len(organizations),
        "first_run": {"s": round(first[0], 3), "raised": first[2], "resolved": first[3]},
        "all_s": round(median[0], 3),
        "large_s": round(median[1], 3),
        "floor_all_s": round(floor_median[0], 3),
        "floor_large_s": round(floor_median[1], 3),
        "ratio": round(median[0] / floor_median[0], 2),
        "steady_raised": median[2],
        "steady_resolved": median[3],
        "floor_raised": floor_median[2],
        "floor_resolved": floor_median[3],
    }


def measure_digest() -> dict:
    """The weekly digest's build step for the L organization and its 1,000 members: the
    recipients, then every member's digest (flags are reconciled beforehand)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from traceability import digest, selectors
    from traceability.clock import week_of
    from traceability.models import OPEN, Flag
    from vindaris.tenancy.models import Organization

    organization = Organization.objects.get(slug=SCALES["L"].slug)
    now = timezone.now()
    week = week_of(organization, now)

    def build() -> list:
        recipients = selectors.digest_recipients(organization=organization, week=week)
        return digest.build_digests(organization=organization, memberships=recipients, now=now)

    started = time.perf_counter()
    with CaptureQueriesContext(connection) as ctx:
        digests = build()
    times = [time.perf_counter() - started]
    peak: float | None = None
    if times[0] < DIGEST_SECONDS * 5:  # a slow build is timed once: its verdict is clear
        for _ in range(3):
            started = time.perf_counter()
            build()
            times.append(time.perf_counter() - started)
        times = times[1:]  # the first was the warm-up
        tracemalloc.start()
        try:
            build()
            peak = round(tracemalloc.get_traced_memory()[1] / MB, 2)
        finally:
            tracemalloc.stop()
    recipients = len(digests)
    seconds = statistics.median(times)
    return {
        "recipients": recipients,
        "open_flags": Flag.objects.filter(OPEN, organization=organization).count(),
        "build_s": round(seconds, 3),
        "per_1000_s": round(seconds * 1000 / recipients, 3) if recipients else None,
        "runs": len(times),
        "queries": len(ctx.captured_queries),
        "peak_mb": peak,
    }


def data_summary(cur: Any, targets: dict[str, floors.Target]) -> dict:
    """What each scale's organization holds, and the whole database."""
    summary: dict[str, Any] = {}
    for scale, t in targets.items():
        cur.execute(
            """
            SELECT (SELECT count(*) FROM tenancy_membership WHERE organization_id = %(org)s),
                   (SELECT count(*) FROM goals_goal WHERE organization_id = %(org)s),
                   (SELECT count(*) FROM goals_outcome WHERE organization_id = %(org)s),
                   (SELECT count(*) FROM work_task WHERE organization_id = %(org)s),
                   (SELECT count(*) FROM work_task WHERE organization_id = %(org)s
                       AND status = ANY(%(live)s)),
                   (SELECT count(*) FROM work_task t JOIN goals_goal g ON g.id = t.goal_id
                     WHERE t.organization_id = %(org)s AND g.number = %(busiest)s),
                   (SELECT count(*) FROM traceability_flag
                     WHERE organization_id = %(org)s AND resolved_at IS NULL)
            """,
            {"org": t.org_id, "live": floors.LIVE, "busiest": t.busiest_goal},
        )
        names = ("members", "goals", "outcomes", "tasks", "live_tasks", "busiest_goal_tasks")
        row = cur.fetchone()
        summary[scale] = {**dict(zip(names, row[:6], strict=True)), "open_flags": row[6]}
    cur.execute(
        "SELECT (SELECT count(*) FROM tenancy_organization), (SELECT count(*) FROM work_task),"
        " pg_size_pretty(pg_database_size(current_database()))"
    )
    organizations, tasks, size = cur.fetchone()
    summary["database"] = {"organizations": organizations, "tasks": tasks, "size": size}
    return summary


def machine(cur: Any) -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kb / 1024 / 1024:.0f} GB"
    except (OSError, ValueError, IndexError):
        pass
    cur.execute("SHOW server_version")
    pg = cur.fetchone()[0]
    import django

    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": memory,
        "os": platform.platform(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "postgresql": pg,
        "requests": REQUESTS,
    }


def _state(r: dict) -> str:
    """ "missing" (the URL does not reverse), "error" (it fails), or "" when measured."""
    return "" if r["status"] == "ok" else r["status"].split(":", 1)[0]


IMPORT_DRY_RUN_S, IMPORT_APPLY_S = 15, 60


def measure_import() -> dict[str, Any]:
    """The import of a 100,000-row Jira CSV (bench/imports.py), in a process of its own."""
    done = subprocess.run(  # noqa: S603 - our own module
        [sys.executable, "-m", "bench.imports"],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def evaluate(
    pages: dict, reconcile: dict, digest: dict, imported: dict, api: dict | None = None
) -> list[dict]:
    """Every target of the issue, measured, met or not. A missing or failing page misses its
    targets."""
    targets = []

    def add(name: str, measured: str, met: bool) -> None:
        targets.append({"target": name, "measured": measured, "met": bool(met)})

    labels = {p.key: p.label for p in PAGES}
    for key, by_scale in pages.items():
        counts = [by_scale[s].get("queries") for s in SCALES]
        if any(c is None for c in counts):
            states = " / ".join(_state(by_scale[s]) or str(by_scale[s]["queries"]) for s in SCALES)
            add(f"{labels[key]}: same query count at S, M, L", states, False)
        else:
            add(
                f"{labels[key]}: same query count at S, M, L",
                " / ".join(str(c) for c in counts),
                len(set(counts)) == 1,
            )
    coverage = pages["coverage"]["L"]
    if "p95_ms" in coverage:
        limit = COVERAGE_FLOOR_FACTOR * coverage["floor_p95_ms"] + COVERAGE_RENDER_MS
        add(
            "coverage dashboard at L: p95 ≤ 1.5 × floor + 30 ms",
            f"{coverage['p95_ms']} ms (limit {limit:.1f} ms)",
            coverage["p95_ms"] <= limit,
        )
        add(
            f"coverage dashboard at L: p95 < {COVERAGE_ABSOLUTE_MS} ms",
            f"{coverage['p95_ms']} ms",
            coverage["p95_ms"] < COVERAGE_ABSOLUTE_MS,
        )
    else:
        state = _state(coverage)
        add("coverage dashboard at L: p95 ≤ 1.5 × floor + 30 ms", state, False)
        add(f"coverage dashboard at L: p95 < {COVERAGE_ABSOLUTE_MS} ms", state, False)
    for key, limit in TIME_TARGETS.items():
        at_l = pages[key]["L"]
        if "p95_ms" in at_l:
            add(
                f"{labels[key]} at L: p95 ≤ {limit} ms",
                f"{at_l['p95_ms']} ms",
                at_l["p95_ms"] <= limit,
            )
        else:
            add(f"{labels[key]} at L: p95 ≤ {limit} ms", _state(at_l), False)
    add(
        f"reconciler over all data ≤ {RECONCILE_FACTOR} × its floor",
        f"{reconcile['all_s']} s vs floor {reconcile['floor_all_s']} s ({reconcile['ratio']} ×)",
        reconcile["ratio"] <= RECONCILE_FACTOR,
    )
    per_1000 = digest["per_1000_s"]
    add(
        f"digest build ≤ {DIGEST_SECONDS:g} s per 1,000 recipients",
        f"{per_1000} s",
        per_1000 is not None and per_1000 <= DIGEST_SECONDS,
    )
    add(
        f"digest build ≤ {DIGEST_QUERIES} queries per 1,000 recipients",
        str(digest["queries"]),
        digest["queries"] <= DIGEST_QUERIES,
    )
    add(
        f"import of a 100,000-row Jira CSV: dry run ≤ {IMPORT_DRY_RUN_S} s",
        f"{imported['dry_run_s']} s ({imported['file_mb']} MB,"
        f" peak {imported['peak_mb_dry_run']} MB)",
        imported["dry_run_s"] <= IMPORT_DRY_RUN_S,
    )
    add(
        f"import of a 100,000-row Jira CSV: apply ≤ {IMPORT_APPLY_S} s, coverage right after",
        f"{imported['apply_s']} s ({imported['apply_statements']} statements,"
        f" {imported['batches']} batches, peak {imported['peak_mb_apply']} MB)",
        imported["apply_s"] <= IMPORT_APPLY_S and imported["coverage_agrees"],
    )
    for name, measured, met in api_bench.targets(api or {}, list(SCALES)):
        add(name, measured, met)
    for key, by_scale in pages.items():
        peaks = [by_scale[s].get("peak_mb") for s in SCALES]
        if any(p is None for p in peaks):
            states = " / ".join(_state(by_scale[s]) or str(by_scale[s]["peak_mb"]) for s in SCALES)
            add(f"{labels[key]}: peak memory ≤ {PEAK_MB} MB", states, False)
        else:
            add(
                f"{labels[key]}: peak memory ≤ {PEAK_MB} MB",
                f"{max(peaks)} MB",
                max(peaks) <= PEAK_MB,
            )
    return targets


def _cell(value: Any, suffix: str = "") -> str:
    return "—" if value is None else f"{value}{suffix}"


def report(results: dict) -> str:
    m = results["machine"]
    d = results["data"]
    lines = [
        f"## Benchmark, {m['date']}",
        "",
        f"{d['database']['organizations']} organizations, {d['database']['tasks']:,} tasks, "
        f"{d['database']['size']}. "
        + "; ".join(
            f"{s}: {d[s]['goals']:,} goals, {d[s]['outcomes']:,} outcomes, {d[s]['tasks']:,} tasks "
            f"({d[s]['live_tasks']:,} live), {d[s]['members']:,} members, "
            f"{d[s]['open_flags']:,} open flags, busiest goal {d[s]['busiest_goal_tasks']:,} tasks"
            for s in SCALES
        )
        + ".",
        "",
        f"{m['cpu']} ({m['cores']} cores), {m['memory']} RAM; PostgreSQL {m['postgresql']}, "
        f"Python {m['python']}, Django {m['django']}; {m['requests']} requests per figure "
        f"after {WARMUP} of warm-up (one for pages slower than {SLOW_S:g} s); load average "
        f"{m['load_before'][0]} before, {m['load_after'][0]} after. Floors run with jit = off.",
        "",
        "| page | scale | queries | p50 ms | p95 ms | floor p50 ms | floor p95 ms "
        "| page/floor (p95) | peak MB |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|",
    ]
    labels = {p.key: p.label for p in PAGES}
    for key, by_scale in results["pages"].items():
        for scale, r in by_scale.items():
            lines.append(
                f"| {labels[key]} | {scale} | {_state(r) or r['queries']} "
                f"| {_cell(r.get('p50_ms'))} | {_cell(r.get('p95_ms'))} "
                f"| {r['floor_p50_ms']} | {r['floor_p95_ms']} "
                f"| {_cell(r.get('ratio_p95'), ' ×')} | {_cell(r.get('peak_mb'))} |"
            )
    rec, dig = results["reconcile"], results["digest"]
    lines += ["", *api_bench.report_rows(results.get("api", {}))]
    lines += [
        "",
        "| job | measured | floor | ratio |",
        "|---|--:|--:|--:|",
        f"| reconciler, all {rec['organizations']} organizations | {rec['all_s']} s "
        f"| {rec['floor_all_s']} s | {rec['ratio']} × |",
        f"| reconciler, L alone | {rec['large_s']} s | {rec['floor_large_s']} s "
        f"| {round(rec['large_s'] / rec['floor_large_s'], 2) if rec['floor_large_s'] else '—'} × |",
        f"| digest build, {dig['recipients']:,} recipients and {dig['open_flags']:,} open flags"
        f" at L | {dig['build_s']} s, {dig['queries']} queries, peak "
        f"{_cell(dig['peak_mb'], ' MB')} | — | — |",
        "",
        "| target | measured | met |",
        "|---|---|---|",
    ]
    for t in results["targets"]:
        lines.append(f"| {t['target']} | {t['measured']} | {'yes' if t['met'] else '**no**'} |")
    lines.append("")
    for key, by_scale in results["pages"].items():
        for scale, r in by_scale.items():
            if _state(r) == "error":
                lines.append(f"- {labels[key]} at {scale}: {r['status']}")
    lines.append(f"Process max RSS: {results['max_rss_mb']} MB.")
    return "\n".join(lines)


def partial_run(cur: Any) -> int:
    """BENCH_ONLY / BENCH_SCALES: measure a part, print its figures as JSON, no verdict."""
    conn = cur.connection
    out: dict[str, Any] = {}
    for scale in ONLY_SCALES or list(SCALES):
        session = Session(scale, cur)
        for page in PAGES:
            if not ONLY or page.key in ONLY:
                r = measure_page(session, page, cur, conn, keep_sql=False)
                out[f"{page.key}@{scale}"] = r
                print(f"bench: {page.label} at {scale}: {json.dumps(r, default=str)}", flush=True)
    if "api" in ONLY:
        for scale in ONLY_SCALES or list(SCALES):
            t = floors.target(cur, SCALES[scale].slug, lead_email(SCALES[scale].slug))
            out[f"api@{scale}"] = api_bench.measure(t, REQUESTS)
            print(f"bench: api at {scale}: {json.dumps(out[f'api@{scale}'])}", flush=True)
    if "reconcile" in ONLY:
        out["reconcile"] = measure_reconciler(cur)
        print(f"bench: reconciler: {json.dumps(out['reconcile'], default=str)}", flush=True)
    if "import" in ONLY:
        out["import"] = measure_import()
        print(f"bench: import: {json.dumps(out['import'])}", flush=True)
    if "digest" in ONLY:
        out["digest"] = measure_digest()
        print(f"bench: digest: {json.dumps(out['digest'], default=str)}", flush=True)
    return 0


def main() -> int:
    import django

    django.setup()
    import psycopg
    from django.conf import settings
    from django.core.management import call_command

    if settings.DEBUG:
        raise BenchError("the benchmark measures with DEBUG off")
    call_command("collectstatic", interactive=False, verbosity=0)
    db = settings.DATABASES["default"]
    conn = psycopg.connect(
        dbname=db["NAME"],
        user=db.get("USER") or None,
        host=db.get("HOST") or None,
        port=db.get("PORT") or None,
        password=db.get("PASSWORD") or None,
        autocommit=True,
        # Plan every floor statement for its values, as the app's statements are (Django does
        # not prepare them): a prepared statement's generic plan, blind to the organization,
        # can be far slower than the query needs to be.
        prepare_threshold=None,
    )
    cur = conn.cursor()
    # The floors are the database's least work: no JIT compilation (which PostgreSQL's default
    # settings spend on every large aggregate); the app runs with the server's settings.
    cur.execute("SET jit = off")
    results: dict[str, Any] = {"machine": machine(cur), "pages": {p.key: {} for p in PAGES}}
    results["api"] = {}
    results["machine"]["load_before"] = [round(x, 2) for x in os.getloadavg()]
    targets: dict[str, floors.Target] = {}
    if ONLY or ONLY_SCALES:
        return partial_run(cur)
    for scale in SCALES:
        session = Session(scale, cur)
        targets[scale] = session.target
        print(
            f"bench: {scale} = {session.target.slug}, busiest goal G-{session.target.busiest_goal},"
            f" expanding G-{session.target.expand_goal}",
            flush=True,
        )
        for page in PAGES:
            started = time.perf_counter()
            results["pages"][page.key][scale] = measure_page(
                session, page, cur, conn, keep_sql=scale == "L"
            )
            r = results["pages"][page.key][scale]
            print(
                f"bench:   {page.label}: {r.get('p95_ms', _state(r))} ms p95, floor "
                f"{r['floor_p95_ms']} ms ({time.perf_counter() - started:.0f} s)",
                flush=True,
            )
        results["api"][scale] = api_bench.measure(session.target, REQUESTS)
        slowest = max((r.get("p95_ms", 0) for r in results["api"][scale].values()), default=0)
        print(f"bench:   API operations: slowest p95 {slowest} ms", flush=True)
    results["data"] = data_summary(cur, targets)
    print("bench: reconciler", flush=True)
    results["reconcile"] = measure_reconciler(cur)
    print("bench: digest", flush=True)
    results["digest"] = measure_digest()
    print("bench: import", flush=True)
    results["import"] = measure_import()
    results["machine"]["load_after"] = [round(x, 2) for x in os.getloadavg()]
    results["max_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    results["targets"] = evaluate(
        results["pages"], results["reconcile"], results["digest"], results["import"], results["api"]
    )
    met = sum(1 for t in results["targets"] if t["met"])
    total = len(results["targets"])
    results["met"], results["total"] = met, total
    RESULTS.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print()
    print(report(results))
    print()
    print(f"bench: {met} of {total} targets met")
    conn.close()
    return 0 if met == total else 1


if __name__ == "__main__":
    sys.exit(main())
