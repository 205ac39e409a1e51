"""The trace's exports: the traceability matrix (a row per task with its goal path) and the
graph of goals, outcomes and tasks, streamed whatever the size of the organization. Both hold
everything a re-import needs (imports.readers.vindaris reads them back): every visible goal and
outcome with its own fields, every task with its links."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
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
    """One row of the traceability matrix: a task, an outcome no task aims at, or a goal with
    no task of its own. Every row but a goalless task's carries its goal's fields, and every
    row naming an outcome carries the outcome's: with the goal and outcome rows, every visible
    goal and outcome is in the matrix with all it needs to be imported again."""

    path: tuple[tuple[str, str], ...]  # (key, title) from the root objective down to the goal
    goal_status: str
    outcome: str
    task_number: int | None
    task_title: str
    task_status: str
    assignee: str
    estimate: int | None
    goal_priority: int | None = None
    goal_owner_email: str = ""
    goal_start: date | None = None
    goal_end: date | None = None
    goal_confidential: bool | None = None
    outcome_unit: str = ""
    outcome_baseline: Decimal | None = None
    outcome_target: Decimal | None = None
    outcome_current: Decimal | None = None
    outcome_direction: str = ""
    outcome_due: date | None = None
    assignee_email: str = ""
    task_due: date | None = None

    @property
    def task_key(self) -> str:
        return f"T-{self.task_number}" if self.task_number is not None else ""


def _display_name(name: str | None, email: str | None) -> str:
    """User.display_name, from the columns."""
    if not email:
        return ""
    return name or email.split("@")[0]


# The matrix's kinds of row, in their order under a goal.
_GOAL_ROW, _OUTCOME_ROW, _TASK_ROW = 0, 1, 2


def traceability_matrix(
    *, organization: Organization, membership: Membership
) -> Iterator[MatrixRow]:
    """Every task the member may see with its goal path from the root objective, plus a row
    for each goal with no task of its own and for each outcome no task aims at; in tree order
    (siblings by priority then number; under a goal its own row, its outcomes' rows by number,
    its tasks by number), work without a goal last. Streamed from a server-side cursor,
    EXPORT_CHUNK rows at a time: memory stays flat however large the organization."""
    hidden = Hidden.of(membership)
    goal_columns = "gr.sort, gr.keys, gr.titles, gr.status, gr.priority, gr.owner_email, "
    goal_columns += "gr.start_date, gr.end_date, gr.confidential"
    no_goal = "NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL"
    outcome_columns = "o.number, o.title, o.unit, o.baseline, o.target, o.current, "
    outcome_columns += "o.direction, o.due_date"
    # Typed: the first arms of the UNION set its columns' types.
    no_outcome = "NULL::int, NULL::text, NULL::text, NULL::numeric, NULL::numeric, "
    no_outcome += "NULL::numeric, NULL::text, NULL::date"
    task_columns = "t.number, t.title, t.status, u.name, u.email, t.estimate, t.due_date"
    no_task = "NULL::int, NULL::text, NULL::text, NULL::text, NULL::text, NULL::int, NULL::date"
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
        goal_row AS (
            SELECT tr.id, tr.sort, tr.keys, tr.titles, g.status, g.priority,
                   ou.email AS owner_email, g.start_date, g.end_date, g.confidential
              FROM tree tr
              JOIN {GOAL} g ON g.organization_id = %(org)s AND g.id = tr.id
              LEFT JOIN {MEMBERSHIP} om ON om.id = g.owner_id
              LEFT JOIN {USER} ou ON ou.id = om.user_id
        )
        SELECT {_GOAL_ROW}, 0, {goal_columns}, {no_outcome}, {no_task}
          FROM goal_row gr
         WHERE NOT EXISTS (
               SELECT 1 FROM {TASK} t WHERE t.organization_id = %(org)s AND t.goal_id = gr.id)
        UNION ALL
        SELECT {_OUTCOME_ROW}, o.number, {goal_columns}, {outcome_columns}, {no_task}
          FROM goal_row gr
          JOIN {OUTCOME} o ON o.organization_id = %(org)s AND o.goal_id = gr.id
         WHERE NOT EXISTS (
               SELECT 1 FROM {TASK} t
                WHERE t.organization_id = o.organization_id AND t.outcome_id = o.id)
        UNION ALL
        SELECT {_TASK_ROW}, t.number, {goal_columns}, {outcome_columns}, {task_columns}
          FROM goal_row gr
          JOIN {TASK} t ON t.organization_id = %(org)s AND t.goal_id = gr.id
          LEFT JOIN {OUTCOME} o
            ON o.organization_id = t.organization_id AND o.id = t.outcome_id
          LEFT JOIN {MEMBERSHIP} m ON m.id = t.assignee_id
          LEFT JOIN {USER} u ON u.id = m.user_id
        UNION ALL
        SELECT {_TASK_ROW}, t.number, {no_goal}, {no_outcome}, {task_columns}
          FROM {TASK} t
          LEFT JOIN {MEMBERSHIP} m ON m.id = t.assignee_id
          LEFT JOIN {USER} u ON u.id = m.user_id
         WHERE t.organization_id = %(org)s AND t.goal_id IS NULL
        ORDER BY 3 NULLS LAST, 1, 2
    """  # noqa: S608 - table names from the models; values are parameters
    params = {**hidden.params, "org": organization.pk}
    goal_status = dict(GoalStatus.choices)
    task_status = dict(TaskStatus.choices)
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(EXPORT_CHUNK):
            for (
                _kind,
                _order,
                _sort,
                keys,
                titles,
                g_status,
                g_priority,
                g_owner_email,
                g_start,
                g_end,
                g_confidential,
                o_number,
                o_title,
                o_unit,
                o_baseline,
                o_target,
                o_current,
                o_direction,
                o_due,
                t_number,
                t_title,
                t_status,
                u_name,
                u_email,
                estimate,
                t_due,
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
                    goal_priority=g_priority,
                    goal_owner_email=g_owner_email or "",
                    goal_start=g_start,
                    goal_end=g_end,
                    goal_confidential=g_confidential,
                    outcome_unit=o_unit or "",
                    outcome_baseline=o_baseline,
                    outcome_target=o_target,
                    outcome_current=o_current,
                    outcome_direction=o_direction or "",
                    outcome_due=o_due,
                    assignee_email=u_email or "",
                    task_due=t_due,
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
    EXPORT_CHUNK rows at a time. Owners and assignees by name for people and by email for a
    re-import; descriptions whole."""
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
            "owner_email": goal.owner.user.email if goal.owner else None,
            "confidential": goal.confidential,
            "description": goal.description,
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
            "assignee_email": task.assignee.user.email if task.assignee else None,
            "description": task.description,
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
