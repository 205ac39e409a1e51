"""The trace page's tree: one page of roots with their roll-ups, and a focused node with the
path down to it expanded."""

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import connection

from goals.models import Goal, GoalStatus, Outcome
from vindaris.tenancy.models import Membership, Organization
from work.models import Task

from ..selectors import Hidden, goal_filter_sql
from .base import (
    GOAL,
    GOAL_COLUMNS,
    MAX_DEPTH,
    MEMBER_COLUMNS,
    MEMBERSHIP,
    USER,
    USER_COLUMNS,
    goal_with_owner,
)
from .children import (
    Children,
    Goalless,
    GoalNode,
    Pinned,
    Slice,
    goal_children,
    goalless_children,
    goalless_summary,
    page_slice,
)
from .rollups import rollups

# Roots ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TraceFilters:
    """Which top-level goals are roots of the tree."""

    status: str = GoalStatus.ACTIVE
    owner: Membership | None = None
    period_start: date | None = None
    period_end: date | None = None
    gaps_only: bool = False


def _root_condition(filters: TraceFilters) -> tuple[str, dict[str, Any]]:
    """The top-level goals `g` the filters keep: status, owner and a period overlapping the
    goal's dates, as on the goal list."""
    sql, params = goal_filter_sql(filters.owner, filters.period_start, filters.period_end)
    if filters.status:
        sql += " AND g.status = %(status)s"
        params["status"] = filters.status
    return f"g.parent_id IS NULL{sql}", params


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
    roots_sql, roots_params = _root_condition(filters)
    pinned = [pinned_root] if pinned_root else []
    rows = rollups(
        organization,
        membership,
        anchors=(
            f"({roots_sql}) OR g.id = ANY(%(pinned_root)s::bigint[])",
            {**roots_params, "pinned_root": pinned},
        ),
        gaps_only=filters.gaps_only,
        pinned=pinned,
        page=page,
        now=now,
    )
    # Only top-level goals are roots, the pinned one included.
    rows = [row for row in rows if row[0].parent_id is None]
    roots = page_slice(rows, page, ranked_of=lambda r: r[0])
    roots.items = [GoalNode(goal=goal, rollup=rollup, level=1) for _, rollup, goal in roots.items]
    return roots


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
             WHERE g.organization_id = %(org)s AND g.id = %(goal)s{hidden.excludes("g.id")}
            UNION ALL
            SELECT g.id, g.parent_id, up.depth + 1
              FROM {GOAL} g JOIN up ON g.id = up.parent_id AND g.organization_id = %(org)s
             WHERE up.depth < {MAX_DEPTH}{hidden.excludes("g.id")}
        )
        SELECT id FROM up ORDER BY depth DESC
    """  # noqa: S608 - table names from the models; values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, {**hidden.params, "org": organization.pk, "goal": goal_id})
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
             WHERE g.organization_id = %(org)s AND g.number = %(number)s
                   {hidden.excludes("g.id")}
        ),
        up(id, parent_id, depth) AS (
            SELECT g.id, g.parent_id, 0 FROM {GOAL} g JOIN target ON g.id = target.id
             WHERE g.organization_id = %(org)s
            UNION ALL
            SELECT g.id, g.parent_id, up.depth + 1
              FROM {GOAL} g JOIN up ON g.id = up.parent_id
             WHERE g.organization_id = %(org)s AND up.depth < {MAX_DEPTH}
        )
        SELECT {GOAL_COLUMNS[1]}, {MEMBER_COLUMNS[1]}, {USER_COLUMNS[1]},
               ARRAY(SELECT id FROM up ORDER BY depth DESC)
          FROM {GOAL} g JOIN target ON g.id = target.id
          LEFT JOIN {MEMBERSHIP} m ON m.id = g.owner_id
          LEFT JOIN {USER} u ON u.id = m.user_id
         WHERE g.organization_id = %(org)s
    """  # noqa: S608 - table and column names from the models; values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, {**hidden.params, "org": organization.pk, "number": number})
        row = cursor.fetchone()
    if row is None:
        return None
    return goal_with_owner(row[:-1]), tuple(row[-1])


def focus_resolve(*, organization: Organization, membership: Membership, key: str) -> Focus | None:
    """The node named by `key` ("T-345", "O-3", "G-12") and the path down to it, if the member
    may see it; else None. Two queries."""
    parsed = parse_key(key)
    if parsed is None:
        return None
    kind, number = parsed
    model: Any = {"goal": Goal, "outcome": Outcome, "task": Task}[kind]
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


# The tree -------------------------------------------------------------------------------------


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
