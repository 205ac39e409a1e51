"""A goal's health as every page shows it: its latest update's health, and whether the update
is stale under the organization's update cadence.

The cadence cuts time into cycles of `update_cadence_weeks` weeks, each starting at midnight of
the organization's `update_weekday` on its own clock (its time zone, daylight saving included).
An active goal is **stale** when it has had no update, and has not become active, since the
start of the previous cycle: a whole cycle went by without a word from its owner. Staleness
therefore changes only at cycle boundaries, at the same moment for every goal of the
organization. Goals that are not active are never stale.

Pages read the health in the query that already loads their goals: `latest_join` (a LATERAL
join, one index probe per goal on goalupdate_goal_recent_idx) and `columns` for hand-written
SQL, `annotate` for querysets; `of_goals` is one query for goals loaded some other way.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import connection
from django.db.models import OuterRef, QuerySet, Subquery

from goals.models import Goal, GoalStatus
from vindaris.tenancy.models import Organization
from vindaris.tenancy.zones import UTC, local_date, organization_tz

from .models import GoalUpdate, Health

UPDATE = GoalUpdate._meta.db_table
GOAL = Goal._meta.db_table

# Cycles of two or four weeks are counted from this Monday (plus the update weekday), so every
# organization with the same cadence and day shares the same cycles.
CYCLE_EPOCH = date(2024, 1, 1)


def cycle_start(organization: Organization, now: datetime) -> date:
    """The first day of the update cycle running at `now`, on the organization's calendar."""
    today = local_date(organization, now)
    start = today - timedelta(days=(today.weekday() - organization.update_weekday) % 7)
    weeks = max(1, organization.update_cadence_weeks)
    epoch = CYCLE_EPOCH + timedelta(days=organization.update_weekday)
    return start - timedelta(weeks=((start - epoch).days // 7) % weeks)


def midnight(organization: Organization, day: date) -> datetime:
    """The moment `day` begins on the organization's clock, in UTC."""
    return datetime.combine(day, time(0), tzinfo=organization_tz(organization)).astimezone(UTC)


def stale_before(organization: Organization, now: datetime) -> datetime:
    """An active goal neither updated nor activated since this moment is stale: the start of
    the previous update cycle."""
    previous = cycle_start(organization, now) - timedelta(
        weeks=max(1, organization.update_cadence_weeks)
    )
    return midnight(organization, previous)


@dataclass(frozen=True)
class GoalHealth:
    """A goal's latest update (its number, health and time; None without any) and whether it
    is stale."""

    health: str | None = None
    updated_at: datetime | None = None
    update_number: int | None = None
    stale: bool = False

    @property
    def label(self) -> str:
        return Health(self.health).label if self.health else "No update"

    @property
    def css(self) -> str:
        return self.health or "none"


NO_HEALTH = GoalHealth()


def is_stale(goal: Goal, updated_at: datetime | None, threshold: datetime) -> bool:
    """The same rule as `stale_sql`, for a goal already in hand."""
    if goal.status != GoalStatus.ACTIVE:
        return False
    moments = [m for m in (updated_at, goal.activated_at or goal.created_at) if m is not None]
    return not moments or max(moments) < threshold


# Hand-written SQL ---------------------------------------------------------------------------


def latest_join(g: str, alias: str = "lu") -> str:
    """LEFT JOIN LATERAL of the latest update of goal `g` (pinned to the goal's organization),
    as `alias`."""
    return f"""
        LEFT JOIN LATERAL (
            SELECT u.number, u.health, u.created_at FROM {UPDATE} u
             WHERE u.organization_id = {g}.organization_id AND u.goal_id = {g}.id
             ORDER BY u.created_at DESC, u.id DESC LIMIT 1
        ) {alias} ON true"""  # noqa: S608 - table name from the model


def stale_sql(g: str, alias: str = "lu", param: str = "%(stale_before)s") -> str:
    """Whether goal `g` with latest update `alias` is stale, given the threshold `param`."""
    return (
        f"({g}.status = '{GoalStatus.ACTIVE}' AND GREATEST({alias}.created_at, "
        f"COALESCE({g}.activated_at, {g}.created_at)) < {param})"
    )


def columns(g: str, alias: str = "lu", param: str = "%(stale_before)s") -> str:
    """The four columns `from_row` reads: number, health, time of the latest update, stale."""
    return f"{alias}.number, {alias}.health, {alias}.created_at, {stale_sql(g, alias, param)}"


def from_row(values: tuple[Any, ...] | list[Any]) -> GoalHealth:
    number, health, updated_at, stale = values
    return GoalHealth(health=health, updated_at=updated_at, update_number=number, stale=bool(stale))


# Querysets and goals in hand ------------------------------------------------------------------


def annotate(goals: QuerySet[Goal]) -> QuerySet[Goal]:
    """The goals with their latest update's number, health and time (`latest_update_*`), in
    the same query; `from_annotated` reads them."""
    latest = GoalUpdate.objects.filter(
        organization=OuterRef("organization"), goal=OuterRef("pk")
    ).order_by("-created_at", "-id")
    return goals.annotate(
        latest_update_number=Subquery(latest.values("number")[:1]),
        latest_update_health=Subquery(latest.values("health")[:1]),
        latest_update_at=Subquery(latest.values("created_at")[:1]),
    )


def from_annotated(goal: Goal, threshold: datetime) -> GoalHealth:
    updated_at = getattr(goal, "latest_update_at", None)
    return GoalHealth(
        health=getattr(goal, "latest_update_health", None),
        updated_at=updated_at,
        update_number=getattr(goal, "latest_update_number", None),
        stale=is_stale(goal, updated_at, threshold),
    )


def of_goals(
    *, organization: Organization, goal_ids: Iterable[int], now: datetime
) -> dict[int, GoalHealth]:
    """The health of these goals of the organization, by goal id. One query (none for no
    goals). The caller passes only goals its reader may see."""
    ids = sorted(set(goal_ids))
    if not ids:
        return {}
    sql = f"""
        SELECT g.id, {columns("g")}
          FROM {GOAL} g {latest_join("g")}
         WHERE g.organization_id = %(org)s AND g.id = ANY(%(ids)s::bigint[])
    """  # noqa: S608 - table names from the models; values are parameters
    params: dict[str, Any] = {
        "org": organization.pk,
        "ids": ids,
        "stale_before": stale_before(organization, now),
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0]: from_row(row[1:]) for row in cursor.fetchall()}
