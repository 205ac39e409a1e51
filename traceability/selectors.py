"""Every read of flags, snapshots and the gap conditions behind them.

The task gaps come from work.selectors' Q objects, compiled to SQL, so the persisted flags, the
work list filters and the counts on goal pages all mean the same thing by "orphaned",
"stranded" and "suspect". Starved goals need the goal tree, so they are written in SQL here.
"""

import functools
import re
from collections.abc import Iterable, Iterator, Sequence
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
from goals import visibility as goal_visibility
from goals.models import (
    PRIORITY_WEIGHT,
    Goal,
    GoalEvent,
    GoalStatus,
    GoalUserObjectPermission,
    Outcome,
    Priority,
)
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


@functools.cache
def _live_task_gaps() -> tuple[str, tuple]:
    """The ORM's SQL for every live task with one boolean per task flag kind, compiled once per
    process (the conditions are constants)."""
    qs = (
        Task.objects.filter(LIVE)
        .annotate(
            **{
                str(kind): Case(
                    When(condition, then=Value(True)),
                    default=Value(False),
                    output_field=BooleanField(),
                )
                for kind, condition in TASK_FLAG_CONDITIONS.items()
            }
        )
        .order_by()
        .values("id", "organization_id", "goal_id", *(str(k) for k in TASK_FLAG_CONDITIONS))
    )
    sql, params = qs.query.sql_with_params()
    return sql, tuple(params)


def task_gaps_sql(*, organization_id: int) -> tuple[str, list]:
    """SQL selecting (id, goal_id, orphaned, stranded, suspect) for every live task of the
    organization, in one pass: each boolean is the work.selectors condition behind that flag
    kind (TASK_FLAG_CONDITIONS) compiled by the ORM; with its parameters."""
    sql, params = _live_task_gaps()
    kinds = ", ".join(f"gap.{kind}" for kind in TASK_FLAG_CONDITIONS)
    return (
        f"SELECT gap.id, gap.goal_id, {kinds} FROM ({sql}) AS gap"  # noqa: S608 - SQL compiled by the ORM
        " WHERE gap.organization_id = %s",
        [*params, organization_id],
    )


def starved_goals_sql(
    *, organization: Organization, now: datetime, live_tasks: str | None = None
) -> tuple[str, list]:
    """SQL selecting (goal_id) of the organization's starved goals: active since before the
    grace period, with no live task anywhere in their subtree; with its parameters.
    `live_tasks` names a relation of the enclosing statement holding the `goal_id` of each of
    the organization's live tasks (the reconciler's one pass over them); without it the tasks
    are read here.

    Goals with live work of their own, and all their ancestors, are "covered"; one recursive
    walk up the tree finds them, however many goals and tasks there are."""
    activated_before = now - timedelta(days=organization.starved_grace_days)
    task, goal = Task._meta.db_table, Goal._meta.db_table
    if live_tasks is None:
        seed = f"""
            SELECT t.goal_id FROM {task} t
             WHERE t.organization_id = %s AND t.goal_id IS NOT NULL
               AND t.status = ANY(%s::varchar[])"""  # noqa: S608 - table name from the model
        seed_params: list = [organization.pk, [str(s) for s in LIVE_STATUSES]]
    else:
        seed = f"SELECT l.goal_id FROM {live_tasks} l WHERE l.goal_id IS NOT NULL"  # noqa: S608 - a CTE name from the caller
        seed_params = []
    sql = f"""
        WITH RECURSIVE covered(id) AS (
            {seed}
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
        *seed_params,
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


# The digest: who may read what, and each audience's sections, in a constant number of queries.

# Visibility class 0: members who see every goal (admins and leads; goals.visibility).
SEES_EVERYTHING = 0


@dataclass(frozen=True)
class DigestVisibility:
    """Recipients grouped by what they may see. Under goals.visibility a member's hidden goals
    follow from the confidential goals it owns or holds a grant on, so members with the same
    such goals have the same hidden goals: they form one class, and one member of each class
    stands for it. Class 0 (SEES_EVERYTHING) is the admins and leads: no filter at all."""

    class_of: dict[int, int]  # membership pk -> class
    representatives: dict[int, Membership]  # restricted class -> one of its members

    def hidden_sql(self) -> tuple[str, list]:
        """SQL selecting (class, goal_id): the goals hidden from each restricted class, each
        class's set found by goals.visibility's own SQL for its representative; with its
        parameters. One set-based statement, to use as a CTE."""
        parts, params = [], []
        for visibility_class, member in self.representatives.items():
            hidden = goal_visibility.hidden_goals_sql(member)
            if hidden is None:  # never for a restricted member; nothing is hidden from it
                continue
            parts.append(f"SELECT %s::int, h.id FROM ({hidden[0]}) h")  # noqa: S608 - goals.visibility's SQL
            params += [visibility_class, *hidden[1]]
        if not parts:
            return "SELECT NULL::int, NULL::bigint WHERE false", []
        return " UNION ALL ".join(parts), params


def digest_visibility(
    *, organization: Organization, memberships: Sequence[Membership]
) -> DigestVisibility:
    """The visibility class of each membership. One query whatever the number of members (none
    when every one sees everything): which confidential goals each restricted member owns or
    holds a `view_goal`/`change_goal` grant on (the exceptions goals.visibility makes)."""
    restricted = [m for m in memberships if not goal_visibility.sees_everything(m)]
    class_of = {m.pk: SEES_EVERYTHING for m in memberships}
    if not restricted:
        return DigestVisibility(class_of=class_of, representatives={})
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT m.id, COALESCE(
                       array_agg(g.id ORDER BY g.id) FILTER (WHERE g.id IS NOT NULL), '{{}}')
              FROM {Membership._meta.db_table} m
              LEFT JOIN {Goal._meta.db_table} g
                ON g.organization_id = m.organization_id AND g.confidential
               AND (g.owner_id = m.id OR EXISTS (
                    SELECT 1 FROM {GoalUserObjectPermission._meta.db_table} gp
                      JOIN auth_permission p ON p.id = gp.permission_id
                     WHERE gp.content_object_id = g.id AND gp.user_id = m.user_id
                       AND p.codename = ANY(%s)))
             WHERE m.organization_id = %s AND m.id = ANY(%s)
             GROUP BY m.id
            """,  # noqa: S608 - table names from the models
            [list(goal_visibility.GRANTS), organization.pk, [m.pk for m in restricted]],
        )
        access = {pk: tuple(goal_ids) for pk, goal_ids in cursor.fetchall()}
    classes: dict[tuple[int, ...], int] = {}
    representatives: dict[int, Membership] = {}
    for m in restricted:
        # A member missing from the answer (not of this organization) sees the least.
        visibility_class = classes.setdefault(access.get(m.pk, ()), len(classes) + 1)
        class_of[m.pk] = visibility_class
        representatives.setdefault(visibility_class, m)
    return DigestVisibility(class_of=class_of, representatives=representatives)


@dataclass(frozen=True)
class DigestCount:
    """One section of one audience: how many open flags, how many new, and the ids of the first
    few (new first, then the most recent work)."""

    total: int
    new: int
    flag_ids: tuple[int, ...]


@dataclass(frozen=True)
class DigestFlag:
    """What the digest says of one open flag: its task (if any) and the goal it lies under (the
    task's goal, or the starved goal itself)."""

    id: int
    kind: str
    is_new: bool  # raised since `new_since`
    task_number: int | None
    task_title: str | None
    goal_number: int | None
    goal_title: str | None
    goal_status: str | None
    material_change: str | None
    activated_at: datetime | None  # of a starved goal


# An audience: ("class", c) reads the organization-wide digest as visibility class c sees it;
# ("member", pk) reads the own-work digest of that planner.
Audience = tuple[str, int]


@dataclass(frozen=True)
class DigestContent:
    counts: dict[Audience, dict[str, DigestCount]]  # audience -> flag kind -> its section
    flags: dict[int, DigestFlag]  # every flag some section lists, by id


def digest_content(
    *,
    organization: Organization,
    visibility: DigestVisibility,
    wide_classes: Iterable[int],
    own_work: Iterable[Membership],
    new_since: datetime,
    items: int,
) -> DigestContent:
    """Per audience and flag kind, the open flags it may see: organization-wide for each class
    in `wide_classes`; for each member of `own_work`, the task flags of tasks the member created
    or is assigned. Counted and ranked in the database; the first `items` of each section come
    back with what the digest shows of them, each flag once however many sections list it.
    Nothing under a goal hidden from the reader is counted or listed. One query, one read of
    the open flags, whatever the number of audiences."""
    hidden_sql, hidden_params = visibility.hidden_sql()
    own = list(own_work)
    task, goal, member = Task._meta.db_table, Goal._meta.db_table, Membership._meta.db_table
    sql = f"""
        WITH hidden_goals(class, goal_id) AS MATERIALIZED ({hidden_sql}),
        open AS MATERIALIZED (
            SELECT f.id, f.kind, f.raised_at >= %s AS is_new,
                   COALESCE(t.number, g.number) AS number, g.id AS goal_id,
                   t.created_by_id, a.user_id AS assignee_user_id,
                   t.number AS task_number, t.title AS task_title,
                   g.number AS goal_number, g.title AS goal_title, g.status AS goal_status,
                   g.material_change,
                   CASE WHEN f.task_id IS NULL THEN g.activated_at END AS activated_at
              FROM {Flag._meta.db_table} f
              LEFT JOIN {task} t ON t.id = f.task_id
              LEFT JOIN {member} a ON a.id = t.assignee_id
              LEFT JOIN {goal} g ON g.id = COALESCE(t.goal_id, f.goal_id)
             WHERE f.organization_id = %s AND f.resolved_at IS NULL
        ),
        wide(class) AS (SELECT unnest(%s::int[])),
        own(membership_id, user_id, class) AS (
            SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::int[])
        ),
        owned(user_id, kind, id, is_new, number, goal_id) AS (
            SELECT o.created_by_id, o.kind, o.id, o.is_new, o.number, o.goal_id FROM open o
             WHERE o.created_by_id IS NOT NULL
            UNION ALL
            SELECT o.assignee_user_id, o.kind, o.id, o.is_new, o.number, o.goal_id FROM open o
             WHERE o.assignee_user_id IS NOT NULL
               AND o.assignee_user_id IS DISTINCT FROM o.created_by_id
        ),
        seen(class, membership_id, kind, id, is_new, number) AS (
            SELECT w.class, NULL::bigint, o.kind, o.id, o.is_new, o.number
              FROM wide w CROSS JOIN open o
             WHERE NOT EXISTS (
                   SELECT 1 FROM hidden_goals h WHERE h.class = w.class AND h.goal_id = o.goal_id)
            UNION ALL
            SELECT NULL::int, p.membership_id, o.kind, o.id, o.is_new, o.number
              FROM own p JOIN owned o ON o.user_id = p.user_id
             WHERE o.kind <> %s
               AND NOT EXISTS (
                   SELECT 1 FROM hidden_goals h WHERE h.class = p.class AND h.goal_id = o.goal_id)
        ),
        counted AS MATERIALIZED (
            SELECT class, membership_id, kind, count(*) AS total,
                   count(*) FILTER (WHERE is_new) AS new,
                   (array_agg(id ORDER BY is_new DESC, number DESC))[1:%s] AS flag_ids
              FROM seen
             GROUP BY class, membership_id, kind
        )
        SELECT c.class, c.membership_id, c.kind, c.total, c.new, c.flag_ids,
               NULL::bigint, NULL::boolean, NULL::int, NULL::varchar, NULL::int,
               NULL::varchar, NULL::varchar, NULL::varchar, NULL::timestamptz
          FROM counted c
        UNION ALL
        SELECT NULL, NULL, o.kind, NULL, NULL, NULL,
               o.id, o.is_new, o.task_number, o.task_title, o.goal_number,
               o.goal_title, o.goal_status, o.material_change, o.activated_at
          FROM open o
         WHERE o.id IN (SELECT unnest(c.flag_ids) FROM counted c)
    """  # noqa: S608 - table names from the models; values are parameters
    params = [
        *hidden_params,
        new_since,
        organization.pk,
        sorted(set(wide_classes)),
        [m.pk for m in own],
        [m.user_id for m in own],
        [visibility.class_of[m.pk] for m in own],
        str(FlagKind.STARVED),
        items,
    ]
    counts: dict[Audience, dict[str, DigestCount]] = {}
    flags: dict[int, DigestFlag] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for row in cursor.fetchall():
            visibility_class, membership_id, kind, total, new, flag_ids, flag_id = row[:7]
            if flag_id is not None:  # a listed flag
                flags[flag_id] = DigestFlag(flag_id, kind, *row[7:])
                continue
            audience: Audience = (
                ("class", visibility_class) if membership_id is None else ("member", membership_id)
            )
            counts.setdefault(audience, {})[kind] = DigestCount(total, new, tuple(flag_ids))
    return DigestContent(counts=counts, flags=flags)


@dataclass(frozen=True)
class LinkedRatios:
    now: float | None
    week_ago: float | None


def digest_linked_ratios(
    *,
    organization: Organization,
    visibility: DigestVisibility,
    classes: Iterable[int],
    week_ago: date,
) -> dict[int, LinkedRatios]:
    """For each visibility class, the linked ratio now over the live work it may see, and a week
    ago (the latest snapshot on or before `week_ago`). A snapshot counts the whole
    organization, so a class from which a goal with live effort that day is hidden gets no
    week-ago ratio rather than one that includes hidden work. One query."""
    hidden_sql, hidden_params = visibility.hidden_sql()
    per_goal = (
        Task.objects.filter(LIVE, organization=organization)
        .values("goal_id")
        .annotate(
            live=Sum("estimate"), linked=Sum("estimate", filter=Q(goal__status=GoalStatus.ACTIVE))
        )
        .order_by()
    )
    effort_sql, effort_params = per_goal.query.sql_with_params()
    sql = f"""
        WITH hidden_goals(class, goal_id) AS MATERIALIZED ({hidden_sql}),
        classes(class) AS (SELECT unnest(%s::int[])),
        effort AS ({effort_sql}),
        week_ago AS (
            SELECT s.linked_ratio, s.goal_effort FROM {Snapshot._meta.db_table} s
             WHERE s.organization_id = %s AND s.date <= %s
             ORDER BY s.date DESC LIMIT 1
        )
        SELECT c.class, COALESCE(sum(e.live), 0), COALESCE(sum(e.linked), 0),
               (SELECT w.linked_ratio FROM week_ago w
                 WHERE NOT EXISTS (
                       SELECT 1 FROM hidden_goals h
                        WHERE h.class = c.class AND w.goal_effort ? h.goal_id::text))
          FROM classes c
          LEFT JOIN effort e ON NOT EXISTS (
               SELECT 1 FROM hidden_goals h WHERE h.class = c.class AND h.goal_id = e.goal_id)
         GROUP BY c.class
    """  # noqa: S608 - table names from the models, SQL compiled by the ORM
    params = [
        *hidden_params,
        sorted(set(classes)),
        *effort_params,
        organization.pk,
        week_ago,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {
            visibility_class: LinkedRatios(now=linked / live if live else None, week_ago=ratio)
            for visibility_class, live, linked, ratio in cursor.fetchall()
        }


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
