"""Notifications: what happened that concerns a member (a mention, a reply, an update on a goal
they own or follow, work assigned to them, their work turning suspect or stranded), shown
under the bell and, for the kinds the member chose, emailed in batches."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone

from vindaris.lib.tenant import TenantForeignKey, TenantModel
from vindaris.tenancy.models import Membership, Organization


class Kind(models.TextChoices):
    MENTION = "mention", "Mentions of me"
    REPLY = "reply", "Replies to my comments"
    GOAL_UPDATE = "goal_update", "Updates on goals I own or follow"
    ASSIGNED = "assigned", "Work assigned to me"
    TASK_SUSPECT = "task_suspect", "My work turning suspect"
    TASK_STRANDED = "task_stranded", "My work turning stranded"


# What comes by email too until a member chooses: what someone wrote to or about them, and
# work handed to them. Suspect and stranded work is in the weekly digest already, and goal
# updates can be many.
DEFAULT_EMAIL_KINDS: tuple[str, ...] = (Kind.MENTION, Kind.REPLY, Kind.ASSIGNED)


class Notification(TenantModel):
    """One thing a member is told about: a short text and the path of the page it concerns."""

    # Indexed by the indexes below, which lead with it.
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    # Deleted with the membership (the composite key's ON DELETE CASCADE).
    recipient = TenantForeignKey(Membership, related_name="+", db_index=False)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    text = models.CharField(max_length=300)
    # A path inside the organization (/o/<slug>/…), where opening the notification lands.
    path = models.CharField(max_length=300)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    # Whether it also goes by email: the recipient's choice for its kind when it was made (an
    # unsubscribe clears it on those not sent yet).
    by_email = models.BooleanField(default=False)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # the bell: COUNT(*) of a member's unread notifications
            models.Index(
                fields=["organization", "recipient"],
                condition=Q(read_at__isnull=True),
                name="notification_unread_idx",
            ),
            # the notifications page: a member's, newest first
            models.Index(
                fields=["organization", "recipient", "-id"], name="notification_recent_idx"
            ),
            # the email job: what is still to be emailed, per organization
            models.Index(
                fields=["organization", "recipient", "id"],
                condition=Q(by_email=True, emailed_at__isnull=True),
                name="notification_to_email_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient_id}: {self.text}"

    @property
    def is_unread(self) -> bool:
        return self.read_at is None


class NotificationPreference(TenantModel):
    """A member's choice of the kinds that also come by email. No row: DEFAULT_EMAIL_KINDS."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    member = TenantForeignKey(Membership, related_name="+", db_index=False)
    email_kinds = ArrayField(models.CharField(max_length=16, choices=Kind.choices), default=list)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "member"], name="notificationpreference_one_per_member"
            ),
        ]

    def __str__(self) -> str:
        return f"email preferences of {self.member_id}"


class GoalFollow(TenantModel):
    """A member following a goal: its updates notify them as they notify its owner."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    # By name: notifications imports nothing of goals (goals call notifications' services).
    goal = TenantForeignKey("goals.Goal", related_name="+", db_index=False)
    member = TenantForeignKey(Membership, related_name="+", db_index=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # (organization, goal, member) also serves "the followers of this goal"
            models.UniqueConstraint(
                fields=["organization", "goal", "member"], name="goalfollow_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} follows goal {self.goal_id}"
