"""Every read of personal access tokens, and the API's reads that combine the other apps'
selectors (which own the rules: visibility, gaps, coverage)."""

from django.db.models import Count, Q, QuerySet

from goals import selectors as goal_selectors
from goals.models import CheckIn, Goal, Outcome
from goals.visibility import visible_q
from traceability import selectors as trace_selectors
from traceability.models import Flag
from vindaris.tenancy import selectors as tenancy_selectors
from vindaris.tenancy.models import Membership, Organization
from work import selectors as work_selectors
from work.gaps import LIVE
from work.models import CheckInCredit, Task

from . import tokens
from .models import AccessToken

TOKEN_LIST_SIZE = 200


def token_for_string(token: str) -> AccessToken | None:
    """The token named by a token string, with its member, the member's user and the
    organization loaded; None for a malformed string, an unknown token, a wrong secret, or a
    token whose membership is gone. Revoked and expired tokens are returned (the caller says
    which it is). One query, in the organization the string names."""
    parsed = tokens.parse(token)
    if parsed is None:
        return None
    found = (
        AccessToken.objects.select_related("member__user", "organization")
        .filter(organization_id=parsed.organization_id, public_id=parsed.public_id)
        .first()
    )
    if found is None or not tokens.secret_matches(parsed.secret, found.secret_hash):
        return None
    found.member.organization = found.organization  # the same row: no query to reach it
    return found


def tokens_of_member(*, organization: Organization, member: Membership) -> QuerySet[AccessToken]:
    """The member's own tokens, newest first (revoked and expired ones too)."""
    return AccessToken.objects.filter(organization=organization, member=member).order_by(
        "-created_at", "-id"
    )[:TOKEN_LIST_SIZE]


def tokens_of_organization(*, organization: Organization) -> QuerySet[AccessToken]:
    """Every token of the organization that still works or might (not revoked), newest first,
    members and their users loaded: what an admin oversees."""
    return (
        AccessToken.objects.filter(organization=organization, revoked_at__isnull=True)
        .select_related("member__user")
        .order_by("-created_at", "-id")[:TOKEN_LIST_SIZE]
    )


def token_of_organization(*, organization: Organization, public_id: str) -> AccessToken | None:
    return AccessToken.objects.filter(organization=organization, public_id=public_id).first()


# The API's lists: the other apps' selectors and rules, in a stable order a page at a time -------


def goals_page(
    *,
    organization: Organization,
    viewer: Membership,
    after: int | None,
    limit: int,
    status: str = "",
    owner: Membership | None = None,
    parent: Goal | None = None,
    top_level: bool = False,
    priority: int | None = None,
) -> list[Goal]:
    """The goals `viewer` may see (goals.selectors.goal_choices), filtered, by number from
    after `after`, at most `limit + 1`; parent and owner loaded. One query."""
    goals = goal_selectors.goal_choices(organization=organization, viewer=viewer)
    if status:
        goals = goals.filter(status=status)
    if owner is not None:
        goals = goals.filter(owner=owner)
    if parent is not None:
        goals = goals.filter(parent=parent)
    elif top_level:
        goals = goals.filter(parent__isnull=True)
    if priority:
        goals = goals.filter(priority=priority)
    if after is not None:
        goals = goals.filter(number__gt=after)
    return list(goals.select_related("parent", "owner__user").order_by("number")[: limit + 1])


def goal_open_flags(*, organization: Organization, goal: Goal) -> dict[str, int]:
    """The open flags on the goal (starved) and on its own tasks (stranded, suspect), counted
    by kind (traceability.selectors.open_flags). One query."""
    rows = (
        trace_selectors.open_flags(organization=organization)
        .filter(Q(goal=goal) | Q(task__goal=goal))
        .order_by()
        .values_list("kind")
        .annotate(n=Count("id"))
    )
    return dict(rows)


def check_ins_with_credits(*, outcome: Outcome, limit: int) -> list[tuple[CheckIn, list[int]]]:
    """The outcome's latest check-ins (goals.selectors.check_ins_of), each with the numbers of
    the tasks it credits. Two queries."""
    check_ins = list(goal_selectors.check_ins_of(outcome=outcome, limit=limit))
    credited: dict[int, list[int]] = {c.pk: [] for c in check_ins}
    for check_in_id, number in CheckInCredit.objects.filter(
        organization_id=outcome.organization_id, check_in_id__in=list(credited)
    ).values_list("check_in_id", "task__number"):
        credited[check_in_id].append(number)
    return [(c, credited[c.pk]) for c in check_ins]


def tasks_page(
    *,
    organization: Organization,
    viewer: Membership,
    before: int | None,
    limit: int,
    gap: str = "",
    status: str = "",
    goal: Goal | None = None,
    assignee: Membership | None = None,
) -> list[Task]:
    """The tasks `viewer` may see (goals.visibility), newest first, filtered by a gap
    (work.selectors.GAPS: work.gaps' rules), a status ("live" for the live ones), a goal or an
    assignee, before number `before`, at most `limit + 1`; goal, outcome and assignee loaded.
    One query."""
    tasks = Task.objects.filter(visible_q(viewer, "goal"), organization=organization)
    if gap:
        tasks = tasks.filter(work_selectors.GAPS[gap])
    if status == "live":
        tasks = tasks.filter(LIVE)
    elif status:
        tasks = tasks.filter(status=status)
    if goal is not None:
        tasks = tasks.filter(goal=goal)
    if assignee is not None:
        tasks = tasks.filter(assignee=assignee)
    if before is not None:
        tasks = tasks.filter(number__lt=before)
    return list(
        tasks.select_related("goal", "outcome", "assignee__user").order_by("-number")[: limit + 1]
    )


def flags_page(
    *, organization: Organization, viewer: Membership, after: int | None, limit: int, kind: str = ""
) -> list[Flag]:
    """The open flags (traceability.selectors.open_flags) on what `viewer` may see: a task
    flag when it sees the task's goal (or the task has none), a starved flag when it sees the
    goal. In the order they were recorded, at most `limit + 1`. One query."""
    flags = trace_selectors.open_flags(organization=organization).filter(
        visible_q(viewer, "task__goal"), visible_q(viewer, "goal")
    )
    if kind:
        flags = flags.filter(kind=kind)
    if after is not None:
        flags = flags.filter(pk__gt=after)
    return list(flags.order_by("pk")[: limit + 1])


def member_by_email(*, organization: Organization, email: str) -> Membership | None:
    """The member of the organization with this email (any case), user loaded."""
    return (
        tenancy_selectors.members_of(organization=organization)
        .filter(user__email__iexact=email.strip())
        .first()
    )


def members_page(*, organization: Organization, after: int | None, limit: int) -> list[Membership]:
    """The organization's members in the order they joined, after the membership `after`, at
    most `limit + 1`; users loaded. One query."""
    members = tenancy_selectors.members_of(organization=organization)
    if after is not None:
        members = members.filter(pk__gt=after)
    return list(members.order_by("pk")[: limit + 1])
