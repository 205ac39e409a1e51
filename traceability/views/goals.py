"""The goal list: /o/<org_slug>/goals/ — every goal the member may see, indented by hierarchy,
with what lies under each: live work, outcome progress and open gaps (the trace's roll-ups)."""

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_safe

from goals import selectors as goal_selectors
from goals.forms import GoalFilterForm
from traceability import trees
from vindaris.lib.htmx import is_fragment
from vindaris.tenancy.access import OrgRequest, org_view

from .common import page_number


@org_view()
@require_safe
def goal_list(request: OrgRequest) -> HttpResponse:
    """One page of the filtered goals in tree order, each with its subtree's roll-up; htmx
    filtering swaps only the results region. A constant number of queries."""
    form = GoalFilterForm(request.GET, organization=request.organization)
    page = goal_selectors.goal_list_page(
        organization=request.organization,
        viewer=request.membership,
        page=page_number(request.GET.get("page")),
        **form.filters(),
    )
    rollups = trees.goal_rollups(
        organization=request.organization,
        membership=request.membership,
        goals=[goal for goal, _ in page.rows],
        now=timezone.now(),
    )
    rows = [(goal, depth, rollups.get(goal.pk, trees.Rollup())) for goal, depth in page.rows]
    template = (
        "goals/goal_list.html#goal-results" if is_fragment(request) else "goals/goal_list.html"
    )
    response = render(request, template, {"filter_form": form, "page": page, "rows": rows})
    patch_vary_headers(response, ["HX-Request"])
    return response
