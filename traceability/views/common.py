"""What the coverage views share: the queues, their URLs, and reading a request's paging."""

from dataclasses import dataclass
from typing import Any

from django.http import QueryDict
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from vindaris.tenancy.access import OrgRequest

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
    "starved": "Active goals with no live task on an active goal anywhere under them (stranded "
    "work covers nothing), past the grace period. "
    "Plan work on the goal's page, or put the goal on hold.",
    "stop": "Live work on stranded goals, and under P3 and P4 goals that get more than "
    "their share of their siblings' live effort, largest effort first.",
}


def next_url(request: OrgRequest, fallback: str) -> str:
    """The posted `next` page when it is a path of this site, else `fallback`."""
    target = request.POST.get("next") or ""
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def cursor(value: str | None) -> int | None:
    try:
        number = int(value or "")
    except ValueError:
        return None
    return number if number > 0 else None


def page_number(value: str | None) -> int:
    try:
        return max(1, min(int(value or "1"), 1_000_000))
    except ValueError:
        return 1


def query(params: QueryDict, **changes: Any) -> str:
    """`params` as a query string, with `changes` made (a None value removes the key)."""
    changed = params.copy()
    for key, value in changes.items():
        changed.pop(key, None)
        if value is not None:
            changed[key] = str(value)
    return changed.urlencode()


@dataclass(frozen=True)
class QueueUrls:
    page: str
    csv: str
    triage: str
    act: str


def queue_urls(request: OrgRequest, kind: str) -> QueueUrls:
    slug = request.organization.slug
    return QueueUrls(
        page=reverse(f"coverage_{kind}", args=[slug]),
        csv=reverse(f"coverage_{kind}_csv", args=[slug]),
        triage=reverse(f"coverage_{kind}_triage", args=[slug]),
        act=reverse(f"coverage_{kind}_act", args=[slug]),
    )


def trace_url(request: OrgRequest) -> str:
    """The trace tree's URL (rows deep-link into it with ?focus=G-n)."""
    return reverse("trace", args=[request.organization.slug])
