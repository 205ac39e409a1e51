"""Every read of goals, outcomes, check-ins and goal history."""

from dataclasses import dataclass
from datetime import date

from django.db import connection
from django.db.models import Q, QuerySet

from vindaris.lib.paging import NumberedPage
from vindaris.tenancy.models import Membership, Organization, Role

from .models import CheckIn, Goal, GoalEvent, GoalStatus, GoalUserObjectPermission, Outcome
from .visibility import CHANGE, visible_q


def goal_get(*, organization: Organization, number: int, viewer: Membership | None) -> Goal | None:
    """The organization's goal with this number (parent and owner loaded), or None, also when
    `viewer` may not see it."""
    return (
        Goal.objects.select_related("parent", "owner__user")
        .filter(visible_q(viewer), organization=organization, number=number)
        .first()
    )


def outcome_get(
    *, organization: Organization, number: int, viewer: Membership | None
) -> Outcome | None:
    return (
        Outcome.objects.select_related("goal")
        .filter(visible_q(viewer, "goal"), organization=organization, number=number)
        .first()
    )


def ancestors(*, goal: Goal) -> list[Goal]:
    """The goal's parents from the root down to its direct parent, in one query. What a path
    shows is loaded (number, title, status, priority); the rest is deferred."""
    if goal.parent_id is None:
        return []
    return list(
        Goal.objects.raw(
            """
            WITH RECURSIVE up(id, depth) AS (
                SELECT id, 1 FROM goals_goal WHERE organization_id = %s AND id = %s
                UNION ALL
                SELECT g.parent_id, up.depth + 1 FROM goals_goal g
                  JOIN up ON g.id = up.id AND g.organization_id = %s
                 WHERE g.parent_id IS NOT NULL AND up.depth < 1000
            )
            SELECT g.id, g.organization_id, g.number, g.title, g.status, g.priority, g.parent_id
              FROM up JOIN goals_goal g ON g.id = up.id AND g.organization_id = %s
             ORDER BY up.depth DESC
            """,
            [goal.organization_id, goal.parent_id, goal.organization_id, goal.organization_id],
        )
    )


def subtree_ids(*, goal: Goal) -> set[int]:
    """Ids of the goal and all its descendants, in one query."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH RECURSIVE down(id) AS (
                SELECT id FROM goals_goal WHERE organization_id = %s AND id = %s
                UNION
                SELECT g.id FROM goals_goal g JOIN down ON g.parent_id = down.id
                 WHERE g.organization_id = %s
            )
            SELECT id FROM down
            """,
            [goal.organization_id, goal.pk, goal.organization_id],
        )
        return {row[0] for row in cursor.fetchall()}


# Every goal of an organization with its depth and its sort path: parents before children,
# siblings by priority then number. The order of the indented goal list.
_TREE_CTE = """
    WITH RECURSIVE tree(id, depth, path) AS (
        SELECT id, 0, ARRAY[priority, number] FROM goals_goal
         WHERE organization_id = %s AND parent_id IS NULL
        UNION ALL
        SELECT g.id, t.depth + 1, t.path || ARRAY[g.priority, g.number]
          FROM goals_goal g JOIN tree t ON g.parent_id = t.id
         WHERE g.organization_id = %s
    )
"""

GOAL_LIST_PAGE_SIZE = 200


def goal_tree_order(*, organization: Organization) -> list[tuple[int, int]]:
    """(goal id, depth) for every goal, parents before children, siblings by priority then
    number: the order of the indented goal list. One query."""
    with connection.cursor() as cursor:
        cursor.execute(
            _TREE_CTE + "SELECT id, depth FROM tree ORDER BY path",  # noqa: S608 - constant SQL
            [organization.pk, organization.pk],
        )
        return [(row[0], row[1]) for row in cursor.fetchall()]


def _filtered_goals(
    organization: Organization,
    *,
    viewer: Membership | None,
    status: str = "",
    owner: Membership | None = None,
    priority: int | None = None,
    period_start: date | None = None,
    period_end: date | None = None,
    search: str = "",
) -> QuerySet[Goal]:
    goals = Goal.objects.filter(visible_q(viewer), organization=organization)
    if status:
        goals = goals.filter(status=status)
    if owner is not None:
        goals = goals.filter(owner=owner)
    if priority:
        goals = goals.filter(priority=priority)
    if period_start or period_end:
        # A goal without any dates belongs to no period; an open end overlaps every later one.
        goals = goals.exclude(start_date__isnull=True, end_date__isnull=True)
    if period_start:
        goals = goals.filter(Q(end_date__isnull=True) | Q(end_date__gte=period_start))
    if period_end:
        goals = goals.filter(Q(start_date__isnull=True) | Q(start_date__lte=period_end))
    if search:
        goals = goals.filter(title__icontains=search)
    return goals


def goal_list(
    *,
    organization: Organization,
    viewer: Membership | None,
    status: str = "",
    owner: Membership | None = None,
    priority: int | None = None,
    period_start: date | None = None,
    period_end: date | None = None,
    search: str = "",
) -> list[tuple[Goal, int]]:
    """Goals in hierarchy order with their depth, filtered; owners loaded. Two queries."""
    order = goal_tree_order(organization=organization)
    goals = _filtered_goals(
        organization,
        viewer=viewer,
        status=status,
        owner=owner,
        priority=priority,
        period_start=period_start,
        period_end=period_end,
        search=search,
    ).select_related("owner__user")
    by_id = {g.pk: g for g in goals}
    return [(by_id[gid], depth) for gid, depth in order if gid in by_id]


@dataclass(frozen=True)
class GoalListPage(NumberedPage):
    """One page of the indented goal list."""

    rows: list[tuple[Goal, int]]


def _tree_page(
    goals: QuerySet[Goal], organization: Organization, *, offset: int, limit: int
) -> tuple[list[tuple[int, int]], int]:
    """(id, depth) of the goals of `goals` in tree order, from `offset`, and how many there are."""
    # The filters stay in the ORM: their compiled SQL becomes a subquery, values as parameters.
    ids_sql, ids_params = goals.values("id").query.sql_with_params()
    sql = f"""{_TREE_CTE}
        SELECT id, depth, count(*) OVER () FROM tree
         WHERE id IN ({ids_sql})
         ORDER BY path LIMIT %s OFFSET %s
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [organization.pk, organization.pk, *ids_params, limit, offset])
        rows = cursor.fetchall()
    return [(row[0], row[1]) for row in rows], (rows[0][2] if rows else 0)


def goal_list_page(
    *,
    organization: Organization,
    viewer: Membership | None,
    page: int = 1,
    per_page: int = GOAL_LIST_PAGE_SIZE,
    status: str = "",
    owner: Membership | None = None,
    priority: int | None = None,
    period_start: date | None = None,
    period_end: date | None = None,
    search: str = "",
) -> GoalListPage:
    """One page of the filtered goals in hierarchy order with their depth; owners loaded.
    Two queries whatever the number of goals (two more for a page past the end)."""
    goals = _filtered_goals(
        organization,
        viewer=viewer,
        status=status,
        owner=owner,
        priority=priority,
        period_start=period_start,
        period_end=period_end,
        search=search,
    )
    number = max(1, page)
    order, total = _tree_page(goals, organization, offset=(number - 1) * per_page, limit=per_page)
    if not order and number > 1:
        # Past the end (an old link, a hand-edited URL): show the last page instead.
        number = max(1, -(-goals.count() // per_page))
        order, total = _tree_page(
            goals, organization, offset=(number - 1) * per_page, limit=per_page
        )
    by_id = (
        Goal.objects.filter(organization=organization)
        .select_related("owner__user")
        .in_bulk([gid for gid, _ in order])
    )
    rows = [(by_id[gid], depth) for gid, depth in order if gid in by_id]
    return GoalListPage(rows=rows, total=total, number=number, per_page=per_page)


def goal_choices(*, organization: Organization, viewer: Membership | None) -> QuerySet[Goal]:
    """Goals a task or sub-goal may be attached to, for form choice fields: those `viewer` may
    see."""
    return Goal.objects.filter(visible_q(viewer), organization=organization).order_by("number")


def active_goal_choices(*, organization: Organization, viewer: Membership | None) -> QuerySet[Goal]:
    return goal_choices(organization=organization, viewer=viewer).filter(status=GoalStatus.ACTIVE)


def children_of(*, goal: Goal) -> QuerySet[Goal]:
    return (
        Goal.objects.filter(organization_id=goal.organization_id, parent=goal)
        .select_related("owner__user")
        .order_by("priority", "number")
    )


def outcomes_of(*, goal: Goal) -> QuerySet[Outcome]:
    return Outcome.objects.filter(organization_id=goal.organization_id, goal=goal).order_by(
        "number"
    )


def goal_history(*, goal: Goal, limit: int = 50) -> QuerySet[GoalEvent]:
    """The goal's most recent history rows, actors loaded."""
    return (
        GoalEvent.objects.filter(organization_id=goal.organization_id, goal=goal)
        .select_related("actor")
        .order_by("-created_at", "-id")[:limit]
    )


def check_ins_of(*, outcome: Outcome, limit: int = 100) -> QuerySet[CheckIn]:
    return (
        CheckIn.objects.filter(organization_id=outcome.organization_id, outcome=outcome)
        .select_related("author")
        .order_by("-checked_on", "-id")[:limit]
    )


@dataclass(frozen=True)
class Access:
    """One line of "who has access" on a goal: a member and how."""

    membership: Membership
    how: str  # "admin", "lead", "owner", "change", "view"
    granted: bool  # a grant that can be revoked

    @property
    def label(self) -> str:
        return {
            "admin": "Admin: sees and edits every goal",
            "lead": "Lead: sees and edits every goal",
            "owner": "Owner: sees, edits and shares",
            "change": "Can edit",
            "view": "Can view",
        }[self.how]


def goal_access(*, goal: Goal) -> list[Access]:
    """Who may see the goal beyond its organization's planners and viewers (for a confidential
    goal, everyone who may see it): admins and leads by role, the owner, and granted members
    with their level. Two queries."""
    grants: dict[int, str] = {}
    for user_id, codename in GoalUserObjectPermission.objects.filter(
        organization_id=goal.organization_id, content_object=goal
    ).values_list("user_id", "permission__codename"):
        if codename == CHANGE or user_id not in grants:
            grants[user_id] = "change" if codename == CHANGE else "view"
    members = (
        Membership.objects.select_related("user")
        .filter(organization_id=goal.organization_id)
        .filter(Q(role__in=(Role.ADMIN, Role.LEAD)) | Q(pk=goal.owner_id) | Q(user_id__in=grants))
        .order_by("user__name", "user__email")
    )
    rows = []
    for m in members:
        if m.role in (Role.ADMIN, Role.LEAD):
            rows.append(Access(m, m.role, m.user_id in grants))
        elif m.pk == goal.owner_id:
            rows.append(Access(m, "owner", m.user_id in grants))
        else:
            rows.append(Access(m, grants[m.user_id], True))
    order = {"owner": 0, "admin": 1, "lead": 2, "change": 3, "view": 4}
    return sorted(rows, key=lambda a: order[a.how])


def share_candidates(*, goal: Goal) -> QuerySet[Membership]:
    """Members a goal can be shared with: planners and viewers who are not its owner."""
    return (
        Membership.objects.select_related("user")
        .filter(organization_id=goal.organization_id, role__in=(Role.PLANNER, Role.VIEWER))
        .exclude(Q(pk=goal.owner_id))
        .order_by("user__name", "user__email")
    )
