"""Every read of tasks and their history. Gap conditions are expressed once, as Q objects,
so lists, counts and (later) set-based jobs agree on what "orphaned", "stranded" and
"suspect" mean."""

from dataclasses import dataclass

from django.db.models import Case, Count, F, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce

from goals.models import Goal, GoalStatus, Outcome
from vindaris.tenancy.models import Membership, Organization

from .models import LIVE, LIVE_STATUSES, CheckInCredit, Task, TaskEvent, TaskStatus

# The gaps, as conditions on Task rows.
ORPHANED = LIVE & Q(goal__isnull=True)
STRANDED = LIVE & Q(goal__isnull=False) & ~Q(goal__status=GoalStatus.ACTIVE)
SUSPECT = LIVE & Q(goal__material_change_at__gt=F("link_confirmed_at"))
# A stranded task someone chose to keep, until its goal changes again.
KEPT = STRANDED & ~Q(kept_reason="") & ~SUSPECT

GAPS = {"orphaned": ORPHANED, "stranded": STRANDED, "suspect": SUSPECT}

PAGE_SIZE = 50


def task_get(*, organization: Organization, number: int) -> Task | None:
    """The organization's task with this number; goal, outcome, assignee and creator loaded."""
    return (
        Task.objects.select_related("goal", "outcome", "assignee__user", "created_by")
        .filter(organization=organization, number=number)
        .first()
    )


def _with_display(qs: QuerySet[Task]) -> QuerySet[Task]:
    return qs.select_related("goal", "outcome", "assignee__user")


@dataclass(frozen=True)
class GoalCounts:
    live_tasks: int
    live_effort: int
    done_tasks: int
    done_effort: int
    suspect: int
    stranded: int

    @property
    def done_share(self) -> int:
        total = self.live_effort + self.done_effort
        return round(100 * self.done_effort / total) if total else 0


def goal_counts(*, goal: Goal) -> GoalCounts:
    """Counts of the goal's own tasks, in one aggregate query."""
    done = Q(status=TaskStatus.DONE)
    row = Task.objects.filter(organization_id=goal.organization_id, goal=goal).aggregate(
        live_tasks=Count("pk", filter=LIVE),
        live_effort=Coalesce(Sum("estimate", filter=LIVE), Value(0)),
        done_tasks=Count("pk", filter=done),
        done_effort=Coalesce(Sum("estimate", filter=done), Value(0)),
        suspect=Count("pk", filter=SUSPECT),
        stranded=Count("pk", filter=STRANDED),
    )
    return GoalCounts(**row)


def tasks_of_goal(*, goal: Goal, limit: int = PAGE_SIZE) -> list[Task]:
    """The goal's tasks, live first then most recent, at most `limit` (display fields loaded)."""
    return list(
        _with_display(
            Task.objects.filter(organization_id=goal.organization_id, goal=goal)
        ).order_by(Case(When(LIVE, then=Value(0)), default=Value(1)), "-number")[:limit]
    )


def children_with_counts(*, goal: Goal) -> QuerySet[Goal]:
    """Direct sub-goals with their own live task count and live effort (one query)."""
    live = Q(tasks__status__in=LIVE_STATUSES)
    return (
        Goal.objects.filter(organization_id=goal.organization_id, parent=goal)
        .select_related("owner__user")
        .annotate(
            live_tasks=Count("tasks", filter=live),
            live_effort=Coalesce(Sum("tasks__estimate", filter=live), Value(0)),
        )
        .order_by("priority", "number")
    )


def outcomes_with_tasks(*, goal: Goal) -> list[Outcome]:
    """The goal's outcomes; each carries `.live_tasks` meant to move it (one query)."""
    return list(
        Outcome.objects.filter(organization_id=goal.organization_id, goal=goal)
        .annotate(live_tasks=Count("tasks", filter=Q(tasks__status__in=LIVE_STATUSES)))
        .order_by("number")
    )


def task_history(*, task: Task) -> QuerySet[TaskEvent]:
    return (
        TaskEvent.objects.filter(organization_id=task.organization_id, task=task)
        .select_related("actor", "from_goal", "to_goal")
        .order_by("-created_at", "-id")
    )


def credits_of_task(*, task: Task) -> QuerySet[CheckInCredit]:
    """Check-ins that credited the task, newest first; check-in, outcome and author loaded."""
    return (
        CheckInCredit.objects.filter(organization_id=task.organization_id, task=task)
        .select_related("check_in__outcome", "check_in__author")
        .order_by("-check_in__checked_on", "-check_in__id")
    )


@dataclass(frozen=True)
class WorkFilters:
    goal: Goal | None = None
    status: str = ""
    assignee: Membership | None = None
    gap: str = ""  # orphaned, stranded or suspect
    search: str = ""


def work_list(
    *, organization: Organization, filters: WorkFilters, before: int | None = None
) -> tuple[list[Task], int | None]:
    """One page of the organization's tasks, newest first, keyset-paginated on the task number.
    Returns the page and the cursor of the next page (or None). One query."""
    qs = Task.objects.filter(organization=organization)
    if filters.goal is not None:
        qs = qs.filter(goal=filters.goal)
    if filters.status == "live":
        qs = qs.filter(LIVE)
    elif filters.status:
        qs = qs.filter(status=filters.status)
    if filters.assignee is not None:
        qs = qs.filter(assignee=filters.assignee)
    if filters.gap in GAPS:
        qs = qs.filter(GAPS[filters.gap])
    if filters.search:
        qs = qs.filter(title__icontains=filters.search)
    if before is not None:
        qs = qs.filter(number__lt=before)
    page = list(_with_display(qs).order_by("-number")[: PAGE_SIZE + 1])
    next_cursor = page[PAGE_SIZE - 1].number if len(page) > PAGE_SIZE else None
    return page[:PAGE_SIZE], next_cursor


def live_tasks_of_goal_choices(*, goal: Goal) -> QuerySet[Task]:
    """Tasks of a goal that a check-in may credit."""
    return Task.objects.filter(organization_id=goal.organization_id, goal=goal).order_by("-number")


def outcome_choices(*, organization: Organization) -> QuerySet[Outcome]:
    """Every outcome of the organization with its goal loaded, for moving work between goals."""
    return (
        Outcome.objects.filter(organization=organization)
        .select_related("goal")
        .order_by("goal__number", "number")
    )


def assignee_choices(*, organization: Organization) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(organization=organization)
        .select_related("user")
        .order_by("user__name", "user__email")
    )
