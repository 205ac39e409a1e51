"""Goal updates: an owner's (or an editor's) word on how a goal is going, posted once per cycle
of the organization's update cadence, and the sent-log of the reminders asking for them."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from goals.models import CheckIn, Goal
from vindaris.lib.tenant import TenantForeignKey, TenantModel
from vindaris.tenancy.models import Membership, Organization


class Health(models.TextChoices):
    ON_TRACK = "on_track", "On track"
    AT_RISK = "at_risk", "At risk"
    OFF_TRACK = "off_track", "Off track"


class GoalUpdate(TenantModel):
    """How a goal is going: its health and a short Markdown text, with the outcome check-ins
    made at the same moment (GoalUpdateCheckIn). Numbered per organization (U-12)."""

    # Indexed by the constraints and indexes below, which lead with it.
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    number = models.PositiveIntegerField()
    goal = TenantForeignKey(Goal, related_name="+", db_index=False)  # deleted with it
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    health = models.CharField(max_length=16, choices=Health.choices)
    body = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "number"], name="goalupdate_org_number_key"
            ),
            models.CheckConstraint(
                condition=Q(health__in=Health.values), name="goalupdate_health_valid"
            ),
        ]
        indexes = [
            # a goal's history, newest first, and its latest update (the health every page
            # shows: one index probe per goal)
            models.Index(
                fields=["organization", "goal", "-created_at", "-id"],
                name="goalupdate_goal_recent_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} on {self.goal_id}: {self.health}"

    @property
    def key(self) -> str:
        return f"U-{self.number}"


class GoalUpdateCheckIn(TenantModel):
    """An outcome check-in made with an update (a check-in belongs to at most one)."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    update = TenantForeignKey(GoalUpdate, related_name="+", db_index=False)  # deleted with it
    check_in = TenantForeignKey(CheckIn, related_name="+", db_index=False)  # deleted with it

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "check_in"], name="goalupdatecheckin_once"
            ),
        ]
        indexes = [
            # an update's check-ins
            models.Index(fields=["organization", "update"], name="goalupdatecheckin_update_idx"),
        ]

    def __str__(self) -> str:
        return f"check-in {self.check_in_id} with update {self.update_id}"


class ReminderSent(TenantModel):
    """The sent-log of the update reminder: one row per owner and cycle, so a re-run, a
    redelivered task or a second beat sends nothing twice."""

    # Indexed by the constraint below, which leads with it.
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    membership = TenantForeignKey(Membership, related_name="+", db_index=False)  # deleted with it
    # The first day of the update cycle, on the organization's calendar.
    period = models.DateField()
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "membership", "period"], name="remindersent_once"
            ),
        ]

    def __str__(self) -> str:
        return f"update reminder of {self.period} to {self.membership_id} in {self.organization_id}"
