"""The digest's reads: who gets it, who may see what, each audience's sections and linked
ratios, in a constant number of queries whatever the number of recipients."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import connection

from goals import visibility as goal_visibility
from goals.models import Goal, GoalUserObjectPermission
from vindaris.tenancy.models import Membership, Organization
from work import gaps
from work.models import Task

from ..models import DigestSent, Flag, FlagKind, Snapshot

GOAL, TASK, FLAG = Goal._meta.db_table, Task._meta.db_table, Flag._meta.db_table
GRANT, MEMBERSHIP = GoalUserObjectPermission._meta.db_table, Membership._meta.db_table
SNAPSHOT = Snapshot._meta.db_table


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


# Visibility class 0: members who see every goal (admins and leads; goals.visibility).
SEES_EVERYTHING = 0


@dataclass(frozen=True)
class DigestVisibility:
    """Recipients grouped by what they may see. Under goals.visibility a member's hidden goals
    follow from the confidential goals it owns or holds a grant on, so members with the same
    such goals have the same hidden goals: they form one class, and one member of each class
    stands for it. Class 0 (SEES_EVERYTHING) is the admins and leads: no filter at all."""

    class_of: dict[int, int]  # membership pk -> class
    representatives: dict[int, Membership]  # restricted class -> one of its members

    def hidden_sql(self) -> tuple[str, dict[str, Any]]:
        """SQL selecting (class, goal_id): the goals hidden from each restricted class, each
        class's set found by goals.visibility's own SQL for its representative; with its named
        parameters (`%(org)s` the organization). One set-based statement, to use as a CTE."""
        parts: list[str] = []
        params: dict[str, Any] = {}
        for visibility_class, member in self.representatives.items():
            prefix = f"class_{visibility_class}"
            hidden = goal_visibility.hidden_goals_named_sql(member, org="org", prefix=prefix)
            if hidden is None:  # never for a restricted member; nothing is hidden from it
                continue
            parts.append(f"SELECT %({prefix})s::int, h.id FROM ({hidden[0]}) h")  # noqa: S608 - goals.visibility's SQL
            params |= {**hidden[1], prefix: visibility_class}
        if not parts:
            return "SELECT NULL::int, NULL::bigint WHERE false", {}
        return " UNION ALL ".join(parts), params


def digest_visibility(
    *, organization: Organization, memberships: Sequence[Membership]
) -> DigestVisibility:
    """The visibility class of each membership. One query whatever the number of members (none
    when every one sees everything): which confidential goals each restricted member owns or
    holds a `view_goal`/`change_goal` grant on (the exceptions goals.visibility makes)."""
    restricted = [m for m in memberships if not goal_visibility.sees_everything(m)]
    class_of = {m.pk: SEES_EVERYTHING for m in memberships}
    if not restricted:
        return DigestVisibility(class_of=class_of, representatives={})
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT m.id, COALESCE(
                       array_agg(g.id ORDER BY g.id) FILTER (WHERE g.id IS NOT NULL), '{{}}')
              FROM {MEMBERSHIP} m
              LEFT JOIN {GOAL} g
                ON g.organization_id = %(org)s AND g.confidential
               AND (g.owner_id = m.id OR EXISTS (
                    SELECT 1 FROM {GRANT} gp
                      JOIN auth_permission p ON p.id = gp.permission_id
                     WHERE gp.organization_id = g.organization_id
                       AND gp.content_object_id = g.id AND gp.user_id = m.user_id
                       AND p.codename = ANY(%(grants)s)))
             WHERE m.organization_id = %(org)s AND m.id = ANY(%(members)s)
             GROUP BY m.id
            """,  # noqa: S608 - table names from the models
            {
                "org": organization.pk,
                "grants": list(goal_visibility.GRANTS),
                "members": [m.pk for m in restricted],
            },
        )
        access = {pk: tuple(goal_ids) for pk, goal_ids in cursor.fetchall()}
    classes: dict[tuple[int, ...], int] = {}
    representatives: dict[int, Membership] = {}
    for m in restricted:
        # A member missing from the answer (not of this organization) sees the least.
        visibility_class = classes.setdefault(access.get(m.pk, ()), len(classes) + 1)
        class_of[m.pk] = visibility_class
        representatives.setdefault(visibility_class, m)
    return DigestVisibility(class_of=class_of, representatives=representatives)


@dataclass(frozen=True)
class DigestCount:
    """One section of one audience: how many open flags, how many new, and the ids of the first
    few (new first, then the most recent work)."""

    total: int
    new: int
    flag_ids: tuple[int, ...]


@dataclass(frozen=True)
class DigestFlag:
    """What the digest says of one open flag: its task (if any) and the goal it lies under (the
    task's goal, or the starved goal itself)."""

    id: int
    kind: str
    is_new: bool  # raised since `new_since`
    task_number: int | None
    task_title: str | None
    goal_number: int | None
    goal_title: str | None
    goal_status: str | None
    material_change: str | None
    activated_at: datetime | None  # of a starved goal


# An audience: ("class", c) reads the organization-wide digest as visibility class c sees it;
# ("member", pk) reads the own-work digest of that planner.
Audience = tuple[str, int]


@dataclass(frozen=True)
class DigestContent:
    counts: dict[Audience, dict[str, DigestCount]]  # audience -> flag kind -> its section
    flags: dict[int, DigestFlag]  # every flag some section lists, by id


def digest_content(
    *,
    organization: Organization,
    visibility: DigestVisibility,
    wide_classes: Iterable[int],
    own_work: Iterable[Membership],
    new_since: datetime,
    items: int,
) -> DigestContent:
    """Per audience and flag kind, the open flags it may see: organization-wide for each class
    in `wide_classes`; for each member of `own_work`, the task flags of tasks the member created
    or is assigned. Counted and ranked in the database; the first `items` of each section come
    back with what the digest shows of them, each flag once however many sections list it.
    Nothing under a goal hidden from the reader is counted or listed. One query, one read of
    the open flags, whatever the number of audiences."""
    hidden_sql, hidden_params = visibility.hidden_sql()
    own = list(own_work)
    sql = f"""
        WITH hidden_goals(class, goal_id) AS MATERIALIZED ({hidden_sql}),
        open AS MATERIALIZED (
            SELECT f.id, f.kind, f.raised_at >= %(new_since)s AS is_new,
                   COALESCE(t.number, g.number) AS number, g.id AS goal_id,
                   t.created_by_id, a.user_id AS assignee_user_id,
                   t.number AS task_number, t.title AS task_title,
                   g.number AS goal_number, g.title AS goal_title, g.status AS goal_status,
                   g.material_change,
                   CASE WHEN f.task_id IS NULL THEN g.activated_at END AS activated_at
              FROM {FLAG} f
              LEFT JOIN {TASK} t ON t.organization_id = f.organization_id AND t.id = f.task_id
              LEFT JOIN {MEMBERSHIP} a ON a.id = t.assignee_id
              LEFT JOIN {GOAL} g
                ON g.organization_id = f.organization_id AND g.id = COALESCE(t.goal_id, f.goal_id)
             WHERE f.organization_id = %(org)s AND f.resolved_at IS NULL
        ),
        wide(class) AS (SELECT unnest(%(wide_classes)s::int[])),
        own(membership_id, user_id, class) AS (
            SELECT * FROM unnest(%(own_members)s::bigint[], %(own_users)s::bigint[],
                                 %(own_classes)s::int[])
        ),
        owned(user_id, kind, id, is_new, number, goal_id) AS (
            SELECT o.created_by_id, o.kind, o.id, o.is_new, o.number, o.goal_id FROM open o
             WHERE o.created_by_id IS NOT NULL
            UNION ALL
            SELECT o.assignee_user_id, o.kind, o.id, o.is_new, o.number, o.goal_id FROM open o
             WHERE o.assignee_user_id IS NOT NULL
               AND o.assignee_user_id IS DISTINCT FROM o.created_by_id
        ),
        seen(class, membership_id, kind, id, is_new, number) AS (
            SELECT w.class, NULL::bigint, o.kind, o.id, o.is_new, o.number
              FROM wide w CROSS JOIN open o
             WHERE NOT EXISTS (
                   SELECT 1 FROM hidden_goals h WHERE h.class = w.class AND h.goal_id = o.goal_id)
            UNION ALL
            SELECT NULL::int, p.membership_id, o.kind, o.id, o.is_new, o.number
              FROM own p JOIN owned o ON o.user_id = p.user_id
             WHERE o.kind <> %(starved)s
               AND NOT EXISTS (
                   SELECT 1 FROM hidden_goals h WHERE h.class = p.class AND h.goal_id = o.goal_id)
        ),
        counted AS MATERIALIZED (
            SELECT class, membership_id, kind, count(*) AS total,
                   count(*) FILTER (WHERE is_new) AS new,
                   (array_agg(id ORDER BY is_new DESC, number DESC))[1:%(items)s] AS flag_ids
              FROM seen
             GROUP BY class, membership_id, kind
        )
        SELECT c.class, c.membership_id, c.kind, c.total, c.new, c.flag_ids,
               NULL::bigint, NULL::boolean, NULL::int, NULL::varchar, NULL::int,
               NULL::varchar, NULL::varchar, NULL::varchar, NULL::timestamptz
          FROM counted c
        UNION ALL
        SELECT NULL, NULL, o.kind, NULL, NULL, NULL,
               o.id, o.is_new, o.task_number, o.task_title, o.goal_number,
               o.goal_title, o.goal_status, o.material_change, o.activated_at
          FROM open o
         WHERE o.id IN (SELECT unnest(c.flag_ids) FROM counted c)
    """  # noqa: S608 - table names from the models; values are parameters
    params = {
        **hidden_params,
        "org": organization.pk,
        "new_since": new_since,
        "wide_classes": sorted(set(wide_classes)),
        "own_members": [m.pk for m in own],
        "own_users": [m.user_id for m in own],
        "own_classes": [visibility.class_of[m.pk] for m in own],
        "starved": str(FlagKind.STARVED),
        "items": items,
    }
    counts: dict[Audience, dict[str, DigestCount]] = {}
    flags: dict[int, DigestFlag] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for row in cursor.fetchall():
            visibility_class, membership_id, kind, total, new, flag_ids, flag_id = row[:7]
            if flag_id is not None:  # a listed flag
                flags[flag_id] = DigestFlag(flag_id, kind, *row[7:])
                continue
            audience: Audience = (
                ("class", visibility_class) if membership_id is None else ("member", membership_id)
            )
            counts.setdefault(audience, {})[kind] = DigestCount(total, new, tuple(flag_ids))
    return DigestContent(counts=counts, flags=flags)


@dataclass(frozen=True)
class LinkedRatios:
    now: float | None
    week_ago: float | None


def digest_linked_ratios(
    *,
    organization: Organization,
    visibility: DigestVisibility,
    classes: Iterable[int],
    week_ago: date,
) -> dict[int, LinkedRatios]:
    """For each visibility class, the linked ratio now over the live work it may see, and a week
    ago (the latest snapshot on or before `week_ago`). A snapshot counts the whole
    organization, so a class from which a goal with live effort that day is hidden gets no
    week-ago ratio rather than one that includes hidden work. One query."""
    hidden_sql, hidden_params = visibility.hidden_sql()
    sql = f"""
        WITH hidden_goals(class, goal_id) AS MATERIALIZED ({hidden_sql}),
        classes(class) AS (SELECT unnest(%(classes)s::int[])),
        effort AS (
            SELECT t.goal_id, sum(t.estimate) AS live,
                   sum(t.estimate) FILTER (WHERE {gaps.active_goal_sql("g")}) AS linked
              FROM {TASK} t
              LEFT JOIN {GOAL} g ON g.organization_id = t.organization_id AND g.id = t.goal_id
             WHERE t.organization_id = %(org)s AND {gaps.live_sql("t")}
             GROUP BY t.goal_id
        ),
        week_ago AS (
            SELECT s.linked_ratio, s.goal_effort FROM {SNAPSHOT} s
             WHERE s.organization_id = %(org)s AND s.date <= %(week_ago)s
             ORDER BY s.date DESC LIMIT 1
        )
        SELECT c.class, COALESCE(sum(e.live), 0), COALESCE(sum(e.linked), 0),
               (SELECT w.linked_ratio FROM week_ago w
                 WHERE NOT EXISTS (
                       SELECT 1 FROM hidden_goals h
                        WHERE h.class = c.class AND w.goal_effort ? h.goal_id::text))
          FROM classes c
          LEFT JOIN effort e ON NOT EXISTS (
               SELECT 1 FROM hidden_goals h WHERE h.class = c.class AND h.goal_id = e.goal_id)
         GROUP BY c.class
    """  # noqa: S608 - table names from the models, conditions from work.gaps
    params = {
        **hidden_params,
        "org": organization.pk,
        "classes": sorted(set(classes)),
        "week_ago": week_ago,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {
            visibility_class: LinkedRatios(now=linked / live if live else None, week_ago=ratio)
            for visibility_class, live, linked, ratio in cursor.fetchall()
        }


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
