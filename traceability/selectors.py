"""Every read of flags, snapshots and the gap conditions behind them.

The task gaps come from work.selectors' Q objects, compiled to SQL, so the persisted flags, the
work list filters and the counts on goal pages all mean the same thing by "orphaned",
"stranded" and "suspect". Starved goals need the goal tree, so they are written in SQL here.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import connection
from django.db.models import Count, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from goals.models import Goal, GoalStatus
from vindaris.tenancy.models import Membership, Organization
from work.models import LIVE, LIVE_STATUSES, Task
from work.selectors import KEPT, ORPHANED, STRANDED, SUSPECT

from .models import OPEN, DigestSent, Flag, FlagKind, Snapshot

# The task conditions that hold an open flag. A kept stranded task (someone wrote why the
# work continues) is a decision, not a gap: it holds no stranded flag until its goal changes.
TASK_FLAG_CONDITIONS: dict[str, Q] = {
    FlagKind.ORPHANED: ORPHANED,
    FlagKind.STRANDED: STRANDED & ~KEPT,
    FlagKind.SUSPECT: SUSPECT,
}

# Task events that explain why a flag of each kind closed (see services.flags_reconcile).
RESOLVING_EVENTS: dict[str, tuple[str, ...]] = {
    FlagKind.ORPHANED: ("moved",),
    FlagKind.STRANDED: ("moved", "kept"),
    FlagKind.SUSPECT: ("moved", "kept", "confirmed"),
}


def task_gaps_sql(*, organization_id: int) -> tuple[str, list]:
    """SQL selecting (kind, task_id) for every task of the organization that should hold an
    open flag, built from the work.selectors conditions; with its parameters."""
    parts, params = [], []
    for kind, condition in TASK_FLAG_CONDITIONS.items():
        qs = Task.objects.filter(organization_id=organization_id).filter(condition).values("id")
        sql, qs_params = qs.query.sql_with_params()
        parts.append(f"SELECT %s::varchar AS kind, gap.id AS task_id FROM ({sql}) AS gap")  # noqa: S608 - SQL compiled by the ORM
        params += [str(kind), *qs_params]
    return " UNION ALL ".join(parts), params


def starved_goals_sql(*, organization: Organization, now: datetime) -> tuple[str, list]:
    """SQL selecting (goal_id) of the organization's starved goals: active since before the
    grace period, with no live task anywhere in their subtree; with its parameters.

    Goals with live work of their own, and all their ancestors, are "covered"; one recursive
    walk up the tree finds them, however many goals and tasks there are."""
    activated_before = now - timedelta(days=organization.starved_grace_days)
    task, goal = Task._meta.db_table, Goal._meta.db_table
    sql = f"""
        WITH RECURSIVE covered(id) AS (
            SELECT t.goal_id FROM {task} t
             WHERE t.organization_id = %s AND t.goal_id IS NOT NULL
               AND t.status = ANY(%s::varchar[])
            UNION
            SELECT g.parent_id FROM {goal} g JOIN covered c ON g.id = c.id
             WHERE g.organization_id = %s AND g.parent_id IS NOT NULL
        )
        SELECT g.id AS goal_id FROM {goal} g
         WHERE g.organization_id = %s AND g.status = %s
           AND COALESCE(g.activated_at, g.created_at) <= %s
           AND NOT EXISTS (SELECT 1 FROM covered c WHERE c.id = g.id)
    """  # noqa: S608 - table names from the models
    params = [
        organization.pk,
        [str(s) for s in LIVE_STATUSES],
        organization.pk,
        organization.pk,
        str(GoalStatus.ACTIVE),
        activated_before,
    ]
    return sql, params


def starved_goal_ids(*, organization: Organization, now: datetime) -> set[int]:
    """Ids of the organization's starved goals, computed from the data (one query)."""
    sql, params = starved_goals_sql(organization=organization, now=now)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0] for row in cursor.fetchall()}


def open_flags(*, organization: Organization) -> QuerySet[Flag]:
    """The organization's open flags; each flag's task (with goal and assignee) or goal loaded."""
    return (
        Flag.objects.filter(OPEN, organization=organization)
        .select_related("task__goal", "task__assignee", "goal")
        .order_by("kind", "-raised_at", "id")
    )


@dataclass(frozen=True)
class Coverage:
    """An organization's coverage figures at one moment."""

    live_effort: int
    linked_effort: int
    orphaned: int
    stranded: int
    suspect: int
    starved: int
    goal_effort: dict[str, int]

    @property
    def linked_ratio(self) -> float | None:
        """Share of live effort on active goals; None when there is no live effort."""
        return self.linked_effort / self.live_effort if self.live_effort else None


def linked_ratio(*, organization: Organization) -> float | None:
    """Share of the organization's live effort on active goals, now; None without live effort.
    One query."""
    row = Task.objects.filter(LIVE, organization=organization).aggregate(
        live=Coalesce(Sum("estimate"), Value(0)),
        linked=Coalesce(Sum("estimate", filter=Q(goal__status=GoalStatus.ACTIVE)), Value(0)),
    )
    return row["linked"] / row["live"] if row["live"] else None


def coverage_figures(*, organization: Organization, now: datetime) -> Coverage:
    """Linked ratio, gap counts (as the flags count them) and live effort per goal, from the
    data. Three queries whatever the number of tasks and goals."""
    tasks = Task.objects.filter(organization=organization)
    row = tasks.aggregate(
        live_effort=Coalesce(Sum("estimate", filter=LIVE), Value(0)),
        linked_effort=Coalesce(
            Sum("estimate", filter=LIVE & Q(goal__status=GoalStatus.ACTIVE)), Value(0)
        ),
        **{
            str(kind): Count("pk", filter=condition)
            for kind, condition in TASK_FLAG_CONDITIONS.items()
        },
    )
    per_goal = (
        tasks.filter(LIVE, goal__isnull=False)
        .values("goal_id")
        .annotate(effort=Sum("estimate"))
        .filter(effort__gt=0)
        .order_by()
    )
    goal_effort = {str(r["goal_id"]): r["effort"] for r in per_goal}
    starved = len(starved_goal_ids(organization=organization, now=now))
    return Coverage(goal_effort=goal_effort, starved=starved, **row)


def snapshot_on_or_before(*, organization: Organization, day: date) -> Snapshot | None:
    """The organization's latest snapshot taken on or before `day` (one query)."""
    return (
        Snapshot.objects.filter(organization=organization, date__lte=day).order_by("-date").first()
    )


def snapshots_between(*, organization: Organization, start: date, end: date) -> QuerySet[Snapshot]:
    """The organization's snapshots from `start` to `end`, oldest first: the coverage trend."""
    return Snapshot.objects.filter(
        organization=organization, date__gte=start, date__lte=end
    ).order_by("date")


def digest_recipients(*, organization: Organization, week: date) -> list[Membership]:
    """Members who should get this week's digest and have not had it: active users who have
    not opted out. Users and organization loaded; one query."""
    already = DigestSent.objects.filter(organization=organization, week=week).values("user_id")
    return list(
        Membership.objects.filter(
            organization=organization, digest_opt_out=False, user__is_active=True
        )
        .exclude(user_id__in=already)
        .select_related("user", "organization")
        .order_by("id")
    )


def membership_for_unsubscribe(
    *, organization_slug: str, o: int, m: int, u: int
) -> Membership | None:
    """The membership an unsubscribe token names (organization `o`, membership `m`, user `u`),
    if it still exists and belongs to the organization of the URL. Organization and user
    loaded; one query."""
    return (
        Membership.objects.filter(
            pk=m, organization_id=o, user_id=u, organization__slug=organization_slug
        )
        .select_related("organization", "user")
        .first()
    )


def membership_for_digest(*, organization: Organization, email: str) -> Membership | None:
    """The organization's member with this email address (user loaded), or None."""
    return (
        Membership.objects.filter(organization=organization, user__email__iexact=email.strip())
        .select_related("user")
        .first()
    )
