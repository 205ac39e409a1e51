"""Every read of tasks and their history, and the pickers' searches. Gap conditions are
expressed once, as Q objects, so lists, counts and (later) set-based jobs agree on what
"orphaned", "stranded" and "suspect" mean."""

import re
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import (
    Case,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.expressions import RawSQL

from goals import selectors as goal_selectors
from goals.models import Goal, GoalStatus, Outcome
from goals.visibility import sees_everything, visible_q
from vindaris.tenancy.models import Membership, Organization

from .gaps import LIVE, LIVE_SQL_LIST, TASK_GAP_Q, TaskGap
from .models import CheckInCredit, Task, TaskEvent, TaskStatus

# The work list's gap filters (the rules are work.gaps').
GAPS = {str(k): TASK_GAP_Q[k] for k in TaskGap}

PAGE_SIZE = 50


def task_get(*, organization: Organization, number: int, viewer: Membership | None) -> Task | None:
    """The organization's task with this number; goal, outcome, assignee and creator loaded.
    None also when its goal is hidden from `viewer` (one query, whoever asks)."""
    return (
        Task.objects.select_related("goal", "outcome", "assignee__user", "created_by")
        .filter(visible_q(viewer, "goal"), organization=organization, number=number)
        .first()
    )


@dataclass(frozen=True)
class GoalCounts:
    live_tasks: int
    live_effort: int
    done_tasks: int
    done_effort: int
    suspect: int
    stranded: int  # live work holding a stranded flag: when the goal is not active, not kept
    kept: int  # stranded work someone chose to keep, counted apart
    # live tasks aimed at each of the goal's outcomes (by outcome id; those with none left out)
    live_by_outcome: dict[int, int] = field(default_factory=dict)

    @property
    def done_share(self) -> int:
        total = self.live_effort + self.done_effort
        return round(100 * self.done_effort / total) if total else 0


_LIVE_SQL = LIVE_SQL_LIST


# A goal's live work by outcome (outcome NULL: aimed at none), counted from
# task_org_goal_live_idx alone; its done work, from task_org_goal_done_idx alone; and the goal's
# status, read with them so the counts never go by a stale copy. Two short index scans, where
# grouping all of its tasks by status would read every one.
_GOAL_COUNTS = f"""
    SELECT 'live', outcome_id, count(estimate), sum(estimate),
           count(estimate) FILTER (WHERE link_confirmed_at < (
               SELECT material_change_at FROM {Goal._meta.db_table}
                WHERE organization_id = %(org)s AND id = %(goal)s)),
           NULL,
           count(estimate) FILTER (WHERE kept_reason <> '' AND NOT COALESCE(link_confirmed_at < (
               SELECT material_change_at FROM {Goal._meta.db_table}
                WHERE organization_id = %(org)s AND id = %(goal)s), false))
      FROM {Task._meta.db_table}
     WHERE organization_id = %(org)s AND goal_id = %(goal)s AND status IN {_LIVE_SQL}
     GROUP BY outcome_id
    UNION ALL
    SELECT 'done', NULL, count(estimate), COALESCE(sum(estimate), 0), 0, NULL, 0
      FROM {Task._meta.db_table}
     WHERE organization_id = %(org)s AND goal_id = %(goal)s AND status = %(done)s
    UNION ALL
    SELECT 'goal', NULL, 0, 0, 0, status, 0
      FROM {Goal._meta.db_table} WHERE organization_id = %(org)s AND id = %(goal)s
"""  # noqa: S608 - the table names and the live statuses are constants; values are parameters


def goal_counts(*, goal: Goal) -> GoalCounts:
    """Counts of the goal's own tasks, in one query. A member who sees the goal sees all of its
    own tasks."""
    params: dict[str, Any] = {
        "org": goal.organization_id,
        "goal": goal.pk,
        "done": TaskStatus.DONE,
    }
    with connection.cursor() as cursor:
        cursor.execute(_GOAL_COUNTS, params)
        rows = cursor.fetchall()
    live = [row for row in rows if row[0] == "live"]
    (_, _, done_tasks, done_effort, _, _, _) = next(row for row in rows if row[0] == "done")
    # (a goal deleted meanwhile has no row: it is not active)
    status = next((row[5] for row in rows if row[0] == "goal"), None)
    live_tasks = sum(row[2] for row in live)
    # STRANDED and KEPT: the goal's live work when the goal is not active, split by the
    # choice to keep it (work.gaps.kept_choice_sql)
    kept = 0 if status == GoalStatus.ACTIVE else sum(row[6] for row in live)
    return GoalCounts(
        live_tasks=live_tasks,
        live_effort=sum(row[3] for row in live),
        done_tasks=done_tasks,
        done_effort=done_effort,
        # SUSPECT, seen from the goal: live work linked before its last material change
        suspect=sum(row[4] for row in live),
        stranded=0 if status == GoalStatus.ACTIVE else live_tasks - kept,
        kept=kept,
        live_by_outcome={row[1]: row[2] for row in live if row[1] is not None},
    )


# The goal page's tasks: live first, then newest. Ordered by the expression of
# task_tree_order_idx (written as there), so the first page is read in index order and stops at
# `limit`, however many tasks the goal has.
_IS_CLOSED = RawSQL(f"{Task._meta.db_table}.status NOT IN {_LIVE_SQL}", [])  # noqa: S611


# What a task row shows (templates/work/_task_rows.html) and its flags and credit boxes need:
# reading and converting the rest (descriptions, timestamps, the assignee's password hash) costs
# more than the row.
_TASK_ROW_FIELDS = (
    "organization_id",
    "number",
    "title",
    "goal_id",
    "outcome_id",
    "status",
    "assignee_id",
    "estimate",
    "due_date",
    "link_confirmed_at",
    "kept_reason",
    "outcome__number",
    "outcome__title",
    "assignee__user__name",
    "assignee__user__email",
)


def tasks_of_goal(*, goal: Goal, limit: int = PAGE_SIZE) -> list[Task]:
    """The goal's tasks, live first then most recent, at most `limit`; outcome and assignee
    loaded, `goal` set. One query, whatever the number of tasks."""
    tasks = list(
        Task.objects.filter(organization_id=goal.organization_id, goal=goal)
        .select_related("outcome", "assignee__user")
        .only(*_TASK_ROW_FIELDS)
        .order_by(_IS_CLOSED.asc(), "-number")[:limit]
    )
    for task in tasks:
        task.goal = goal
    return tasks


# A sub-goal's own live work, counted from task_org_goal_live_idx alone (two correlated scans
# cost less to plan and to build than a join grouped by every column of the sub-goal).
_CHILD_LIVE_TASKS_OF = (
    f"FROM {Task._meta.db_table} t WHERE t.organization_id = {Goal._meta.db_table}.organization_id"
    f" AND t.goal_id = {Goal._meta.db_table}.id AND t.status IN {_LIVE_SQL}"
)
_CHILD_LIVE_TASKS = RawSQL(f"(SELECT count(estimate) {_CHILD_LIVE_TASKS_OF})", [])  # noqa: S611
_CHILD_LIVE_EFFORT = RawSQL(  # noqa: S611
    f"(SELECT COALESCE(sum(estimate), 0) {_CHILD_LIVE_TASKS_OF})", []
)


def children_with_counts(*, goal: Goal, viewer: Membership | None) -> QuerySet[Goal]:
    """Direct sub-goals that `viewer` may see, with their own live task count and live effort
    (one query)."""
    return (
        Goal.objects.filter(visible_q(viewer), organization_id=goal.organization_id, parent=goal)
        .select_related("owner__user")
        .annotate(live_tasks=_CHILD_LIVE_TASKS, live_effort=_CHILD_LIVE_EFFORT)
        .order_by("priority", "number")
    )


def outcomes_with_tasks(*, goal: Goal, counts: GoalCounts) -> list[Outcome]:
    """The goal's outcomes; each carries `.live_tasks` meant to move it, from the goal's
    `counts`. One query."""
    outcomes = list(goal_selectors.outcomes_of(goal=goal))
    for outcome in outcomes:
        outcome.live_tasks = counts.live_by_outcome.get(outcome.pk, 0)  # type: ignore[attr-defined]  # a figure carried on the instance for the template
    return outcomes


def _hidden_goal(field: str, viewer: Membership | None) -> Any:
    """True where the goal in `field` is one `viewer` may not see (never for those who see
    everything)."""
    if sees_everything(viewer):
        return Value(False)
    return Case(When(~visible_q(viewer, field), then=Value(True)), default=Value(False))


def task_history(*, task: Task, viewer: Membership | None) -> list[TaskEvent]:
    """The task's history, newest first, actor and goals loaded. A goal the task came from or
    went to that `viewer` may not see is left out (`from_goal`/`to_goal` None) and flagged
    (`from_goal_hidden`/`to_goal_hidden`). One query."""
    events: list[Any] = list(
        TaskEvent.objects.filter(organization_id=task.organization_id, task=task)
        .select_related("actor", "from_goal", "to_goal")
        .annotate(
            from_goal_hidden=_hidden_goal("from_goal", viewer),
            to_goal_hidden=_hidden_goal("to_goal", viewer),
        )
        .order_by("-created_at", "-id")
    )
    for event in events:
        if event.from_goal_hidden:
            event.from_goal = None
        if event.to_goal_hidden:
            event.to_goal = None
    return events


def credits_of_task(*, task: Task, viewer: Membership | None) -> QuerySet[CheckInCredit]:
    """Check-ins that credited the task, newest first, on outcomes `viewer` may see (the task
    may have moved away from a hidden goal since); check-in, outcome and author loaded."""
    return (
        CheckInCredit.objects.filter(
            visible_q(viewer, "check_in__outcome__goal"),
            organization_id=task.organization_id,
            task=task,
        )
        .select_related("check_in__outcome", "check_in__author")
        .order_by("-check_in__checked_on", "-check_in__id")
    )


@dataclass(frozen=True)
class WorkFilters:
    goal: Goal | None = None
    status: str = ""
    assignee: Membership | None = None
    gap: str = ""  # orphaned, stranded or suspect
    search: str = ""


def work_list(
    *,
    organization: Organization,
    viewer: Membership | None,
    filters: WorkFilters,
    before: int | None = None,
) -> tuple[list[Task], int | None]:
    """One page of the organization's tasks that `viewer` may see, newest first,
    keyset-paginated on the task number. Returns the page and the cursor of the next page (or
    None). One query."""
    qs = Task.objects.filter(visible_q(viewer, "goal"), organization=organization)
    if filters.goal is not None:
        qs = qs.filter(goal=filters.goal)
    if filters.status == "live":
        qs = qs.filter(LIVE)
    elif filters.status:
        qs = qs.filter(status=filters.status)
    if filters.assignee is not None:
        qs = qs.filter(assignee=filters.assignee)
    if filters.gap in GAPS:
        qs = qs.filter(GAPS[filters.gap])
    if filters.search:
        qs = qs.filter(title__icontains=filters.search)
    if before is not None:
        qs = qs.filter(number__lt=before)
    # The list shows each task's goal and assignee (not its outcome).
    page = list(qs.select_related("goal", "assignee__user").order_by("-number")[: PAGE_SIZE + 1])
    next_cursor = page[PAGE_SIZE - 1].number if len(page) > PAGE_SIZE else None
    return page[:PAGE_SIZE], next_cursor


def live_tasks_of_goal_choices(*, goal: Goal) -> QuerySet[Task]:
    """Tasks of a goal that a check-in may credit (the goal's own: visible with it)."""
    return Task.objects.filter(organization_id=goal.organization_id, goal=goal).order_by("-number")


# The pickers: a goal, an outcome or a member named by what a person types ------------------------

# "G-12", "g12", "12", or "G-12 Grow revenue" as the suggestions show it; the same for outcomes.
GOAL_KEY = re.compile(r"\s*(?:g-?\s*(\d{1,9})(?:\s.*)?|(\d{1,9}))\s*", re.IGNORECASE | re.DOTALL)
OUTCOME_KEY = re.compile(r"\s*(?:o-?\s*(\d{1,9})(?:\s.*)?|(\d{1,9}))\s*", re.IGNORECASE | re.DOTALL)
# "Ana Lopez <ana@acme.example>" as the suggestions show a member.
MEMBER_EMAIL = re.compile(r".*<\s*([^<>\s]+@[^<>\s]+)\s*>\s*", re.DOTALL)
PICK_SIZE = 20


def _key_number(pattern: re.Pattern[str], text: str) -> int | None:
    match = pattern.fullmatch(text or "")
    return int(match.group(1) or match.group(2)) if match else None


def goal_key_number(text: str) -> int | None:
    """The number a goal key names ("G-12 Grow revenue" → 12), or None when `text` is no key."""
    return _key_number(GOAL_KEY, text)


def goal_pick_choices(
    *, organization: Organization, viewer: Membership | None, active_only: bool = False
) -> QuerySet[Goal]:
    """The goals a picker offers: those `viewer` may see, the active ones only when asked."""
    if active_only:
        return goal_selectors.active_goal_choices(organization=organization, viewer=viewer)
    return goal_selectors.goal_choices(organization=organization, viewer=viewer)


def goal_search(*, goals: QuerySet[Goal], q: str = "", limit: int = PICK_SIZE) -> list[Goal]:
    """The first `limit` of `goals` whose key is `q` or whose title contains it; active before
    the rest, then by priority and number. One query."""
    q = (q or "").strip()
    if q:
        condition = Q(title__icontains=q)
        number = goal_key_number(q)
        if number is not None:
            condition |= Q(number=number)
        goals = goals.filter(condition)
    active_first = Case(When(status=GoalStatus.ACTIVE, then=Value(0)), default=Value(1))
    return list(goals.order_by(active_first, "priority", "number")[:limit])


def goal_find(*, goals: QuerySet[Goal], text: str) -> list[Goal]:
    """The goals of `goals` that `text` names: the one with its key, else those titled exactly
    `text` (case aside), at most two: enough to tell one from several. One query."""
    number = goal_key_number(text)
    if number is not None:
        return list(goals.filter(number=number)[:1])
    return list(goals.filter(title__iexact=(text or "").strip()).order_by("number")[:2])


def outcome_choices(*, organization: Organization, viewer: Membership | None) -> QuerySet[Outcome]:
    """The outcomes of the goals `viewer` may see, goal loaded, for moving work between goals."""
    return (
        Outcome.objects.filter(visible_q(viewer, "goal"), organization=organization)
        .select_related("goal")
        .order_by("goal__number", "number")
    )


def outcome_search(
    *, outcomes: QuerySet[Outcome], goal: Goal, q: str = "", limit: int = PICK_SIZE
) -> list[Outcome]:
    """The first `limit` outcomes of `goal` among `outcomes` whose key is `q` or whose title
    contains it. One query."""
    outcomes = outcomes.filter(goal=goal)
    q = (q or "").strip()
    if q:
        condition = Q(title__icontains=q)
        number = _key_number(OUTCOME_KEY, q)
        if number is not None:
            condition |= Q(number=number)
        outcomes = outcomes.filter(condition)
    return list(outcomes.order_by("number")[:limit])


def outcome_find(*, outcomes: QuerySet[Outcome], text: str) -> list[Outcome]:
    """The outcomes of `outcomes` that `text` names: by key, else by exact title (at most
    two). One query."""
    number = _key_number(OUTCOME_KEY, text)
    if number is not None:
        return list(outcomes.filter(number=number)[:1])
    return list(outcomes.filter(title__iexact=(text or "").strip()).order_by("number")[:2])


def assignee_choices(*, organization: Organization) -> QuerySet[Membership]:
    """The organization's members, users loaded, by name."""
    return (
        Membership.objects.filter(organization=organization)
        .select_related("user")
        .order_by("user__name", "user__email")
    )


def member_search(
    *, members: QuerySet[Membership], q: str = "", limit: int = PICK_SIZE
) -> list[Membership]:
    """The first `limit` of `members` whose name or email contains `q` (the email of a typed
    "Name <email>"), by name. One query."""
    q = (q or "").strip()
    match = MEMBER_EMAIL.fullmatch(q)
    if match:
        members = members.filter(user__email__iexact=match.group(1))
    elif q:
        members = members.filter(Q(user__name__icontains=q) | Q(user__email__icontains=q))
    return list(members[:limit])


def member_find(*, members: QuerySet[Membership], text: str) -> list[Membership]:
    """The members of `members` that `text` names: by email ("Name <email>" or the email
    alone), else by exact name (case aside), at most two. One query."""
    text = (text or "").strip()
    match = MEMBER_EMAIL.fullmatch(text)
    email = match.group(1) if match else text if "@" in text else ""
    if email:
        return list(members.filter(user__email__iexact=email)[:1])
    return list(members.filter(user__name__iexact=text)[:2])
