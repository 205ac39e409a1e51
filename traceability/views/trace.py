"""The trace: the tree from goals down to work and outcomes (expanded lazily), the outcome page
(from an outcome back to the work and the strategy), and the exports of the graph.

Every tree URL serves a whole page to a plain request and a fragment to htmx, so expansion,
"show more" and the filters work without JavaScript too. Nothing here writes.
"""

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_safe

from goals.forms import GoalFilterForm, MemberChoiceField
from goals.models import GoalStatus
from traceability import charts, trees
from traceability.forms import PlainSelect, owner_choices
from vindaris.lib.htmx import is_fragment
from vindaris.tenancy.access import OrgRequest, org_view
from vindaris.tenancy.models import Membership, Organization

# A page number beyond this is junk; it would only overflow the OFFSET.
MAX_PAGE = 100_000


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

    q = None  # type: ignore[assignment]  # removes the goal list's filter from this form
    priority = None  # type: ignore[assignment]  # removes the goal list's filter from this form
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
        self.fields["owner"].widget.pairs = owner_choices(
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
            data.setlist(key, params.getlist(key))
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
    if is_fragment(request):
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
    if is_fragment(request):
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
    if is_fragment(request):
        return _render(request, "traceability/trace_children.html#children", context)
    context |= {
        "goalless": trees.goalless_summary(organization=request.organization),
        "gaps_only": gaps_only,
    }
    return _render(request, "traceability/trace_children.html", context)


# The outcome page: /o/<slug>/outcomes/<n>/ ----------------------------------------------------


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
        "chart": charts.value_chart(outcome, check_ins, truncated),
    }
    return _render(request, "traceability/trace_outcome.html", context)
