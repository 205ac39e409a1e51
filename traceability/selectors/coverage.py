"""Coverage now and over time: the headline, the dashboard's overview, the figures of a
snapshot and the trend. Read from the per-goal coverage rows (GoalCoverage), which move with
every task write, so each costs one query whatever the number of tasks."""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from goals import visibility as goal_visibility
from goals.models import Goal, GoalStatus
from updates import health as goal_health
from vindaris.tenancy.models import Membership, Organization, User
from work import gaps

from ..models import GoalCoverage, Snapshot
from .funding import LOW_PRIORITIES, Funding, tree_funding_sql
from .goal_table import GoalTable, GoalTableQuery, goal_table_from, goal_table_sql
from .hidden import Hidden

GOAL, COVERAGE = Goal._meta.db_table, GoalCoverage._meta.db_table
MEMBERSHIP, USER = Membership._meta.db_table, User._meta.db_table


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
                   g.priority, g.owner_id, g.start_date, g.end_date,
                   g.parent_id, g.number, COALESCE(c.done_effort, 0) AS done_effort,
                   c.progress_sum::float / NULLIF(c.outcomes, 0) / 100 AS progress,
                   g.updated_at, c.last_task_at
              FROM {GOAL} g
              LEFT JOIN {COVERAGE} c ON c.organization_id = g.organization_id AND c.goal_id = g.id
             WHERE g.organization_id = %(org)s{hidden.excludes("g.id")}
            UNION ALL
            SELECT NULL, c.live_tasks, c.live_effort, c.stranded, c.kept, c.suspect, false,
                   false, NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL, NULL
              FROM {COVERAGE} c WHERE c.organization_id = %(org)s AND c.goal_id IS NULL
        ),
    """  # noqa: S608 - table names from the models, conditions from work.gaps


# Starved goals: active, past the grace period, with no live work of their own nor on any
# active goal below (work.gaps' rule, read from the per-goal figures). The walk starts from
# those of `figures` without live work of their own and goes down only through goals that do
# not cover them: an active goal with live work covers every goal above it, so nothing below
# it needs a look. Over the
# goals a member may see: hidden work covers nothing for them.
def _starved_sql(hidden: Hidden) -> str:
    return f"""
    bare(candidate, id, live, depth) AS (
        SELECT goal_id, goal_id, false, 0 FROM figures WHERE starvable AND live_tasks = 0
        UNION ALL
        SELECT b.candidate, g.id, {gaps.covers_sql("g", "c.live_tasks")}, b.depth + 1
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
class OverFunded:
    """A low-priority active goal over-funded among its siblings (selectors.funding): the
    live work of its subtree is what the dashboard suggests stopping."""

    number: int
    title: str
    priority: int
    funding: Funding

    @property
    def key(self) -> str:
        return f"G-{self.number}"


@dataclass(frozen=True)
class Overview:
    """The coverage dashboard's figures as one member may see them: the headline, how many
    active goals match the filters, the goals whose live work it suggests stopping (goal id:
    None for a stranded goal's open work, else the over-funded low-priority goal whose subtree
    it lies in), and the owners of active goals (id, name) for the owner filter."""

    headline: Headline
    matching: int
    stop_goals: dict[int, OverFunded | None]
    owners: list[tuple[int, str]]
    table: GoalTable | None = None  # the goals table's page, when asked for


def coverage_overview(
    *,
    organization: Organization,
    viewer: Membership | None,
    now: datetime,
    owner: Membership | None = None,
    period_start: date | None = None,
    period_end: date | None = None,
    also_owner: int | None = None,
    table: GoalTableQuery | None = None,
    hidden: Hidden | None = None,
) -> Overview:
    """The headline (coverage_headline), how many of the active goals `viewer` may see match
    the filters, the goals to stop (not active with open stranded work; or active, with live
    work, in the subtree of a low-priority goal over-funded among its siblings — the topmost
    such goal named), and the members who own an active goal (and `also_owner`, the one a
    filter asks for), by name; with `table`, that page of the goals table (selectors.goal_table)
    of the active goals matching the filters. `hidden` overrides what `viewer` may not see (the
    digest's figures leave out every confidential goal). One query whatever the number of
    tasks.

    Shares in the table are among all the active siblings `viewer` may see, whatever the
    filters: filtering narrows the rows, not what a share means."""
    hidden = Hidden.of(viewer) if hidden is None else hidden
    filters, filter_params = goal_filter_sql(owner, period_start, period_end)
    low = ", ".join(str(int(p)) for p in LOW_PRIORITIES)
    table_ctes, table_rows = "", "NULL, NULL"
    if table is not None:
        ctes, table_rows = goal_table_sql(table, filters)
        table_ctes = f",{ctes}"
    sql = f"""
        WITH RECURSIVE {hidden.cte()}
        {_figures_sql(hidden)}
        {_starved_sql(hidden)},
        {tree_funding_sql()},
        totals AS (SELECT {_HEADLINE_COLUMNS} FROM figures),
        owners AS (
            SELECT m.id, u.name, u.email
              FROM (SELECT owner_id FROM figures WHERE active UNION SELECT %(also_owner)s) o
              JOIN {MEMBERSHIP} m ON m.id = o.owner_id
              JOIN {USER} u ON u.id = m.user_id
             WHERE m.organization_id = %(org)s
        ),
        over AS (
            SELECT * FROM funding WHERE verdict = 'over' AND priority IN ({low})
        ),
        stop AS (
            SELECT f.goal_id, NULL::bigint AS over_id
              FROM figures f WHERE f.goal_id IS NOT NULL AND NOT f.active AND f.stranded > 0
            UNION ALL
            (SELECT DISTINCT ON (t.id) t.id, o.goal_id
               FROM tree t
               JOIN figures f ON f.goal_id = t.id
               CROSS JOIN LATERAL unnest(t.path) WITH ORDINALITY a(id, level)
               JOIN over o ON o.goal_id = a.id
              WHERE f.active AND f.live_tasks > 0
              ORDER BY t.id, a.level)
        ){table_ctes}
        SELECT totals.*,
               (SELECT count(*) FROM figures g WHERE g.active{filters}),
               (SELECT ARRAY[array_agg(goal_id), array_agg(over_id)] FROM stop),
               (SELECT json_agg(json_build_array(o.goal_id, g.number, g.title, g.priority,
                                                 o.effort, o.weight, o.group_effort,
                                                 o.group_weight))
                  FROM over o JOIN {GOAL} g ON g.organization_id = %(org)s AND g.id = o.goal_id
                 WHERE o.goal_id IN (SELECT over_id FROM stop)),
               (SELECT json_agg(json_build_array(id, name, email) ORDER BY name, email)
                  FROM owners),
               {table_rows}
          FROM totals
    """  # noqa: S608 - table names from the models, numbers from constants; values parameters
    params = {
        **_headline_params(organization, hidden, now),
        **filter_params,
        "also_owner": also_owner,
        "page": table.page if table else 1,
        "per_page": table.per_page if table else 1,
        "stale_before": goal_health.stale_before(organization, now),
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    *figures, matching, stop, over, owners, table_number, table_rows = row
    stop_ids, over_ids = stop if stop and stop[0] is not None else ([], [])
    over_goals = {
        pk: OverFunded(
            number=number,
            title=title,
            priority=priority,
            funding=Funding(
                effort=int(effort),
                weight=int(weight),
                group_effort=int(group_effort),
                group_weight=int(group_weight),
            ),
        )
        for pk, number, title, priority, effort, weight, group_effort, group_weight in over or ()
    }
    return Overview(
        headline=_headline(tuple(figures)),
        matching=int(matching),
        stop_goals=dict(zip(stop_ids, (over_goals.get(o) for o in over_ids), strict=True)),
        owners=[(pk, name or email.split("@")[0]) for pk, name, email in owners or ()],
        table=None
        if table is None
        else goal_table_from(
            table_number, table_rows, total=int(matching), per_page=table.per_page
        ),
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
    kept: int


def coverage_trend(
    *, organization: Organization, viewer: Membership | None, start: date, end: date
) -> list[TrendDay]:
    """The days from `start` to `end` with a snapshot, oldest first. A member who does not see
    everything gets the figures without any confidential goal's subtree (days recorded before
    those were are left out): a snapshot's totals cannot be narrowed to one member's grants.
    One query."""
    snapshots = snapshots_between(organization=organization, start=start, end=end)
    if goal_visibility.sees_everything(viewer):
        fields = ("date", "linked_ratio", "orphaned", "stranded", "suspect", "starved", "kept")
    else:
        snapshots = snapshots.filter(public_live_effort__isnull=False)
        fields = (
            "date",
            "public_linked_ratio",
            "orphaned",
            "public_stranded",
            "public_suspect",
            "public_starved",
            "public_kept",
        )
    return [
        TrendDay(day, ratio, orphaned, stranded, suspect, starved, kept or 0)
        for day, ratio, orphaned, stranded, suspect, starved, kept in snapshots.values_list(*fields)
    ]
