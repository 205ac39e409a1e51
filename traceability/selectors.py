"""Every read of flags, snapshots and the gap conditions behind them.

The task gaps come from work.selectors' Q objects, compiled to SQL, so the persisted flags, the
work list filters and the counts on goal pages all mean the same thing by "orphaned",
"stranded" and "suspect". Starved goals need the goal tree, so they are written in SQL here.
"""

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction

from django.db import connection
from django.db.models import (
    Avg,
    BooleanField,
    Case,
    Count,
    F,
    FloatField,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Greatest, Least, NullIf

from goals import selectors as goal_selectors
from goals.models import PRIORITY_WEIGHT, Goal, GoalEvent, GoalStatus, Outcome, Priority
from vindaris.tenancy.models import Membership, Organization
from work.models import LIVE, LIVE_STATUSES, Task, TaskStatus
from work.selectors import KEPT, ORPHANED, STRANDED, SUSPECT

from .models import OPEN, DigestSent, Flag, FlagKind, Snapshot

# The task conditions that hold an open flag. A kept stranded task (someone wrote why the
# work continues) is a decision, not a gap: it holds no stranded flag until its goal changes.
TASK_FLAG_CONDITIONS: dict[str, Q] = {
    FlagKind.ORPHANED: ORPHANED,
    FlagKind.STRANDED: STRANDED & ~KEPT,
    FlagKind.SUSPECT: SUSPECT,
}

# Task events that explain why a flag of each kind closed (see services.flags_reconcile).
RESOLVING_EVENTS: dict[str, tuple[str, ...]] = {
    FlagKind.ORPHANED: ("moved",),
    FlagKind.STRANDED: ("moved", "kept"),
    FlagKind.SUSPECT: ("moved", "kept", "confirmed"),
}


def task_gaps_sql(*, organization_id: int) -> tuple[str, list]:
    """SQL selecting (kind, task_id) for every task of the organization that should hold an
    open flag, built from the work.selectors conditions; with its parameters."""
    parts, params = [], []
    for kind, condition in TASK_FLAG_CONDITIONS.items():
        qs = Task.objects.filter(organization_id=organization_id).filter(condition).values("id")
        sql, qs_params = qs.query.sql_with_params()
        parts.append(f"SELECT %s::varchar AS kind, gap.id AS task_id FROM ({sql}) AS gap")  # noqa: S608 - SQL compiled by the ORM
        params += [str(kind), *qs_params]
    return " UNION ALL ".join(parts), params


def starved_goals_sql(*, organization: Organization, now: datetime) -> tuple[str, list]:
    """SQL selecting (goal_id) of the organization's starved goals: active since before the
    grace period, with no live task anywhere in their subtree; with its parameters.

    Goals with live work of their own, and all their ancestors, are "covered"; one recursive
    walk up the tree finds them, however many goals and tasks there are."""
    activated_before = now - timedelta(days=organization.starved_grace_days)
    task, goal = Task._meta.db_table, Goal._meta.db_table
    sql = f"""
        WITH RECURSIVE covered(id) AS (
            SELECT t.goal_id FROM {task} t
             WHERE t.organization_id = %s AND t.goal_id IS NOT NULL
               AND t.status = ANY(%s::varchar[])
            UNION
            SELECT g.parent_id FROM {goal} g JOIN covered c ON g.id = c.id
             WHERE g.organization_id = %s AND g.parent_id IS NOT NULL
        )
        SELECT g.id AS goal_id FROM {goal} g
         WHERE g.organization_id = %s AND g.status = %s
           AND COALESCE(g.activated_at, g.created_at) <= %s
           AND NOT EXISTS (SELECT 1 FROM covered c WHERE c.id = g.id)
    """  # noqa: S608 - table names from the models
    params = [
        organization.pk,
        [str(s) for s in LIVE_STATUSES],
        organization.pk,
        organization.pk,
        str(GoalStatus.ACTIVE),
        activated_before,
    ]
    return sql, params


def starved_goal_ids(*, organization: Organization, now: datetime) -> set[int]:
    """Ids of the organization's starved goals, computed from the data (one query)."""
    sql, params = starved_goals_sql(organization=organization, now=now)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0] for row in cursor.fetchall()}


def open_flags(*, organization: Organization) -> QuerySet[Flag]:
    """The organization's open flags; each flag's task (with goal and assignee) or goal loaded."""
    return (
        Flag.objects.filter(OPEN, organization=organization)
        .select_related("task__goal", "task__assignee", "goal")
        .order_by("kind", "-raised_at", "id")
    )


@dataclass(frozen=True)
class Coverage:
    """An organization's coverage figures at one moment."""

    live_effort: int
    linked_effort: int
    orphaned: int
    stranded: int
    suspect: int
    starved: int
    goal_effort: dict[str, int]

    @property
    def linked_ratio(self) -> float | None:
        """Share of live effort on active goals; None when there is no live effort."""
        return self.linked_effort / self.live_effort if self.live_effort else None


def linked_ratio(*, organization: Organization) -> float | None:
    """Share of the organization's live effort on active goals, now; None without live effort.
    One query."""
    row = Task.objects.filter(LIVE, organization=organization).aggregate(
        live=Coalesce(Sum("estimate"), Value(0)),
        linked=Coalesce(Sum("estimate", filter=Q(goal__status=GoalStatus.ACTIVE)), Value(0)),
    )
    return row["linked"] / row["live"] if row["live"] else None


def _task_figures(organization: Organization, **extra: Count) -> dict[str, int]:
    """Live effort, linked effort and the count of each task gap (as the flags count them),
    plus any `extra` counts, in one aggregate query over the organization's tasks."""
    return Task.objects.filter(organization=organization).aggregate(
        live_effort=Coalesce(Sum("estimate", filter=LIVE), Value(0)),
        linked_effort=Coalesce(
            Sum("estimate", filter=LIVE & Q(goal__status=GoalStatus.ACTIVE)), Value(0)
        ),
        **{
            str(kind): Count("pk", filter=condition)
            for kind, condition in TASK_FLAG_CONDITIONS.items()
        },
        **extra,
    )


def coverage_figures(*, organization: Organization, now: datetime) -> Coverage:
    """Linked ratio, gap counts (as the flags count them) and live effort per goal, from the
    data. Three queries whatever the number of tasks and goals."""
    tasks = Task.objects.filter(organization=organization)
    row = _task_figures(organization)
    per_goal = (
        tasks.filter(LIVE, goal__isnull=False)
        .values("goal_id")
        .annotate(effort=Sum("estimate"))
        .filter(effort__gt=0)
        .order_by()
    )
    goal_effort = {str(r["goal_id"]): r["effort"] for r in per_goal}
    starved = len(starved_goal_ids(organization=organization, now=now))
    return Coverage(goal_effort=goal_effort, starved=starved, **row)


def snapshot_on_or_before(*, organization: Organization, day: date) -> Snapshot | None:
    """The organization's latest snapshot taken on or before `day` (one query)."""
    return (
        Snapshot.objects.filter(organization=organization, date__lte=day).order_by("-date").first()
    )


def snapshots_between(*, organization: Organization, start: date, end: date) -> QuerySet[Snapshot]:
    """The organization's snapshots from `start` to `end`, oldest first: the coverage trend."""
    return Snapshot.objects.filter(
        organization=organization, date__gte=start, date__lte=end
    ).order_by("date")


def digest_recipients(*, organization: Organization, week: date) -> list[Membership]:
    """Members who should get this week's digest and have not had it: active users who have
    not opted out. Users and organization loaded; one query."""
    already = DigestSent.objects.filter(organization=organization, week=week).values("user_id")
    return list(
        Membership.objects.filter(
            organization=organization, digest_opt_out=False, user__is_active=True
        )
        .exclude(user_id__in=already)
        .select_related("user", "organization")
        .order_by("id")
    )


def membership_for_unsubscribe(
    *, organization_slug: str, o: int, m: int, u: int
) -> Membership | None:
    """The membership an unsubscribe token names (organization `o`, membership `m`, user `u`),
    if it still exists and belongs to the organization of the URL. Organization and user
    loaded; one query."""
    return (
        Membership.objects.filter(
            pk=m, organization_id=o, user_id=u, organization__slug=organization_slug
        )
        .select_related("organization", "user")
        .first()
    )


def membership_for_digest(*, organization: Organization, email: str) -> Membership | None:
    """The organization's member with this email address (user loaded), or None."""
    return (
        Membership.objects.filter(organization=organization, user__email__iexact=email.strip())
        .select_related("user")
        .first()
    )


# The coverage dashboard and the triage queues ------------------------------------------------

# The queues a lead triages. Tasks are listed while they match the queue's condition; the
# stranded queue lists kept tasks too, apart from the open ones. "stop" is the list of live
# work the dashboard suggests stopping.
TASK_QUEUES: dict[str, Q] = {
    "orphaned": ORPHANED,
    "stranded": STRANDED,
    "suspect": SUSPECT,
    "stop": LIVE,
}
OPEN_STRANDED = TASK_FLAG_CONDITIONS[FlagKind.STRANDED]
QUEUE_PAGE_SIZE = 50

# A goal's share of the live effort on active goals against the share its priority weight
# implies: over-funded above (1 + tolerance) times it, under-funded below (1 - tolerance)
# times it. Half either way: a goal must get more than one and a half times, or less than
# half, of its due share before it is marked, so ordinary week-to-week noise marks nothing.
FUNDING_TOLERANCE = Fraction(1, 2)
# Over-funded goals of these priorities are where the dashboard suggests stopping work.
LOW_PRIORITIES = (Priority.P3, Priority.P4)

WEIGHT = Case(
    *[When(priority=int(p), then=Value(w)) for p, w in PRIORITY_WEIGHT.items()],
    output_field=IntegerField(),
)


def funding(*, effort: int, weight: int, linked_effort: int, weight_total: int) -> str:
    """ "over", "under" or "" for a goal with `effort` live effort and priority `weight`,
    among active goals with `linked_effort` live effort and `weight_total` weight in all.
    Exact integer arithmetic, the same comparison as the SQL of `stop_candidates`. Nothing is
    marked while there is no live effort on active goals at all."""
    if not linked_effort or not weight_total:
        return ""
    t = FUNDING_TOLERANCE
    actual = t.denominator * effort * weight_total
    if actual > (t.denominator + t.numerator) * weight * linked_effort:
        return "over"
    if actual < (t.denominator - t.numerator) * weight * linked_effort:
        return "under"
    return ""


@dataclass(frozen=True)
class Headline:
    """An organization's coverage now: the linked ratio and the count of each gap, counted as
    the flags and snapshots count them (a kept stranded task is a decision, not a gap: it is
    counted apart as `kept`, not in `stranded`)."""

    live_effort: int
    linked_effort: int
    orphaned: int
    stranded: int
    kept: int
    suspect: int
    starved_ids: frozenset[int]

    @property
    def starved(self) -> int:
        return len(self.starved_ids)

    @property
    def linked_ratio(self) -> float | None:
        return self.linked_effort / self.live_effort if self.live_effort else None

    @property
    def linked_percent(self) -> int | None:
        ratio = self.linked_ratio
        return None if ratio is None else round(100 * ratio)


def coverage_headline(*, organization: Organization, now: datetime) -> Headline:
    """The linked ratio and gap counts from the data, always current. Two queries whatever
    the number of tasks and goals."""
    row = _task_figures(organization, kept=Count("pk", filter=KEPT))
    return Headline(
        starved_ids=frozenset(starved_goal_ids(organization=organization, now=now)), **row
    )


def coverage_trend(*, organization: Organization, start: date, end: date) -> list[Snapshot]:
    """The snapshots from `start` to `end`, oldest first, with only the figures a trend draws
    (not the per-goal effort). One query."""
    return list(
        snapshots_between(organization=organization, start=start, end=end).only(
            "date",
            "linked_ratio",
            "linked_effort",
            "live_effort",
            "orphaned",
            "stranded",
            "suspect",
            "starved",
        )
    )


def _goal_filter(owner: Membership | None, period_start: date | None, period_end: date | None) -> Q:
    """Goals of `owner` whose period overlaps [period_start, period_end]; the goal list's
    meaning of the same filters (a goal without dates belongs to no period)."""
    q = Q()
    if owner is not None:
        q &= Q(owner=owner)
    if period_start or period_end:
        q &= ~Q(start_date__isnull=True, end_date__isnull=True)
    if period_start:
        q &= Q(end_date__isnull=True) | Q(end_date__gte=period_start)
    if period_end:
        q &= Q(start_date__isnull=True) | Q(start_date__lte=period_end)
    return q


@dataclass(frozen=True)
class ActiveWeights:
    weight_total: int  # of every active goal, whatever the filters
    matching: int  # active goals matching the filters


def active_weights(
    *,
    organization: Organization,
    owner: Membership | None = None,
    period_start: date | None = None,
    period_end: date | None = None,
) -> ActiveWeights:
    """The priority weight of all active goals (what the implied shares divide by) and how
    many active goals match the filters. One query."""
    row = Goal.objects.filter(organization=organization, status=GoalStatus.ACTIVE).aggregate(
        weight_total=Coalesce(Sum(WEIGHT), Value(0)),
        matching=Count("pk", filter=_goal_filter(owner, period_start, period_end)),
    )
    return ActiveWeights(**row)


# Sort keys of the goals table: each column, by the SQL expression that orders it. A share
# divides by a constant, so it sorts as the effort; the implied share sorts as the weight.
GOAL_SORTS: dict[str, str] = {
    "goal": "number",
    "priority": "priority",
    "live_tasks": "live_tasks",
    "live_effort": "live_effort",
    "share": "live_effort",
    "implied": "priority_weight",
    "funding": "funding_ratio",
    "done": "done_share",
    "progress": "progress",
    "activity": "last_activity",
    "gaps": "open_gaps",
}
GOAL_TABLE_SIZE = 50


def _with_coverage(goals: QuerySet[Goal], starved_ids: frozenset[int]) -> QuerySet[Goal]:
    """Goals annotated with their own work's figures: one GROUP BY over their tasks, outcome
    progress and last history row as correlated subqueries."""
    live = Q(tasks__status__in=LIVE_STATUSES)
    done = Q(tasks__status=TaskStatus.DONE)
    # work.selectors.SUSPECT seen from the goal: live work whose link was confirmed before the
    # goal's last material change.
    suspect = live & Q(tasks__link_confirmed_at__lt=F("material_change_at"))
    outcome_progress = (
        Outcome.objects.filter(organization_id=OuterRef("organization_id"), goal=OuterRef("pk"))
        .order_by()
        .values("goal")
        .annotate(
            p=Avg(
                Greatest(
                    Value(0.0),
                    Least(
                        Value(1.0),
                        Cast(F("current") - F("baseline"), FloatField())
                        / Cast(F("target") - F("baseline"), FloatField()),
                    ),
                )
            )
        )
        .values("p")
    )
    last_event = (
        GoalEvent.objects.filter(organization_id=OuterRef("organization_id"), goal=OuterRef("pk"))
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    return goals.annotate(
        priority_weight=WEIGHT,
        live_tasks=Count("tasks", filter=live),
        live_effort=Coalesce(Sum("tasks__estimate", filter=live), Value(0)),
        done_effort=Coalesce(Sum("tasks__estimate", filter=done), Value(0)),
        suspect=Count("tasks", filter=suspect),
        is_starved=Case(
            When(pk__in=sorted(starved_ids), then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        ),
        progress=Subquery(outcome_progress, output_field=FloatField()),
        last_activity=Greatest(F("updated_at"), Max("tasks__updated_at"), Subquery(last_event)),
    ).annotate(
        funding_ratio=Cast(F("live_effort"), FloatField()) / F("priority_weight"),
        done_share=Cast(F("done_effort"), FloatField())
        / NullIf(F("live_effort") + F("done_effort"), Value(0)),
        open_gaps=F("suspect") + F("is_starved"),
    )


@dataclass(frozen=True)
class GoalCoverage:
    """One active goal's row of the goals table (figures annotated on `goal`)."""

    goal: Goal
    linked_effort: int
    weight_total: int

    @property
    def share(self) -> float:
        """Its share of the live effort on active goals, 0–1."""
        return self.goal.live_effort / self.linked_effort if self.linked_effort else 0.0  # type: ignore[attr-defined]

    @property
    def implied(self) -> float:
        """The share its priority weight implies among active goals, 0–1."""
        return self.goal.weight / self.weight_total if self.weight_total else 0.0  # type: ignore[attr-defined]

    @property
    def share_percent(self) -> int:
        return round(100 * self.share)

    @property
    def implied_percent(self) -> int:
        return round(100 * self.implied)

    @property
    def funding(self) -> str:
        return funding(
            effort=self.goal.live_effort,  # type: ignore[attr-defined]
            weight=self.goal.weight,  # type: ignore[attr-defined]
            linked_effort=self.linked_effort,
            weight_total=self.weight_total,
        )

    @property
    def done_percent(self) -> int | None:
        share = self.goal.done_share  # type: ignore[attr-defined]
        return None if share is None else round(100 * share)

    @property
    def progress_percent(self) -> int | None:
        progress = self.goal.progress  # type: ignore[attr-defined]
        return None if progress is None else round(100 * progress)


@dataclass(frozen=True)
class GoalTable:
    rows: list[GoalCoverage]
    total: int
    number: int
    per_page: int

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages

    @property
    def start_index(self) -> int:
        return (self.number - 1) * self.per_page + 1 if self.total else 0

    @property
    def end_index(self) -> int:
        return (self.number - 1) * self.per_page + len(self.rows)


def coverage_goals(
    *,
    organization: Organization,
    headline: Headline,
    weights: ActiveWeights,
    owner: Membership | None = None,
    period_start: date | None = None,
    period_end: date | None = None,
    sort: str = "priority",
    page: int = 1,
    per_page: int = GOAL_TABLE_SIZE,
) -> GoalTable:
    """One page of the active goals matching the filters, with their coverage, sorted in SQL by
    `sort` (a GOAL_SORTS key, "-" first for descending); owners loaded. One query.

    Shares are of the whole organization's live effort on active goals and weight, whatever the
    filters: filtering narrows the rows, not what a share means."""
    descending = sort.startswith("-")
    column = GOAL_SORTS.get(sort.lstrip("-"), GOAL_SORTS["priority"])
    expression = F(column)
    ordering = expression.desc(nulls_last=True) if descending else expression.asc(nulls_last=True)
    number = max(1, min(page, max(1, -(-weights.matching // per_page))))
    offset = (number - 1) * per_page
    goals = Goal.objects.filter(
        _goal_filter(owner, period_start, period_end),
        organization=organization,
        status=GoalStatus.ACTIVE,
    ).select_related("owner__user")
    rows = list(
        _with_coverage(goals, headline.starved_ids).order_by(ordering, "number")[
            offset : offset + per_page
        ]
    )
    return GoalTable(
        rows=[
            GoalCoverage(
                goal=g, linked_effort=headline.linked_effort, weight_total=weights.weight_total
            )
            for g in rows
        ],
        total=weights.matching,
        number=number,
        per_page=per_page,
    )


@dataclass(frozen=True)
class StopItem:
    """A live task the dashboard suggests stopping: its goal is stranded, or over-funded with
    a low priority (`share` and `implied` then say by how much)."""

    task: Task
    stranded: bool
    share: float
    implied: float

    @property
    def share_percent(self) -> int:
        return round(100 * self.share)

    @property
    def implied_percent(self) -> int:
        return round(100 * self.implied)


def _over_funded_low_priority(
    organization: Organization, linked_effort: int, weight_total: int
) -> QuerySet[Goal]:
    """Ids of active low-priority goals over-funded by `funding` (the same exact comparison,
    as a HAVING clause)."""
    t = FUNDING_TOLERANCE
    return (
        Goal.objects.filter(
            organization=organization, status=GoalStatus.ACTIVE, priority__in=LOW_PRIORITIES
        )
        .annotate(
            effort=Coalesce(
                Sum("tasks__estimate", filter=Q(tasks__status__in=LIVE_STATUSES)), Value(0)
            )
        )
        .annotate(
            actual=F("effort") * Value(t.denominator * weight_total),
            limit=WEIGHT * Value((t.denominator + t.numerator) * linked_effort),
        )
        .filter(actual__gt=F("limit"))
        .values("pk")
    )


def _stop_cursor(value: str) -> tuple[int, int] | None:
    """The cursor "<estimate>-<number>" of the stop list's next page, or None."""
    estimate, _, number = (value or "").partition("-")
    if not (estimate.isdigit() and number.isdigit()):
        return None
    return int(estimate), int(number)


def _stop_queryset(
    organization: Organization, headline: Headline, weight_total: int
) -> QuerySet[Task]:
    over_funded = (
        _over_funded_low_priority(organization, headline.linked_effort, weight_total)
        if headline.linked_effort and weight_total
        else Goal.objects.none().values("pk")
    )
    goal_effort = (
        Task.objects.filter(
            LIVE, organization_id=OuterRef("organization_id"), goal_id=OuterRef("goal_id")
        )
        .order_by()
        .values("goal_id")
        .annotate(s=Sum("estimate"))
        .values("s")
    )
    return (
        Task.objects.filter(organization=organization)
        .filter(OPEN_STRANDED | (LIVE & Q(goal_id__in=Subquery(over_funded))))
        .annotate(
            on_stranded_goal=Case(
                When(OPEN_STRANDED, then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            ),
            goal_live_effort=Subquery(goal_effort, output_field=IntegerField()),
        )
        .select_related("goal", "assignee__user")
    )


def _stop_item(task: Task, headline: Headline, weight_total: int) -> StopItem:
    weight = PRIORITY_WEIGHT[Priority(task.goal.priority)]  # type: ignore[union-attr]
    effort = task.goal_live_effort or 0  # type: ignore[attr-defined]
    return StopItem(
        task=task,
        stranded=task.on_stranded_goal,  # type: ignore[attr-defined]
        share=effort / headline.linked_effort if headline.linked_effort else 0.0,
        implied=weight / weight_total if weight_total else 0.0,
    )


def stop_candidates(
    *,
    organization: Organization,
    headline: Headline,
    weight_total: int,
    limit: int = QUEUE_PAGE_SIZE,
    after: str = "",
) -> tuple[list[StopItem], str]:
    """Live work on stranded goals (open, not kept) and on over-funded low-priority goals,
    largest effort first, keyset-paginated on (estimate, number); and the cursor of the next
    page ("" at the end). Goal and assignee loaded; one query."""
    qs = _stop_queryset(organization, headline, weight_total)
    cursor = _stop_cursor(after)
    if cursor is not None:
        estimate, number = cursor
        qs = qs.filter(Q(estimate__lt=estimate) | Q(estimate=estimate, number__lt=number))
    page = list(qs.order_by("-estimate", "-number")[: limit + 1])
    next_after = f"{page[limit - 1].estimate}-{page[limit - 1].number}" if len(page) > limit else ""
    return [_stop_item(t, headline, weight_total) for t in page[:limit]], next_after


def stop_candidates_export(
    *, organization: Organization, headline: Headline, weight_total: int
) -> Iterator[StopItem]:
    """Every stop candidate, largest effort first, streamed in chunks."""
    qs = _stop_queryset(organization, headline, weight_total).order_by("-estimate", "-number")
    return (_stop_item(t, headline, weight_total) for t in qs.iterator(chunk_size=500))


def queue_tasks(
    *, organization: Organization, kind: str, kept: bool = False, before: int | None = None
) -> tuple[list[Task], int | None]:
    """One page of a task queue (orphaned, stranded or suspect), newest first, keyset-paginated
    on the task number; the stranded queue's open tasks, or its kept ones with `kept` (each
    task carries `.kept`). Returns the page and the next page's cursor (or None). Goal and
    assignee loaded; one query."""
    condition = TASK_QUEUES[kind]
    if kind == "stranded":
        condition = KEPT if kept else OPEN_STRANDED
    qs = Task.objects.filter(organization=organization).filter(condition)
    if before is not None:
        qs = qs.filter(number__lt=before)
    page = list(
        qs.annotate(kept=Value(kept and kind == "stranded", output_field=BooleanField()))
        .select_related("goal", "assignee__user")
        .order_by("-number")[: QUEUE_PAGE_SIZE + 1]
    )
    next_before = page[QUEUE_PAGE_SIZE - 1].number if len(page) > QUEUE_PAGE_SIZE else None
    return page[:QUEUE_PAGE_SIZE], next_before


def _starved_cursor(value: str) -> tuple[int, int] | None:
    priority, _, number = (value or "").partition("-")
    if not (priority.isdigit() and number.isdigit()):
        return None
    return int(priority), int(number)


def starved_goals(
    *, organization: Organization, headline: Headline, after: str = ""
) -> tuple[list[Goal], str]:
    """One page of the starved goals (those of `headline`), highest priority first, keyset-
    paginated on (priority, number); and the next page's cursor ("" at the end). Owner and
    parent loaded; one query."""
    qs = Goal.objects.filter(organization=organization, pk__in=sorted(headline.starved_ids))
    cursor = _starved_cursor(after)
    if cursor is not None:
        priority, number = cursor
        qs = qs.filter(Q(priority__gt=priority) | Q(priority=priority, number__gt=number))
    page = list(
        qs.select_related("owner__user", "parent").order_by("priority", "number")[
            : QUEUE_PAGE_SIZE + 1
        ]
    )
    last = page[QUEUE_PAGE_SIZE - 1] if len(page) > QUEUE_PAGE_SIZE else None
    return page[:QUEUE_PAGE_SIZE], f"{last.priority}-{last.number}" if last else ""


def queue_membership(
    *, organization: Organization, kind: str, numbers: Iterable[int]
) -> dict[int, bool]:
    """Which of these tasks are in the task queue `kind` now: {number: kept} (kept is only ever
    true in the stranded queue). One query."""
    rows = (
        Task.objects.filter(organization=organization, number__in=list(numbers))
        .filter(TASK_QUEUES[kind])
        .annotate(
            kept=Case(
                When(KEPT, then=Value(True)), default=Value(False), output_field=BooleanField()
            )
        )
        .values_list("number", "kept")
    )
    return {number: kept and kind == "stranded" for number, kept in rows}


def queue_tasks_by_number(*, organization: Organization, numbers: Iterable[int]) -> list[Task]:
    """The organization's tasks with these numbers, newest first; goal and assignee loaded."""
    return list(
        Task.objects.filter(organization=organization, number__in=list(numbers))
        .select_related("goal", "assignee__user")
        .order_by("-number")
    )


def queue_export_tasks(*, organization: Organization, kind: str) -> Iterator[Task]:
    """Every task of a task queue, oldest first, streamed in chunks; each carries `kept` (the
    stranded queue lists kept tasks too). Goal and assignee loaded."""
    return (
        Task.objects.filter(organization=organization)
        .filter(TASK_QUEUES[kind])
        .annotate(
            kept=Case(
                When(KEPT, then=Value(True)), default=Value(False), output_field=BooleanField()
            )
        )
        .select_related("goal", "assignee__user")
        .order_by("number")
        .iterator(chunk_size=500)
    )


def queue_export_starved(*, organization: Organization, headline: Headline) -> Iterator[Goal]:
    """Every starved goal, highest priority first, streamed; owner and parent loaded."""
    return (
        Goal.objects.filter(organization=organization, pk__in=sorted(headline.starved_ids))
        .select_related("owner__user", "parent")
        .order_by("priority", "number")
        .iterator(chunk_size=500)
    )


GOAL_KEY = re.compile(r"^\s*(?:g-?)?(\d{1,9})\s*$", re.IGNORECASE)
GOAL_PICKER_SIZE = 50


def active_goal_search(
    *, organization: Organization, q: str = "", limit: int = GOAL_PICKER_SIZE
) -> tuple[list[Goal], bool]:
    """Active goals whose title contains `q` or whose key is `q` ("G-12", "12"), highest
    priority first, at most `limit`; and whether more match. One query."""
    goals = goal_selectors.active_goal_choices(organization=organization, viewer=None)
    q = (q or "").strip()
    if q:
        match = GOAL_KEY.match(q)
        condition = Q(title__icontains=q)
        if match:
            condition |= Q(number=int(match.group(1)))
        goals = goals.filter(condition)
    found = list(goals.order_by("priority", "number")[: limit + 1])
    return found[:limit], len(found) > limit
