"""The coverage dashboard: /o/<org_slug>/coverage/ — the headline, the trend, the scorecard
(coverage/scorecard/, loaded after the page), the goals table and what to stop. Every member
sees it; the queues it links to are in views.queues."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from django.http import HttpResponse, QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from traceability import charts, selectors
from traceability.clock import local_date
from traceability.forms import SORT_LABELS, CoverageFilterForm
from vindaris.lib.htmx import target as htmx_target
from vindaris.tenancy.access import OrgRequest, org_view

from .common import page_number, query, queue_urls, trace_url

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


def _trend(request: OrgRequest, headline: selectors.Headline, now: datetime) -> charts.Trend:
    today = local_date(request.organization, now)
    start = today - timedelta(weeks=charts.TREND_WEEKS)
    snapshots = selectors.coverage_trend(
        organization=request.organization, viewer=request.membership, start=start, end=today
    )
    return charts.trend(snapshots, headline, start=start, today=today)


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
                query=query(params, sort=next_sort, page=None),
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
        table=selectors.GoalTableQuery(
            sort=filter_form.sort_key, page=page_number(request.GET.get("page"))
        ),
        **filters,
    )
    filter_form.offer_owners(overview.owners)
    table = cast(selectors.GoalTable, overview.table)  # asked for
    ctx = {
        "filter_form": filter_form,
        "table": table,
        "columns": _columns(request.GET, filter_form.sort_key),
        "tree_order": filter_form.sort_key == "goal",
        "previous_query": query(request.GET, page=table.number - 1),
        "next_query": query(request.GET, page=table.number + 1),
        "funding_rule": selectors.FUNDING_RULE,
        "funding_over": round(100 * (1 + selectors.FUNDING_TOLERANCE)),
        "funding_under": round(100 * (1 - selectors.FUNDING_TOLERANCE)),
        "trace_url": trace_url(request),
    }
    return ctx, overview


@org_view()
@require_GET
def coverage_scorecard(request: OrgRequest) -> HttpResponse:
    """The strategy-led scorecard, week by week: loaded into the dashboard after it shows (its
    figures read the history of the weeks), or a page of its own without JavaScript."""
    now = timezone.now()
    headline = selectors.coverage_headline(
        organization=request.organization, viewer=request.membership, now=now
    )
    card = selectors.scorecard(
        organization=request.organization, viewer=request.membership, headline=headline, now=now
    )
    ctx = {"card": card, "old_gap_days": selectors.OLD_GAP_DAYS}
    template = "traceability/_scorecard.html" if request.htmx else "traceability/scorecard.html"
    response = render(request, template, ctx)
    patch_vary_headers(response, ["HX-Request"])  # a fragment or a page, by that header
    return response


@org_view()
@require_GET
def coverage(request: OrgRequest) -> HttpResponse:
    """The lead's view of where the work goes: the headline, the trend, the goals table and
    what to stop. A constant number of queries whatever the data size."""
    now = timezone.now()
    table_ctx, overview = _goal_table_context(request, now)
    if htmx_target(request) == "coverage-goals":
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
        "stop_urls": queue_urls(request, "stop"),
        "can_act": request.membership.can_lead,
        "next_url": request.get_full_path(),
        "kind": "stop",
    }
    return render(request, "traceability/coverage.html", ctx)
