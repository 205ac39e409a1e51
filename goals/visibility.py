"""Who may see and edit which goal: confidential goals and per-goal grants (django-guardian).

A goal marked confidential is seen only by the organization's admins and leads, its owner and
members granted `view_goal` or `change_goal` on it (GoalUserObjectPermission, guardian's direct
foreign-key model). Whatever lies under a hidden goal is hidden with it: sub-goals, outcomes,
check-ins and tasks. A confidential goal under another confidential goal asks for both.

Every read for a member starts from one SQL set, `hidden_goals_sql`: the ids of the goals this
member may not see, or None when it sees everything (admins and leads, whose reads then carry no
filter at all). Querysets narrow with `visible_q` / `visible_goals`, raw SQL with the set itself,
so lists, counts and exports filter in the database and always agree. Nothing is cached: a
revoked grant takes effect on the next request.
"""

from typing import Any

from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL

from vindaris.tenancy.models import Membership

from .models import Goal, GoalUserObjectPermission

VIEW, CHANGE = "view_goal", "change_goal"
GRANTS = (VIEW, CHANGE)

_GOAL = Goal._meta.db_table
_GRANT = GoalUserObjectPermission._meta.db_table

# The roots are the confidential goals the member neither owns nor holds a grant on; the walk
# goes down from them. UNION (not UNION ALL) ends the walk even on a cycle. Every tenant table
# in it is pinned to the organization (both arms of the walk, and the grants).
_HIDDEN = """
WITH RECURSIVE hidden(id) AS (
    SELECT g.id FROM {goal} g
     WHERE g.organization_id = {org} AND g.confidential
       AND g.owner_id IS DISTINCT FROM {member}
       AND NOT EXISTS (
           SELECT 1 FROM {grant} gp
             JOIN auth_permission p ON p.id = gp.permission_id
            WHERE gp.organization_id = g.organization_id AND gp.content_object_id = g.id
              AND gp.user_id = {user} AND p.codename IN ('{view}', '{change}'))
    UNION
    SELECT c.id FROM {goal} c JOIN hidden h ON c.parent_id = h.id
     WHERE c.organization_id = {org}
)
SELECT id FROM hidden
"""


def _hidden(org: str, member: str, user: str) -> str:
    return _HIDDEN.format(
        goal=_GOAL, grant=_GRANT, view=VIEW, change=CHANGE, org=org, member=member, user=user
    )


# Positional, to sit inside the ORM's own SQL (visible_q); named, for hand-written SQL.
_HIDDEN_POSITIONAL = _hidden("%s", "%s", "%s")


def sees_everything(viewer: Membership | None) -> bool:
    """Admins and leads see every goal; None stands for the system (jobs, the reconciler)."""
    return viewer is None or viewer.can_lead


def hidden_goals_sql(viewer: Membership | None) -> tuple[str, list[Any]] | None:
    """SQL selecting the ids of the goals `viewer` may not see, with its positional parameters;
    None when it sees them all."""
    if viewer is None or sees_everything(viewer):
        return None
    org = viewer.organization_id
    return _HIDDEN_POSITIONAL, [org, viewer.pk, viewer.user_id, org]


def hidden_goals_named_sql(
    viewer: Membership | None, *, org: str = "org", prefix: str = "viewer"
) -> tuple[str, dict[str, Any]] | None:
    """The same set with named parameters: `%(org)s` (the organization, a name the caller's
    statement shares) and `%(<prefix>_member)s`, `%(<prefix>_user)s`; None when `viewer` sees
    every goal."""
    if viewer is None or sees_everything(viewer):
        return None
    member, user = f"{prefix}_member", f"{prefix}_user"
    sql = _hidden(f"%({org})s", f"%({member})s", f"%({user})s")
    return sql, {org: viewer.organization_id, member: viewer.pk, user: viewer.user_id}


def visible_q(viewer: Membership | None, field: str = "id") -> Q:
    """A filter keeping the rows whose goal (reached through `field`, e.g. "goal" for tasks and
    outcomes, "outcome__goal" for check-ins, "id" for goals) `viewer` may see. Rows with no
    goal (orphaned work) stay."""
    hidden = hidden_goals_sql(viewer)
    if hidden is None:
        return Q()
    return ~Q(**{f"{field}__in": RawSQL(*hidden)})  # noqa: S611 - constant SQL, parameters


def visible_goals(viewer: Membership) -> QuerySet[Goal]:
    """The goals of the viewer's organization that it may see."""
    return Goal.objects.filter(visible_q(viewer), organization_id=viewer.organization_id)


def is_visible(goal: Goal | None, viewer: Membership) -> bool:
    """One goal, one query (none for admins and leads). A task with no goal is visible."""
    if goal is None or sees_everything(viewer):
        return True
    return visible_goals(viewer).filter(pk=goal.pk).exists()


def can_change(goal: Goal, viewer: Membership) -> bool:
    """May `viewer` edit the goal and its outcomes? Admins, leads, the owner and members granted
    `change_goal` (their grant, read in the goal's organization). The caller has already checked
    that the goal is visible."""
    if viewer.can_lead or goal.owner_id == viewer.pk:
        return True
    if not viewer.can_plan:
        return False
    return GoalUserObjectPermission.objects.filter(
        organization_id=goal.organization_id,
        content_object_id=goal.pk,
        user_id=viewer.user_id,
        permission__codename=CHANGE,
    ).exists()


def can_share(goal: Goal, viewer: Membership) -> bool:
    """Admins, leads and the goal's owner grant and revoke access to it."""
    return viewer.can_lead or goal.owner_id == viewer.pk
