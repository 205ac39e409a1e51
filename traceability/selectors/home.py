"""A member's home page: their live work, the suspect and stranded work they must resolve, the
goals they own with their gaps and progress, the check-ins due, and for leads what changed this
week. Each section is one query whatever the data size, counted in the same query (a window
over the rows before the limit). The gap rules are work.gaps', visibility is goals.visibility's:
nothing under a goal hidden from the member is listed or counted."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Generic, TypeVar

from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber
from django.utils import timezone

from goals import visibility as goal_visibility
from goals.models import CheckIn, Goal, GoalStatus, Outcome
from updates import health as goal_health
from vindaris.tenancy.models import Membership, Organization
from work import gaps
from work.models import Task

from ..clock import organization_tz, week_of
from ..models import OPEN, Flag, FlagKind, GoalCoverage

# How many items each section lists before its "see all" link; "this week" lists fewer per kind.
HOME_ITEMS = 10
WEEK_ITEMS = 5
# An outcome of an active goal is due a check-in when its last one is this old, or it has none.
CHECK_IN_EVERY = timedelta(days=7)
# The goals a member is asked to look after: pursued now, or paused and holding stranded work.
OWNED_STATUSES = (GoalStatus.ACTIVE, GoalStatus.ON_HOLD)

T = TypeVar("T")


@dataclass(frozen=True)
class Section(Generic[T]):
    """The first items of a home section and how many there are in all."""

    items: list[T]
    total: int

    @property
    def more(self) -> bool:
        return self.total > len(self.items)


def _total() -> Window:
    """The number of rows the query matched, on each row, before its LIMIT."""
    return Window(Count("pk"))


def _section(rows: list[Any]) -> Section[Any]:
    return Section(items=rows, total=rows[0].total if rows else 0)


def has_goals(*, organization: Organization, viewer: Membership | None) -> bool:
    """Whether the organization has a goal `viewer` may see (one query)."""
    return Goal.objects.filter(
        goal_visibility.visible_q(viewer), organization=organization
    ).exists()


def my_live_work(
    *, organization: Organization, member: Membership, limit: int = HOME_ITEMS
) -> Section[Task]:
    """The live tasks assigned to `member` that it may see, by due date (soonest first, so the
    overdue ones lead; no due date last), then number. Goal loaded; one query."""
    rows: list[Any] = list(
        Task.objects.filter(
            goal_visibility.visible_q(member, "goal"),
            gaps.LIVE,
            organization=organization,
            assignee=member,
        )
        .select_related("goal")
        .annotate(total=_total())
        .order_by(F("due_date").asc(nulls_last=True), "number")[:limit]
    )
    return _section(rows)


def to_resolve(
    *, organization: Organization, member: Membership, limit: int = HOME_ITEMS
) -> Section[Task]:
    """The suspect and stranded (not kept) tasks assigned to `member` or under a goal it owns,
    that it may see: the work.gaps conditions behind the open flags. By due date, then number.
    Goal loaded; one query."""
    rows: list[Any] = list(
        Task.objects.filter(
            goal_visibility.visible_q(member, "goal"),
            gaps.SUSPECT | gaps.STRANDED_OPEN,
            Q(assignee=member) | Q(goal__owner=member),
            organization=organization,
        )
        .select_related("goal")
        .annotate(total=_total())
        .order_by(F("due_date").asc(nulls_last=True), "number")[:limit]
    )
    return _section(rows)


@dataclass(frozen=True)
class OwnedGoal:
    """A goal a member owns with its own figures (its GoalCoverage row: its own tasks and
    outcomes, not its sub-goals')."""

    goal: Goal
    live_tasks: int
    suspect: int
    stranded: int  # open: not kept
    kept: int
    starved: bool
    outcomes: int
    progress_sum: int
    health: goal_health.GoalHealth = goal_health.NO_HEALTH  # its latest update, stale or not

    @property
    def progress_percent(self) -> int | None:
        """The mean of its outcomes' progress in percent; None without outcomes."""
        return round(self.progress_sum / self.outcomes) if self.outcomes else None

    @property
    def open_gaps(self) -> int:
        return self.suspect + self.stranded + int(self.starved)


def _coverage(organization: Organization, column: str) -> Coalesce:
    """A figure of the goal's coverage row (zero without one: no tasks and no outcomes)."""
    row = GoalCoverage.objects.filter(organization=organization, goal=OuterRef("pk"))
    return Coalesce(
        Subquery(row.values(column)[:1], output_field=IntegerField()),
        Value(0),
        output_field=IntegerField(),
    )


_COVERAGE_FIGURES = ("live_tasks", "suspect", "stranded", "kept", "outcomes", "progress_sum")


def goals_owned(
    *,
    organization: Organization,
    member: Membership,
    starved_ids: frozenset[int],
    limit: int = HOME_ITEMS,
    now: datetime | None = None,
) -> Section[OwnedGoal]:
    """The active and on-hold goals `member` owns and may see, active first, then by priority
    and number, with their coverage figures and health (updates.health, stale as of `now`);
    starved when in `starved_ids` (a headline's, which counts what the member may see). One
    query."""
    threshold = goal_health.stale_before(organization, now or timezone.now())
    active_first = Case(
        When(status=GoalStatus.ACTIVE, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    rows: list[Any] = list(
        goal_health.annotate(
            Goal.objects.filter(
                goal_visibility.visible_q(member),
                organization=organization,
                owner=member,
                status__in=OWNED_STATUSES,
            )
        )
        .annotate(
            **{f"cov_{name}": _coverage(organization, name) for name in _COVERAGE_FIGURES},
            total=_total(),
        )
        .order_by(active_first, "priority", "number")[:limit]
    )
    owned = [
        OwnedGoal(
            goal=goal,
            live_tasks=goal.cov_live_tasks,
            suspect=goal.cov_suspect,
            stranded=goal.cov_stranded,
            kept=goal.cov_kept,
            starved=goal.pk in starved_ids,
            outcomes=goal.cov_outcomes,
            progress_sum=goal.cov_progress_sum,
            health=goal_health.from_annotated(goal, threshold),
        )
        for goal in rows
    ]
    return Section(items=owned, total=rows[0].total if rows else 0)


@dataclass(frozen=True)
class CheckInDue:
    """An outcome due a check-in (its goal loaded) and the date of its last one, if any."""

    outcome: Outcome
    last_checked_on: date | None
    today: date

    @property
    def days_since(self) -> int | None:
        return None if self.last_checked_on is None else (self.today - self.last_checked_on).days


def check_ins_due(
    *, organization: Organization, member: Membership, today: date, limit: int = HOME_ITEMS
) -> Section[CheckInDue]:
    """The outcomes of the active goals `member` owns and may see whose last check-in is
    CHECK_IN_EVERY old or older on `today`, or that never had one: never first, then the
    oldest. Goal loaded; one query."""
    last = (
        CheckIn.objects.filter(organization=organization, outcome=OuterRef("pk"))
        .order_by("-checked_on")
        .values("checked_on")[:1]
    )
    rows: list[Any] = list(
        Outcome.objects.filter(
            goal_visibility.visible_q(member, "goal"),
            organization=organization,
            goal__owner=member,
            goal__status=GoalStatus.ACTIVE,
        )
        .annotate(last_checked_on=Subquery(last))
        .filter(Q(last_checked_on__isnull=True) | Q(last_checked_on__lte=today - CHECK_IN_EVERY))
        .select_related("goal")
        .annotate(total=_total())
        .order_by(F("last_checked_on").asc(nulls_first=True), "number")[:limit]
    )
    due = [CheckInDue(outcome=o, last_checked_on=o.last_checked_on, today=today) for o in rows]
    return Section(items=due, total=rows[0].total if rows else 0)


def week_start(*, organization: Organization, week: date) -> datetime:
    """Midnight at the start of `week` (its Monday: clock.week_of) in the organization's
    timezone."""
    return datetime.combine(week, time.min, tzinfo=organization_tz(organization))


@dataclass(frozen=True)
class WeekKind:
    """The flags of one kind raised since the start of the week: how many, how many are still
    open, and the latest few (each flag's task and its goal, or its goal, loaded)."""

    kind: str
    raised: int
    still_open: int
    flags: list[Flag]


@dataclass(frozen=True)
class ThisWeek:
    week: date  # its Monday, in the organization's timezone
    since: datetime  # that Monday's midnight there
    kinds: list[WeekKind]

    @property
    def raised(self) -> int:
        return sum(k.raised for k in self.kinds)


# The kinds in the order the page tells them: new gaps in work, then goals that went starved.
WEEK_KINDS = (FlagKind.ORPHANED, FlagKind.STRANDED, FlagKind.SUSPECT, FlagKind.STARVED)


def this_week(
    *,
    organization: Organization,
    viewer: Membership | None,
    now: datetime,
    limit: int = WEEK_ITEMS,
) -> ThisWeek:
    """The flags raised since the start of the organization's week, open or since resolved,
    that `viewer` may see: per kind, the count, how many are still open and the latest `limit`.
    One query (flag_org_raised_idx), whatever the number of flags."""
    week = week_of(organization, now)
    since = week_start(organization=organization, week=week)
    by_kind = [F("kind")]
    rows: list[Any] = list(
        Flag.objects.filter(
            goal_visibility.visible_q(viewer, "task__goal"),
            goal_visibility.visible_q(viewer, "goal"),
            organization=organization,
            raised_at__gte=since,
        )
        .annotate(
            kind_raised=Window(Count("pk"), partition_by=by_kind),
            kind_open=Window(Count("pk", filter=OPEN), partition_by=by_kind),
            place=Window(
                RowNumber(), partition_by=by_kind, order_by=[F("raised_at").desc(), F("pk").desc()]
            ),
        )
        .filter(place__lte=limit)
        .select_related("task__goal", "goal")
        .order_by("kind", "place")
    )
    kinds = []
    for kind in WEEK_KINDS:
        flags = [f for f in rows if f.kind == kind]
        kinds.append(
            WeekKind(
                kind=str(kind),
                raised=flags[0].kind_raised if flags else 0,
                still_open=flags[0].kind_open if flags else 0,
                flags=flags,
            )
        )
    return ThisWeek(week=week, since=since, kinds=kinds)
