"""The coverage dashboard and the triage queues: /o/<org_slug>/coverage/…

Every member sees them; leads and admins act on them. Every action goes through the goals and
work services, which write the history rows. An htmx action answers with out-of-band swaps only:
the rows that left the queue removed, the headline counts and the messages refreshed; a plain
POST redirects back to the page it came from.
"""

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import (
    Http404,
    HttpResponse,
    HttpResponseRedirect,
    QueryDict,
    StreamingHttpResponse,
)
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from goals import services as goal_services
from goals.models import GoalStatus
from traceability import selectors
from traceability.clock import local_date
from traceability.forms import (
    NEEDS_GOAL,
    QUEUE_ACTIONS,
    SORT_LABELS,
    CoverageFilterForm,
    GoalSearchForm,
    TriageForm,
    TriageSelectionForm,
)
from vindaris.tenancy.access import OrgRequest, org_view
from vindaris.tenancy.models import Role
from work import services as work_services
from work.forms import add_service_errors
from work.models import TaskStatus

# The triage queues, and the full "what should we stop?" list, which works like one.
QUEUES = ("orphaned", "stranded", "suspect", "starved")
KINDS = (*QUEUES, "stop")
PICKER_KINDS = ("orphaned", "stranded", "suspect")  # queues with an action that needs a goal
NEEDS_GOAL_ACTION = {"orphaned": "link", "stranded": "move", "suspect": "move"}

TITLES = {
    "orphaned": "Orphaned tasks",
    "stranded": "Stranded tasks",
    "suspect": "Suspect links",
    "starved": "Starved goals",
    "stop": "What should we stop?",
}
EXPLAINED = {
    "orphaned": "Live tasks with no goal. Link each to the active goal it serves, or cancel it.",
    "stranded": "Live tasks whose goal is not active. Move each to an active goal, cancel it, "
    "or keep it with a written reason: it then stays listed as kept until its goal changes "
    "again.",
    "suspect": "Live tasks whose goal changed materially after their link was confirmed. "
    "Confirm the link, move the task, or cancel it.",
    "starved": "Active goals with no live task anywhere under them, past the grace period. "
    "Plan work on the goal's page, or put the goal on hold.",
    "stop": "Live work on stranded goals and on over-funded low-priority goals, largest effort "
    "first.",
}
# The history row's "why" when the lead gives none.
DEFAULT_REASONS = {
    "link": "linked from the orphaned queue",
    "move": "moved from the {kind} queue",
    "cancel": "cancelled from the {kind} queue",
    "confirm": "confirmed from the suspect queue",
}
TREND_WEEKS = 12
DASHBOARD_STOP_ITEMS = 10
# Columns sorted largest first on the first click.
DESCENDING_FIRST = {
    "live_tasks",
    "live_effort",
    "share",
    "implied",
    "funding",
    "done",
    "progress",
    "activity",
    "gaps",
}


def _is_fragment(request: OrgRequest) -> bool:
    """An htmx request that swaps part of the page (a history restore wants the whole page)."""
    htmx = request.htmx  # type: ignore[attr-defined]
    return bool(htmx) and not htmx.history_restore_request


def _htmx_target(request: OrgRequest) -> str:
    return (request.htmx.target or "") if _is_fragment(request) else ""  # type: ignore[attr-defined]


def _next_url(request: OrgRequest, fallback: str) -> str:
    """The posted `next` page when it is a path of this site, else `fallback`."""
    target = request.POST.get("next") or ""
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def _cursor(value: str | None) -> int | None:
    try:
        number = int(value or "")
    except ValueError:
        return None
    return number if number > 0 else None


def _page_number(value: str | None) -> int:
    try:
        return max(1, min(int(value or "1"), 1_000_000))
    except ValueError:
        return 1


def _query(params: QueryDict, **changes: Any) -> str:
    query = params.copy()
    for key, value in changes.items():
        query.pop(key, None)
        if value is not None:
            query[key] = str(value)
    return query.urlencode()


@dataclass(frozen=True)
class QueueUrls:
    page: str
    csv: str
    triage: str
    act: str


def _urls(request: OrgRequest, kind: str) -> QueueUrls:
    slug = request.organization.slug
    return QueueUrls(
        page=reverse(f"coverage_{kind}", args=[slug]),
        csv=reverse(f"coverage_{kind}_csv", args=[slug]),
        triage=reverse(f"coverage_{kind}_triage", args=[slug]),
        act=reverse(f"coverage_{kind}_act", args=[slug]),
    )


# The trend: server-rendered SVG charts -------------------------------------------------------

CHART_WIDTH, CHART_HEIGHT = 640, 200
PLOT_LEFT, PLOT_RIGHT, PLOT_TOP, PLOT_BOTTOM = 44, 16, 12, 28
GAP_SERIES = [
    ("orphaned", "Orphaned"),
    ("stranded", "Stranded"),
    ("suspect", "Suspect"),
    ("starved", "Starved"),
]


@dataclass(frozen=True)
class TrendPoint:
    day: date
    linked_percent: int | None
    orphaned: int
    stranded: int
    suspect: int
    starved: int
    live: bool = False  # today's figures, computed now rather than snapshotted


@dataclass(frozen=True)
class Tick:
    at: float
    label: str


@dataclass(frozen=True)
class Series:
    name: str
    label: str
    points: str  # SVG polyline points
    last: tuple[float, float] | None
    latest: str


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    description: str
    series: list[Series]
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT
    plot_left: int = PLOT_LEFT
    plot_right: int = CHART_WIDTH - PLOT_RIGHT
    plot_bottom: int = CHART_HEIGHT - PLOT_BOTTOM


def _trend_points(
    snapshots: list[Any], headline: selectors.Headline, today: date
) -> list[TrendPoint]:
    """The snapshots before today, then today's live figures (so the trend ends where the
    headline stands, whether or not today's snapshot was taken yet)."""
    points = [
        TrendPoint(
            day=s.date,
            linked_percent=None if s.linked_ratio is None else round(100 * s.linked_ratio),
            orphaned=s.orphaned,
            stranded=s.stranded,
            suspect=s.suspect,
            starved=s.starved,
        )
        for s in snapshots
        if s.date < today
    ]
    points.append(
        TrendPoint(
            day=today,
            linked_percent=headline.linked_percent,
            orphaned=headline.orphaned,
            stranded=headline.stranded,
            suspect=headline.suspect,
            starved=headline.starved,
            live=True,
        )
    )
    return points


def _chart(
    *,
    chart_id: str,
    title: str,
    points: list[TrendPoint],
    start: date,
    end: date,
    series: list[tuple[str, str]],
    percent: bool,
) -> Chart:
    plot_w = CHART_WIDTH - PLOT_LEFT - PLOT_RIGHT
    plot_h = CHART_HEIGHT - PLOT_TOP - PLOT_BOTTOM
    span = max(1, (end - start).days)
    values = [getattr(p, name) for p in points for name, _ in series]
    if percent:
        top = 100
    else:
        highest = max([v for v in values if v is not None] or [0])
        top = max(2, highest + highest % 2)  # even, so the middle tick is a whole number

    def x(day: date) -> float:
        return round(PLOT_LEFT + plot_w * (day - start).days / span, 1)

    def y(value: float) -> float:
        return round(PLOT_TOP + plot_h * (1 - value / top), 1)

    def fmt(value: int | None) -> str:
        if value is None:
            return "no live work"
        return f"{value}%" if percent else str(value)

    drawn = []
    for name, label in series:
        coords = [(x(p.day), y(v)) for p in points if (v := getattr(p, name)) is not None]
        drawn.append(
            Series(
                name=name,
                label=label,
                points=" ".join(f"{cx},{cy}" for cx, cy in coords),
                last=coords[-1] if coords else None,
                latest=fmt(getattr(points[-1], name)),
            )
        )
    first = points[0]
    changes = "; ".join(
        f"{label} {fmt(getattr(first, name))} on {first.day:%-d %b} and "
        f"{fmt(getattr(points[-1], name))} today"
        for name, label in series
    )
    since = "" if len(points) > 1 else " No snapshots yet: today's figures only."
    return Chart(
        id=chart_id,
        title=title,
        description=f"{changes}.{since}",
        series=drawn,
        y_ticks=[Tick(at=y(v), label=fmt(v) if percent else str(v)) for v in (0, top // 2, top)],
        x_ticks=[
            Tick(at=x(start), label=f"{start:%-d %b}"),
            Tick(at=x(start + timedelta(days=span // 2)), label=""),
            Tick(at=x(end), label="today"),
        ],
    )


def _weekly(points: list[TrendPoint], today: date) -> list[TrendPoint]:
    """The latest point of each of the last weeks, newest first: the chart's figures as a
    table."""
    rows = []
    for week in range(TREND_WEEKS):
        end = today - timedelta(weeks=week)
        in_week = [p for p in points if end - timedelta(days=7) < p.day <= end]
        if in_week:
            rows.append(in_week[-1])
    return rows


@dataclass(frozen=True)
class Trend:
    linked: Chart
    gaps: Chart
    weekly: list[TrendPoint]
    from_snapshots: bool


def _trend(request: OrgRequest, headline: selectors.Headline, now: datetime) -> Trend:
    today = local_date(request.organization, now)
    start = today - timedelta(weeks=TREND_WEEKS)
    snapshots = selectors.coverage_trend(
        organization=request.organization, viewer=request.membership, start=start, end=today
    )
    points = _trend_points(snapshots, headline, today)
    return Trend(
        linked=_chart(
            chart_id="trend-linked",
            title="Linked ratio over the last 12 weeks",
            points=points,
            start=start,
            end=today,
            series=[("linked_percent", "Linked ratio")],
            percent=True,
        ),
        gaps=_chart(
            chart_id="trend-gaps",
            title="Gaps over the last 12 weeks",
            points=points,
            start=start,
            end=today,
            series=GAP_SERIES,
            percent=False,
        ),
        weekly=_weekly(points, today),
        from_snapshots=len(points) > 1,
    )


# The dashboard: /o/<org_slug>/coverage/ -------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    query: str  # the query string that sorts by this column
    aria_sort: str  # "ascending", "descending" or "" when not sorted by it


def _columns(params: QueryDict, sort: str) -> list[Column]:
    columns = []
    current, descending = sort.lstrip("-"), sort.startswith("-")
    for key, label in SORT_LABELS.items():
        if key == current:
            next_sort = key if descending else f"-{key}"
            aria = "descending" if descending else "ascending"
        else:
            next_sort = f"-{key}" if key in DESCENDING_FIRST else key
            aria = ""
        columns.append(
            Column(
                key=key,
                label=label,
                query=_query(params, sort=next_sort, page=None),
                aria_sort=aria,
            )
        )
    return columns


def _goal_table_context(
    request: OrgRequest, now: datetime
) -> tuple[dict[str, Any], selectors.Overview]:
    filter_form = CoverageFilterForm(request.GET, organization=request.organization)
    filters = filter_form.filters()
    overview = selectors.coverage_overview(
        organization=request.organization,
        viewer=request.membership,
        now=now,
        also_owner=filter_form.asked_owner,
        **filters,
    )
    filter_form.offer_owners(overview.owners)
    table = selectors.coverage_goals(
        organization=request.organization,
        viewer=request.membership,
        headline=overview.headline,
        weights=overview.weights,
        sort=filter_form.sort_key,
        page=_page_number(request.GET.get("page")),
        **filters,
    )
    ctx = {
        "filter_form": filter_form,
        "table": table,
        "columns": _columns(request.GET, filter_form.sort_key),
        "previous_query": _query(request.GET, page=table.number - 1),
        "next_query": _query(request.GET, page=table.number + 1),
        "funding_over": round(100 * (1 + selectors.FUNDING_TOLERANCE)),
        "funding_under": round(100 * (1 - selectors.FUNDING_TOLERANCE)),
        "trace_url": _trace_url(request),
    }
    return ctx, overview


def _trace_url(request: OrgRequest) -> str:
    """The trace tree's URL, once it exists (rows deep-link into it with ?focus=G-n)."""
    try:
        return reverse("trace", args=[request.organization.slug])
    except NoReverseMatch:
        return ""


@org_view()
@require_GET
def coverage(request: OrgRequest) -> HttpResponse:
    """The lead's view of where the work goes: the headline, the trend, the goals table and
    what to stop. A constant number of queries whatever the data size."""
    now = timezone.now()
    table_ctx, overview = _goal_table_context(request, now)
    if _htmx_target(request) == "coverage-goals":
        return render(request, "traceability/coverage.html#goals-table", table_ctx)
    stop, more_stop = selectors.stop_candidates(
        organization=request.organization, overview=overview, limit=DASHBOARD_STOP_ITEMS
    )
    headline = overview.headline
    ctx = {
        **table_ctx,
        "headline": headline,
        "trend": _trend(request, headline, now),
        "stop_items": stop,
        "more_stop": bool(more_stop),
        "stop_urls": _urls(request, "stop"),
        "can_act": request.membership.can_lead,
        "next_url": request.get_full_path(),
        "kind": "stop",
    }
    return render(request, "traceability/coverage.html", ctx)


# The queues: /o/<org_slug>/coverage/<kind>/ ---------------------------------------------------


def _goal_picker(request: OrgRequest, params: QueryDict) -> dict[str, Any]:
    search = GoalSearchForm(params)
    goals, more = selectors.active_goal_search(
        organization=request.organization, viewer=request.membership, q=search.query()
    )
    return {"goal_options": goals, "more_goals": more, "goal_q": search.query()}


def _queue_context(request: OrgRequest, kind: str) -> dict[str, Any]:
    """A queue's page, in a constant number of queries whatever its length."""
    organization = request.organization
    viewer = request.membership
    now = timezone.now()
    overview = (
        selectors.coverage_overview(organization=organization, viewer=viewer, now=now)
        if kind == "stop"
        else None
    )
    headline = (
        overview.headline
        if overview
        else selectors.coverage_headline(organization=organization, viewer=viewer, now=now)
    )
    can_act = viewer.can_lead
    ctx: dict[str, Any] = {
        "kind": kind,
        "title": TITLES[kind],
        "explained": EXPLAINED[kind],
        "headline": headline,
        "urls": _urls(request, kind),
        "actions": QUEUE_ACTIONS[kind],
        "can_act": can_act,
        "needs_goal": kind in PICKER_KINDS,
        "next_url": request.get_full_path(),
        "trace_url": _trace_url(request),
        "older_query": "",
        "kept_older_query": "",
    }
    params = request.GET
    if kind == "starved":
        goals, after = selectors.starved_goals(
            organization=organization, headline=headline, after=params.get("after", "")
        )
        ctx.update(goals=goals, older_query=_query(params, after=after) if after else "")
        ctx["paged"] = "after" in params
    elif overview is not None:
        items, after = selectors.stop_candidates(
            organization=organization, overview=overview, after=params.get("after", "")
        )
        ctx.update(stop_items=items, older_query=_query(params, after=after) if after else "")
        ctx["paged"] = "after" in params
    else:
        before = _cursor(params.get("before"))
        tasks, next_before = selectors.queue_tasks(
            organization=organization, viewer=viewer, kind=kind, before=before
        )
        ctx.update(
            tasks=tasks, older_query=_query(params, before=next_before) if next_before else ""
        )
        ctx["paged"] = before is not None
        if kind == "stranded":
            kept_before = _cursor(params.get("kept_before"))
            kept, next_kept = selectors.queue_tasks(
                organization=organization, viewer=viewer, kind=kind, kept=True, before=kept_before
            )
            ctx.update(
                kept_tasks=kept,
                kept_older_query=_query(params, kept_before=next_kept) if next_kept else "",
                kept_paged=kept_before is not None,
            )
    if can_act:
        if kind in PICKER_KINDS:
            ctx.update(_goal_picker(request, params))
        ctx["bulk_form"] = TriageForm(organization=organization, kind=kind, initial={"via": "bulk"})
    return ctx


@org_view()
@require_GET
def queue(request: OrgRequest, kind: str) -> HttpResponse:
    return render(request, "traceability/queue.html", _queue_context(request, kind))


# CSV export: /o/<org_slug>/coverage/<kind>.csv ------------------------------------------------

# A spreadsheet runs a cell starting with one of these as a formula: prefix it with a quote.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def csv_cell(value: Any) -> Any:
    """A value safe to open in a spreadsheet (no formula injection)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return value
    text = value.isoformat() if isinstance(value, date | datetime) else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


class _Echo:
    def write(self, value: str) -> str:
        return value


def _member_name(membership: Any) -> str:
    return membership.user.display_name if membership is not None else ""


def _task_csv_rows(request: OrgRequest, kind: str) -> Iterator[list[Any]]:
    yield [
        "Task",
        "Title",
        "Status",
        "Goal",
        "Goal title",
        "Goal status",
        "Assignee",
        "Estimate",
        "Due date",
        "Kept",
        "Kept reason",
        "Goal change (suspect)",
        "Link confirmed at",
    ]
    for task in selectors.queue_export_tasks(
        organization=request.organization, viewer=request.membership, kind=kind
    ):
        goal = task.goal
        yield [
            task.key,
            task.title,
            task.get_status_display(),
            goal.key if goal else "",
            goal.title if goal else "",
            goal.get_status_display() if goal else "",
            _member_name(task.assignee),
            task.estimate,
            task.due_date,
            task.kept,  # type: ignore[attr-defined]
            task.kept_reason,
            goal.material_change if goal and task.is_suspect else "",
            task.link_confirmed_at,
        ]


def _starved_csv_rows(request: OrgRequest) -> Iterator[list[Any]]:
    yield ["Goal", "Title", "Priority", "Owner", "Parent", "Active since", "Period"]
    headline = selectors.coverage_headline(
        organization=request.organization, viewer=request.membership, now=timezone.now()
    )
    for goal in selectors.queue_export_starved(
        organization=request.organization, headline=headline
    ):
        yield [
            goal.key,
            goal.title,
            goal.get_priority_display(),
            _member_name(goal.owner),
            goal.parent.key if goal.parent else "",
            goal.activated_at or goal.created_at,
            goal.period_label,
        ]


def _stop_csv_rows(request: OrgRequest) -> Iterator[list[Any]]:
    yield ["Task", "Title", "Goal", "Goal title", "Priority", "Why", "Estimate", "Assignee"]
    organization = request.organization
    overview = selectors.coverage_overview(
        organization=organization, viewer=request.membership, now=timezone.now()
    )
    for item in selectors.stop_candidates_export(organization=organization, overview=overview):
        task, goal = item.task, item.task.goal
        why = (
            f"{goal.key} is {goal.get_status_display().lower()}"  # type: ignore[union-attr]
            if item.stranded
            else f"over-funded: {round(100 * item.share)}% of live effort on active goals, "
            f"its priority implies {round(100 * item.implied)}%"
        )
        yield [
            task.key,
            task.title,
            goal.key,  # type: ignore[union-attr]
            goal.title,  # type: ignore[union-attr]
            goal.get_priority_display(),  # type: ignore[union-attr]
            why,
            task.estimate,
            _member_name(task.assignee),
        ]


@org_view()
@require_GET
def queue_csv(request: OrgRequest, kind: str) -> StreamingHttpResponse:
    """The whole queue as CSV, streamed whatever its length."""
    if kind == "starved":
        rows: Iterable[list[Any]] = _starved_csv_rows(request)
    elif kind == "stop":
        rows = _stop_csv_rows(request)
    else:
        rows = _task_csv_rows(request, kind)
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse(
        (writer.writerow([csv_cell(v) for v in row]) for row in rows),
        content_type="text/csv; charset=utf-8",
    )
    today = local_date(request.organization, timezone.now())
    filename = f"{request.organization.slug}-{kind}-{today.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# Picking a goal: /o/<org_slug>/coverage/goals/ and /o/<org_slug>/coverage/<kind>/triage/ -------


@org_view(min_role=Role.LEAD)
@require_GET
def goal_options(request: OrgRequest) -> HttpResponse:
    """The goal picker's options for a text filter (the htmx side of the picker; without
    JavaScript the picker's search reloads its page with the filter)."""
    ctx = _goal_picker(request, request.GET)
    return render(request, "traceability/_queue_goal_options.html", ctx)


def _selected_rows(form: TriageForm | TriageSelectionForm, kind: str) -> list[Any]:
    """The rows named in a form that validated them; the valid ones of an invalid form."""
    name = "goals" if kind == "starved" else "tasks"
    rows = getattr(form, "cleaned_data", {}).get(name)
    return list(rows) if rows else []


def _triage_context(
    request: OrgRequest, kind: str, rows: list[Any], form: TriageForm, params: QueryDict
) -> dict[str, Any]:
    ctx: dict[str, Any] = {
        "kind": kind,
        "title": TITLES[kind],
        "urls": _urls(request, kind),
        "actions": QUEUE_ACTIONS[kind],
        "needs_goal": kind in PICKER_KINDS,
        "form": form,
        "next_url": _next_url(request, _urls(request, kind).page),
        "can_act": True,
    }
    name = "goals" if kind == "starved" else "tasks"
    ctx[name] = rows
    ctx["search_hidden"] = [(name, row.number) for row in rows]
    if kind in PICKER_KINDS:
        ctx.update(_goal_picker(request, params))
    return ctx


@org_view(min_role=Role.LEAD)
@require_GET
def queue_triage(request: OrgRequest, kind: str) -> HttpResponse:
    """Act on chosen rows with a goal picker and a reason: inside a queue row for htmx (the
    row's "Link…" or "Move…"), as a page of its own without JavaScript."""
    selection = TriageSelectionForm(request.GET, organization=request.organization)
    rows = _selected_rows(selection, kind) if selection.is_valid() else []
    if not rows:
        raise Http404("Choose the rows to act on.")
    form = TriageForm(organization=request.organization, kind=kind, initial={"via": "pick"})
    ctx = _triage_context(request, kind, rows, form, request.GET)
    if _is_fragment(request) and kind in PICKER_KINDS and len(rows) == 1:
        task = rows[0]
        ctx.update(
            task=task,
            action=NEEDS_GOAL_ACTION[kind],
            row_select_id=f"{kind}-task-{task.number}-goal",
        )
        return render(request, "traceability/queue_triage.html#row-picker", ctx)
    return render(request, "traceability/queue_triage.html", ctx)


# Acting: /o/<org_slug>/coverage/<kind>/act/ ---------------------------------------------------


@dataclass
class Applied:
    """What an action did: the selected rows, the keys of those acted on, and the keys of
    those no longer in the queue (left alone: someone else dealt with them meanwhile)."""

    rows: list[Any]
    keys: list[str] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)


def _reason(action: str, kind: str, given: str) -> str:
    given = (given or "").strip()
    return given or DEFAULT_REASONS.get(action, "").format(kind=kind)


def _apply_to_tasks(request: OrgRequest, kind: str, data: dict[str, Any]) -> Applied:
    organization, actor = request.organization, request.user
    applied = Applied(rows=list(data["tasks"]))
    in_queue = selectors.queue_membership(
        organization=organization,
        viewer=request.membership,
        kind=kind,
        numbers=[t.number for t in applied.rows],
    )
    action, reason = data["action"], _reason(data["action"], kind, data.get("reason", ""))
    # All or nothing: a refusal on one row (e.g. moving work to the goal it already serves)
    # leaves every selected row as it was.
    with transaction.atomic():
        for task in applied.rows:
            if task.number not in in_queue:
                applied.gone.append(task.key)
                continue
            if action in NEEDS_GOAL:
                work_services.task_move(
                    organization=organization,
                    actor=actor,  # type: ignore[arg-type]
                    task=task,
                    to_goal=data["to_goal"],
                    reason=reason,
                )
            elif action == "cancel":
                work_services.task_set_status(
                    organization=organization,
                    actor=actor,  # type: ignore[arg-type]
                    task=task,
                    status=TaskStatus.CANCELLED,
                    reason=reason,
                )
            elif action == "keep":
                work_services.task_keep(
                    organization=organization,
                    actor=actor,  # type: ignore[arg-type]
                    task=task,
                    reason=reason,
                )
            elif action == "confirm":
                work_services.task_confirm_link(
                    organization=organization,
                    actor=actor,  # type: ignore[arg-type]
                    task=task,
                    reason=reason,
                )
            applied.keys.append(task.key)
    return applied


def _apply_to_goals(request: OrgRequest, data: dict[str, Any]) -> Applied:
    organization = request.organization
    applied = Applied(rows=list(data["goals"]))
    starved = selectors.coverage_headline(
        organization=organization, viewer=request.membership, now=timezone.now()
    ).starved_ids
    with transaction.atomic():
        for goal in applied.rows:
            if goal.pk not in starved:
                applied.gone.append(goal.key)
                continue
            goal_services.goal_update(
                organization=organization,
                actor=request.user,  # type: ignore[arg-type]
                goal=goal,
                status=GoalStatus.ON_HOLD,
            )
            applied.keys.append(goal.key)
    return applied


def _listed(keys: list[str], noun: str) -> str:
    return ", ".join(keys) if len(keys) <= 3 else f"{len(keys)} {noun}s"


def _report(request: OrgRequest, kind: str, data: dict[str, Any], applied: Applied) -> None:
    noun = "goal" if kind == "starved" else "task"
    if applied.keys:
        done = _listed(applied.keys, noun)
        goal = data.get("to_goal")
        text = {
            "link": f"Linked {done} to {goal.key if goal else ''}.",
            "move": f"Moved {done} to {goal.key if goal else ''}.",
            "cancel": f"Cancelled {done}.",
            "keep": f"Kept {done} going: {(data.get('reason') or '').strip()}",
            "confirm": f"Confirmed the link of {done}.",
            "hold": f"Put {done} on hold.",
        }[data["action"]]
        messages.success(request, text)
    if applied.gone:
        one = len(applied.gone) == 1
        state = "live" if kind == "stop" else kind
        messages.info(
            request,
            f"{_listed(applied.gone, noun)} {'is' if one else 'are'} no longer {state}: "
            f"nothing done to {'it' if one else 'them'}.",
        )


@org_view(min_role=Role.LEAD)
@require_POST
def queue_act(request: OrgRequest, kind: str) -> HttpResponse:
    """One triage action on one or several rows of a queue, through the services."""
    form = TriageForm(request.POST, organization=request.organization, kind=kind)
    applied = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            applied = (
                _apply_to_goals(request, data)
                if kind == "starved"
                else _apply_to_tasks(request, kind, data)
            )
        except ValidationError as e:
            add_service_errors(form, e)
    if applied is None:
        return _refused(request, kind, form)
    _report(request, kind, form.cleaned_data, applied)
    if not _is_fragment(request):
        return HttpResponseRedirect(_next_url(request, _urls(request, kind).page))
    return _acted(request, kind, form, applied)


def _acted(request: OrgRequest, kind: str, form: TriageForm, applied: Applied) -> HttpResponse:
    """Out-of-band swaps only: rows that left the queue removed, rows still in it re-rendered
    (a kept task moves to the kept list), the headline counts and the messages refreshed."""
    organization = request.organization
    viewer = request.membership
    headline = selectors.coverage_headline(
        organization=organization, viewer=viewer, now=timezone.now()
    )
    ctx: dict[str, Any] = {
        "kind": kind,
        "headline": headline,
        "urls": _urls(request, kind),
        "actions": QUEUE_ACTIONS[kind],
        "can_act": True,
        "needs_goal": kind in PICKER_KINDS,
        "next_url": _next_url(request, _urls(request, kind).page),
        "changed": [],
    }
    if kind == "starved":
        ctx["removed"] = [g.number for g in applied.rows if g.pk not in headline.starved_ids]
    else:
        numbers = [t.number for t in applied.rows]
        still_in = selectors.queue_membership(
            organization=organization, viewer=viewer, kind=kind, numbers=numbers
        )
        ctx["removed"] = [n for n in numbers if n not in still_in]
        if kind != "stop" and still_in:
            changed = selectors.queue_tasks_by_number(
                organization=organization, viewer=viewer, numbers=still_in
            )
            for task in changed:
                task.kept = still_in[task.number]  # type: ignore[attr-defined]
            ctx["changed"] = changed
    if form.origin == "bulk":
        ctx["bulk_form"] = TriageForm(organization=organization, kind=kind, initial={"via": "bulk"})
        if kind in PICKER_KINDS:
            ctx.update(_goal_picker(request, QueryDict()))
    response = render(request, "traceability/queue.html#acted", ctx)
    response["HX-Reswap"] = "none"
    return response


def _refused(request: OrgRequest, kind: str, form: TriageForm) -> HttpResponse:
    """An invalid action writes nothing. htmx: the form it came from again, with its errors
    (from a single button, the errors as messages); otherwise the triage page with the form
    and its errors."""
    rows = _selected_rows(form, kind)
    if not _is_fragment(request):
        ctx = _triage_context(request, kind, rows, form, request.POST)
        return render(request, "traceability/queue_triage.html", ctx, status=422)
    target, origin = _htmx_target(request), form.origin
    ctx = _triage_context(request, kind, rows, form, QueryDict())
    if origin == "bulk":
        ctx["bulk_form"] = form
        template = "traceability/queue.html#bulk-form"
    elif origin == "pick" and len(rows) == 1 and kind in PICKER_KINDS and target:
        ctx.update(task=rows[0], action=NEEDS_GOAL_ACTION[kind])
        template = "traceability/queue_triage.html#pick-form"
    elif origin == "keep" and len(rows) == 1 and target:
        ctx.update(task=rows[0], keep_form=form)
        template = "traceability/_queue_task_row.html#keep-form"
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        response = render(request, "work/_oob_messages.html", status=422)
        response["HX-Reswap"] = "none"
        return response
    response = render(request, template, ctx, status=422)
    if target:
        response["HX-Retarget"] = f"#{target}"
    response["HX-Reswap"] = "outerHTML"
    return response
