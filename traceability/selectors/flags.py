"""The gaps behind the flags, as the reconciler reads them, and the open flags themselves.

Every condition is work.gaps': the persisted flags, the work list filters, the coverage rows
and the counts on goal pages all mean the same thing by "orphaned", "stranded", "suspect" and
"starved".
"""

from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet

from goals.models import Goal
from vindaris.tenancy.models import Organization
from work import gaps
from work.models import Task

from ..models import OPEN, Flag, FlagKind

GOAL, TASK = Goal._meta.db_table, Task._meta.db_table

# The task conditions that hold an open flag. A kept stranded task (someone wrote why the
# work continues) is a decision, not a gap: it holds no stranded flag until its goal changes.
TASK_FLAG_CONDITIONS: dict[str, Q] = gaps.FLAGGED_TASK_Q

# Task events that explain why a flag of each kind closed (see services.flags_reconcile).
RESOLVING_EVENTS: dict[str, tuple[str, ...]] = {
    FlagKind.ORPHANED: ("moved",),
    FlagKind.STRANDED: ("moved", "kept"),
    FlagKind.SUSPECT: ("moved", "kept", "confirmed"),
}


def task_gaps_sql() -> str:
    """SQL selecting (id, goal_id, orphaned, stranded, suspect, covers) for every live task of
    the organization `%(org)s`, in one pass: each of the three gaps is the work.gaps condition
    that holds an open flag of that kind; `covers`: its goal is active, so the task keeps the
    goal and those above it from being starved."""
    return f"""
        SELECT t.id, t.goal_id, {gaps.orphaned_sql("t")} AS {FlagKind.ORPHANED},
               {gaps.stranded_open_sql("t", "g")} AS {FlagKind.STRANDED},
               {gaps.suspect_sql("t", "g")} AS {FlagKind.SUSPECT},
               COALESCE({gaps.active_goal_sql("g")}, false) AS covers
          FROM {TASK} t
          LEFT JOIN {GOAL} g ON g.organization_id = t.organization_id AND g.id = t.goal_id
         WHERE t.organization_id = %(org)s AND {gaps.live_sql("t")}
    """  # noqa: S608 - table names from the models, conditions from work.gaps


def starved_goals_sql(*, live_tasks: str | None = None) -> str:
    """SQL selecting (goal_id) of the starved goals of the organization `%(org)s`: past their
    grace period (`%(starved_before)s`, work.gaps.starved_before) with no live task on an
    active goal anywhere in their subtree. `live_tasks` names a relation of the enclosing
    statement holding the `goal_id` and `covers` of each of the organization's live tasks (the
    reconciler's one pass over them, task_gaps_sql); without it the tasks are read here.

    Active goals with live work of their own, and all their ancestors, are "covered"; one
    recursive walk up the tree finds them, however many goals and tasks there are."""
    if live_tasks is None:
        seed = f"""
            SELECT t.goal_id FROM {TASK} t
              JOIN {GOAL} g ON g.organization_id = t.organization_id AND g.id = t.goal_id
             WHERE t.organization_id = %(org)s AND {gaps.live_sql("t")}
               AND {gaps.active_goal_sql("g")}"""  # noqa: S608 - table names from the models
    else:
        seed = f"SELECT l.goal_id FROM {live_tasks} l WHERE l.goal_id IS NOT NULL AND l.covers"  # noqa: S608 - a CTE name from the caller
    return f"""
        WITH RECURSIVE covered(id) AS (
            {seed}
            UNION
            SELECT g.parent_id FROM {GOAL} g JOIN covered c ON g.id = c.id
             WHERE g.organization_id = %(org)s AND g.parent_id IS NOT NULL
        )
        SELECT g.id AS goal_id FROM {GOAL} g
         WHERE g.organization_id = %(org)s AND {gaps.starvable_sql("g")}
           AND NOT EXISTS (SELECT 1 FROM covered c WHERE c.id = g.id)
    """  # noqa: S608 - table names from the models


def starved_goals_params(*, organization: Organization, now: datetime) -> dict[str, Any]:
    """The parameters of `starved_goals_sql`."""
    return {
        "org": organization.pk,
        "starved_before": gaps.starved_before(organization=organization, now=now),
    }


def starved_goal_ids(*, organization: Organization, now: datetime) -> set[int]:
    """Ids of the organization's starved goals, computed from the data (one query)."""
    with connection.cursor() as cursor:
        cursor.execute(
            starved_goals_sql(), starved_goals_params(organization=organization, now=now)
        )
        return {row[0] for row in cursor.fetchall()}


def open_flags(*, organization: Organization) -> QuerySet[Flag]:
    """The organization's open flags; each flag's task (with goal and assignee) or goal loaded."""
    return (
        Flag.objects.filter(OPEN, organization=organization)
        .select_related("task__goal", "task__assignee", "goal")
        .order_by("kind", "-raised_at", "id")
    )
