"""The outcome page: from an outcome back to the work meant to move it and the work credited
for its moves, and its value over time."""

from typing import Any

from django.db.models import Count, Max, Window

from goals import visibility as goal_visibility
from goals.models import CheckIn, Outcome
from vindaris.tenancy.models import Membership, Organization
from work.models import Task

from .base import PAGE_SIZE, TASK_ORDER


def outcome_for_page(
    *, organization: Organization, membership: Membership, number: int
) -> Outcome | None:
    """The outcome with this number if its goal is visible; goal and owner loaded."""
    return (
        Outcome.objects.select_related("goal__owner__user")
        .filter(goal_visibility.visible_q(membership, "goal"))
        .filter(organization=organization, number=number)
        .first()
    )


def tasks_moving(*, outcome: Outcome, limit: int = PAGE_SIZE) -> tuple[list[Task], int]:
    """The tasks meant to move the outcome, live first then newest, at most `limit`; and how
    many there are. Assignee loaded; one query."""
    rows: list[Any] = list(
        Task.objects.filter(organization_id=outcome.organization_id, outcome=outcome)
        .select_related("assignee__user")
        .annotate(total=Window(Count("pk")))
        .order_by(*TASK_ORDER)[:limit]
    )
    return rows, (rows[0].total if rows else 0)


def tasks_credited(
    *, organization: Organization, membership: Membership, outcome: Outcome, limit: int = PAGE_SIZE
) -> list[Task]:
    """Tasks credited in the outcome's check-ins that the member may see (a task moved on since
    may sit elsewhere), most recently credited first, each with `credit_count` and
    `last_credited` (the check-in date); goal and assignee loaded. One query."""
    return list(
        Task.objects.filter(organization=organization, credits__check_in__outcome=outcome)
        .filter(goal_visibility.visible_q(membership, "goal"))
        .select_related("goal", "assignee__user")
        .annotate(credit_count=Count("credits"), last_credited=Max("credits__check_in__checked_on"))
        .order_by("-last_credited", "-number")[:limit]
    )


def check_in_series(*, outcome: Outcome, limit: int = 100) -> tuple[list[CheckIn], bool]:
    """The outcome's latest check-ins, oldest first (the value over time), authors loaded; and
    whether older ones were left out. One query."""
    rows = list(
        CheckIn.objects.filter(organization_id=outcome.organization_id, outcome=outcome)
        .select_related("author")
        .order_by("-checked_on", "-id")[: limit + 1]
    )
    return list(reversed(rows[:limit])), len(rows) > limit
