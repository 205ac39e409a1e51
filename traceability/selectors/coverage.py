"""Coverage now and over time: the headline, the dashboard's overview, the figures of a
snapshot and the trend. Read from the per-goal coverage rows (GoalCoverage), which move with
every task write, so each costs one query whatever the number of tasks."""

from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from goals import visibility as goal_visibility
from goals.models import PRIORITY_WEIGHT, Goal, GoalStatus, Priority
from vindaris.tenancy.models import Membership, Organization, User
from work import gaps

from ..models import GoalCoverage, Snapshot
from .hidden import Hidden

GOAL, COVERAGE = Goal._meta.db_table, GoalCoverage._meta.db_table
MEMBERSHIP, USER = Membership._meta.db_table, User._meta.db_table

# A goal's share of the live effort on active goals against the share its priority weight
# implies: over-funded above (1 + tolerance) times it, under-funded below (1 - tolerance)
# times it. Half either way: a goal must get more than one and a half times, or less than
# half, of its due share before it is marked, so ordinary week-to-week noise marks nothing.
FUNDING_TOLERANCE = Fraction(1, 2)
# Over-funded goals of these priorities are where the dashboard suggests stopping work.
LOW_PRIORITIES = (Priority.P3, Priority.P4)


def funding(*, effort: int, weight: int, linked_effort: int, weight_total: int) -> str:
    """ "over", "under" or "" for a goal with `effort` live effort and priority `weight`,
    among active goals with `linked_effort` live effort and `weight_total` weight in all.
    Exact integer arithmetic, the same comparison as the SQL of `coverage_overview`. Nothing
    is marked while there is no live effort on active goals at all."""
    if not linked_effort or not weight_total:
        return ""
    t = FUNDING_TOLERANCE
    actual = t.denominator * effort * weight_total
    if actual > (t.denominator + t.numerator) * weight * linked_effort:
        return "over"
    if actual < (t.denominator - t.numerator) * weight * linked_effort:
        return "under"
    return ""


def weight_sql(priority: str) -> str:
    """A goal's priority weight (P1=8 … P4=1) from its `priority` column."""
    whens = " ".join(f"WHEN {int(p)} THEN {w}" for p, w in PRIORITY_WEIGHT.items())
    return f"CASE {priority} {whens} END"


def goal_filter_sql(
    owner: Membership | None, period_start: date | None, period_end: date | None
) -> tuple[str, dict[str, Any]]:
    """Goals `g` of `owner` whose period overlaps [period_start, period_end]: the goal list's
    meaning of the same filters (a goal without dates belongs to no period; an open end
    overlaps every period on that side); with its named parameters."""
    sql, params = "", dict[str, Any]()
    if owner is not None:
        sql, params = " AND g.owner_id = %(owner)s", {"owner": owner.pk}
    if period_start or period_end:
        sql += " AND NOT (g.start_date IS NULL AND g.end_date IS NULL)"
    if period_start:
        sql += " AND (g.end_date IS NULL OR g.end_date >= %(period_start)s)"
        params["period_start"] = period_start
    if period_end:
        sql += " AND (g.start_date IS NULL OR g.start_date <= %(period_end)s)"
        params["period_end"] = period_end
    return sql, params


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


def _figures_sql(hidden: Hidden) -> str:
    """The CTE `figures`: every goal the member may see with its coverage row's figures (zero
    without one) and what the dashboard asks of the goal itself, and the row of the work
    without a goal. One pass over the organization's goals."""
    return f"""
        figures AS (
            SELECT g.id AS goal_id, COALESCE(c.live_tasks, 0) AS live_tasks,
                   COALESCE(c.live_effort, 0) AS live_effort,
                   COALESCE(c.stranded, 0) AS stranded, COALESCE(c.kept, 0) AS kept,
                   COALESCE(c.suspect, 0) AS suspect, {gaps.active_goal_sql("g")} AS active,
                   {gaps.starvable_sql("g")} AS starvable,
                   g.priority, g.owner_id, g.start_date, g.end_date
              FROM {GOAL} g
              LEFT JOIN {COVERAGE} c ON c.organization_id = g.organization_id AND c.goal_id = g.id
             WHERE g.organization_id = %(org)s{hidden.excludes("g.id")}
            UNION ALL
            SELECT NULL, c.live_tasks, c.live_effort, c.stranded, c.kept, c.suspect, false,
                   false, NULL, NULL, NULL, NULL
              FROM {COVERAGE} c WHERE c.organization_id = %(org)s AND c.goal_id IS NULL
        ),
    """  # noqa: S608 - table names from the models, conditions from work.gaps


# Starved goals: active, past the grace period, with no live work of their own nor anywhere
# below (work.gaps' rule, read from the per-goal figures). The walk starts from those of
# `figures` without live work of their own and goes down only through goals without any: a
# goal with live work covers every goal above it, so nothing below it needs a look. Over the
# goals a member may see: hidden work covers nothing for them.
def _starved_sql(hidden: Hidden) -> str:
    return f"""
    bare(candidate, id, live, depth) AS (
        SELECT goal_id, goal_id, false, 0 FROM figures WHERE starvable AND live_tasks = 0
        UNION ALL
        SELECT b.candidate, g.id, COALESCE(c.live_tasks, 0) > 0, b.depth + 1
          FROM bare b
          JOIN {GOAL} g ON g.parent_id = b.id AND g.organization_id = %(org)s
          LEFT JOIN {COVERAGE} c ON c.organization_id = g.organization_id AND c.goal_id = g.id
         WHERE NOT b.live AND b.depth < 1000{hidden.excludes("g.id")}
    ),
    starved(goal_id) AS (
        SELECT candidate FROM bare GROUP BY candidate HAVING NOT bool_or(live)
    )
    """  # noqa: S608 - table names from the models


# The headline's figures, summed over `figures`, and the starved goals.
_HEADLINE_COLUMNS = """
    COALESCE(sum(live_effort), 0), COALESCE(sum(live_effort) FILTER (WHERE active), 0),
    COALESCE(sum(live_tasks) FILTER (WHERE goal_id IS NULL), 0),
    COALESCE(sum(stranded), 0), COALESCE(sum(kept), 0), COALESCE(sum(suspect), 0),
    ARRAY(SELECT goal_id FROM starved)
"""


def _headline_params(organization: Organization, hidden: Hidden, now: datetime) -> dict[str, Any]:
    """The parameters of `hidden`, `_figures_sql` and `_starved_sql`."""
    return {
        **hidden.params,
        "org": organization.pk,
        "starved_before": gaps.starved_before(organization=organization, now=now),
    }


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
    filters, filter_params = goal_filter_sql(owner, period_start, period_end)
    t = FUNDING_TOLERANCE
    low = ", ".join(str(int(p)) for p in LOW_PRIORITIES)
    sql = f"""
        WITH RECURSIVE {hidden.cte()}
        {_figures_sql(hidden)}
        {_starved_sql(hidden)},
        totals AS (SELECT {_HEADLINE_COLUMNS} FROM figures),
        weights AS (
            SELECT COALESCE(sum({weight_sql("g.priority")}), 0) AS weight_total,
                   count(*) FILTER (WHERE true{filters}) AS matching
              FROM figures g WHERE g.active
        ),
        owners AS (
            SELECT m.id, u.name, u.email
              FROM (SELECT owner_id FROM figures WHERE active UNION SELECT %(also_owner)s) o
              JOIN {MEMBERSHIP} m ON m.id = o.owner_id
              JOIN {USER} u ON u.id = m.user_id
             WHERE m.organization_id = %(org)s
        ),
        linked AS (SELECT COALESCE(sum(live_effort) FILTER (WHERE active), 0) AS effort
                     FROM figures),
        stop AS (
            SELECT f.goal_id, f.live_effort FROM figures f, linked, weights
             WHERE (NOT f.active AND f.stranded > 0)
                OR (f.active AND f.priority IN ({low})
                    AND linked.effort > 0 AND weights.weight_total > 0
                    AND {t.denominator} * f.live_effort * weights.weight_total
                        > {t.denominator + t.numerator} * {weight_sql("f.priority")}
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
    params = {
        **_headline_params(organization, hidden, now),
        **filter_params,
        "also_owner": also_owner,
    }
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
