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
from functools import cached_property
from typing import Any, NamedTuple, cast

from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    F,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.timesince import timesince

from goals import visibility as goal_visibility
from goals.models import (
    PRIORITY_WEIGHT,
    Goal,
    GoalEvent,
    GoalStatus,
    GoalUserObjectPermission,
    Priority,
)
from vindaris.tenancy.models import Membership, Organization, User
from work.gaps import KEPT, ORPHANED, STRANDED, SUSPECT
from work.models import LIVE, LIVE_STATUSES, Task

from .models import OPEN, DigestSent, Flag, FlagKind, GoalCoverage, Snapshot

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


# Who sees what, in hand-written SQL ------------------------------------------------------------

GOAL, TASK = Goal._meta.db_table, Task._meta.db_table
COVERAGE = GoalCoverage._meta.db_table

# Every confidential goal's subtree: what the "public" figures of a snapshot leave out.
_CONFIDENTIAL = f"""
WITH RECURSIVE confidential(id) AS (
    SELECT g.id FROM {GOAL} g WHERE g.organization_id = %s AND g.confidential
    UNION
    SELECT c.id FROM {GOAL} c JOIN confidential h ON c.parent_id = h.id
     WHERE c.organization_id = %s
)
SELECT id FROM confidential
"""  # noqa: S608 - table names from the models; values are parameters


@dataclass(frozen=True)
class Hidden:
    """The goals left out of a read, for hand-written SQL: a CTE (`hidden_goal`) to put first
    in a WITH list, and a condition per goal column. For members who see everything both are
    empty: their reads carry no filter at all."""

    sql: str | None = None
    params: tuple[Any, ...] = ()

    @classmethod
    def of(cls, viewer: Membership | None) -> "Hidden":
        """What `viewer` may not see (goals.visibility); nothing for admins, leads and jobs."""
        hidden = goal_visibility.hidden_goals_sql(viewer)
        return cls() if hidden is None else cls(hidden[0], tuple(hidden[1]))

    @classmethod
    def confidential(cls, organization: Organization) -> "Hidden":
        """Every confidential goal's subtree, whoever may see it."""
        return cls(_CONFIDENTIAL, (organization.pk, organization.pk))

    @property
    def nothing(self) -> bool:
        return self.sql is None

    def cte(self) -> str:
        """ "hidden_goal(id) AS (…)," to open a WITH list with (its `params` come first)."""
        return "" if self.sql is None else f"hidden_goal(id) AS MATERIALIZED ({self.sql}),"

    def excludes(self, column: str, *, nullable: bool = False) -> str:
        """ " AND <column> is not hidden" (a row without a goal stays when `nullable`)."""
        if self.sql is None:
            return ""
        condition = f"{column} NOT IN (SELECT id FROM hidden_goal)"  # noqa: S608 - a column name
        return f" AND ({column} IS NULL OR {condition})" if nullable else f" AND {condition}"


# Coverage now, from the per-goal figures ---------------------------------------------------------


@dataclass(frozen=True)
class Headline:
    """An organization's coverage now, as one member may see it: the linked ratio and the count
    of each gap, counted as the flags and snapshots count them (a kept stranded task is a
    decision, not a gap: it is counted apart as `kept`, not in `stranded`)."""

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


# Starved goals: active, past the grace period, with no live work of their own nor anywhere
# below (the definition of starved_goals_sql, read from the per-goal figures). The walk starts
# from those of `figures` without live work of their own and goes down only through goals
# without any: a goal with live work covers every goal above it, so nothing below it needs a
# look. Over the goals a member may see: hidden work covers nothing for them. Parameter: the
# organization.
def _starved_sql(hidden: "Hidden") -> str:
    return f"""
    bare(candidate, id, live, depth) AS (
        SELECT goal_id, goal_id, false, 0 FROM figures WHERE starvable AND live_tasks = 0
        UNION ALL
        SELECT b.candidate, g.id, COALESCE(c.live_tasks, 0) > 0, b.depth + 1
          FROM bare b
          JOIN {GOAL} g ON g.parent_id = b.id AND g.organization_id = %s
          LEFT JOIN {COVERAGE} c ON c.goal_id = g.id
         WHERE NOT b.live AND b.depth < 1000{hidden.excludes("g.id")}
    ),
    starved(goal_id) AS (
        SELECT candidate FROM bare GROUP BY candidate HAVING NOT bool_or(live)
    )
    """  # noqa: S608 - table names from the models


def _figures_sql(hidden: Hidden) -> str:
    """The CTE `figures`: every goal `viewer` may see with its coverage row's figures (zero
    without one) and what the dashboard asks of the goal itself, and the row of the work
    without a goal. One pass over the organization's goals. Parameters: active, active,
    activated before, organization, organization."""
    return f"""
        figures AS (
            SELECT g.id AS goal_id, COALESCE(c.live_tasks, 0) AS live_tasks,
                   COALESCE(c.live_effort, 0) AS live_effort,
                   COALESCE(c.stranded, 0) AS stranded, COALESCE(c.kept, 0) AS kept,
                   COALESCE(c.suspect, 0) AS suspect, g.status = %s AS active,
                   g.status = %s AND COALESCE(g.activated_at, g.created_at) <= %s AS starvable,
                   g.priority, g.owner_id, g.start_date, g.end_date
              FROM {GOAL} g LEFT JOIN {COVERAGE} c ON c.goal_id = g.id
             WHERE g.organization_id = %s{hidden.excludes("g.id")}
            UNION ALL
            SELECT NULL, c.live_tasks, c.live_effort, c.stranded, c.kept, c.suspect, false,
                   false, NULL, NULL, NULL, NULL
              FROM {COVERAGE} c WHERE c.organization_id = %s AND c.goal_id IS NULL
        ),
    """  # noqa: S608 - table names from the models


# The headline's figures, summed over `figures`, and the starved goals.
_HEADLINE_COLUMNS = """
    COALESCE(sum(live_effort), 0), COALESCE(sum(live_effort) FILTER (WHERE active), 0),
    COALESCE(sum(live_tasks) FILTER (WHERE goal_id IS NULL), 0),
    COALESCE(sum(stranded), 0), COALESCE(sum(kept), 0), COALESCE(sum(suspect), 0),
    ARRAY(SELECT goal_id FROM starved)
"""


def _headline_params(organization: Organization, hidden: Hidden, now: datetime) -> list[Any]:
    """The parameters of `hidden`, `_figures_sql` and `_starved_sql`, in that order."""
    active = str(GoalStatus.ACTIVE)
    activated_before = now - timedelta(days=organization.starved_grace_days)
    return [
        *hidden.params,
        active,
        active,
        activated_before,
        organization.pk,
        organization.pk,
        organization.pk,
    ]


def _headline(row: tuple) -> Headline:
    live, linked, orphaned, stranded, kept, suspect, starved = row
    return Headline(
        live_effort=int(live),
        linked_effort=int(linked),
        orphaned=int(orphaned),
        stranded=int(stranded),
        kept=int(kept),
        suspect=int(suspect),
        starved_ids=frozenset(starved),
    )


def _coverage_now(organization: Organization, hidden: Hidden, now: datetime) -> Headline:
    sql = f"""
        WITH RECURSIVE {hidden.cte()}
        {_figures_sql(hidden)}
        {_starved_sql(hidden)}
        SELECT {_HEADLINE_COLUMNS} FROM figures
    """  # noqa: S608 - table names from the models; values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, _headline_params(organization, hidden, now))
        return _headline(cursor.fetchone())


def coverage_headline(
    *, organization: Organization, viewer: Membership | None, now: datetime
) -> Headline:
    """The linked ratio and gap counts over what `viewer` may see, always current (the
    per-goal figures move with every task write). One query whatever the number of tasks."""
    return _coverage_now(organization, Hidden.of(viewer), now)


@dataclass(frozen=True)
class ActiveWeights:
    weight_total: int  # of every active goal the member may see, whatever the filters
    matching: int  # those of them matching the filters


@dataclass(frozen=True)
class Overview:
    """The coverage dashboard's figures as one member may see them: the headline, the active
    goals' priority weight, the goals whose live work it suggests stopping (goal id: its live
    effort), and the owners of active goals (id, name) for the owner filter."""

    headline: Headline
    weights: ActiveWeights
    stop_goals: dict[int, int]
    owners: list[tuple[int, str]]


def _weight_sql(priority: str) -> str:
    whens = " ".join(f"WHEN {int(p)} THEN {w}" for p, w in PRIORITY_WEIGHT.items())
    return f"CASE {priority} {whens} END"


def coverage_overview(
    *,
    organization: Organization,
    viewer: Membership | None,
    now: datetime,
    owner: Membership | None = None,
    period_start: date | None = None,
    period_end: date | None = None,
    also_owner: int | None = None,
) -> Overview:
    """The headline (coverage_headline), the priority weight of the active goals `viewer` may
    see (what the implied shares divide by) and how many of them match the filters, the goals
    to stop (not active with open stranded work, or active, low-priority and over-funded by
    `funding`: the same exact comparison), and the members who own one of those active goals
    (and `also_owner`, the one a filter asks for), by name. One query whatever the number of
    tasks, one pass over the goals."""
    hidden = Hidden.of(viewer)
    filters, filter_params = _goal_filter_sql(owner, period_start, period_end)
    t = FUNDING_TOLERANCE
    low = ", ".join(str(int(p)) for p in LOW_PRIORITIES)
    sql = f"""
        WITH RECURSIVE {hidden.cte()}
        {_figures_sql(hidden)}
        {_starved_sql(hidden)},
        totals AS (SELECT {_HEADLINE_COLUMNS} FROM figures),
        weights AS (
            SELECT COALESCE(sum({_weight_sql("g.priority")}), 0) AS weight_total,
                   count(*) FILTER (WHERE true{filters}) AS matching
              FROM figures g WHERE g.active
        ),
        owners AS (
            SELECT m.id, u.name, u.email
              FROM (SELECT owner_id FROM figures WHERE active UNION SELECT %s) o
              JOIN {Membership._meta.db_table} m ON m.id = o.owner_id
              JOIN {User._meta.db_table} u ON u.id = m.user_id
             WHERE m.organization_id = %s
        ),
        linked AS (SELECT COALESCE(sum(live_effort) FILTER (WHERE active), 0) AS effort
                     FROM figures),
        stop AS (
            SELECT f.goal_id, f.live_effort FROM figures f, linked, weights
             WHERE (NOT f.active AND f.stranded > 0)
                OR (f.active AND f.priority IN ({low})
                    AND linked.effort > 0 AND weights.weight_total > 0
                    AND {t.denominator} * f.live_effort * weights.weight_total
                        > {t.denominator + t.numerator} * {_weight_sql("f.priority")}
                          * linked.effort)
        )
        SELECT totals.*, weights.weight_total, weights.matching,
               stopped.ids, stopped.efforts,
               (SELECT json_agg(json_build_array(id, name, email) ORDER BY name, email)
                  FROM owners)
          FROM totals, weights,
               (SELECT array_agg(goal_id) AS ids, array_agg(live_effort) AS efforts
                  FROM stop) stopped
    """  # noqa: S608 - table names from the models, numbers from constants; values parameters
    params = [
        *_headline_params(organization, hidden, now),
        *filter_params,
        also_owner,
        organization.pk,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    *figures, weight_total, matching, stop_ids, stop_effort, owners = row
    return Overview(
        headline=_headline(tuple(figures)),
        weights=ActiveWeights(weight_total=int(weight_total), matching=int(matching)),
        stop_goals=dict(zip(stop_ids or (), (int(e) for e in stop_effort or ()), strict=True)),
        owners=[(pk, name or email.split("@")[0]) for pk, name, email in owners or ()],
    )


def linked_ratio(*, organization: Organization) -> float | None:
    """Share of the organization's live effort on active goals, now; None without live effort.
    One query."""
    row = GoalCoverage.objects.filter(organization=organization).aggregate(
        live=Coalesce(Sum("live_effort"), Value(0)),
        linked=Coalesce(Sum("live_effort", filter=Q(goal__status=GoalStatus.ACTIVE)), Value(0)),
    )
    return row["linked"] / row["live"] if row["live"] else None


@dataclass(frozen=True)
class Coverage:
    """An organization's coverage figures at one moment, for a snapshot: over everything, and
    `public` with every confidential goal's subtree left out."""

    everything: Headline
    public: Headline
    goal_effort: dict[str, int]


def coverage_figures(*, organization: Organization, now: datetime) -> Coverage:
    """Linked ratio, gap counts (as the flags count them) and live effort per goal, from the
    per-goal figures; the same without confidential work. Three queries."""
    per_goal = GoalCoverage.objects.filter(
        organization=organization, goal__isnull=False, live_effort__gt=0
    ).values_list("goal_id", "live_effort")
    return Coverage(
        everything=_coverage_now(organization, Hidden(), now),
        public=_coverage_now(organization, Hidden.confidential(organization), now),
        goal_effort={str(goal_id): effort for goal_id, effort in per_goal},
    )


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
class TrendDay:
    """One day of the coverage trend."""

    date: date
    linked_ratio: float | None
    orphaned: int
    stranded: int
    suspect: int
    starved: int


def coverage_trend(
    *, organization: Organization, viewer: Membership | None, start: date, end: date
) -> list[TrendDay]:
    """The days from `start` to `end` with a snapshot, oldest first. A member who does not see
    everything gets the figures without any confidential goal's subtree (days recorded before
    those were are left out): a snapshot's totals cannot be narrowed to one member's grants.
    One query."""
    snapshots = snapshots_between(organization=organization, start=start, end=end)
    if goal_visibility.sees_everything(viewer):
        fields = ("date", "linked_ratio", "orphaned", "stranded", "suspect", "starved")
    else:
        snapshots = snapshots.filter(public_live_effort__isnull=False)
        fields = (
            "date",
            "public_linked_ratio",
            "orphaned",
            "public_stranded",
            "public_suspect",
            "public_starved",
        )
    return [TrendDay(*row) for row in snapshots.values_list(*fields)]


# Sort keys of the goals table: each column, by the SQL expression (over the rows of
# `coverage_goals`) that orders it. A share divides by a constant, so it sorts as the effort;
# the implied share sorts as the weight.
GOAL_SORTS: dict[str, str] = {
    "goal": "number",
    "priority": "priority",
    "live_tasks": "live_tasks",
    "live_effort": "live_effort",
    "share": "live_effort",
    "implied": "priority_weight",
    "funding": "live_effort::float / priority_weight",
    "done": "done_effort::float / NULLIF(live_effort + done_effort, 0)",
    "progress": "progress",
    "activity": "last_activity",
    "gaps": "suspect + is_starved",
}
GOAL_TABLE_SIZE = 50


class Activity(NamedTuple):
    """A goal's last activity as the goals table shows it (local time)."""

    iso: str
    title: str  # "24 Nov 2026 08:26 (3 hours ago)"
    label: str  # "24 Nov"


@dataclass(frozen=True)
class GoalRow:
    """One active goal's row of the goals table, with the figures the shares divide by."""

    number: int
    title: str
    priority: int
    owner_name: str
    live_tasks: int
    live_effort: int
    done_effort: int
    suspect: int
    is_starved: bool
    progress: float | None  # the mean of its outcomes' progress, 0–1; None without outcomes
    last_activity: datetime | None
    linked_effort: int
    weight_total: int

    @property
    def key(self) -> str:
        return f"G-{self.number}"

    @property
    def priority_label(self) -> str:
        return Priority(self.priority).label

    @property
    def weight(self) -> int:
        return PRIORITY_WEIGHT[Priority(self.priority)]

    @property
    def open_gaps(self) -> int:
        return self.suspect + int(self.is_starved)

    @property
    def share(self) -> float:
        """Its share of the live effort on active goals, 0–1."""
        return self.live_effort / self.linked_effort if self.linked_effort else 0.0

    @property
    def implied(self) -> float:
        """The share its priority weight implies among active goals, 0–1."""
        return self.weight / self.weight_total if self.weight_total else 0.0

    @property
    def share_percent(self) -> int:
        return round(100 * self.share)

    @property
    def implied_percent(self) -> int:
        return round(100 * self.implied)

    @cached_property
    def funding(self) -> str:
        return funding(
            effort=self.live_effort,
            weight=self.weight,
            linked_effort=self.linked_effort,
            weight_total=self.weight_total,
        )

    @property
    def done_percent(self) -> int | None:
        total = self.live_effort + self.done_effort
        return round(100 * self.done_effort / total) if total else None

    @property
    def progress_percent(self) -> int | None:
        return None if self.progress is None else round(100 * self.progress)

    @cached_property
    def activity(self) -> Activity | None:
        """Formatted once here: fifty rows of date filters cost the page milliseconds."""
        at = self.last_activity
        if at is None:
            return None
        local = timezone.localtime(at)
        return Activity(
            iso=local.isoformat(),
            title=f"{local.day} {local:%b %Y %H:%M} ({timesince(at)} ago)",
            label=f"{local.day} {local:%b}",
        )


@dataclass(frozen=True)
class GoalTable:
    rows: list[GoalRow]
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


def _goal_filter_sql(
    owner: Membership | None, period_start: date | None, period_end: date | None
) -> tuple[str, list[Any]]:
    """Goals `g` of `owner` whose period overlaps [period_start, period_end]: the goal list's
    meaning of the same filters (a goal without dates belongs to no period)."""
    sql, params = "", []
    if owner is not None:
        sql, params = " AND g.owner_id = %s", [owner.pk]
    if period_start or period_end:
        sql += " AND NOT (g.start_date IS NULL AND g.end_date IS NULL)"
    if period_start:
        sql += " AND (g.end_date IS NULL OR g.end_date >= %s)"
        params.append(period_start)
    if period_end:
        sql += " AND (g.start_date IS NULL OR g.start_date <= %s)"
        params.append(period_end)
    return sql, params


def _last_activity(row: str) -> str:
    """A goal's last activity: its own last change, its tasks' and its last history row (of
    `row`, with the goal's id, updated_at and its coverage row's last_task_at)."""
    events = GoalEvent._meta.db_table
    return f"""GREATEST({row}.updated_at, {row}.last_task_at,
        (SELECT max(e.created_at) FROM {events} e WHERE e.goal_id = {row}.id))"""  # noqa: S608


def coverage_goals(
    *,
    organization: Organization,
    viewer: Membership | None,
    headline: Headline,
    weights: ActiveWeights,
    owner: Membership | None = None,
    period_start: date | None = None,
    period_end: date | None = None,
    sort: str = "priority",
    page: int = 1,
    per_page: int = GOAL_TABLE_SIZE,
) -> GoalTable:
    """One page of the active goals `viewer` may see that match the filters, with their
    coverage (their GoalCoverage rows) and owner, sorted in SQL by `sort` (a GOAL_SORTS key,
    "-" first for descending). One query; the last activity, a lookup per goal, is computed
    for the page's goals alone unless the table is sorted by it.

    Shares are of all the live effort on active goals and weight `viewer` may see (`headline`
    and `weights` are theirs), whatever the filters: filtering narrows the rows, not what a
    share means."""
    descending = sort.startswith("-")
    key = sort.lstrip("-") if sort.lstrip("-") in GOAL_SORTS else "priority"
    order = f"{GOAL_SORTS[key]} {'DESC' if descending else 'ASC'} NULLS LAST, number"
    number = max(1, min(page, max(1, -(-weights.matching // per_page))))
    hidden = Hidden.of(viewer)
    filters, filter_params = _goal_filter_sql(owner, period_start, period_end)
    # The last activity is a lookup per goal: for every goal when sorting by it, else for the
    # page's goals alone.
    by_activity = key == "activity"
    activity_of_rows = _last_activity("r") if by_activity else "NULL::timestamptz"
    activity_of_page = "p.last_activity" if by_activity else _last_activity("p")
    weight = "CASE g.priority " + " ".join(
        f"WHEN {int(p)} THEN {w}" for p, w in PRIORITY_WEIGHT.items()
    )
    sql = f"""
        WITH {hidden.cte()}
        figures AS (
            SELECT g.id, g.number, g.title, g.priority, g.owner_id,
                   {weight} END AS priority_weight,
                   COALESCE(c.live_tasks, 0) AS live_tasks,
                   COALESCE(c.live_effort, 0) AS live_effort,
                   COALESCE(c.done_effort, 0) AS done_effort,
                   COALESCE(c.suspect, 0) AS suspect,
                   (g.id = ANY(%s::bigint[]))::int AS is_starved,
                   c.progress_sum::float / NULLIF(c.outcomes, 0) / 100 AS progress,
                   g.updated_at, c.last_task_at
              FROM {GOAL} g LEFT JOIN {COVERAGE} c ON c.goal_id = g.id
             WHERE g.organization_id = %s AND g.status = %s{filters}{hidden.excludes("g.id")}
        ),
        goal_rows AS (
            SELECT r.*, {activity_of_rows} AS last_activity FROM figures r
        ),
        page AS (
            SELECT * FROM goal_rows ORDER BY {order} LIMIT %s OFFSET %s
        )
        SELECT p.number, p.title, p.priority, u.name, u.email, p.live_tasks, p.live_effort,
               p.done_effort, p.suspect, p.is_starved, p.progress,
               {activity_of_page}
          FROM page p
          LEFT JOIN {Membership._meta.db_table} m ON m.id = p.owner_id
          LEFT JOIN {User._meta.db_table} u ON u.id = m.user_id
         ORDER BY {order}
    """  # noqa: S608 - table names from the models, ordering from GOAL_SORTS; values are parameters
    params = [
        *hidden.params,
        sorted(headline.starved_ids),
        organization.pk,
        str(GoalStatus.ACTIVE),
        *filter_params,
        per_page,
        (number - 1) * per_page,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return GoalTable(
        rows=[
            GoalRow(
                number=row[0],
                title=row[1],
                priority=row[2],
                owner_name=(row[3] or row[4].split("@")[0]) if row[4] else "",
                live_tasks=row[5],
                live_effort=row[6],
                done_effort=row[7],
                suspect=row[8],
                is_starved=bool(row[9]),
                progress=row[10],
                last_activity=row[11],
                linked_effort=headline.linked_effort,
                weight_total=weights.weight_total,
            )
            for row in rows
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


def _stop_cursor(value: str) -> tuple[int, int] | None:
    """The cursor "<estimate>-<number>" of the stop list's next page, or None."""
    estimate, _, number = (value or "").partition("-")
    if not (estimate.isdigit() and number.isdigit()):
        return None
    return int(estimate), int(number)


# Live work on the goals to stop that is not kept: on an active goal all of it; on one that is
# not, the open stranded work (OPEN_STRANDED for a live task: no kept reason, or a suspect link).
_NOT_KEPT = (
    Q(goal__status=GoalStatus.ACTIVE)
    | Q(kept_reason="")
    | Q(link_confirmed_at__lt=F("goal__material_change_at"))
)


def _stop_queryset(goal_ids: Iterable[int], organization: Organization) -> QuerySet[Task]:
    # The goals as a list of ids, not a subquery: PostgreSQL then estimates how much of the live
    # work they hold, and walks the live work largest effort first (task_live_effort_idx) when
    # it is much, or reads the few goals' tasks and sorts them when it is little.
    # One text parameter rather than an array: a thousand ids bound one by one cost more
    # than the query (string_to_array is folded into a constant when planning).
    in_stop_goals = RawSQL(  # noqa: S611 - constant SQL, the ids a parameter
        f"{TASK}.goal_id = ANY(string_to_array(%s, ',')::bigint[])",
        (",".join(map(str, goal_ids)),),
        output_field=BooleanField(),
    )
    return (
        Task.objects.filter(LIVE, in_stop_goals, organization=organization)
        .filter(_NOT_KEPT)
        .select_related("goal", "assignee__user")
    )


def _stop_item(
    task: Task, goal_effort: dict[int, int], headline: Headline, weight_total: int
) -> StopItem:
    goal = cast(Goal, task.goal)  # work on the goals to stop has a goal
    weight = PRIORITY_WEIGHT[Priority(goal.priority)]
    effort = goal_effort.get(goal.pk) or 0
    return StopItem(
        task=task,
        stranded=goal.status != GoalStatus.ACTIVE,
        share=effort / headline.linked_effort if headline.linked_effort else 0.0,
        implied=weight / weight_total if weight_total else 0.0,
    )


def stop_candidates(
    *,
    organization: Organization,
    overview: Overview,
    limit: int = QUEUE_PAGE_SIZE,
    after: str = "",
) -> tuple[list[StopItem], str]:
    """Live work on the goals to stop of `overview` (those of one member: stranded goals'
    open work, not kept, and over-funded low-priority goals' live work), largest effort first,
    keyset-paginated on (estimate, number); and the cursor of the next page ("" at the end).
    Goal and assignee loaded; one query."""
    goal_effort, headline = overview.stop_goals, overview.headline
    weight_total = overview.weights.weight_total
    qs = _stop_queryset(goal_effort, organization)
    cursor = _stop_cursor(after)
    if cursor is not None:
        estimate, number = cursor
        qs = qs.filter(Q(estimate__lt=estimate) | Q(estimate=estimate, number__lt=number))
    page = list(qs.order_by("-estimate", "-number")[: limit + 1])
    next_after = f"{page[limit - 1].estimate}-{page[limit - 1].number}" if len(page) > limit else ""
    items = [_stop_item(t, goal_effort, headline, weight_total) for t in page[:limit]]
    return items, next_after


def stop_candidates_export(*, organization: Organization, overview: Overview) -> Iterator[StopItem]:
    """Every stop candidate of `overview`, largest effort first, streamed in chunks."""
    goal_effort, headline = overview.stop_goals, overview.headline
    weight_total = overview.weights.weight_total
    qs = _stop_queryset(goal_effort, organization).order_by("-estimate", "-number")
    return (_stop_item(t, goal_effort, headline, weight_total) for t in qs.iterator(chunk_size=500))


def _tasks_seen_by(organization: Organization, viewer: Membership | None) -> QuerySet[Task]:
    """The organization's tasks `viewer` may see (work without a goal is seen by everyone)."""
    return Task.objects.filter(goal_visibility.visible_q(viewer, "goal"), organization=organization)


def queue_tasks(
    *,
    organization: Organization,
    viewer: Membership | None,
    kind: str,
    kept: bool = False,
    before: int | None = None,
) -> tuple[list[Task], int | None]:
    """One page of a task queue (orphaned, stranded or suspect) as `viewer` may see it, newest
    first, keyset-paginated
    on the task number; the stranded queue's open tasks, or its kept ones with `kept` (each
    task carries `.kept`). Returns the page and the next page's cursor (or None). Goal and
    assignee loaded; one query."""
    condition = TASK_QUEUES[kind]
    if kind == "stranded":
        condition = KEPT if kept else OPEN_STRANDED
    qs = _tasks_seen_by(organization, viewer).filter(condition)
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
    """One page of the starved goals (those of `headline`, which are those its member may see),
    highest priority first, keyset-
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
    *, organization: Organization, viewer: Membership | None, kind: str, numbers: Iterable[int]
) -> dict[int, bool]:
    """Which of these tasks `viewer` may see are in the task queue `kind` now: {number: kept}
    (kept is only ever true in the stranded queue). One query."""
    rows = (
        _tasks_seen_by(organization, viewer)
        .filter(number__in=list(numbers))
        .filter(TASK_QUEUES[kind])
        .annotate(
            kept=Case(
                When(KEPT, then=Value(True)), default=Value(False), output_field=BooleanField()
            )
        )
        .values_list("number", "kept")
    )
    return {number: kept and kind == "stranded" for number, kept in rows}


def queue_tasks_by_number(
    *, organization: Organization, viewer: Membership | None, numbers: Iterable[int]
) -> list[Task]:
    """The tasks with these numbers that `viewer` may see, newest first; goal and assignee
    loaded."""
    return list(
        _tasks_seen_by(organization, viewer)
        .filter(number__in=list(numbers))
        .select_related("goal", "assignee__user")
        .order_by("-number")
    )


def queue_export_tasks(
    *, organization: Organization, viewer: Membership | None, kind: str
) -> Iterator[Task]:
    """Every task of a task queue that `viewer` may see, oldest first, streamed in chunks; each
    carries `kept` (the stranded queue lists kept tasks too). Goal and assignee loaded."""
    return (
        _tasks_seen_by(organization, viewer)
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
    """Every starved goal of `headline` (those its member may see), highest priority first,
    streamed; owner and parent loaded."""
    return (
        Goal.objects.filter(organization=organization, pk__in=sorted(headline.starved_ids))
        .select_related("owner__user", "parent")
        .order_by("priority", "number")
        .iterator(chunk_size=500)
    )


GOAL_KEY = re.compile(r"^\s*(?:g-?)?(\d{1,9})\s*$", re.IGNORECASE)
GOAL_PICKER_SIZE = 50


def active_goal_search(
    *,
    organization: Organization,
    viewer: Membership | None,
    q: str = "",
    limit: int = GOAL_PICKER_SIZE,
) -> tuple[list[Goal], bool]:
    """Active goals `viewer` may see whose title contains `q` or whose key is `q` ("G-12",
    "12"), highest priority first, at most `limit`; and whether more match. One query."""
    goals = Goal.objects.filter(
        goal_visibility.visible_q(viewer), organization=organization, status=GoalStatus.ACTIVE
    )
    q = (q or "").strip()
    if q:
        match = GOAL_KEY.match(q)
        condition = Q(title__icontains=q)
        if match:
            condition |= Q(number=int(match.group(1)))
        goals = goals.filter(condition)
    found = list(goals.order_by("priority", "number")[: limit + 1])
    return found[:limit], len(found) > limit
