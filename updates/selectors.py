"""Every read of the updates app: a goal's updates (with their check-ins), one update, who is
told of a new one, and whose goals the reminder lists."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import connection
from django.db.models import QuerySet

from goals.models import CheckIn, Goal, GoalUserObjectPermission
from goals.visibility import CHANGE, VIEW, visible_q
from notifications.models import GoalFollow
from vindaris.lib.paging import NumberedPage
from vindaris.tenancy.models import Membership, Organization, Role, User

from . import health
from .models import GoalUpdate, GoalUpdateCheckIn, ReminderSent

UPDATES_PER_PAGE = 20
# The goal page shows the latest few; the rest are on the goal's update history.
RECENT_ON_GOAL_PAGE = 3

GOAL = Goal._meta.db_table
GRANT = GoalUserObjectPermission._meta.db_table
MEMBERSHIP = Membership._meta.db_table
USER = User._meta.db_table
FOLLOW = GoalFollow._meta.db_table
SENT = ReminderSent._meta.db_table


@dataclass
class UpdateRow:
    """An update as a page lists it, with the check-ins made with it."""

    update: GoalUpdate
    check_ins: list[CheckIn] = field(default_factory=list)


def update_get(
    *, organization: Organization, number: int, viewer: Membership | None
) -> GoalUpdate | None:
    """The organization's update with this number (goal, its owner and the author loaded), or
    None, also when `viewer` may not see its goal."""
    return (
        GoalUpdate.objects.select_related("goal__owner__user", "author")
        .filter(visible_q(viewer, "goal"), organization=organization, number=number)
        .first()
    )


def _with_check_ins(organization_id: int, updates: list[GoalUpdate]) -> list[UpdateRow]:
    """The updates with their check-ins (outcomes loaded): one query, none without updates."""
    rows = [UpdateRow(update=u) for u in updates]
    if not rows:
        return rows
    by_update: dict[int, list[CheckIn]] = defaultdict(list)
    links = (
        GoalUpdateCheckIn.objects.filter(
            organization_id=organization_id, update_id__in=[u.pk for u in updates]
        )
        .select_related("check_in__outcome")
        .order_by("check_in__outcome__number")
    )
    for link in links:
        by_update[link.update_id].append(link.check_in)
    for row in rows:
        row.check_ins = by_update.get(row.update.pk, [])
    return rows


def _of_goal(goal: Goal) -> QuerySet[GoalUpdate]:
    return (
        GoalUpdate.objects.filter(organization_id=goal.organization_id, goal=goal)
        .select_related("author")
        .order_by("-created_at", "-id")
    )


def recent_updates(*, goal: Goal, limit: int = RECENT_ON_GOAL_PAGE) -> tuple[list[UpdateRow], bool]:
    """The goal's latest updates with their check-ins, and whether there are more. Two
    queries (one without updates)."""
    updates = list(_of_goal(goal)[: limit + 1])
    return _with_check_ins(goal.organization_id, updates[:limit]), len(updates) > limit


@dataclass(frozen=True)
class GoalSection:
    """The goal page's "Updates" section: the goal's health, its latest updates, whether there
    are more, and whether the reader may post one."""

    health: health.GoalHealth
    rows: list[UpdateRow]
    more: bool
    can_post: bool


def goal_section(
    *, organization: Organization, goal: Goal, member: Membership, can_change: bool, now: datetime
) -> GoalSection:
    """The section of a goal the member may see: two queries (one without updates); the
    health comes from the latest update itself."""
    rows, more = recent_updates(goal=goal)
    latest = rows[0].update if rows else None
    updated_at = latest.created_at if latest else None
    return GoalSection(
        health=health.GoalHealth(
            health=latest.health if latest else None,
            updated_at=updated_at,
            update_number=latest.number if latest else None,
            stale=health.is_stale(goal, updated_at, health.stale_before(organization, now)),
        ),
        rows=rows,
        more=more,
        can_post=member.can_plan and can_change,
    )


@dataclass(frozen=True)
class UpdatePage(NumberedPage):
    rows: list[UpdateRow]


def updates_page(*, goal: Goal, page: int = 1, per_page: int = UPDATES_PER_PAGE) -> UpdatePage:
    """One page of the goal's updates, newest first, with their check-ins. Three queries."""
    updates = _of_goal(goal)
    total = updates.count()
    number = min(max(1, page), max(1, -(-total // per_page)))
    chunk = list(updates[(number - 1) * per_page : number * per_page])
    return UpdatePage(
        rows=_with_check_ins(goal.organization_id, chunk),
        total=total,
        number=number,
        per_page=per_page,
    )


def update_row(*, update: GoalUpdate) -> UpdateRow:
    """One update with its check-ins: one query."""
    return _with_check_ins(update.organization_id, [update])[0]


# Who may see a goal, for a set of members, in one statement -----------------------------------

# `m` sees goal `{goal}` unless some confidential goal on its path up (itself included) is
# neither owned by `m` nor granted to it; admins and leads see every goal. `up` is a CTE of
# (goal_id, id): each goal and every ancestor of it.
_SEES = f"""
    (m.role IN ('{Role.ADMIN}', '{Role.LEAD}') OR NOT EXISTS (
        SELECT 1 FROM up JOIN {GOAL} a ON a.organization_id = %(org)s AND a.id = up.id
         WHERE up.goal_id = {{goal}} AND a.confidential AND a.owner_id IS DISTINCT FROM m.id
           AND NOT EXISTS (
               SELECT 1 FROM {GRANT} gp JOIN auth_permission p ON p.id = gp.permission_id
                WHERE gp.organization_id = %(org)s AND gp.content_object_id = a.id
                  AND gp.user_id = m.user_id AND p.codename IN ('{VIEW}', '{CHANGE}'))))
"""  # noqa: S608 - table names from the models

# Each goal of `{start}` (a set of ids) and its ancestors, up to the root.
_UP = f"""
    up(goal_id, id, depth) AS (
        SELECT s.id, s.id, 0 FROM {{start}} s
        UNION ALL
        SELECT up.goal_id, g.parent_id, up.depth + 1
          FROM up JOIN {GOAL} g ON g.organization_id = %(org)s AND g.id = up.id
         WHERE g.parent_id IS NOT NULL AND up.depth < 1000
    )
"""  # noqa: S608 - table names from the models


def update_audience(*, organization: Organization, goal: Goal) -> list[int]:
    """The members told of a new update on `goal`: its owner and its followers, those who may
    see it and are active users. One query."""
    sql = f"""
        WITH RECURSIVE start(id) AS (SELECT %(goal)s::bigint),
        {_UP.format(start="start")}
        SELECT m.id FROM {MEMBERSHIP} m JOIN {USER} u ON u.id = m.user_id AND u.is_active
         WHERE m.organization_id = %(org)s
           AND (m.id = %(owner)s OR EXISTS (
                SELECT 1 FROM {FOLLOW} f
                 WHERE f.organization_id = %(org)s AND f.goal_id = %(goal)s
                   AND f.member_id = m.id))
           AND {_SEES.format(goal="%(goal)s")}
         ORDER BY m.id
    """  # noqa: S608 - table names from the models; values are parameters
    params = {"org": organization.pk, "goal": goal.pk, "owner": goal.owner_id}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


# The reminder ---------------------------------------------------------------------------------


def membership_for_unsubscribe(
    *, organization_slug: str, o: int, m: int, u: int
) -> Membership | None:
    """The membership a reminder's unsubscribe token names (organization `o`, membership `m`,
    user `u`), if it still exists in the organization of the URL; organization and user
    loaded. One query."""
    return (
        Membership.objects.filter(
            pk=m, organization_id=o, user_id=u, organization__slug=organization_slug
        )
        .select_related("organization", "user")
        .first()
    )


@dataclass(frozen=True)
class StaleGoal:
    number: int
    title: str
    health: health.GoalHealth

    @property
    def key(self) -> str:
        return f"G-{self.number}"


@dataclass(frozen=True)
class Reminder:
    """One owner's reminder: the member (user loaded) and their stale active goals."""

    membership: Membership
    goals: tuple[StaleGoal, ...]


def reminders_due(*, organization: Organization, period: date, now: datetime) -> list[Reminder]:
    """The reminders of update cycle `period` not sent yet: each owner (an active user who has
    not opted out) with the stale active goals they own and may see, by priority. Two queries
    whatever the number of owners and goals: the goals, then their owners."""
    sql = f"""
        WITH RECURSIVE stale AS (
            SELECT g.id, g.number, g.title, g.priority, g.owner_id,
                   lu.number AS update_number, lu.health, lu.created_at AS updated_at
              FROM {GOAL} g {health.latest_join("g")}
             WHERE g.organization_id = %(org)s AND g.owner_id IS NOT NULL
               AND {health.stale_sql("g")}
        ),
        {_UP.format(start="stale")}
        SELECT m.id, s.number, s.title, s.update_number, s.health, s.updated_at
          FROM stale s
          JOIN {MEMBERSHIP} m ON m.organization_id = %(org)s AND m.id = s.owner_id
          JOIN {USER} u ON u.id = m.user_id AND u.is_active
         WHERE NOT m.update_reminder_opt_out
           AND NOT EXISTS (
               SELECT 1 FROM {SENT} r
                WHERE r.organization_id = %(org)s AND r.membership_id = m.id
                  AND r.period = %(period)s)
           AND {_SEES.format(goal="s.id")}
         ORDER BY m.id, s.priority, s.number
    """  # noqa: S608 - table names from the models; values are parameters
    params: dict[str, Any] = {
        "org": organization.pk,
        "period": period,
        "stale_before": health.stale_before(organization, now),
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not rows:
        return []
    goals: dict[int, list[StaleGoal]] = defaultdict(list)
    for member_id, number, title, update_number, goal_health, updated_at in rows:
        goals[member_id].append(
            StaleGoal(
                number=number,
                title=title,
                health=health.GoalHealth(
                    health=goal_health,
                    updated_at=updated_at,
                    update_number=update_number,
                    stale=True,
                ),
            )
        )
    members = Membership.objects.select_related("user", "organization").filter(
        organization=organization, pk__in=list(goals)
    )
    return [
        Reminder(membership=m, goals=tuple(goals[m.pk]))
        for m in sorted(members, key=lambda m: m.pk)
    ]


# The digest -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActiveGoalHealth:
    """An active goal as the digest tells of its health."""

    id: int
    number: int
    title: str
    owner_id: int | None
    health: health.GoalHealth
    hidden_from: frozenset[int] = frozenset()  # the audiences that may not see it

    @property
    def key(self) -> str:
        return f"G-{self.number}"


def active_goals_health(
    *,
    organization: Organization,
    now: datetime,
    hidden: tuple[str, dict[str, Any]] | None = None,
) -> list[ActiveGoalHealth]:
    """Every active goal of the organization with its health, by priority then number, and
    the audiences it is hidden from: `hidden` is SQL selecting (audience, goal id) pairs with
    its named parameters (`%(org)s` the organization). One query; the caller narrows the list
    to what each reader may see."""
    hidden_sql, hidden_params = hidden or ("SELECT NULL::int, NULL::bigint WHERE false", {})
    sql = f"""
        WITH concealed(audience, goal_id) AS ({hidden_sql})
        SELECT g.id, g.number, g.title, g.owner_id, {health.columns("g")},
               ARRAY(SELECT c.audience FROM concealed c WHERE c.goal_id = g.id)
          FROM {GOAL} g {health.latest_join("g")}
         WHERE g.organization_id = %(org)s AND g.status = 'active'
         ORDER BY g.priority, g.number
    """  # noqa: S608 - table names from the models; values are parameters
    params: dict[str, Any] = {
        **hidden_params,
        "org": organization.pk,
        "stale_before": health.stale_before(organization, now),
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [
            ActiveGoalHealth(
                id=row[0],
                number=row[1],
                title=row[2],
                owner_id=row[3],
                health=health.from_row(row[4:8]),
                hidden_from=frozenset(row[8]),
            )
            for row in cursor.fetchall()
        ]
