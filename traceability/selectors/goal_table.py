"""The coverage dashboard's goals table: the active goals with their coverage, one sorted page
at a time."""

from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from typing import NamedTuple

from django.db import connection
from django.utils import timezone
from django.utils.timesince import timesince

from goals.models import PRIORITY_WEIGHT, Goal, GoalEvent, Priority
from vindaris.lib.paging import NumberedPage
from vindaris.tenancy.models import Membership, Organization, User
from work import gaps

from ..models import GoalCoverage
from .coverage import ActiveWeights, Headline, funding, goal_filter_sql, weight_sql
from .hidden import Hidden

GOAL, COVERAGE = Goal._meta.db_table, GoalCoverage._meta.db_table
GOAL_EVENT = GoalEvent._meta.db_table
MEMBERSHIP, USER = Membership._meta.db_table, User._meta.db_table

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
            iso=local.isoformat(timespec="seconds"),
            title=f"{local.day} {local:%b %Y %H:%M} ({timesince(at)} ago)",
            label=f"{local.day} {local:%b}",
        )


@dataclass(frozen=True)
class GoalTable(NumberedPage):
    """One page of the dashboard's goals table."""

    rows: list[GoalRow]


def _last_activity(row: str) -> str:
    """A goal's last activity: its own last change, its tasks' and its last history row (of
    `row`, with the goal's id, updated_at and its coverage row's last_task_at)."""
    return f"""GREATEST({row}.updated_at, {row}.last_task_at,
        (SELECT max(e.created_at) FROM {GOAL_EVENT} e
          WHERE e.organization_id = %(org)s AND e.goal_id = {row}.id))"""  # noqa: S608


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
    filters, filter_params = goal_filter_sql(owner, period_start, period_end)
    # The last activity is a lookup per goal: for every goal when sorting by it, else for the
    # page's goals alone.
    by_activity = key == "activity"
    activity_of_rows = _last_activity("r") if by_activity else "NULL::timestamptz"
    activity_of_page = "p.last_activity" if by_activity else _last_activity("p")
    sql = f"""
        WITH {hidden.cte()}
        figures AS (
            SELECT g.id, g.number, g.title, g.priority, g.owner_id,
                   {weight_sql("g.priority")} AS priority_weight,
                   COALESCE(c.live_tasks, 0) AS live_tasks,
                   COALESCE(c.live_effort, 0) AS live_effort,
                   COALESCE(c.done_effort, 0) AS done_effort,
                   COALESCE(c.suspect, 0) AS suspect,
                   (g.id = ANY(%(starved)s::bigint[]))::int AS is_starved,
                   c.progress_sum::float / NULLIF(c.outcomes, 0) / 100 AS progress,
                   g.updated_at, c.last_task_at
              FROM {GOAL} g
              LEFT JOIN {COVERAGE} c ON c.organization_id = g.organization_id AND c.goal_id = g.id
             WHERE g.organization_id = %(org)s AND {gaps.active_goal_sql("g")}{filters}
                   {hidden.excludes("g.id")}
        ),
        goal_rows AS (
            SELECT r.*, {activity_of_rows} AS last_activity FROM figures r
        ),
        page AS (
            SELECT * FROM goal_rows ORDER BY {order} LIMIT %(limit)s OFFSET %(offset)s
        )
        SELECT p.number, p.title, p.priority, u.name, u.email, p.live_tasks, p.live_effort,
               p.done_effort, p.suspect, p.is_starved, p.progress,
               {activity_of_page}
          FROM page p
          LEFT JOIN {MEMBERSHIP} m ON m.id = p.owner_id
          LEFT JOIN {USER} u ON u.id = m.user_id
         ORDER BY {order}
    """  # noqa: S608 - table names from the models, ordering from GOAL_SORTS; values are parameters
    params = {
        **hidden.params,
        **filter_params,
        "org": organization.pk,
        "starved": sorted(headline.starved_ids),
        "limit": per_page,
        "offset": (number - 1) * per_page,
    }
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
