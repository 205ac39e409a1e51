"""The gap rules, written once: what "live", "orphaned", "stranded", "kept", "suspect" and
"starved" mean.

Each rule is given three ways, all built here from the status enums and nowhere else:
- a `Q` on Task querysets (lists, filters, counts through the ORM);
- an SQL fragment over a task alias and its goal's alias (raw SQL, set-based jobs, and the
  coverage triggers' functions, which traceability's migrations build from these fragments and
  a test holds equal to them);
- a predicate on a loaded task (the model's properties, templates).

The fragments hold no values but the status constants: anything else is a named parameter
(`%(starved_before)s`). A fragment reads its goal through a LEFT JOIN: a missing goal (a task
with no goal) makes every goal condition false, never NULL.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models import F, Q

from goals.models import GoalStatus
from vindaris.tenancy.zones import days_before

if TYPE_CHECKING:
    from goals.models import Goal
    from vindaris.tenancy.models import Organization


class TaskStatus(models.TextChoices):
    TODO = "todo", "To do"
    IN_PROGRESS = "in_progress", "In progress"
    BLOCKED = "blocked", "Blocked"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


class TaskGap(models.TextChoices):
    """The gaps a task can be in. Kept is not a gap but a decision: stranded work someone chose
    to keep, until its goal changes again; it holds no stranded flag."""

    ORPHANED = "orphaned", "Orphaned"
    STRANDED = "stranded", "Stranded"
    KEPT = "kept", "Kept"
    SUSPECT = "suspect", "Suspect"


LIVE_STATUSES = (TaskStatus.TODO, TaskStatus.IN_PROGRESS, TaskStatus.BLOCKED)


def _sql_list(values: tuple[str, ...]) -> str:
    # Constants of the enums above (letters and underscores): safe to inline.
    if not all(v.replace("_", "").isalpha() for v in values):
        raise ValueError(f"not an enum constant: {values}")
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


LIVE_SQL_LIST = _sql_list(tuple(str(s) for s in LIVE_STATUSES))
_ACTIVE = f"'{GoalStatus.ACTIVE.value}'"


# The ORM's conditions on Task rows -------------------------------------------------------------

LIVE = Q(status__in=LIVE_STATUSES)
ORPHANED = LIVE & Q(goal__isnull=True)
STRANDED = LIVE & Q(goal__isnull=False) & ~Q(goal__status=GoalStatus.ACTIVE)
SUSPECT = LIVE & Q(goal__material_change_at__gt=F("link_confirmed_at"))
KEPT = STRANDED & ~Q(kept_reason="") & ~SUSPECT
# Stranded work that holds an open flag: stranded and not kept.
STRANDED_OPEN = STRANDED & ~KEPT

# What each task gap's filter means (the work list's `gap` filter, the queues). "Stranded"
# means one thing everywhere: stranded and not kept; kept work is counted apart, as kept.
TASK_GAP_Q: dict[str, Q] = {
    TaskGap.ORPHANED: ORPHANED,
    TaskGap.STRANDED: STRANDED_OPEN,
    TaskGap.KEPT: KEPT,
    TaskGap.SUSPECT: SUSPECT,
}
# The task conditions that hold an open flag of each kind (the reconciler, coverage figures).
FLAGGED_TASK_Q: dict[str, Q] = {
    TaskGap.ORPHANED: ORPHANED,
    TaskGap.STRANDED: STRANDED_OPEN,
    TaskGap.SUSPECT: SUSPECT,
}


# The same rules in SQL, over a task alias `t` and its (LEFT JOINed) goal alias `g` ----------


def live_sql(t: str = "t") -> str:
    return f"{t}.status IN {LIVE_SQL_LIST}"


def orphaned_sql(t: str = "t") -> str:
    return f"({live_sql(t)} AND {t}.goal_id IS NULL)"


def active_goal_sql(g: str = "g") -> str:
    """The goal is active (the only status whose goal counts as pursued)."""
    return f"{g}.status = {_ACTIVE}"


def inactive_goal_sql(g: str = "g") -> str:
    """The goal is there and not active (false without a goal)."""
    return f"COALESCE({g}.status <> {_ACTIVE}, false)"


def suspect_link_sql(t: str = "t", g: str = "g") -> str:
    """The goal changed materially since the task's link was confirmed (whatever the task's
    status)."""
    return f"COALESCE({g}.material_change_at > {t}.link_confirmed_at, false)"


def kept_choice_sql(t: str = "t", g: str = "g") -> str:
    """Someone wrote why the work goes on, and the goal has not changed since."""
    return f"({t}.kept_reason <> '' AND NOT {suspect_link_sql(t, g)})"


def stranded_sql(t: str = "t", g: str = "g") -> str:
    """Live work under a goal that is not active, kept or not."""
    return f"({live_sql(t)} AND {t}.goal_id IS NOT NULL AND {inactive_goal_sql(g)})"


def stranded_open_sql(t: str = "t", g: str = "g") -> str:
    """Stranded and not kept: holds an open stranded flag."""
    return f"({stranded_sql(t, g)} AND NOT {kept_choice_sql(t, g)})"


def kept_sql(t: str = "t", g: str = "g") -> str:
    return f"({stranded_sql(t, g)} AND {kept_choice_sql(t, g)})"


def suspect_sql(t: str = "t", g: str = "g") -> str:
    return f"({live_sql(t)} AND {suspect_link_sql(t, g)})"


FLAGGED_TASK_SQL = {
    TaskGap.ORPHANED: orphaned_sql,
    TaskGap.STRANDED: stranded_open_sql,
    TaskGap.SUSPECT: suspect_sql,
}


# Starved goals: active past the grace period, with no live task on an active goal anywhere in
# their subtree (work under a goal that is not active is stranded: it covers nothing above it).
# The subtree walk is the caller's (it depends on what else the statement reads); the goal's
# own side of the rule, and what covers a goal, are here.


def covers_sql(g: str, live_tasks: str) -> str:
    """The goal `g`, with `live_tasks` live tasks of its own, covers itself and every goal
    above it (none of them is starved): it is active and has live work."""
    return f"({active_goal_sql(g)} AND COALESCE({live_tasks}, 0) > 0)"


def starved_before(*, organization: Organization, now: datetime) -> datetime:
    """Goals active since before this moment are past their grace period: the grace days are
    the organization's days, so a goal activated at 12:00 on its clock is starved from 12:00
    that many days later on the same clock, daylight-saving changes included."""
    return days_before(organization, now, organization.starved_grace_days)


def starvable_sql(g: str = "g", *, before: str = "%(starved_before)s") -> str:
    """An active goal past its grace period: starved if nothing live sits in its subtree.
    `before` names the parameter holding `starved_before()`."""
    return f"({active_goal_sql(g)} AND COALESCE({g}.activated_at, {g}.created_at) <= {before})"


def starvable_q(*, before: datetime) -> Q:
    return Q(status=GoalStatus.ACTIVE) & (
        Q(activated_at__lte=before) | Q(activated_at__isnull=True, created_at__lte=before)
    )


# Predicates on one loaded task (and its loaded goal) ----------------------------------------


def is_live(status: str) -> bool:
    return status in LIVE_STATUSES


def is_orphaned(task: Any) -> bool:
    return is_live(task.status) and task.goal_id is None


def _link_is_suspect(task: Any, goal: Goal) -> bool:
    return goal.material_change_at is not None and goal.material_change_at > task.link_confirmed_at


def is_stranded(task: Any) -> bool:
    """Needs `task.goal` loaded."""
    goal = task.goal
    return is_live(task.status) and goal is not None and goal.status != GoalStatus.ACTIVE


def is_suspect(task: Any) -> bool:
    """Needs `task.goal` loaded."""
    goal = task.goal
    return is_live(task.status) and goal is not None and _link_is_suspect(task, goal)


def is_kept(task: Any) -> bool:
    """Needs `task.goal` loaded."""
    return is_stranded(task) and bool(task.kept_reason) and not _link_is_suspect(task, task.goal)
