"""The trace: the tree from goals down to work and outcomes (expanded lazily), the outcome page
(from an outcome back to the work and the strategy), and the exports of the graph.

Every tree URL serves a whole page to a plain request and a fragment to htmx, so expansion,
"show more" and the filters work without JavaScript too. Nothing here writes.
"""

import csv
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.http import Http404, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_safe

from goals.forms import GoalFilterForm, MemberChoiceField, organization_today
from goals.models import CheckIn, GoalStatus, Outcome
from traceability import trees
from traceability.forms import PlainSelect, owner_choices
from vindaris.tenancy.access import OrgRequest, org_view
from vindaris.tenancy.models import Membership, Organization

# A page number beyond this is junk; it would only overflow the OFFSET.
MAX_PAGE = 100_000


def _is_fragment(request: OrgRequest) -> bool:
    """An htmx request that swaps part of the page (a history restore wants the whole page)."""
    htmx = request.htmx  # type: ignore[attr-defined]
    return bool(htmx) and not htmx.history_restore_request


def _page_number(raw: str | None) -> int:
    if raw is None or not re.fullmatch(r"[0-9]{1,9}", raw):
        return 1
    return min(max(int(raw), 1), MAX_PAGE)


def _render(request: OrgRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


# The filters ----------------------------------------------------------------------------------


class TraceFilterForm(GoalFilterForm):
    """The trace's filters (GET): the goal list's status, owner and period, applied to the
    top-level goals, and "gaps only". Invalid values are reported and ignored. The owner list
    offers the owners of top-level goals (any member is valid)."""

    q = None  # type: ignore[assignment]
    priority = None  # type: ignore[assignment]
    owner = MemberChoiceField(
        queryset=Membership.objects.none(),
        required=False,
        empty_label="Anyone",
        widget=PlainSelect,
    )
    gaps = forms.BooleanField(
        required=False,
        label="Gaps only",
        help_text="Just the paths to a starved goal or to orphaned, stranded or suspect work.",
    )

    def __init__(self, data: Any = None, *, organization: Organization, viewer: Membership):
        super().__init__(data, organization=organization)
        self.fields["owner"].widget.options = owner_choices(  # type: ignore[attr-defined]
            organization, viewer, (data or {}).get("owner"), parent__isnull=True
        )

    def trace_filters(self) -> trees.TraceFilters:
        values = self.filters()
        return trees.TraceFilters(
            status=values["status"],
            owner=values["owner"],
            period_start=values["period_start"],
            period_end=values["period_end"],
            gaps_only=bool(self.cleaned_data.get("gaps")),
        )


FILTER_KEYS = ("status", "owner", "period", "gaps")


def _filter_data(params: QueryDict) -> QueryDict:
    """The filters asked for; a visit without a status filter sees the active goals."""
    data = QueryDict(mutable=True)
    for key in FILTER_KEYS:
        if key in params:
            data[key] = params[key]
    if "status" not in params:
        data["status"] = GoalStatus.ACTIVE
    return data


@dataclass(frozen=True)
class Links:
    """The query strings the tree's links carry, so every link keeps the filters."""

    filters: str  # status, owner, period, gaps: for the trace page's own links
    children: str  # gaps (and the focus) for the children URLs
    gaps_only: bool

    @property
    def filter_prefix(self) -> str:
        """ "?status=active&" (ready for one more parameter) or "?"."""
        return f"?{self.filters}&" if self.filters else "?"

    @property
    def children_prefix(self) -> str:
        return f"?{self.children}&" if self.children else "?"


def _links(data: QueryDict, gaps_only: bool, focus: trees.Focus | None) -> Links:
    children = {"gaps": "1"} if gaps_only else {}
    if focus is not None:
        children["focus"] = focus.key
    return Links(filters=data.urlencode(), children=urlencode(children), gaps_only=gaps_only)


def _children_options(request: OrgRequest) -> tuple[bool, str, int, trees.Focus | None]:
    """gaps only, kind, page and focus of a children request."""
    gaps_only = request.GET.get("gaps") in ("1", "on", "true")
    kind = request.GET.get("kind", "")
    if kind not in trees.KINDS:
        kind = ""
    page = _page_number(request.GET.get("page")) if kind else 1
    focus = _focus(request)
    return gaps_only, kind, page, focus


def _focus(request: OrgRequest) -> trees.Focus | None:
    key = request.GET.get("focus", "")
    if not key:
        return None
    return trees.focus_resolve(
        organization=request.organization, membership=request.membership, key=key[:20]
    )


# The tree: /o/<slug>/trace/ -------------------------------------------------------------------


@org_view()
@require_safe
def trace(request: OrgRequest) -> HttpResponse:
    """The trace tree: top-level goals with their subtrees' roll-ups, the "No goal" root, and
    the path to `?focus=T-345` (or a goal or outcome key) expanded. htmx gets the results region
    (filters changed) or the next page of roots ("show more")."""
    data = _filter_data(request.GET)
    form = TraceFilterForm(data, organization=request.organization, viewer=request.membership)
    filters = form.trace_filters()
    focus_key = request.GET.get("focus", "")[:20]
    focus = _focus(request)
    page = _page_number(request.GET.get("page"))
    tree = trees.trace_tree(
        organization=request.organization,
        membership=request.membership,
        filters=filters,
        page=page,
        focus=focus,
        now=timezone.now(),
    )
    links = _links(data, filters.gaps_only, focus)
    context = {
        "filter_form": form,
        "filters": filters,
        "tree": tree,
        "links": links,
        "focus_key": focus_key,
        "focus_missing": bool(focus_key) and focus is None,
        "page": page,
        "next_roots_url": f"{links.filter_prefix}page={page + 1}"
        + (f"&focus={focus.key}" if focus else ""),
    }
    template = "traceability/trace.html"
    if _is_fragment(request):
        template += "#roots-page" if page > 1 else "#trace-results"
    return _render(request, template, context)


@org_view()
@require_safe
def trace_goal_children(request: OrgRequest, goal_number: int) -> HttpResponse:
    """What is under a goal, loaded when it is expanded: sub-goals with their roll-ups, outcomes,
    tasks; `?kind=tasks&page=2` is the next page of one kind ("show more"). A plain request
    gets a page of its own with the path to the goal."""
    found = trees.goal_with_path(
        organization=request.organization, membership=request.membership, number=goal_number
    )
    if found is None:
        raise Http404("No such goal.")
    goal, path_ids = found
    gaps_only, kind, page, focus = _children_options(request)
    children = trees.goal_children(
        organization=request.organization,
        membership=request.membership,
        parent_levels={goal.pk: len(path_ids)},
        gaps_only=gaps_only,
        kind=kind,
        page=page,
        pinned=focus.pinned if focus else trees.NOTHING_PINNED,
        now=timezone.now(),
    )[goal.pk]
    children.goal = goal
    links = _links(QueryDict(), gaps_only, focus)
    context: dict[str, Any] = {"children": children, "kind": kind, "links": links}
    if _is_fragment(request):
        return _render(request, "traceability/trace_children.html#children", context)
    path = trees.visible_goals(organization=request.organization, membership=request.membership)
    path_goals = path.filter(pk__in=path_ids[:-1]).in_bulk()
    rollup = trees.goal_rollups(
        organization=request.organization,
        membership=request.membership,
        goals=[goal],
        now=timezone.now(),
    ).get(goal.pk, trees.Rollup())
    context |= {
        "node": trees.GoalNode(goal=goal, rollup=rollup, level=len(path_ids), children=children),
        "path": [path_goals[pk] for pk in path_ids[:-1] if pk in path_goals],
        "gaps_only": gaps_only,
    }
    return _render(request, "traceability/trace_children.html", context)


@org_view()
@require_safe
def trace_no_goal_children(request: OrgRequest) -> HttpResponse:
    """The "No goal" root's tasks, page by page: orphaned work is never out of sight."""
    gaps_only, _, _, focus = _children_options(request)
    page = _page_number(request.GET.get("page"))
    children = trees.goalless_children(
        organization=request.organization,
        gaps_only=gaps_only,
        page=page,
        pinned_task=focus.node_id if focus and focus.kind == "task" and not focus.path else None,
    )
    links = _links(QueryDict(), gaps_only, focus)
    context: dict[str, Any] = {"children": children, "kind": "tasks", "links": links}
    if _is_fragment(request):
        return _render(request, "traceability/trace_children.html#children", context)
    context |= {
        "goalless": trees.goalless_summary(organization=request.organization),
        "gaps_only": gaps_only,
    }
    return _render(request, "traceability/trace_children.html", context)


# The outcome page: /o/<slug>/outcomes/<n>/ ----------------------------------------------------


@dataclass(frozen=True)
class ChartPoint:
    x: float
    y: float
    value: Decimal
    day: date


@dataclass(frozen=True)
class ValueChart:
    """An outcome's value over time, laid out for a small inline SVG."""

    width: int
    height: int
    points: list[ChartPoint]
    target_y: float
    baseline_y: float
    y_ticks: list[tuple[float, Decimal]]
    first_day: date
    last_day: date

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)

    @property
    def last(self) -> ChartPoint:
        return self.points[-1]


CHART_WIDTH, CHART_HEIGHT = 640, 220
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 56, 16, 14, 28


def value_chart(outcome: Outcome, check_ins: list[CheckIn], truncated: bool) -> ValueChart | None:
    """The outcome's value from before its first check-in shown to its latest; None without
    check-ins. Baseline and target are drawn as lines, so the scale always holds them."""
    if not check_ins:
        return None
    first = check_ins[0]
    start_day = first.checked_on
    if not truncated:  # the value before the first check-in held since the outcome was added
        start_day = min(start_day, timezone.localdate(outcome.created_at))
    series = [(start_day, first.previous_value)] + [(c.checked_on, c.value) for c in check_ins]
    values = [v for _, v in series] + [outcome.baseline, outcome.target]
    low, high = min(values), max(values)
    if low == high:
        low, high = low - 1, high + 1
    span_days = (series[-1][0] - series[0][0]).days
    inner_w = CHART_WIDTH - PAD_LEFT - PAD_RIGHT
    inner_h = CHART_HEIGHT - PAD_TOP - PAD_BOTTOM

    def y_of(value: Decimal) -> float:
        return PAD_TOP + float((high - value) / (high - low)) * inner_h

    points = []
    for i, (day, value) in enumerate(series):
        # Every value on one day: spread them out in order.
        share = (day - series[0][0]).days / span_days if span_days else i / (len(series) - 1)
        points.append(ChartPoint(x=PAD_LEFT + share * inner_w, y=y_of(value), value=value, day=day))
    ticks = [(y_of(v), v) for v in sorted({low, high, outcome.baseline, outcome.target})]
    return ValueChart(
        width=CHART_WIDTH,
        height=CHART_HEIGHT,
        points=points,
        target_y=y_of(outcome.target),
        baseline_y=y_of(outcome.baseline),
        y_ticks=_spaced(ticks),
        first_day=series[0][0],
        last_day=series[-1][0],
    )


def _spaced(ticks: list[tuple[float, Decimal]], gap: float = 14) -> list[tuple[float, Decimal]]:
    """Tick labels at least `gap` pixels apart (the later of two close ones is dropped)."""
    kept: list[tuple[float, Decimal]] = []
    for y, value in sorted(ticks, key=lambda t: t[0]):
        if all(abs(y - other) >= gap for other, _ in kept):
            kept.append((y, value))
    return kept


@org_view()
@require_safe
def outcome_detail(request: OrgRequest, outcome_number: int) -> HttpResponse:
    """From an outcome back to the work and up to the strategy: the tasks meant to move it, the
    tasks credited in its check-ins, its value over time, and the goals it serves."""
    outcome = trees.outcome_for_page(
        organization=request.organization, membership=request.membership, number=outcome_number
    )
    if outcome is None:
        raise Http404("No such outcome.")
    path_ids = trees.goal_path_ids(
        organization=request.organization, membership=request.membership, goal_id=outcome.goal_id
    )
    visible = trees.visible_goals(organization=request.organization, membership=request.membership)
    parents = visible.select_related("owner__user").in_bulk(path_ids[:-1])
    tasks, tasks_total = trees.tasks_moving(outcome=outcome)
    check_ins, truncated = trees.check_in_series(outcome=outcome)
    context = {
        "outcome": outcome,
        "goal": outcome.goal,
        # From the outcome's goal up to the root.
        "parents": [parents[pk] for pk in reversed(path_ids[:-1]) if pk in parents],
        "tasks": tasks,
        "tasks_total": tasks_total,
        "credited": trees.tasks_credited(
            organization=request.organization, membership=request.membership, outcome=outcome
        ),
        "check_ins": list(reversed(check_ins)),
        "truncated": truncated,
        "chart": value_chart(outcome, check_ins, truncated),
    }
    return _render(request, "traceability/trace_outcome.html", context)


# Exports: /o/<slug>/trace/export.csv and .json ------------------------------------------------

MATRIX_HEADER = [
    "Root objective",
    "Goal path",
    "Goal",
    "Goal status",
    "Outcome",
    "Task",
    "Task title",
    "Status",
    "Assignee",
    "Estimate",
]
# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """The value as a spreadsheet shows it, never as a formula it runs: text starting with
    = + - @ (or a tab or carriage return) gets a leading quote."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


class _Echo:
    """A file-like object whose write returns the line: csv.writer's output, one row a time."""

    def write(self, value: str) -> str:
        return value


def _matrix_lines(request: OrgRequest) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(MATRIX_HEADER)
    for row in trees.traceability_matrix(
        organization=request.organization, membership=request.membership
    ):
        labels = [f"{key} {title}" for key, title in row.path]
        cells = [
            labels[0] if labels else "",
            " > ".join(labels),
            row.path[-1][0] if row.path else "",
            row.goal_status,
            row.outcome,
            row.task_key,
            row.task_title,
            row.task_status,
            row.assignee,
            "" if row.estimate is None else row.estimate,
        ]
        yield writer.writerow([safe_cell(cell) for cell in cells])


def _filename(request: OrgRequest, extension: str) -> str:
    today = organization_today(request.organization)
    return f"{request.organization.slug}-trace-{today.isoformat()}.{extension}"


@org_view()
@require_safe
def trace_export_csv(request: OrgRequest) -> StreamingHttpResponse:
    """The traceability matrix: one row per task (root objective, goal path, outcome, task,
    status, assignee, estimate), plus a row for each goal without work. Streamed."""
    response = StreamingHttpResponse(_matrix_lines(request), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(request, "csv")}"'
    return response


def _graph_chunks(request: OrgRequest) -> Iterator[str]:
    organization, membership = request.organization, request.membership
    head = {
        "organization": {"slug": organization.slug, "name": organization.name},
        "generated_at": timezone.now().isoformat(),
    }
    yield json.dumps(head)[:-1] + ', "nodes": ['
    for i, node in enumerate(trees.graph_nodes(organization=organization, membership=membership)):
        yield ("," if i else "") + "\n" + json.dumps(node)
    yield '\n], "edges": ['
    for i, edge in enumerate(trees.graph_edges(organization=organization, membership=membership)):
        yield ("," if i else "") + "\n" + json.dumps(edge)
    yield "\n]}\n"


@org_view()
@require_safe
def trace_export_json(request: OrgRequest) -> StreamingHttpResponse:
    """The graph for other tools: goals, outcomes and tasks as nodes, their links as edges.
    Streamed."""
    response = StreamingHttpResponse(_graph_chunks(request), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{_filename(request, "json")}"'
    return response
