"""What every read of the trace shares: page sizes, table names, the tasks' order, and model
instances cut from the rows of hand-written SQL."""

from typing import Any

from django.db.models import Case, F, QuerySet, Value, When

from goals import visibility as goal_visibility
from goals.models import Goal, Outcome
from vindaris.tenancy.models import Membership, Organization, User
from work import gaps
from work.models import Task

from ..models import GoalCoverage

PAGE_SIZE = 50
# A guard against a cycle in the goal tree (the services never make one): no walk goes deeper.
MAX_DEPTH = 1000
# Rows fetched per round trip by the export streams.
EXPORT_CHUNK = 2000

GOAL, OUTCOME, TASK = Goal._meta.db_table, Outcome._meta.db_table, Task._meta.db_table
COVERAGE = GoalCoverage._meta.db_table
MEMBERSHIP, USER = Membership._meta.db_table, User._meta.db_table

# Live first, then newest: the order of tasks under a goal (as on the goal page).
TASK_ORDER = [Case(When(gaps.LIVE, then=Value(0)), default=Value(1)).asc(), F("number").desc()]


def closed_sql(t: str) -> str:
    """The task is not live: the leading expression of task_tree_order_idx, written as there."""
    return f"({t}.status NOT IN {gaps.LIVE_SQL_LIST})"


def task_order_sql(t: str) -> str:
    """TASK_ORDER in SQL, as task_tree_order_idx holds each goal's tasks."""
    return f"{closed_sql(t)}, {t}.number DESC"


def task_rank_sql(t: str) -> str:
    """The same order as one ascending row value, to count the tasks ranked before one."""
    return f"{closed_sql(t)}, -{t}.number"


def visible_goals(*, organization: Organization, membership: Membership) -> QuerySet[Goal]:
    """The goals `membership` may see (goals.visibility): the tree, the outcome page and the
    exports all start from it."""
    return goal_visibility.visible_goals(membership)


def _columns(model: Any, alias: str, names: tuple[str, ...] = ()) -> tuple[list[str], str]:
    """A model's concrete fields (or those named) as attribute names and SELECT columns."""
    fields = [f for f in model._meta.concrete_fields if not names or f.attname in names]
    return [f.attname for f in fields], ", ".join(f'{alias}."{f.column}"' for f in fields)


TASK_COLUMNS = _columns(Task, "t")
GOAL_COLUMNS = _columns(Goal, "g")
OUTCOME_COLUMNS = _columns(Outcome, "o")
MEMBER_COLUMNS = _columns(Membership, "m", ("id", "organization_id", "user_id", "role"))
USER_COLUMNS = _columns(User, "u", ("id", "name", "email"))


def instances(row: tuple, *columns: tuple[Any, tuple[list[str], str]]) -> list[Any]:
    """A row cut into model instances, one per (model, columns) in order; None where the row
    holds none (its id is empty)."""
    objs, at = [], 0
    for model, (names, _) in columns:
        values = row[at : at + len(names)]
        at += len(names)
        objs.append(model.from_db("default", names, values) if values[0] is not None else None)
    return objs


def goal_with_owner(row: tuple) -> Goal:
    """A goal and its owner (with user) cut from GOAL_COLUMNS, MEMBER_COLUMNS, USER_COLUMNS."""
    goal, owner, user = instances(
        row, (Goal, GOAL_COLUMNS), (Membership, MEMBER_COLUMNS), (User, USER_COLUMNS)
    )
    if owner is not None:
        owner.user = user
    goal.owner = owner
    return goal
