"""What a change to a goal (or to one of its outcomes' targets) would do to the work and the
goals around it, before it is made: which live tasks become stranded or suspect, which kept
tasks lose their keep, and which goals become starved, now or once their grace period ends.

The prediction applies work.gaps' rules to the goal as it would be after the change (its
status, its parent, its last material change, when it became active), with the materiality
rule goals.services.goal_update applies, so it says what the flags and the coverage figures
will say once the change is made. Over what the member may see (`Hidden`), like the coverage
dashboard: hidden work covers nothing for them, and no hidden goal or task is listed.

A goal leaving `active` can starve the goals above it: its live work is stranded then, and
stranded work covers nothing (work.gaps.covers_sql). Moving a goal to another parent takes its
work away from the old parent's subtree too.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection

from goals import services as goal_services
from goals.models import Goal, GoalStatus, Outcome
from vindaris.tenancy.models import Membership, Organization
from work import gaps
from work.models import Task

from ..clock import local_now
from ..models import GoalCoverage
from .hidden import Hidden

GOAL, TASK, COVERAGE = Goal._meta.db_table, Task._meta.db_table, GoalCoverage._meta.db_table

# The tasks listed by name; the others are counted ("and 12 more").
IMPACT_TASKS_SHOWN = 20


@dataclass(frozen=True)
class Work:
    """A number of live tasks and their effort points."""

    tasks: int = 0
    effort: int = 0

    def __bool__(self) -> bool:
        return self.tasks > 0


@dataclass(frozen=True)
class ImpactTask:
    """One live task of the goal and what the change does to it."""

    number: int
    title: str
    estimate: int
    stranded: bool  # newly stranded: its goal leaves `active`
    unkept: bool  # kept on a stranded goal until now; stranded again, its goal changed
    suspect: bool  # its link becomes suspect

    @property
    def key(self) -> str:
        return f"T-{self.number}"


@dataclass(frozen=True)
class ImpactGoal:
    """A goal whose starved state the change moves. `starved_at` is when it becomes starved:
    None for at once (its grace period is over), else the end of its grace period."""

    number: int
    title: str
    starved_at: datetime | None = None
    starved_on: date | None = None  # `starved_at` as the organization's date

    @property
    def key(self) -> str:
        return f"G-{self.number}"


@dataclass(frozen=True)
class ChangeImpact:
    """What a change to `goal` would do. `tasks` lists the first IMPACT_TASKS_SHOWN affected
    tasks (newly stranded, unkept or newly suspect) by number; `affected` counts them all."""

    goal: Goal
    leaves_active: bool = False
    stranded: Work = field(default_factory=Work)
    unkept: Work = field(default_factory=Work)
    suspect: Work = field(default_factory=Work)
    unstranded: Work = field(default_factory=Work)  # stranded until now: the goal is active again
    affected: int = 0
    tasks: tuple[ImpactTask, ...] = ()
    starved: tuple[ImpactGoal, ...] = ()  # become starved, at once or on a date
    relieved: tuple[ImpactGoal, ...] = ()  # starved until now, no longer

    @property
    def more(self) -> int:
        """The affected tasks not listed."""
        return self.affected - len(self.tasks)

    @property
    def starved_elsewhere(self) -> tuple[ImpactGoal, ...]:
        """The goals other than this one that become starved."""
        return tuple(g for g in self.starved if g.number != self.goal.number)

    @property
    def consequential(self) -> bool:
        """Worth a look before saving: live tasks become stranded or suspect or lose their
        keep, or another goal becomes starved. What the change does to the goal alone (no
        longer starved, or starved in a while once made active) does not ask for it."""
        return bool(self.stranded or self.unkept or self.suspect or self.starved_elsewhere)

    def signature(self) -> tuple[Any, ...]:
        """What the preview showed, to tell whether it still holds when confirmed."""
        return (
            self.stranded,
            self.unkept,
            self.suspect,
            tuple(t.number for t in self.tasks),
            self.affected,
            tuple((g.number, g.starved_at) for g in self.starved),
            tuple(g.number for g in self.relieved),
        )


def _tasks_sql(hidden: Hidden) -> str:
    """The goal's live tasks, each judged by work.gaps' rules against the goal as it is (`g`)
    and as it would be (`n`): its status and its last material change. Totals of each kind
    and the first %(shown)s affected tasks, in one row."""
    return f"""
        WITH RECURSIVE {hidden.cte()}
        now_goal AS MATERIALIZED (
            SELECT g.id, g.status, g.material_change_at FROM {GOAL} g
             WHERE g.organization_id = %(org)s AND g.id = %(goal)s{hidden.excludes("g.id")}
        ),
        next_goal AS (
            SELECT g.id, %(status)s::varchar AS status,
                   CASE WHEN %(material)s THEN %(now)s::timestamptz
                        ELSE g.material_change_at END AS material_change_at
              FROM now_goal g
        ),
        judged AS MATERIALIZED (
            SELECT t.number, t.title, t.estimate,
                   NOT {gaps.stranded_sql("t", "g")} AND {gaps.stranded_sql("t", "n")}
                       AS stranded,
                   {gaps.kept_sql("t", "g")} AND {gaps.stranded_open_sql("t", "n")} AS unkept,
                   NOT {gaps.suspect_sql("t", "g")} AND {gaps.suspect_sql("t", "n")} AS suspect,
                   {gaps.stranded_sql("t", "g")} AND NOT {gaps.stranded_sql("t", "n")}
                       AS unstranded
              FROM {TASK} t
              JOIN now_goal g ON g.id = t.goal_id
              JOIN next_goal n ON n.id = t.goal_id
             WHERE t.organization_id = %(org)s AND t.goal_id = %(goal)s AND {gaps.live_sql("t")}
        )
        SELECT count(*) FILTER (WHERE stranded),
               COALESCE(sum(estimate) FILTER (WHERE stranded), 0),
               count(*) FILTER (WHERE unkept), COALESCE(sum(estimate) FILTER (WHERE unkept), 0),
               count(*) FILTER (WHERE suspect), COALESCE(sum(estimate) FILTER (WHERE suspect), 0),
               count(*) FILTER (WHERE unstranded),
               COALESCE(sum(estimate) FILTER (WHERE unstranded), 0),
               count(*) FILTER (WHERE stranded OR unkept OR suspect),
               (SELECT json_agg(json_build_array(a.number, a.title, a.estimate, a.stranded,
                                                 a.unkept, a.suspect) ORDER BY a.number)
                  FROM (SELECT * FROM judged WHERE stranded OR unkept OR suspect
                         ORDER BY number LIMIT %(shown)s) a)
          FROM judged
    """  # noqa: S608 - table names from the models, conditions from work.gaps


def _starved_sql(hidden: Hidden) -> str:
    """Every goal the member may see whose starved state the change moves, judged by work.gaps'
    rule against the tree as it is (`g`) and as it would be (`n`: the goal's status, parent and
    activation). A goal is covered when live work sits on it or anywhere below it: one walk up
    from the goals with live work (their coverage rows), in each tree."""
    return f"""
        WITH RECURSIVE {hidden.cte()}
        now_goal AS MATERIALIZED (
            SELECT g.id, g.number, g.title, g.parent_id, g.status, g.activated_at, g.created_at
              FROM {GOAL} g
             WHERE g.organization_id = %(org)s{hidden.excludes("g.id")}
        ),
        next_goal AS MATERIALIZED (
            SELECT g.id,
                   CASE WHEN g.id = %(goal)s THEN %(parent)s::bigint
                        ELSE g.parent_id END AS parent_id,
                   CASE WHEN g.id = %(goal)s THEN %(status)s::varchar
                        ELSE g.status END AS status,
                   CASE WHEN g.id = %(goal)s THEN %(activated_at)s::timestamptz
                        ELSE g.activated_at END AS activated_at,
                   g.created_at
              FROM now_goal g
        ),
        working(id) AS MATERIALIZED (
            SELECT c.goal_id FROM {COVERAGE} c
             WHERE c.organization_id = %(org)s AND c.goal_id IS NOT NULL AND c.live_tasks > 0
        ),
        covered_now(id) AS (
            SELECT g.id FROM now_goal g JOIN working w ON w.id = g.id
             WHERE {gaps.active_goal_sql("g")}
            UNION
            SELECT g.parent_id FROM now_goal g JOIN covered_now c ON c.id = g.id
             WHERE g.parent_id IS NOT NULL
        ),
        covered_next(id) AS (
            SELECT n.id FROM next_goal n JOIN working w ON w.id = n.id
             WHERE {gaps.active_goal_sql("n")}
            UNION
            SELECT n.parent_id FROM next_goal n JOIN covered_next c ON c.id = n.id
             WHERE n.parent_id IS NOT NULL
        ),
        judged AS (
            SELECT g.number, g.title, COALESCE(n.activated_at, n.created_at) AS since,
                   {gaps.active_goal_sql("g")}
                       AND NOT EXISTS (SELECT 1 FROM covered_now c WHERE c.id = g.id) AS bare_now,
                   {gaps.active_goal_sql("n")}
                       AND NOT EXISTS (SELECT 1 FROM covered_next c WHERE c.id = n.id)
                       AS bare_next,
                   {gaps.starvable_sql("g")} AS starvable_now,
                   {gaps.starvable_sql("n")} AS starvable_next
              FROM now_goal g JOIN next_goal n ON n.id = g.id
        )
        SELECT number, title, since, bare_now AND starvable_now, bare_next AND starvable_next,
               bare_now, bare_next
          FROM judged
         WHERE (bare_now AND starvable_now) <> (bare_next AND starvable_next)
            OR (bare_next AND NOT bare_now)
         ORDER BY number
    """  # noqa: S608 - table names from the models, conditions from work.gaps


def _work(count: Any, effort: Any) -> Work:
    return Work(tasks=int(count), effort=int(effort))


def _impact(
    *,
    organization: Organization,
    viewer: Membership | None,
    goal: Goal,
    now: datetime,
    material: bool,
    status: str,
    parent_id: int | None,
    activated_at: datetime | None,
) -> ChangeImpact:
    hidden = Hidden.of(viewer)
    params = {
        **hidden.params,
        "org": organization.pk,
        "goal": goal.pk,
        "status": status,
        "material": material,
        "now": now,
        "shown": IMPACT_TASKS_SHOWN,
        "parent": parent_id,
        "activated_at": activated_at,
        "starved_before": gaps.starved_before(organization=organization, now=now),
    }
    found: dict[str, Any] = {}
    with connection.cursor() as cursor:
        if material or status != goal.status:
            cursor.execute(_tasks_sql(hidden), params)
            row = cursor.fetchone()
            found = {
                "stranded": _work(row[0], row[1]),
                "unkept": _work(row[2], row[3]),
                "suspect": _work(row[4], row[5]),
                "unstranded": _work(row[6], row[7]),
                "affected": int(row[8]),
                "tasks": tuple(ImpactTask(*t) for t in row[9] or ()),
            }
        if status != goal.status or parent_id != goal.parent_id:
            cursor.execute(_starved_sql(hidden), params)
            rows = cursor.fetchall()
            grace = timedelta(days=organization.starved_grace_days)
            starved, relieved = [], []
            for number, title, since, starved_now, starved_next, bare_now, bare_next in rows:
                if starved_next and not starved_now:
                    starved.append(ImpactGoal(number, title))
                elif bare_next and not bare_now and not starved_next:
                    # The grace period counts the organization's days (work.gaps.starved_before).
                    at = local_now(organization, since) + grace
                    starved.append(ImpactGoal(number, title, at, at.date()))
                elif starved_now and not starved_next:
                    relieved.append(ImpactGoal(number, title))
            found |= {"starved": tuple(starved), "relieved": tuple(relieved)}
    return ChangeImpact(
        goal=goal,
        leaves_active=goal.status == GoalStatus.ACTIVE and status != GoalStatus.ACTIVE,
        **found,
    )


def goal_change_impact(
    *,
    organization: Organization,
    viewer: Membership | None,
    goal: Goal,
    changes: Mapping[str, Any],
    now: datetime,
) -> ChangeImpact:
    """What goals.services.goal_update(goal=goal, **changes) would do if made at `now`, as
    `viewer` sees it: the goal's live tasks that become stranded, lose their keep or become
    suspect (totals, and the first IMPACT_TASKS_SHOWN by number) and the goals that become
    starved or stop being starved. At most two queries whatever the number of tasks and goals:
    none when nothing that matters to the work changes, one for the tasks when the change is
    material, one for the starved goals when the status or the parent changes."""
    status = str(changes.get("status", goal.status))
    parent_id = goal.parent_id
    if "parent" in changes:
        parent_id = changes["parent"].pk if changes["parent"] is not None else None
    proposed = Goal(
        priority=changes.get("priority", goal.priority),
        status=status,
        title=changes.get("title", goal.title),
    )
    old = {"priority": goal.priority, "status": goal.status, "title": goal.title}
    # The rule goal_update applies, not a copy of it.
    material = bool(goal_services.material_change_reason(proposed, old))
    activated_at = goal.activated_at
    if status == GoalStatus.ACTIVE and goal.status != GoalStatus.ACTIVE:
        activated_at = now
    return _impact(
        organization=organization,
        viewer=viewer,
        goal=goal,
        now=now,
        material=material,
        status=status,
        parent_id=parent_id,
        activated_at=activated_at,
    )


def outcome_change_impact(
    *,
    organization: Organization,
    viewer: Membership | None,
    outcome: Outcome,
    changes: Mapping[str, Any],
    now: datetime,
) -> ChangeImpact:
    """What goals.services.outcome_update(outcome=outcome, **changes) would do if made at
    `now`: a changed target is a material change of the outcome's goal, so its live tasks'
    links become suspect (and its kept tasks lose their keep). One query when the target
    changes, none otherwise."""
    goal = outcome.goal
    return _impact(
        organization=organization,
        viewer=viewer,
        goal=goal,
        now=now,
        material="target" in changes and changes["target"] != outcome.target,
        status=goal.status,
        parent_id=goal.parent_id,
        activated_at=goal.activated_at,
    )
