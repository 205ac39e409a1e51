"""Every read of comments and mentions. A page of comments is three queries, whatever the
number of comments: the count of threads, a page of threads, and their replies."""

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL

from goals.models import Goal, GoalUserObjectPermission
from goals.visibility import CHANGE, VIEW, visible_q
from updates.models import GoalUpdate
from vindaris.lib.paging import NumberedPage
from vindaris.tenancy.models import Membership, Organization, Role
from work.models import Task

from .models import Comment

THREADS_PER_PAGE = 20
PICK_SIZE = 8


@dataclass(frozen=True)
class Target:
    """What a comment is about: a goal, a goal update (its goal loaded) or a task."""

    goal: Goal | None = None
    task: Task | None = None
    update: GoalUpdate | None = None

    def __post_init__(self) -> None:
        if [self.goal, self.task, self.update].count(None) != 2:
            raise ValueError("A comment is about a goal, an update or a task.")

    @classmethod
    def of(cls, comment: Comment) -> "Target":
        """The comment's target (loaded by comment_get)."""
        if comment.goal_id:
            return cls(goal=comment.goal)
        if comment.update_id:
            return cls(update=comment.update)
        return cls(task=comment.task)

    @property
    def kind(self) -> str:
        return "goal" if self.goal is not None else "update" if self.update is not None else "task"

    @property
    def obj(self) -> Goal | Task | GoalUpdate:
        obj = self.goal or self.update or self.task
        assert obj is not None
        return obj

    @property
    def organization_id(self) -> int:
        return self.obj.organization_id

    @property
    def number(self) -> int:
        return self.obj.number

    @property
    def key(self) -> str:
        return self.obj.key

    @property
    def title(self) -> str:
        """What the target is called on pages and in notifications."""
        if self.update is not None:
            goal = self.update.goal
            return f"(update on {goal.key} {goal.title})"
        obj = self.goal or self.task
        assert obj is not None
        return obj.title

    @property
    def governing_goal_id(self) -> int | None:
        """The goal whose visibility decides who sees the target (none: an orphaned task,
        which every member sees)."""
        if self.goal is not None:
            return self.goal.pk
        if self.update is not None:
            return self.update.goal_id
        assert self.task is not None
        return self.task.goal_id

    @property
    def filter(self) -> dict[str, Any]:
        """The lookup selecting the target's comments."""
        return {self.kind: self.obj}

    @property
    def id_filter(self) -> dict[str, Any]:
        return {f"{self.kind}_id": self.obj.pk}


# The members who see one goal: admins and leads, and the others unless some goal on the way
# from it to its root is confidential and neither theirs nor shared with them (the rule of
# goals.visibility, asked the other way round: of a goal, not of a member). Every tenant table
# is pinned to the organization, in both arms of the walk up and in the grants.
_SEEING = f"""
WITH RECURSIVE up(id, parent_id, confidential, owner_id) AS (
    SELECT g.id, g.parent_id, g.confidential, g.owner_id FROM {Goal._meta.db_table} g
     WHERE g.organization_id = %s AND g.id = %s
    UNION
    SELECT p.id, p.parent_id, p.confidential, p.owner_id FROM {Goal._meta.db_table} p
      JOIN up ON p.id = up.parent_id
     WHERE p.organization_id = %s
)
SELECT m.id FROM {Membership._meta.db_table} m
 WHERE m.organization_id = %s
   AND (m.role IN ('{Role.ADMIN.value}', '{Role.LEAD.value}') OR NOT EXISTS (
        SELECT 1 FROM up
         WHERE up.confidential AND up.owner_id IS DISTINCT FROM m.id
           AND NOT EXISTS (
               SELECT 1 FROM {GoalUserObjectPermission._meta.db_table} gp
                 JOIN auth_permission perm ON perm.id = gp.permission_id
                WHERE gp.organization_id = %s AND gp.content_object_id = up.id
                  AND gp.user_id = m.user_id AND perm.codename IN ('{VIEW}', '{CHANGE}'))))
"""  # noqa: S608 - table names and role names from the code, values as parameters


def members_seeing(*, organization: Organization, target: Target) -> QuerySet[Membership]:
    """The organization's members who may see `target` (users loaded, by name); every member
    for an orphaned task. Filtered in the database: one query when evaluated."""
    members = (
        Membership.objects.filter(organization=organization)
        .select_related("user")
        .order_by("user__name", "user__email")
    )
    goal_id = target.governing_goal_id
    if goal_id is None:
        return members
    org = organization.pk
    return members.filter(id__in=RawSQL(_SEEING, [org, goal_id, org, org, org]))  # noqa: S611 - constant SQL


def mention_candidates(
    *, organization: Organization, target: Target, q: str = "", limit: int = PICK_SIZE
) -> list[Membership]:
    """The first members who may see `target` whose name or email contains `q`. One query."""
    members = members_seeing(organization=organization, target=target)
    q = q.strip().lstrip("@")
    if q:
        members = members.filter(Q(user__name__icontains=q) | Q(user__email__icontains=q))
    return list(members[:limit])


def _comments(organization: Organization) -> QuerySet[Comment]:
    return Comment.objects.filter(organization=organization).select_related(
        "author__user", "deleted_by"
    )


@dataclass(frozen=True)
class Thread:
    comment: Comment
    replies: list[Comment]


def thread_page(
    *, organization: Organization, target: Target, page: int = 1, per_page: int = THREADS_PER_PAGE
) -> NumberedPage:
    """Page `page` of the target's threads, newest first, each with all its replies (oldest
    first), authors loaded. Three queries whatever the number of comments."""
    threads = _comments(organization).filter(parent__isnull=True, **target.id_filter)
    total = threads.count()
    last = max(1, -(-total // per_page))
    page = min(max(page, 1), last)
    start = (page - 1) * per_page
    tops = list(threads.order_by("-number")[start : start + per_page])
    replies: dict[int, list[Comment]] = {c.pk: [] for c in tops}
    if tops:
        for reply in _comments(organization).filter(parent_id__in=list(replies)).order_by("number"):
            replies[reply.parent_id or 0].append(reply)
    rows = [Thread(comment=c, replies=replies[c.pk]) for c in tops]
    return NumberedPage(rows=rows, total=total, number=page, per_page=per_page)


def comment_get(
    *, organization: Organization, number: int, viewer: Membership | None
) -> Comment | None:
    """The organization's comment with this number (its target, parent and author loaded), or
    None, also when `viewer` may not see its target. One query."""
    return (
        _comments(organization)
        .select_related("goal", "task__goal", "update__goal", "parent")
        .filter(
            (Q(goal__isnull=False) & visible_q(viewer, "goal"))
            | (Q(task__isnull=False) & visible_q(viewer, "task__goal"))
            | (Q(update__isnull=False) & visible_q(viewer, "update__goal")),
            number=number,
        )
        .first()
    )


def thread_page_number(
    *, organization: Organization, comment: Comment, per_page: int = THREADS_PER_PAGE
) -> int:
    """The page of its target's threads that shows `comment` (its thread's). One query."""
    top_number = comment.parent.number if comment.parent_id and comment.parent else comment.number
    newer = (
        Comment.objects.filter(
            organization=organization,
            parent__isnull=True,
            number__gt=top_number,
            **Target.of(comment).id_filter,
        )
        .values("pk")
        .count()
    )
    return newer // per_page + 1
