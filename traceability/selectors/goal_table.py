"""The coverage dashboard's goals table: the active goals with their coverage, one sorted page
at a time."""

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any, NamedTuple

from django.utils import timezone
from django.utils.timesince import timesince

from goals.models import Goal, GoalEvent, Priority
from updates import health as goal_health
from vindaris.lib.paging import NumberedPage
from vindaris.tenancy.models import Membership, User

from .funding import Funding

GOAL = Goal._meta.db_table
GOAL_EVENT = GoalEvent._meta.db_table
MEMBERSHIP, USER = Membership._meta.db_table, User._meta.db_table

# Sort keys of the goals table: each column, by the SQL expression (over the rows of
# `goal_table_sql`) that orders it. The goal column sorts in the tree order: each goal under
# its parent, siblings by priority then number.
GOAL_SORTS: dict[str, str] = {
    "goal": "sort_path",
    "priority": "priority",
    "live_tasks": "live_tasks",
    "live_effort": "effort",
    "share": "effort::float / NULLIF(group_effort, 0)",
    "implied": "weight::float / group_weight",
    "funding": "(effort::float / NULLIF(group_effort, 0)) / (weight::float / group_weight)",
    "done": "done_effort::float / NULLIF(own_effort + done_effort, 0)",
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
    """One active goal's row of the goals table: its place in the tree, the live work of its
    subtree judged among its siblings (`funding`), and its own done effort, progress and gaps."""

    number: int
    title: str
    priority: int
    owner_name: str
    parent_number: int | None
    depth: int
    live_tasks: int  # in its subtree, on active goals
    own_effort: int  # on the goal itself
    done_effort: int  # on the goal itself
    suspect: int
    is_starved: bool
    progress: float | None  # the mean of its outcomes' progress, 0–1; None without outcomes
    last_activity: datetime | None
    funding: Funding
    health: goal_health.GoalHealth = goal_health.NO_HEALTH  # the goal's latest update

    @property
    def key(self) -> str:
        return f"G-{self.number}"

    @property
    def parent_key(self) -> str:
        return f"G-{self.parent_number}" if self.parent_number else ""

    @property
    def priority_label(self) -> str:
        return Priority(self.priority).label

    @property
    def live_effort(self) -> int:
        """Live effort in its subtree, on active goals."""
        return self.funding.effort

    @property
    def open_gaps(self) -> int:
        return self.suspect + int(self.is_starved)

    @property
    def done_percent(self) -> int | None:
        total = self.own_effort + self.done_effort
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
          WHERE e.organization_id = %(org)s AND e.goal_id = {row}.goal_id))"""  # noqa: S608


@dataclass(frozen=True)
class GoalTableQuery:
    """Which page of the goals table, sorted how: `sort` is a GOAL_SORTS key, "-" first for
    descending (the tree order by default)."""

    sort: str = "goal"
    page: int = 1
    per_page: int = GOAL_TABLE_SIZE

    @property
    def key(self) -> str:
        key = self.sort.lstrip("-")
        return key if key in GOAL_SORTS else "goal"

    @property
    def order(self) -> str:
        direction = "DESC" if self.sort.startswith("-") else "ASC"
        return f"{GOAL_SORTS[self.key]} {direction} NULLS LAST, number"


def goal_table_sql(query: GoalTableQuery, filters: str) -> tuple[str, str]:
    """The goals table as part of the dashboard's statement (selectors.coverage_overview),
    after its `figures`, `starved` and `funding` CTEs: the CTEs `goal_rows` (the active goals
    matching `filters`, each with its funding, own figures and gaps), `pages` (the page shown:
    the one asked for, or the last) and `page` (its rows, in order); and the expression giving
    the page's number and its rows as JSON (see `goal_table_from`), each goal with its health
    (updates.health). Named parameters: `%(page)s`, `%(per_page)s`, `%(stale_before)s`. The
    last activity, a lookup per goal, is computed for the page's goals alone unless the table
    is sorted by it."""
    by_activity = query.key == "activity"
    activity_of_rows = _last_activity("g") if by_activity else "NULL::timestamptz"
    activity_of_page = "p.last_activity" if by_activity else _last_activity("p")
    ctes = f"""
        goal_rows AS (
            SELECT fu.goal_id, fu.parent_id, fu.depth, fu.sort_path, fu.priority, fu.weight,
                   fu.effort, fu.live_tasks, fu.group_effort, fu.group_weight,
                   g.number, g.owner_id, g.live_effort AS own_effort, g.done_effort, g.suspect,
                   (g.goal_id IN (SELECT goal_id FROM starved))::int AS is_starved, g.progress,
                   g.updated_at, g.last_task_at, {activity_of_rows} AS last_activity
              FROM funding fu JOIN figures g ON g.goal_id = fu.goal_id
             WHERE true{filters}
        ),
        pages AS (
            SELECT GREATEST(1, LEAST(%(page)s, CEIL(count(*)::numeric / %(per_page)s)))::int
                       AS number
              FROM figures g WHERE g.active{filters}
        ),
        page AS (
            SELECT r.* FROM (
                SELECT *, row_number() OVER (ORDER BY {query.order}) AS place FROM goal_rows
            ) r, pages
             WHERE r.place > (pages.number - 1) * %(per_page)s
               AND r.place <= pages.number * %(per_page)s
        )"""  # noqa: S608 - ordering from GOAL_SORTS, table names from the models
    rows = f"""
        (SELECT number FROM pages),
        (SELECT json_agg(json_build_array(
                    p.number, g.title, p.priority, u.name, u.email, parent.number, p.depth,
                    p.live_tasks, p.own_effort, p.done_effort, p.suspect, p.is_starved,
                    p.progress, {activity_of_page}, p.effort, p.weight, p.group_effort,
                    p.group_weight, {goal_health.columns("g")}) ORDER BY p.place)
           FROM page p
           JOIN {GOAL} g ON g.organization_id = %(org)s AND g.id = p.goal_id
           {goal_health.latest_join("g")}
           LEFT JOIN {GOAL} parent
                  ON parent.organization_id = %(org)s AND parent.id = p.parent_id
           LEFT JOIN {MEMBERSHIP} m ON m.id = p.owner_id
           LEFT JOIN {USER} u ON u.id = m.user_id)"""  # noqa: S608 - table names from the models
    return ctes, rows


def goal_table_from(
    number: int, rows: list[list[Any]] | None, *, total: int, per_page: int
) -> GoalTable:
    """The page `number` of the goals table from the JSON rows of `goal_table_sql`."""
    return GoalTable(
        rows=[
            GoalRow(
                number=row[0],
                title=row[1],
                priority=row[2],
                owner_name=(row[3] or row[4].split("@")[0]) if row[4] else "",
                parent_number=row[5],
                depth=row[6],
                live_tasks=int(row[7]),
                own_effort=int(row[8]),
                done_effort=int(row[9]),
                suspect=row[10],
                is_starved=bool(row[11]),
                progress=row[12],
                last_activity=None if row[13] is None else datetime.fromisoformat(row[13]),
                funding=Funding(
                    effort=int(row[14]),
                    weight=int(row[15]),
                    group_effort=int(row[16]),
                    group_weight=int(row[17]),
                ),
                health=goal_health.from_row(
                    [
                        row[18],
                        row[19],
                        None if row[20] is None else datetime.fromisoformat(row[20]),
                        row[21],
                    ]
                ),
            )
            for row in rows or ()
        ],
        total=total,
        number=number,
        per_page=per_page,
    )
