"""The tree's nodes and what an expanded goal shows: sub-goals with their roll-ups, outcomes
and tasks, a page of each at a time; and the "No goal" root."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection

from goals.models import Goal, Outcome
from vindaris.tenancy.models import Membership, Organization, User
from work import gaps
from work.models import Task

from ..models import GoalCoverage
from .base import (
    COVERAGE,
    GOAL,
    GOAL_COLUMNS,
    MEMBER_COLUMNS,
    MEMBERSHIP,
    OUTCOME,
    OUTCOME_COLUMNS,
    PAGE_SIZE,
    TASK,
    TASK_COLUMNS,
    USER,
    USER_COLUMNS,
    instances,
    task_order_sql,
    task_rank_sql,
)
from .rollups import Ranked, Rollup, rollups


@dataclass
class Slice:
    """One page of one kind of children (sub-goals, outcomes or tasks) of one parent."""

    items: list[Any]
    total: int
    page: int
    remaining: int  # not shown yet, beyond this page

    @property
    def has_more(self) -> bool:
        return self.remaining > 0

    @property
    def next_page(self) -> int:
        return self.page + 1

    @property
    def shown_from(self) -> int:
        return (self.page - 1) * PAGE_SIZE + 1

    @property
    def shown_until(self) -> int:
        return min(self.total, self.page * PAGE_SIZE)


def _empty() -> Slice:
    return Slice(items=[], total=0, page=1, remaining=0)


@dataclass
class GoalNode:
    """A goal in the tree with its subtree's roll-up; `children` once it is expanded."""

    goal: Goal
    rollup: Rollup
    level: int
    children: "Children | None" = None
    focused: bool = False

    @property
    def key(self) -> str:
        return self.goal.key

    @property
    def expanded(self) -> bool:
        return self.children is not None


@dataclass
class Children:
    """What an expanded goal shows (or the "No goal" root: `goalless`), page by page."""

    goal: Goal | None
    level: int  # the level of the children
    goals: Slice = field(default_factory=_empty)
    outcomes: Slice = field(default_factory=_empty)
    tasks: Slice = field(default_factory=_empty)
    goalless: bool = False

    @property
    def is_empty(self) -> bool:
        return not (self.goals.items or self.outcomes.items or self.tasks.items)


def page_slice(rows: list[Any], page: int, *, ranked_of: Any) -> Slice:
    """Rows of one parent and one kind (each with rn, total, pinned) as a Slice: on later pages
    pinned rows are left out, having been shown on the first."""
    if not rows:
        return Slice(items=[], total=0, page=page, remaining=0)
    end = page * PAGE_SIZE
    total = ranked_of(rows[0]).total
    pinned_beyond = sum(1 for r in rows if ranked_of(r).pinned and ranked_of(r).rn > end)
    items = rows if page == 1 else [r for r in rows if not ranked_of(r).pinned]
    return Slice(items=items, total=total, page=page, remaining=max(0, total - end - pinned_beyond))


def _row_rank(obj: Any) -> Ranked:
    return Ranked(id=obj.pk, parent_id=None, rn=obj.rn, total=obj.total, pinned=obj.is_pinned)


@dataclass(frozen=True)
class Pinned:
    """Nodes that must show whatever the page and the "gaps only" filter: a focused node and
    the path to it."""

    goals: frozenset[int] = frozenset()
    outcomes: frozenset[int] = frozenset()
    tasks: frozenset[int] = frozenset()


NOTHING_PINNED = Pinned()


def _flagged_sql(t: str) -> str:
    """Task `t` under parent goal `pg` holds an open flag: stranded and not kept, or suspect."""
    return f"({gaps.stranded_open_sql(t, 'pg')} OR {gaps.suspect_sql(t, 'pg')})"


def _page_rows(
    sql: str, organization: Organization, parent_ids: Any, pinned: set[int], page: int
) -> list[tuple[Any, ...]]:
    """The rows of a children query: page `page` (%(offset)s < rank <= %(until)s) of the
    children of `parent_ids`, plus the pinned ones, in the organization."""
    offset = (page - 1) * PAGE_SIZE
    params = {
        "org": organization.pk,
        "parents": parent_ids,
        "pinned": sorted(pinned),
        "offset": offset,
        "until": offset + PAGE_SIZE,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _tasks_page(
    organization: Organization,
    *,
    parent_ids: list[int] | None,
    gaps_only: bool,
    page: int,
    pinned: set[int],
) -> list[Task]:
    """Page `page` of the tasks of each parent goal (None: of the work without a goal), live
    first then newest, plus the pinned ones wherever they rank; goal, outcome and assignee
    loaded, each with `rn`, `total` and `is_pinned`. With "gaps only", the tasks that hold an
    open flag. One query: each parent's first rows come in order from task_tree_order_idx and
    its total from its coverage row, so a goal with fourteen thousand tasks costs what one
    with fifty does."""
    if parent_ids is None:
        parents = (
            "(SELECT NULL::bigint AS goal_id) p"
            f" LEFT JOIN {COVERAGE} c ON c.organization_id = %(org)s AND c.goal_id IS NULL"
        )
        own = "t.goal_id IS NULL"
        gap: Callable[[str], str] = gaps.orphaned_sql
        total = "COALESCE(c.live_tasks, 0)" if gaps_only else "COALESCE(c.tasks, 0)"
        pinned_parent = (
            f"LEFT JOIN {COVERAGE} c ON c.organization_id = t.organization_id AND c.goal_id IS NULL"
        )
        pinned_own = "t.goal_id IS NULL"
    else:
        parents = (
            "unnest(%(parents)s::bigint[]) AS p(goal_id)"
            f" JOIN {GOAL} pg ON pg.organization_id = %(org)s AND pg.id = p.goal_id"
            f" LEFT JOIN {COVERAGE} c"
            " ON c.organization_id = pg.organization_id AND c.goal_id = p.goal_id"
        )
        own = "t.goal_id = p.goal_id"
        gap = _flagged_sql
        # How many: the goal's stranded tasks (a suspect one of a goal that is not active is
        # stranded too) or, on an active goal, its suspect ones.
        total = (
            f"CASE WHEN {gaps.active_goal_sql('pg')} THEN COALESCE(c.suspect, 0)"
            " ELSE COALESCE(c.stranded, 0) END"
            if gaps_only
            else "COALESCE(c.tasks, 0)"
        )
        pinned_parent = (
            f"JOIN {GOAL} pg ON pg.organization_id = t.organization_id AND pg.id = t.goal_id"
            f" LEFT JOIN {COVERAGE} c"
            " ON c.organization_id = t.organization_id AND c.goal_id = t.goal_id"
        )
        pinned_own = "t.goal_id = ANY(%(parents)s::bigint[])"
    filtered = f" AND {gap('t')}" if gaps_only else ""
    # Where a pinned task ranks: how many of its goal's tasks (those kept) come before it.
    kept2 = f" AND (t2.id = t.id OR {gap('t2')})" if gaps_only else ""
    earlier = f"""
        SELECT count(*) FROM {TASK} t2
         WHERE t2.organization_id = t.organization_id
           AND t2.goal_id IS NOT DISTINCT FROM t.goal_id
           AND ({task_rank_sql("t2")}) <= ({task_rank_sql("t")}){kept2}
    """  # noqa: S608 - table and column names from the models
    columns = (
        (Task, TASK_COLUMNS),
        (Goal, GOAL_COLUMNS),
        (Outcome, OUTCOME_COLUMNS),
        (Membership, MEMBER_COLUMNS),
        (User, USER_COLUMNS),
    )
    # Pinned tasks (a focused one) come along wherever they rank; without any, the statement
    # leaves them out, which spares its planning.
    with_pinned = f"""
            UNION ALL
            SELECT t.id, ({earlier}), {total}, true
              FROM {TASK} t {pinned_parent}
             WHERE t.organization_id = %(org)s AND t.id = ANY(%(pinned)s::bigint[])
               AND {pinned_own}
    """  # noqa: S608 - table and column names from the models
    sql = f"""
        WITH ranked AS (
            SELECT x.id, x.rn, x.total, false AS pinned
              FROM {parents}
              CROSS JOIN LATERAL (
                  SELECT t.id, row_number() OVER (ORDER BY {task_order_sql("t")}) AS rn,
                         {total} AS total
                    FROM {TASK} t
                   WHERE t.organization_id = %(org)s AND {own}{filtered}
                   ORDER BY {task_order_sql("t")}
                   LIMIT %(until)s
              ) x
             WHERE x.rn > %(offset)s
            {with_pinned if pinned else ""}
        )
        SELECT {", ".join(cols for _, (_, cols) in columns)}, r.rn, r.total, r.pinned
          FROM (SELECT id, min(rn) AS rn, max(total) AS total, bool_or(pinned) AS pinned
                  FROM ranked GROUP BY id) r
          JOIN {TASK} t ON t.organization_id = %(org)s AND t.id = r.id
          LEFT JOIN {GOAL} g ON g.organization_id = t.organization_id AND g.id = t.goal_id
          LEFT JOIN {OUTCOME} o ON o.organization_id = t.organization_id AND o.id = t.outcome_id
          LEFT JOIN {MEMBERSHIP} m ON m.id = t.assignee_id
          LEFT JOIN {USER} u ON u.id = m.user_id
         ORDER BY t.goal_id, r.rn
    """  # noqa: S608 - table and column names from the models; values are parameters
    rows = _page_rows(sql, organization, parent_ids, pinned, page)
    tasks = []
    for row in rows:
        task, goal, outcome, member, user = instances(row[:-3], *columns)
        if member is not None:
            member.user = user
        task.goal, task.outcome, task.assignee = goal, outcome, member
        task.rn, task.total, task.is_pinned = row[-3:]
        tasks.append(task)
    return tasks


def _outcomes_page(
    organization: Organization,
    *,
    parent_ids: list[int],
    gaps_only: bool,
    page: int,
    pinned: set[int],
) -> list[Outcome]:
    """Page `page` of the outcomes of each parent goal, by number, plus the pinned ones; each
    with `live_tasks` (live tasks aiming at it), `rn`, `total` and `is_pinned`. With "gaps
    only", the pinned ones alone (an outcome is no gap). One query."""
    names, cols = OUTCOME_COLUMNS
    only_pinned = " AND o.id = ANY(%(pinned)s::bigint[])" if gaps_only else ""
    sql = f"""
        SELECT {cols}, x.rn, x.total, x.pinned,
               (SELECT count(*) FROM {TASK} t
                 WHERE t.organization_id = o.organization_id AND t.outcome_id = o.id
                   AND {gaps.live_sql("t")}) AS live_tasks
          FROM (
            SELECT o.id, o.id = ANY(%(pinned)s::bigint[]) AS pinned,
                   row_number() OVER (PARTITION BY o.goal_id ORDER BY o.number) AS rn,
                   count(*) OVER (PARTITION BY o.goal_id) AS total
              FROM {OUTCOME} o
             WHERE o.organization_id = %(org)s AND o.goal_id = ANY(%(parents)s::bigint[])
                   {only_pinned}
          ) x
          JOIN {OUTCOME} o ON o.organization_id = %(org)s AND o.id = x.id
         WHERE (x.rn > %(offset)s AND x.rn <= %(until)s) OR x.pinned
         ORDER BY o.goal_id, x.rn
    """  # noqa: S608 - table and column names from the models; values are parameters
    rows = _page_rows(sql, organization, parent_ids, pinned, page)
    outcomes = []
    for row in rows:
        outcome: Any = Outcome.from_db("default", names, row[: len(names)])
        outcome.rn, outcome.total, outcome.is_pinned, outcome.live_tasks = row[len(names) :]
        outcomes.append(outcome)
    return outcomes


KINDS = ("goals", "outcomes", "tasks")


def goal_children(
    *,
    organization: Organization,
    membership: Membership,
    parent_levels: dict[int, int],
    gaps_only: bool = False,
    kind: str = "",
    page: int = 1,
    pinned: Pinned = NOTHING_PINNED,
    now: datetime,
) -> dict[int, Children]:
    """The children of each parent goal (by id, with its tree level), as the member may see
    them: sub-goals with their roll-ups, outcomes with the live tasks aiming at them, tasks
    with goal, outcome and assignee loaded; page `page` of each kind, or of `kind` alone.
    Three queries at most, however many parents and children. The caller sets each result's
    `goal`."""
    parent_ids = list(parent_levels)
    result = {pk: Children(goal=None, level=level + 1) for pk, level in parent_levels.items()}
    if not parent_ids:
        return result
    if kind in ("", "goals"):
        rows = rollups(
            organization,
            membership,
            anchors=("g.parent_id = ANY(%(parents)s::bigint[])", {"parents": parent_ids}),
            gaps_only=gaps_only,
            pinned=pinned.goals,
            page=page,
            now=now,
        )
        by_parent: dict[int, list[tuple[Ranked, Rollup, Goal]]] = {}
        for row in rows:
            # The anchors are children of the parents asked about: their parent is set.
            by_parent.setdefault(row[0].parent_id, []).append(row)  # type: ignore[arg-type]  # see above
        for parent_id, parent_rows in by_parent.items():
            children = result[parent_id]
            goals = page_slice(parent_rows, page, ranked_of=lambda r: r[0])
            goals.items = [
                GoalNode(goal=goal, rollup=rollup, level=children.level)
                for _, rollup, goal in goals.items
            ]
            children.goals = goals
    if kind in ("", "outcomes"):
        outcomes = _outcomes_page(
            organization,
            parent_ids=parent_ids,
            gaps_only=gaps_only,
            page=page,
            pinned=set(pinned.outcomes),
        )
        for parent_id, rows_of in _group(outcomes, "goal_id").items():
            result[parent_id].outcomes = page_slice(rows_of, page, ranked_of=_row_rank)
    if kind in ("", "tasks"):
        tasks = _tasks_page(
            organization,
            parent_ids=parent_ids,
            gaps_only=gaps_only,
            page=page,
            pinned=set(pinned.tasks),
        )
        for parent_id, rows_of in _group(tasks, "goal_id").items():
            result[parent_id].tasks = page_slice(rows_of, page, ranked_of=_row_rank)
    return result


def _group(objs: list[Any], attr: str) -> dict[Any, list[Any]]:
    grouped: dict[Any, list[Any]] = {}
    for obj in objs:
        grouped.setdefault(getattr(obj, attr), []).append(obj)
    return grouped


def goalless_children(
    *,
    organization: Organization,
    gaps_only: bool = False,
    page: int = 1,
    pinned_task: int | None = None,
) -> Children:
    """The "No goal" root's children: the tasks without a goal, live (orphaned) first, page by
    page; with "gaps only", the orphaned ones alone. One query."""
    rows = _tasks_page(
        organization,
        parent_ids=None,
        gaps_only=gaps_only,
        page=page,
        pinned={pinned_task} if pinned_task else set(),
    )
    return Children(
        goal=None, level=2, tasks=page_slice(rows, page, ranked_of=_row_rank), goalless=True
    )


@dataclass(frozen=True)
class Goalless:
    """The "No goal" root's figures: orphaned work, and every task without a goal."""

    orphaned: int
    orphaned_effort: int
    tasks: int


def goalless_summary(*, organization: Organization) -> Goalless:
    """Counts of the work without a goal (everyone sees it), from its coverage row. One query."""
    row = (
        GoalCoverage.objects.filter(organization=organization, goal__isnull=True)
        .values_list("live_tasks", "live_effort", "tasks")
        .first()
    )
    orphaned, effort, tasks = row or (0, 0, 0)
    return Goalless(orphaned=orphaned, orphaned_effort=effort, tasks=tasks)
