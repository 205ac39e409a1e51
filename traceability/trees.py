"""Every read of the trace tree: roll-ups over whole subtrees, pages of children, the path to a
focused node, the outcome page and the export streams.

Roll-ups are set-based: one recursive CTE walks down from every goal asked about at once and
sums each subtree's per-goal coverage rows (GoalCoverage: live work, effort, gaps and outcome
progress, kept by the database with every write), so the tree's root and every expansion run a
fixed number of queries and read a row per goal rather than its tasks, however large the
organization is. A goal's own tasks come a page at a time from an index in the tree's order.
The gap conditions are those of work.selectors (the coverage rows count them; the task pages
write them in SQL, and the tests hold both to them), so the tree, the flags and the coverage
figures mean the same thing by "stranded", "suspect" and "starved".

What a member may see is goals.visibility's rule: querysets start from `visible_goals` (or
`visible_q`), hand-written SQL leaves out `selectors.Hidden.of(membership)`. A hidden goal's
subtree is left out of every roll-up, list and export; for admins and leads nothing is.
"""

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import (
    Case,
    Count,
    F,
    Max,
    Q,
    QuerySet,
    Value,
    When,
    Window,
)

from goals import visibility as goal_visibility
from goals.models import CheckIn, Goal, GoalStatus, Outcome
from vindaris.tenancy.models import Membership, Organization, User
from work.models import LIVE, LIVE_STATUSES, Task, TaskStatus

from .models import GoalCoverage
from .selectors import Hidden

PAGE_SIZE = 50
# A guard against a cycle in the goal tree (the services never make one): no walk goes deeper.
MAX_DEPTH = 1000
# Rows fetched per round trip by the export streams.
EXPORT_CHUNK = 2000

GOAL, OUTCOME, TASK = Goal._meta.db_table, Outcome._meta.db_table, Task._meta.db_table
COVERAGE = GoalCoverage._meta.db_table

# Live first, then newest: the order of tasks under a goal (as on the goal page).
TASK_ORDER = [Case(When(LIVE, then=Value(0)), default=Value(1)).asc(), F("number").desc()]


# Who sees what --------------------------------------------------------------------------------


def visible_goals(*, organization: Organization, membership: Membership) -> QuerySet[Goal]:
    """The goals `membership` may see (goals.visibility): the tree, the outcome page and the
    exports all start from it."""
    return goal_visibility.visible_goals(membership)


def _compiled(qs: QuerySet[Any]) -> tuple[str, list[Any]]:
    sql, params = qs.query.sql_with_params()
    return sql, list(params)


# Roll-ups -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rollup:
    """Figures of a goal's whole subtree (the goal itself included)."""

    live_tasks: int = 0
    live_effort: int = 0
    done_effort: int = 0
    stranded: int = 0
    suspect: int = 0
    outcomes: int = 0
    progress_sum: int = 0
    starved: int = 0  # starved goals in the subtree, this one included
    is_starved: bool = False  # this goal itself

    @property
    def done_share(self) -> int:
        """Percent of the effort that is done (cancelled work left out), as on the goal page."""
        total = self.live_effort + self.done_effort
        return round(100 * self.done_effort / total) if total else 0

    @property
    def outcome_progress(self) -> int | None:
        """Mean progress of the subtree's outcomes, 0–100; None without outcomes."""
        return round(self.progress_sum / self.outcomes) if self.outcomes else None

    @property
    def starved_below(self) -> int:
        return self.starved - int(self.is_starved)

    @property
    def has_gaps(self) -> bool:
        return bool(self.starved or self.stranded or self.suspect)


# A goal's own figures in a roll-up, from its GoalCoverage row `c` (none: no work, no outcomes).
_FIGURES = "live_tasks, live_effort, done_effort, stranded, suspect, outcomes, progress_sum"
_FIGURES_OF_C = ", ".join(f"COALESCE(c.{f}, 0)" for f in _FIGURES.split(", "))

# Active and past the grace period: starved unless live work lies at or below it.
_STARVABLE = "(g.status = %s AND COALESCE(g.activated_at, g.created_at) <= %s)"


@dataclass(frozen=True)
class _Ranked:
    """One row of a paginated, partitioned list: its position among its siblings."""

    id: int
    parent_id: int | None
    rn: int
    total: int
    pinned: bool


def _rollups(
    organization: Organization,
    membership: Membership,
    *,
    anchors: tuple[str, list[Any]],
    gaps_only: bool,
    pinned: Iterable[int],
    page: int,
    now: datetime,
) -> list[tuple[_Ranked, Rollup, Goal]]:
    """Roll-ups of the anchor goals, ranked among their siblings by priority then number; the
    rows of page `page` (pinned goals always come along), each with its goal (owner loaded).
    One query.

    Over what `membership` may see: hidden goals are neither anchors nor walked into, so their
    work counts nowhere (and covers nothing: a goal whose only live work is hidden is starved
    for this member). With `gaps_only`, only anchors whose subtree holds a gap take part
    (pinned ones too)."""
    hidden = Hidden.of(membership)
    anchors_sql, anchors_params = anchors
    activated_before = now - timedelta(days=organization.starved_grace_days)
    pinned_ids = sorted(set(pinned))
    offset = (page - 1) * PAGE_SIZE
    # `sub`: every goal of each anchor's subtree, with what the roll-up needs of it, read once
    # on the walk down: its parent, whether it is active and past the grace period (starved
    # unless covered), its own figures (its GoalCoverage row), and for the anchors their rank
    # among their siblings.
    sql = f"""
        WITH RECURSIVE {hidden.cte()}
        sub(anchor_id, id, parent_id, depth, starvable, priority, number, {_FIGURES}) AS (
            SELECT g.id, g.id, g.parent_id, 0, {_STARVABLE}, g.priority, g.number,
                   {_FIGURES_OF_C}
              FROM {GOAL} g LEFT JOIN {COVERAGE} c ON c.goal_id = g.id
             WHERE g.organization_id = %s AND g.id IN ({anchors_sql}){hidden.excludes("g.id")}
            UNION ALL
            SELECT s.anchor_id, g.id, g.parent_id, s.depth + 1, {_STARVABLE}, g.priority,
                   g.number, {_FIGURES_OF_C}
              FROM sub s
              JOIN {GOAL} g ON g.parent_id = s.id AND g.organization_id = %s
              LEFT JOIN {COVERAGE} c ON c.goal_id = g.id
             WHERE s.depth < {MAX_DEPTH}{hidden.excludes("g.id")}
        ),
        -- Starved goals of the subtrees: from those that could be (active, past the grace
        -- period, no live work of their own) down through goals without live work, looking
        -- for some (selectors.coverage_headline's walk).
        bare(candidate, id, live, depth) AS (
            SELECT DISTINCT s.id, s.id, false, 0 FROM sub s
             WHERE s.starvable AND s.live_tasks = 0
            UNION ALL
            SELECT b.candidate, g.id, COALESCE(c.live_tasks, 0) > 0, b.depth + 1
              FROM bare b
              JOIN {GOAL} g ON g.parent_id = b.id AND g.organization_id = %s
              LEFT JOIN {COVERAGE} c ON c.goal_id = g.id
             WHERE NOT b.live AND b.depth < {MAX_DEPTH}{hidden.excludes("g.id")}
        ),
        starved(id) AS (
            SELECT candidate FROM bare GROUP BY candidate HAVING NOT bool_or(live)
        ),
        rolled AS (
            SELECT anchor_id AS id,
                   COALESCE(sum(live_tasks), 0) AS live_tasks,
                   COALESCE(sum(live_effort), 0) AS live_effort,
                   COALESCE(sum(done_effort), 0) AS done_effort,
                   COALESCE(sum(stranded), 0) AS stranded,
                   COALESCE(sum(suspect), 0) AS suspect,
                   COALESCE(sum(outcomes), 0) AS outcomes,
                   COALESCE(sum(progress_sum), 0) AS progress_sum,
                   count(*) FILTER (WHERE is_starved) AS starved,
                   bool_or(depth = 0 AND is_starved) AS is_starved
              FROM (SELECT s.*, st.id IS NOT NULL AS is_starved
                      FROM sub s LEFT JOIN starved st ON st.id = s.id) s
             GROUP BY anchor_id
        ),
        ranked AS (
            SELECT r.*, a.parent_id, a.id = ANY(%s::bigint[]) AS pinned,
                   row_number() OVER (PARTITION BY a.parent_id ORDER BY a.priority, a.number)
                       AS rn,
                   count(*) OVER (PARTITION BY a.parent_id) AS total
              FROM rolled r JOIN sub a ON a.id = r.id AND a.depth = 0
             WHERE NOT %s OR r.starved + r.stranded + r.suspect > 0 OR a.id = ANY(%s::bigint[])
        )
        SELECT r.id, r.parent_id, r.rn, r.total, r.pinned,
               r.live_tasks, r.live_effort, r.done_effort, r.stranded, r.suspect, r.outcomes,
               r.progress_sum, r.starved, r.is_starved,
               {_GOAL_COLUMNS[1]}, {_MEMBER_COLUMNS[1]}, {_USER_COLUMNS[1]}
          FROM ranked r
          JOIN {GOAL} g ON g.id = r.id
          LEFT JOIN {Membership._meta.db_table} m ON m.id = g.owner_id
          LEFT JOIN {User._meta.db_table} u ON u.id = m.user_id
         WHERE (r.rn > %s AND r.rn <= %s) OR r.pinned
         ORDER BY r.parent_id NULLS FIRST, r.rn
    """  # noqa: S608 - table and column names from the models; values are parameters
    starvable = [str(GoalStatus.ACTIVE), activated_before]
    params = [
        *hidden.params,
        *starvable,
        organization.pk,
        *anchors_params,
        *starvable,
        organization.pk,
        organization.pk,
        pinned_ids,
        gaps_only,
        pinned_ids,
        offset,
        offset + PAGE_SIZE,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    result = []
    for row in rows:
        goal, owner, user = _instances(
            row[14:],
            (Goal, _GOAL_COLUMNS),
            (Membership, _MEMBER_COLUMNS),
            (User, _USER_COLUMNS),
        )
        if owner is not None:
            owner.user = user
        goal.owner = owner
        ranked = _Ranked(id=row[0], parent_id=row[1], rn=row[2], total=row[3], pinned=row[4])
        rollup = Rollup(
            live_tasks=int(row[5]),
            live_effort=int(row[6]),
            done_effort=int(row[7]),
            stranded=int(row[8]),
            suspect=int(row[9]),
            outcomes=int(row[10]),
            progress_sum=int(row[11]),
            starved=int(row[12]),
            is_starved=bool(row[13]),
        )
        result.append((ranked, rollup, goal))
    return result


def goal_rollups(
    *, organization: Organization, membership: Membership, goals: Iterable[Goal], now: datetime
) -> dict[int, Rollup]:
    """Roll-ups of the given goals over their whole subtrees, by goal id. One query."""
    ids = [g.pk for g in goals]
    anchors = ("SELECT unnest(%s::bigint[])", [ids])
    rows = _rollups(
        organization,
        membership,
        anchors=anchors,
        gaps_only=False,
        pinned=ids,
        page=1,
        now=now,
    )
    return {ranked.id: rollup for ranked, rollup, _ in rows}


# The tree's nodes -----------------------------------------------------------------------------


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


def _slice(rows: list[Any], page: int, *, ranked_of: Any) -> Slice:
    """Rows of one parent and one kind (each with rn, total, pinned) as a Slice: on later pages
    pinned rows are left out, having been shown on the first."""
    if not rows:
        return Slice(items=[], total=0, page=page, remaining=0)
    end = page * PAGE_SIZE
    total = ranked_of(rows[0]).total
    pinned_beyond = sum(1 for r in rows if ranked_of(r).pinned and ranked_of(r).rn > end)
    items = rows if page == 1 else [r for r in rows if not ranked_of(r).pinned]
    return Slice(items=items, total=total, page=page, remaining=max(0, total - end - pinned_beyond))


def _row_rank(obj: Any) -> _Ranked:
    return _Ranked(id=obj.pk, parent_id=None, rn=obj.rn, total=obj.total, pinned=obj.is_pinned)


@dataclass(frozen=True)
class Pinned:
    """Nodes that must show whatever the page and the "gaps only" filter: a focused node and
    the path to it."""

    goals: frozenset[int] = frozenset()
    outcomes: frozenset[int] = frozenset()
    tasks: frozenset[int] = frozenset()


NOTHING_PINNED = Pinned()


# Live first, then newest: TASK_ORDER in SQL, as task_tree_order_idx holds each goal's tasks.
_LIVE_SQL = "(" + ", ".join(f"'{status}'" for status in LIVE_STATUSES) + ")"
_TASK_ORDER_SQL = f"(t.status NOT IN {_LIVE_SQL}), t.number DESC"
_TASK_RANK_SQL = f"(t.status NOT IN {_LIVE_SQL}), -t.number"


def _columns(model: Any, alias: str, names: tuple[str, ...] = ()) -> tuple[list[str], str]:
    """A model's concrete fields (or those named) as attribute names and SELECT columns."""
    fields = [f for f in model._meta.concrete_fields if not names or f.attname in names]
    return [f.attname for f in fields], ", ".join(f'{alias}."{f.column}"' for f in fields)


_TASK_COLUMNS = _columns(Task, "t")
_GOAL_COLUMNS = _columns(Goal, "g")
_OUTCOME_COLUMNS = _columns(Outcome, "o")
_MEMBER_COLUMNS = _columns(Membership, "m", ("id", "organization_id", "user_id", "role"))
_USER_COLUMNS = _columns(User, "u", ("id", "name", "email"))


def _instances(row: tuple, *columns: tuple[Any, tuple[list[str], str]]) -> list[Any]:
    """A row cut into model instances, one per (model, columns) in order; None where the row
    holds none (its id is empty)."""
    objs, at = [], 0
    for model, (names, _) in columns:
        values = row[at : at + len(names)]
        at += len(names)
        objs.append(model.from_db("default", names, values) if values[0] is not None else None)
    return objs


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
    offset = (page - 1) * PAGE_SIZE
    suspect = "COALESCE(pg.material_change_at > t.link_confirmed_at, false)"
    if parent_ids is None:
        parents = (
            f"(SELECT NULL::bigint AS goal_id) p"
            f" LEFT JOIN {COVERAGE} c ON c.organization_id = %s AND c.goal_id IS NULL"
        )
        parents_params: list[Any] = [organization.pk]
        own = "t.goal_id IS NULL"
        gap = f"t.status IN {_LIVE_SQL}"  # orphaned
        total = "COALESCE(c.live_tasks, 0)" if gaps_only else "COALESCE(c.tasks, 0)"
        pinned_parent = (
            f"LEFT JOIN {COVERAGE} c ON c.organization_id = t.organization_id AND c.goal_id IS NULL"
        )
        pinned_own, pinned_params = "t.goal_id IS NULL", []
    else:
        parents = (
            f"unnest(%s::bigint[]) AS p(goal_id) JOIN {GOAL} pg ON pg.id = p.goal_id"
            f" LEFT JOIN {COVERAGE} c ON c.goal_id = p.goal_id"
        )
        parents_params = [parent_ids]
        own = "t.goal_id = p.goal_id"
        # An open flag (selectors.TASK_FLAG_CONDITIONS): suspect, or stranded and not kept.
        gap = (
            f"t.status IN {_LIVE_SQL} AND ({suspect}"
            " OR (pg.status <> 'active' AND t.kept_reason = ''))"
        )
        # How many: the goal's stranded tasks (a suspect one of a goal that is not active is
        # stranded too) or, on an active goal, its suspect ones.
        total = (
            "CASE WHEN pg.status = 'active' THEN COALESCE(c.suspect, 0)"
            " ELSE COALESCE(c.stranded, 0) END"
            if gaps_only
            else "COALESCE(c.tasks, 0)"
        )
        pinned_parent = (
            f"JOIN {GOAL} pg ON pg.id = t.goal_id LEFT JOIN {COVERAGE} c ON c.goal_id = t.goal_id"
        )
        pinned_own, pinned_params = "t.goal_id = ANY(%s::bigint[])", [parent_ids]
    filtered = f" AND {gap}" if gaps_only else ""
    # Where a pinned task ranks: how many of its goal's tasks (those kept) come before it.
    rank2 = _TASK_RANK_SQL.replace("t.", "t2.")
    kept2 = f" AND (t2.id = t.id OR ({gap.replace('t.', 't2.')}))" if gaps_only else ""
    earlier = f"""
        SELECT count(*) FROM {TASK} t2
         WHERE t2.organization_id = t.organization_id
           AND t2.goal_id IS NOT DISTINCT FROM t.goal_id
           AND ({rank2}) <= ({_TASK_RANK_SQL}){kept2}
    """  # noqa: S608 - table and column names from the models
    columns = (
        (Task, _TASK_COLUMNS),
        (Goal, _GOAL_COLUMNS),
        (Outcome, _OUTCOME_COLUMNS),
        (Membership, _MEMBER_COLUMNS),
        (User, _USER_COLUMNS),
    )
    # Pinned tasks (a focused one) come along wherever they rank; without any, the statement
    # leaves them out, which spares its planning.
    with_pinned = f"""
            UNION ALL
            SELECT t.id, ({earlier}), {total}, true
              FROM {TASK} t {pinned_parent}
             WHERE t.organization_id = %s AND t.id = ANY(%s::bigint[]) AND {pinned_own}
    """  # noqa: S608 - table and column names from the models
    sql = f"""
        WITH ranked AS (
            SELECT x.id, x.rn, x.total, false AS pinned
              FROM {parents}
              CROSS JOIN LATERAL (
                  SELECT t.id, row_number() OVER (ORDER BY {_TASK_ORDER_SQL}) AS rn,
                         {total} AS total
                    FROM {TASK} t
                   WHERE t.organization_id = %s AND {own}{filtered}
                   ORDER BY {_TASK_ORDER_SQL}
                   LIMIT %s
              ) x
             WHERE x.rn > %s
            {with_pinned if pinned else ""}
        )
        SELECT {", ".join(cols for _, (_, cols) in columns)}, r.rn, r.total, r.pinned
          FROM (SELECT id, min(rn) AS rn, max(total) AS total, bool_or(pinned) AS pinned
                  FROM ranked GROUP BY id) r
          JOIN {TASK} t ON t.id = r.id
          LEFT JOIN {GOAL} g ON g.id = t.goal_id
          LEFT JOIN {OUTCOME} o ON o.id = t.outcome_id
          LEFT JOIN {Membership._meta.db_table} m ON m.id = t.assignee_id
          LEFT JOIN {User._meta.db_table} u ON u.id = m.user_id
         ORDER BY t.goal_id, r.rn
    """  # noqa: S608 - table and column names from the models; values are parameters
    params = [*parents_params, organization.pk, offset + PAGE_SIZE, offset]
    if pinned:
        params += [organization.pk, sorted(pinned), *pinned_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    tasks = []
    for row in rows:
        task, goal, outcome, member, user = _instances(row[:-3], *columns)
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
    offset = (page - 1) * PAGE_SIZE
    names, cols = _OUTCOME_COLUMNS
    only_pinned = " AND o.id = ANY(%s::bigint[])" if gaps_only else ""
    sql = f"""
        SELECT {cols}, x.rn, x.total, x.pinned,
               (SELECT count(*) FROM {TASK} t
                 WHERE t.outcome_id = o.id AND t.status IN {_LIVE_SQL}) AS live_tasks
          FROM (
            SELECT o.id, o.id = ANY(%s::bigint[]) AS pinned,
                   row_number() OVER (PARTITION BY o.goal_id ORDER BY o.number) AS rn,
                   count(*) OVER (PARTITION BY o.goal_id) AS total
              FROM {OUTCOME} o
             WHERE o.organization_id = %s AND o.goal_id = ANY(%s::bigint[]){only_pinned}
          ) x
          JOIN {OUTCOME} o ON o.id = x.id
         WHERE (x.rn > %s AND x.rn <= %s) OR x.pinned
         ORDER BY o.goal_id, x.rn
    """  # noqa: S608 - table and column names from the models; values are parameters
    params: list[Any] = [sorted(pinned), organization.pk, parent_ids]
    if gaps_only:
        params.append(sorted(pinned))
    params += [offset, offset + PAGE_SIZE]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    outcomes = []
    for row in rows:
        outcome = Outcome.from_db("default", names, row[: len(names)])
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
    visible = visible_goals(organization=organization, membership=membership)
    if kind in ("", "goals"):
        anchors = _compiled(visible.filter(parent_id__in=parent_ids).values("id"))
        rows = _rollups(
            organization,
            membership,
            anchors=anchors,
            gaps_only=gaps_only,
            pinned=pinned.goals,
            page=page,
            now=now,
        )
        by_parent: dict[int, list[tuple[_Ranked, Rollup, Goal]]] = {}
        for row in rows:
            by_parent.setdefault(row[0].parent_id, []).append(row)  # type: ignore[arg-type]
        for parent_id, parent_rows in by_parent.items():
            children = result[parent_id]
            page_slice = _slice(parent_rows, page, ranked_of=lambda r: r[0])
            page_slice.items = [
                GoalNode(goal=goal, rollup=rollup, level=children.level)
                for _, rollup, goal in page_slice.items
            ]
            children.goals = page_slice
    if kind in ("", "outcomes"):
        outcomes = _outcomes_page(
            organization,
            parent_ids=parent_ids,
            gaps_only=gaps_only,
            page=page,
            pinned=set(pinned.outcomes),
        )
        for parent_id, rows_of in _group(outcomes, "goal_id").items():
            result[parent_id].outcomes = _slice(rows_of, page, ranked_of=_row_rank)
    if kind in ("", "tasks"):
        tasks = _tasks_page(
            organization,
            parent_ids=parent_ids,
            gaps_only=gaps_only,
            page=page,
            pinned=set(pinned.tasks),
        )
        for parent_id, rows_of in _group(tasks, "goal_id").items():
            result[parent_id].tasks = _slice(rows_of, page, ranked_of=_row_rank)
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
        goal=None, level=2, tasks=_slice(rows, page, ranked_of=_row_rank), goalless=True
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


# Roots ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TraceFilters:
    """Which top-level goals are roots of the tree."""

    status: str = GoalStatus.ACTIVE
    owner: Membership | None = None
    period_start: date | None = None
    period_end: date | None = None
    gaps_only: bool = False


def _root_candidates(
    organization: Organization, membership: Membership, filters: TraceFilters
) -> QuerySet[Goal]:
    goals = visible_goals(organization=organization, membership=membership).filter(
        parent__isnull=True
    )
    if filters.status:
        goals = goals.filter(status=filters.status)
    if filters.owner is not None:
        goals = goals.filter(owner=filters.owner)
    # A period overlaps the goal's dates, as on the goal list: a goal without dates belongs to
    # no period; an open end overlaps every period on that side.
    if filters.period_start or filters.period_end:
        goals = goals.exclude(start_date__isnull=True, end_date__isnull=True)
    if filters.period_start:
        goals = goals.filter(Q(end_date__isnull=True) | Q(end_date__gte=filters.period_start))
    if filters.period_end:
        goals = goals.filter(Q(start_date__isnull=True) | Q(start_date__lte=filters.period_end))
    return goals


def trace_roots(
    *,
    organization: Organization,
    membership: Membership,
    filters: TraceFilters,
    page: int = 1,
    pinned_root: int | None = None,
    now: datetime,
) -> Slice:
    """One page of the tree's roots: the top-level goals the filters keep, by priority then
    number, each with its subtree's roll-up (a pinned root shows whatever the filters). One
    query."""
    candidates_sql, candidates_params = _compiled(
        _root_candidates(organization, membership, filters).values("id")
    )
    pinned = [pinned_root] if pinned_root else []
    anchors = (
        f"{candidates_sql} UNION SELECT unnest(%s::bigint[])",
        [*candidates_params, pinned],
    )
    rows = _rollups(
        organization,
        membership,
        anchors=anchors,
        gaps_only=filters.gaps_only,
        pinned=pinned,
        page=page,
        now=now,
    )
    # Only top-level goals are roots, the pinned one included.
    rows = [row for row in rows if row[0].parent_id is None]
    page_slice = _slice(rows, page, ranked_of=lambda r: r[0])
    page_slice.items = [
        GoalNode(goal=goal, rollup=rollup, level=1) for _, rollup, goal in page_slice.items
    ]
    return page_slice


# Focus: the path to one node ------------------------------------------------------------------

_KEY = re.compile(r"^\s*(?P<kind>[GOTgot])-(?P<number>[0-9]{1,9})\s*$")


@dataclass(frozen=True)
class Focus:
    """A node to show, and the goals from the root down to the goal holding it (the goal
    itself for a goal); an empty path for work without a goal."""

    key: str  # "T-345", "O-3" or "G-12"
    kind: str  # "task", "outcome" or "goal"
    node_id: int
    path: tuple[int, ...]

    @property
    def dom_id(self) -> str:
        return f"{self.key[0].lower()}-{self.key[2:]}"

    @property
    def pinned(self) -> Pinned:
        return Pinned(
            goals=frozenset(self.path),
            outcomes=frozenset([self.node_id]) if self.kind == "outcome" else frozenset(),
            tasks=frozenset([self.node_id]) if self.kind == "task" else frozenset(),
        )


def parse_key(key: str) -> tuple[str, int] | None:
    """("task", 345) for "T-345" (any case, spaces around allowed); None for anything else."""
    match = _KEY.match(key or "")
    if match is None:
        return None
    kind = {"G": "goal", "O": "outcome", "T": "task"}[match["kind"].upper()]
    return kind, int(match["number"])


def goal_path_ids(
    *, organization: Organization, membership: Membership, goal_id: int
) -> tuple[int, ...]:
    """Ids of the visible goals from the root down to `goal_id`; empty if it is not visible.
    One query."""
    hidden = Hidden.of(membership)
    sql = f"""
        WITH RECURSIVE {hidden.cte()}
        up(id, parent_id, depth) AS (
            SELECT g.id, g.parent_id, 0 FROM {GOAL} g
             WHERE g.organization_id = %s AND g.id = %s{hidden.excludes("g.id")}
            UNION ALL
            SELECT g.id, g.parent_id, up.depth + 1
              FROM {GOAL} g JOIN up ON g.id = up.parent_id AND g.organization_id = %s
             WHERE up.depth < {MAX_DEPTH}{hidden.excludes("g.id")}
        )
        SELECT id FROM up ORDER BY depth DESC
    """  # noqa: S608 - table names from the models; values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [*hidden.params, organization.pk, goal_id, organization.pk])
        return tuple(row[0] for row in cursor.fetchall())


def goal_with_path(
    *, organization: Organization, membership: Membership, number: int
) -> tuple[Goal, tuple[int, ...]] | None:
    """The goal with this number if `membership` may see it (owner loaded), and the ids of the
    goals from the root down to it (those above a visible goal are visible). One query."""
    hidden = Hidden.of(membership)
    sql = f"""
        WITH RECURSIVE {hidden.cte()}
        target AS (
            SELECT g.id FROM {GOAL} g
             WHERE g.organization_id = %s AND g.number = %s{hidden.excludes("g.id")}
        ),
        up(id, parent_id, depth) AS (
            SELECT g.id, g.parent_id, 0 FROM {GOAL} g JOIN target ON g.id = target.id
            UNION ALL
            SELECT g.id, g.parent_id, up.depth + 1
              FROM {GOAL} g JOIN up ON g.id = up.parent_id
             WHERE up.depth < {MAX_DEPTH}
        )
        SELECT {_GOAL_COLUMNS[1]}, {_MEMBER_COLUMNS[1]}, {_USER_COLUMNS[1]},
               ARRAY(SELECT id FROM up ORDER BY depth DESC)
          FROM {GOAL} g JOIN target ON g.id = target.id
          LEFT JOIN {Membership._meta.db_table} m ON m.id = g.owner_id
          LEFT JOIN {User._meta.db_table} u ON u.id = m.user_id
    """  # noqa: S608 - table and column names from the models; values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [*hidden.params, organization.pk, number])
        row = cursor.fetchone()
    if row is None:
        return None
    goal, owner, user = _instances(
        row[:-1], (Goal, _GOAL_COLUMNS), (Membership, _MEMBER_COLUMNS), (User, _USER_COLUMNS)
    )
    if owner is not None:
        owner.user = user
    goal.owner = owner
    return goal, tuple(row[-1])


def focus_resolve(*, organization: Organization, membership: Membership, key: str) -> Focus | None:
    """The node named by `key` ("T-345", "O-3", "G-12") and the path down to it, if the member
    may see it; else None. Two queries."""
    parsed = parse_key(key)
    if parsed is None:
        return None
    kind, number = parsed
    model = {"goal": Goal, "outcome": Outcome, "task": Task}[kind]
    row = (
        model.objects.filter(organization=organization, number=number)
        .values("id", *(() if kind == "goal" else ("goal_id",)))
        .first()
    )
    if row is None:
        return None
    goal_id = row["id"] if kind == "goal" else row["goal_id"]
    canonical = f"{kind[0].upper()}-{number}"
    if goal_id is None:  # work without a goal: under the "No goal" root
        return Focus(key=canonical, kind=kind, node_id=row["id"], path=())
    path = goal_path_ids(organization=organization, membership=membership, goal_id=goal_id)
    if not path or path[-1] != goal_id:
        return None
    return Focus(key=canonical, kind=kind, node_id=row["id"], path=path)


@dataclass
class Tree:
    """The trace page: one page of roots, the "No goal" root, and the path to a focused node
    expanded."""

    roots: Slice  # of GoalNode
    goalless: Goalless | None  # on the first page only
    goalless_children: Children | None  # expanded when the focused task has no goal
    focus: Focus | None


def trace_tree(
    *,
    organization: Organization,
    membership: Membership,
    filters: TraceFilters,
    page: int = 1,
    focus: Focus | None = None,
    now: datetime,
) -> Tree:
    """The tree as the trace page opens it: roots with their roll-ups and, for a focused node,
    every goal on the path to it expanded (path pinned whatever the filters and the page) and
    the node marked `focused`. At most five queries, however deep the path."""
    pinned_root = focus.path[0] if focus and focus.path else None
    roots = trace_roots(
        organization=organization,
        membership=membership,
        filters=filters,
        page=page,
        pinned_root=pinned_root,
        now=now,
    )
    goalless = goalless_summary(organization=organization) if page == 1 else None
    if goalless is not None and filters.gaps_only and not goalless.orphaned:
        goalless = None  # work without a goal is a gap only while it is live
    goalless_open = None
    if focus is not None and not focus.path and page == 1:
        goalless_open = goalless_children(
            organization=organization, gaps_only=filters.gaps_only, pinned_task=focus.node_id
        )
        _mark_focused(goalless_open.tasks.items, focus.node_id)
    elif focus is not None and focus.path:
        children = goal_children(
            organization=organization,
            membership=membership,
            parent_levels={pk: level for level, pk in enumerate(focus.path, start=1)},
            gaps_only=filters.gaps_only,
            pinned=focus.pinned,
            now=now,
        )
        node = next((n for n in roots.items if n.goal.pk == focus.path[0]), None)
        for i, goal_id in enumerate(focus.path):
            if node is None:
                break
            node.children = children[goal_id]
            node.children.goal = node.goal
            if i + 1 < len(focus.path):
                node = next(
                    (n for n in node.children.goals.items if n.goal.pk == focus.path[i + 1]), None
                )
        if node is not None:
            if focus.kind == "goal":
                node.focused = True
            elif focus.kind == "outcome" and node.children:
                _mark_focused(node.children.outcomes.items, focus.node_id)
            elif node.children:
                _mark_focused(node.children.tasks.items, focus.node_id)
    return Tree(roots=roots, goalless=goalless, goalless_children=goalless_open, focus=focus)


def _mark_focused(objs: list[Any], pk: int) -> None:
    for obj in objs:
        obj.focused = obj.pk == pk


# The outcome page -----------------------------------------------------------------------------


def outcome_for_page(
    *, organization: Organization, membership: Membership, number: int
) -> Outcome | None:
    """The outcome with this number if its goal is visible; goal and owner loaded."""
    return (
        Outcome.objects.select_related("goal__owner__user")
        .filter(goal_visibility.visible_q(membership, "goal"))
        .filter(organization=organization, number=number)
        .first()
    )


def tasks_moving(*, outcome: Outcome, limit: int = PAGE_SIZE) -> tuple[list[Task], int]:
    """The tasks meant to move the outcome, live first then newest, at most `limit`; and how
    many there are. Assignee loaded; one query."""
    rows = list(
        Task.objects.filter(organization_id=outcome.organization_id, outcome=outcome)
        .select_related("assignee__user")
        .annotate(total=Window(Count("pk")))
        .order_by(*TASK_ORDER)[:limit]
    )
    return rows, (rows[0].total if rows else 0)


def tasks_credited(
    *, organization: Organization, membership: Membership, outcome: Outcome, limit: int = PAGE_SIZE
) -> list[Task]:
    """Tasks credited in the outcome's check-ins that the member may see (a task moved on since
    may sit elsewhere), most recently credited first, each with `credit_count` and
    `last_credited` (the check-in date); goal and assignee loaded. One query."""
    return list(
        Task.objects.filter(organization=organization, credits__check_in__outcome=outcome)
        .filter(goal_visibility.visible_q(membership, "goal"))
        .select_related("goal", "assignee__user")
        .annotate(credit_count=Count("credits"), last_credited=Max("credits__check_in__checked_on"))
        .order_by("-last_credited", "-number")[:limit]
    )


def check_in_series(*, outcome: Outcome, limit: int = 100) -> tuple[list[CheckIn], bool]:
    """The outcome's latest check-ins, oldest first (the value over time), authors loaded; and
    whether older ones were left out. One query."""
    rows = list(
        CheckIn.objects.filter(organization_id=outcome.organization_id, outcome=outcome)
        .select_related("author")
        .order_by("-checked_on", "-id")[: limit + 1]
    )
    return list(reversed(rows[:limit])), len(rows) > limit


# Exports --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MatrixRow:
    """One row of the traceability matrix: a task, or a goal with no work in its subtree."""

    path: tuple[tuple[str, str], ...]  # (key, title) from the root objective down to the goal
    goal_status: str
    outcome: str
    task_number: int | None
    task_title: str
    task_status: str
    assignee: str
    estimate: int | None

    @property
    def task_key(self) -> str:
        return f"T-{self.task_number}" if self.task_number is not None else ""


def _display_name(name: str | None, email: str | None) -> str:
    """User.display_name, from the columns."""
    if not email:
        return ""
    return name or email.split("@")[0]


def traceability_matrix(
    *, organization: Organization, membership: Membership
) -> Iterator[MatrixRow]:
    """Every task the member may see with its goal path from the root objective, plus a row
    for each goal with no task anywhere in its subtree; in tree order (siblings by priority
    then number, tasks by number), work without a goal last. Streamed from a server-side
    cursor, EXPORT_CHUNK rows at a time: memory stays flat however large the organization."""
    hidden = Hidden.of(membership)
    membership_table = Membership._meta.db_table
    user_table = Membership._meta.get_field("user").related_model._meta.db_table  # type: ignore[union-attr]
    sql = f"""
        WITH RECURSIVE {hidden.cte()}
        tree(id, depth, sort, keys, titles) AS (
            SELECT g.id, 0, ARRAY[g.priority, g.number], ARRAY['G-' || g.number],
                   ARRAY[g.title::text]
              FROM {GOAL} g
             WHERE g.organization_id = %s AND g.parent_id IS NULL{hidden.excludes("g.id")}
            UNION ALL
            SELECT g.id, t.depth + 1, t.sort || ARRAY[g.priority, g.number],
                   t.keys || ('G-' || g.number), t.titles || g.title::text
              FROM {GOAL} g JOIN tree t ON g.parent_id = t.id
             WHERE g.organization_id = %s AND t.depth < {MAX_DEPTH}{hidden.excludes("g.id")}
        ),
        -- Goals with a task (visible, as their goal is) in their subtree.
        covered(id) AS (
            SELECT c.goal_id FROM {COVERAGE} c
             WHERE c.organization_id = %s AND c.goal_id IS NOT NULL AND c.tasks > 0
                   {hidden.excludes("c.goal_id")}
            UNION
            SELECT g.parent_id FROM {GOAL} g JOIN covered c ON g.id = c.id
             WHERE g.organization_id = %s AND g.parent_id IS NOT NULL
        )
        SELECT tr.sort, tr.keys, tr.titles, g.status, o.number, o.title,
               t.number, t.title, t.status, u.name, u.email, t.estimate
          FROM tree tr
          JOIN {GOAL} g ON g.id = tr.id
          JOIN {TASK} t ON t.organization_id = %s AND t.goal_id = tr.id
          LEFT JOIN {OUTCOME} o ON o.id = t.outcome_id
          LEFT JOIN {membership_table} m ON m.id = t.assignee_id
          LEFT JOIN {user_table} u ON u.id = m.user_id
        UNION ALL
        SELECT tr.sort, tr.keys, tr.titles, g.status, NULL, NULL,
               NULL, NULL, NULL, NULL, NULL, NULL
          FROM tree tr JOIN {GOAL} g ON g.id = tr.id
         WHERE NOT EXISTS (SELECT 1 FROM covered c WHERE c.id = tr.id)
        UNION ALL
        SELECT NULL, NULL, NULL, NULL, NULL, NULL,
               t.number, t.title, t.status, u.name, u.email, t.estimate
          FROM {TASK} t
          LEFT JOIN {membership_table} m ON m.id = t.assignee_id
          LEFT JOIN {user_table} u ON u.id = m.user_id
         WHERE t.organization_id = %s AND t.goal_id IS NULL
        ORDER BY 1 NULLS LAST, 7 NULLS FIRST
    """  # noqa: S608 - table names from the models; values are parameters
    params = [
        *hidden.params,
        organization.pk,
        organization.pk,
        organization.pk,
        organization.pk,
        organization.pk,
        organization.pk,
    ]
    goal_status = dict(GoalStatus.choices)
    task_status = dict(TaskStatus.choices)
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(EXPORT_CHUNK):
            for (
                _sort,
                keys,
                titles,
                g_status,
                o_number,
                o_title,
                t_number,
                t_title,
                t_status,
                u_name,
                u_email,
                estimate,
            ) in rows:
                yield MatrixRow(
                    path=tuple(zip(keys or (), titles or (), strict=True)),
                    goal_status=goal_status.get(g_status, "") if g_status else "",
                    outcome=f"O-{o_number} {o_title}" if o_number is not None else "",
                    task_number=t_number,
                    task_title=t_title or "",
                    task_status=task_status.get(t_status, "") if t_status else "",
                    assignee=_display_name(u_name, u_email),
                    estimate=estimate,
                )


def _decimal(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")


def graph_nodes(*, organization: Organization, membership: Membership) -> Iterator[dict[str, Any]]:
    """The graph's nodes the member may see: goals, outcomes, tasks, as plain dicts, streamed
    EXPORT_CHUNK rows at a time."""
    visible = visible_goals(organization=organization, membership=membership)
    for goal in (
        visible.select_related("owner__user").order_by("number").iterator(chunk_size=EXPORT_CHUNK)
    ):
        yield {
            "id": goal.key,
            "type": "goal",
            "title": goal.title,
            "status": goal.status,
            "priority": goal.priority,
            "owner": goal.owner.user.display_name if goal.owner else None,
            "start_date": goal.start_date.isoformat() if goal.start_date else None,
            "end_date": goal.end_date.isoformat() if goal.end_date else None,
        }
    outcomes = Outcome.objects.filter(
        goal_visibility.visible_q(membership, "goal"), organization=organization
    )
    for outcome in outcomes.order_by("number").iterator(chunk_size=EXPORT_CHUNK):
        yield {
            "id": outcome.key,
            "type": "outcome",
            "title": outcome.title,
            "unit": outcome.unit,
            "direction": outcome.direction,
            "baseline": _decimal(outcome.baseline),
            "target": _decimal(outcome.target),
            "current": _decimal(outcome.current),
            "progress": outcome.progress,
            "due_date": outcome.due_date.isoformat() if outcome.due_date else None,
        }
    for task in (
        _visible_tasks(organization, membership)
        .select_related("assignee__user")
        .order_by("number")
        .iterator(chunk_size=EXPORT_CHUNK)
    ):
        yield {
            "id": task.key,
            "type": "task",
            "title": task.title,
            "status": task.status,
            "assignee": task.assignee.user.display_name if task.assignee else None,
            "estimate": task.estimate,
            "due_date": task.due_date.isoformat() if task.due_date else None,
        }


def _visible_tasks(organization: Organization, membership: Membership) -> QuerySet[Task]:
    return Task.objects.filter(
        goal_visibility.visible_q(membership, "goal"), organization=organization
    )


def graph_edges(*, organization: Organization, membership: Membership) -> Iterator[dict[str, str]]:
    """The graph's edges between visible nodes: a sub-goal is `part_of` its parent, an outcome
    `measures` its goal, a task `serves` its goal and `moves` its outcome. Streamed."""
    visible = visible_goals(organization=organization, membership=membership)
    # A visible goal's parent is visible (what lies under a hidden goal is hidden).
    sub_goals = visible.filter(parent__isnull=False).order_by("number")
    for number, parent in sub_goals.values_list("number", "parent__number").iterator(
        chunk_size=EXPORT_CHUNK
    ):
        yield {"source": f"G-{number}", "target": f"G-{parent}", "kind": "part_of"}
    outcomes = Outcome.objects.filter(
        goal_visibility.visible_q(membership, "goal"), organization=organization
    )
    for number, goal in (
        outcomes.order_by("number")
        .values_list("number", "goal__number")
        .iterator(chunk_size=EXPORT_CHUNK)
    ):
        yield {"source": f"O-{number}", "target": f"G-{goal}", "kind": "measures"}
    linked = _visible_tasks(organization, membership).filter(goal__isnull=False)
    linked = linked.order_by("number")
    for number, goal, outcome in linked.values_list(
        "number", "goal__number", "outcome__number"
    ).iterator(chunk_size=EXPORT_CHUNK):
        yield {"source": f"T-{number}", "target": f"G-{goal}", "kind": "serves"}
        if outcome is not None:
            yield {"source": f"T-{number}", "target": f"O-{outcome}", "kind": "moves"}
