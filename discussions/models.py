"""Comments on goals, goal updates and tasks: threaded one level, mentions stored as rows.

A comment is about exactly one target (a goal, an update or a task); a reply hangs under a top-level
comment of the same target. A deleted comment stays as a tombstone (who deleted it and when,
its text gone), so that the thread under it still reads and the page keeps its history.
"""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q

from goals.models import Goal
from vindaris.lib.tenant import TenantForeignKey, TenantModel
from vindaris.tenancy.models import Membership, Organization
from work.models import Task

# How long its author may still correct a comment.
EDIT_WINDOW = timedelta(minutes=15)
BODY_MAX_LENGTH = 10_000


class Comment(TenantModel):
    """What a member wrote about a goal, an update or a task (Markdown), or a reply to such a
    comment."""

    # Indexed by the indexes below, which lead with it.
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    number = models.PositiveIntegerField()
    # Exactly one target; the database deletes the comment with it.
    goal = TenantForeignKey(Goal, null=True, blank=True, related_name="+", db_index=False)
    task = TenantForeignKey(Task, null=True, blank=True, related_name="+", db_index=False)
    update = TenantForeignKey(
        "updates.GoalUpdate", null=True, blank=True, related_name="+", db_index=False
    )
    # The top-level comment this one answers (never a reply itself: one level of threads).
    parent = TenantForeignKey("self", null=True, blank=True, related_name="replies", db_index=False)
    # Emptied by the database when the member leaves the organization (the comment stays).
    author = TenantForeignKey(Membership, null=True, blank=True, related_name="+", db_index=False)
    body = models.TextField(max_length=BODY_MAX_LENGTH, blank=True)
    created_at = models.DateTimeField()
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "number"], name="comment_org_number_key"
            ),
            models.CheckConstraint(
                condition=Q(goal__isnull=False, task__isnull=True, update__isnull=True)
                | Q(goal__isnull=True, task__isnull=False, update__isnull=True)
                | Q(goal__isnull=True, task__isnull=True, update__isnull=False),
                name="comment_one_target",
            ),
            models.CheckConstraint(
                condition=Q(deleted_at__isnull=True) | Q(body=""),
                name="comment_tombstone_keeps_no_text",
            ),
        ]
        indexes = [
            # a goal's threads, newest first (the goal page's discussion, its count)
            models.Index(
                fields=["organization", "goal", "-number"],
                condition=Q(goal__isnull=False, parent__isnull=True),
                name="comment_goal_threads_idx",
            ),
            # a task's threads, newest first
            models.Index(
                fields=["organization", "task", "-number"],
                condition=Q(task__isnull=False, parent__isnull=True),
                name="comment_task_threads_idx",
            ),
            # an update's threads, newest first
            models.Index(
                fields=["organization", "update", "-number"],
                condition=Q(update__isnull=False, parent__isnull=True),
                name="comment_update_threads_idx",
            ),
            # the replies of a page of threads
            models.Index(
                fields=["organization", "parent", "number"],
                condition=Q(parent__isnull=False),
                name="comment_replies_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} on {self.target_key}"

    @property
    def key(self) -> str:
        return f"C-{self.number}"

    @property
    def target_key(self) -> str:
        """Needs the target loaded."""
        target = self.goal if self.goal_id else self.update if self.update_id else self.task
        return target.key if target is not None else ""

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class Mention(TenantModel):
    """A member named in a comment (`@email`): only members of the organization who could see
    the comment's target when it was written or edited."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    comment = TenantForeignKey(Comment, related_name="mentions", db_index=False)
    member = TenantForeignKey(Membership, related_name="+", db_index=False)

    class Meta:
        constraints = [
            # also serves "who does this comment mention"
            models.UniqueConstraint(
                fields=["organization", "comment", "member"], name="mention_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} in {self.comment_id}"
