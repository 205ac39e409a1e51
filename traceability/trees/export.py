"""The trace's exports: the traceability matrix (a row per task with its goal path) and the
graph of goals, outcomes and tasks, streamed whatever the size of the organization."""

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import QuerySet

from goals import visibility as goal_visibility
from goals.models import GoalStatus, Outcome
from vindaris.tenancy.models import Membership, Organization
from work.models import Task, TaskStatus

from ..selectors import Hidden
from .base import (
    COVERAGE,
    EXPORT_CHUNK,
    GOAL,
    MAX_DEPTH,
    MEMBERSHIP,
    OUTCOME,
    TASK,
    USER,
    visible_goals,
)


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
    sql = f"""
        WITH RECURSIVE {hidden.cte()}
        tree(id, depth, sort, keys, titles) AS (
            SELECT g.id, 0, ARRAY[g.priority, g.number], ARRAY['G-' || g.number],
                   ARRAY[g.title::text]
              FROM {GOAL} g
             WHERE g.organization_id = %(org)s AND g.parent_id IS NULL{hidden.excludes("g.id")}
            UNION ALL
            SELECT g.id, t.depth + 1, t.sort || ARRAY[g.priority, g.number],
                   t.keys || ('G-' || g.number), t.titles || g.title::text
              FROM {GOAL} g JOIN tree t ON g.parent_id = t.id
             WHERE g.organization_id = %(org)s AND t.depth < {MAX_DEPTH}{hidden.excludes("g.id")}
        ),
        -- Goals with a task (visible, as their goal is) in their subtree.
        covered(id) AS (
            SELECT c.goal_id FROM {COVERAGE} c
             WHERE c.organization_id = %(org)s AND c.goal_id IS NOT NULL AND c.tasks > 0
                   {hidden.excludes("c.goal_id")}
            UNION
            SELECT g.parent_id FROM {GOAL} g JOIN covered c ON g.id = c.id
             WHERE g.organization_id = %(org)s AND g.parent_id IS NOT NULL
        )
        SELECT tr.sort, tr.keys, tr.titles, g.status, o.number, o.title,
               t.number, t.title, t.status, u.name, u.email, t.estimate
          FROM tree tr
          JOIN {GOAL} g ON g.organization_id = %(org)s AND g.id = tr.id
          JOIN {TASK} t ON t.organization_id = g.organization_id AND t.goal_id = g.id
          LEFT JOIN {OUTCOME} o
            ON o.organization_id = t.organization_id AND o.id = t.outcome_id
          LEFT JOIN {MEMBERSHIP} m ON m.id = t.assignee_id
          LEFT JOIN {USER} u ON u.id = m.user_id
        UNION ALL
        SELECT tr.sort, tr.keys, tr.titles, g.status, NULL, NULL,
               NULL, NULL, NULL, NULL, NULL, NULL
          FROM tree tr JOIN {GOAL} g ON g.organization_id = %(org)s AND g.id = tr.id
         WHERE NOT EXISTS (SELECT 1 FROM covered c WHERE c.id = tr.id)
        UNION ALL
        SELECT NULL, NULL, NULL, NULL, NULL, NULL,
               t.number, t.title, t.status, u.name, u.email, t.estimate
          FROM {TASK} t
          LEFT JOIN {MEMBERSHIP} m ON m.id = t.assignee_id
          LEFT JOIN {USER} u ON u.id = m.user_id
         WHERE t.organization_id = %(org)s AND t.goal_id IS NULL
        ORDER BY 1 NULLS LAST, 7 NULLS FIRST
    """  # noqa: S608 - table names from the models; values are parameters
    params = {**hidden.params, "org": organization.pk}
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


def _visible_outcomes(organization: Organization, membership: Membership) -> QuerySet[Outcome]:
    return Outcome.objects.filter(
        goal_visibility.visible_q(membership, "goal"), organization=organization
    )


def _visible_tasks(organization: Organization, membership: Membership) -> QuerySet[Task]:
    return Task.objects.filter(
        goal_visibility.visible_q(membership, "goal"), organization=organization
    )


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
    outcomes = _visible_outcomes(organization, membership)
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
    outcomes = _visible_outcomes(organization, membership)
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
