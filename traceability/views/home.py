"""The organization's home page: /o/<org_slug>/ — each member's start of the day.

Everyone sees their live work, the suspect and stranded work they must resolve, the goals they
own and the check-ins due; leads and admins also see the coverage headline, what changed this
week and the queues. A constant number of queries whatever the data size."""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from traceability import selectors
from traceability.selectors import home
from vindaris.tenancy.access import OrgRequest, org_view

from .common import KINDS, TITLES, queue_urls


@dataclass(frozen=True)
class Queue:
    """A triage queue as the home page lists it: its page and its open count."""

    kind: str
    title: str
    url: str
    count: int
    unit: str  # what `count` counts


def _queues(request: OrgRequest, overview: selectors.Overview) -> list[Queue]:
    headline = overview.headline
    counts = {
        "orphaned": (headline.orphaned, "task"),
        "stranded": (headline.stranded, "task"),
        "suspect": (headline.suspect, "task"),
        "starved": (headline.starved, "goal"),
        "stop": (len(overview.stop_goals), "goal"),
    }
    return [
        Queue(kind, TITLES[kind], queue_urls(request, kind).page, *counts[kind]) for kind in KINDS
    ]


def _work_list_url(request: OrgRequest, **filters: str) -> str:
    """The work list with these filters, and the member's own work."""
    query = urlencode({"assignee": request.user.email, **filters})
    return f"{reverse('work_list', args=[request.organization.slug])}?{query}"


@org_view()
@require_GET
def org_home(request: OrgRequest) -> HttpResponse:
    organization, member = request.organization, request.membership
    now = timezone.now()
    today = timezone.localdate(now)
    overview = (
        selectors.coverage_overview(organization=organization, viewer=member, now=now)
        if member.can_lead
        else None
    )
    headline = (
        overview.headline
        if overview is not None
        else selectors.coverage_headline(organization=organization, viewer=member, now=now)
    )
    goal_list_url = reverse("goal_list", args=[organization.slug])
    ctx = {
        "today": today,
        "has_goals": home.has_goals(organization=organization, viewer=member),
        "my_work": home.my_live_work(organization=organization, member=member),
        "to_resolve": home.to_resolve(organization=organization, member=member),
        "my_goals": home.goals_owned(
            organization=organization, member=member, starved_ids=headline.starved_ids, now=now
        ),
        "check_ins": home.check_ins_due(organization=organization, member=member, today=today),
        "check_in_every": home.CHECK_IN_EVERY.days,
        "my_work_url": _work_list_url(request, status="live"),
        "my_suspect_url": _work_list_url(request, gap="suspect"),
        "my_stranded_url": _work_list_url(request, gap="stranded"),
        "my_goals_url": f"{goal_list_url}?{urlencode({'owner': member.pk})}",
        "can_lead": member.can_lead,
        "can_plan": member.can_plan,
    }
    if overview is not None:
        ctx |= {
            "headline": headline,
            "this_week": home.this_week(organization=organization, viewer=member, now=now),
            "queues": _queues(request, overview),
        }
    return render(request, "traceability/home.html", ctx)
