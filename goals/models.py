from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from guardian.models import UserObjectPermissionBase

from vindaris.lib.tenant import TenantForeignKey, TenantModel
from vindaris.tenancy.models import Membership, Organization


class GoalStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    ON_HOLD = "on_hold", "On hold"
    ACHIEVED = "achieved", "Achieved"
    ABANDONED = "abandoned", "Abandoned"


class Priority(models.IntegerChoices):
    P1 = 1, "P1"
    P2 = 2, "P2"
    P3 = 3, "P3"
    P4 = 4, "P4"


# Share of live effort an active goal should get, relative to the other active goals.
PRIORITY_WEIGHT = {Priority.P1: 8, Priority.P2: 4, Priority.P3: 2, Priority.P4: 1}


class Goal(TenantModel):
    """An objective. Goals nest under a parent of the same organization, to any depth."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    # The database sets parent_id / owner_id to NULL when the parent or the member goes.
    parent = TenantForeignKey("self", null=True, blank=True, related_name="children")
    owner = TenantForeignKey(Membership, null=True, blank=True, related_name="owned_goals")
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.P2)
    status = models.CharField(max_length=16, choices=GoalStatus.choices, default=GoalStatus.DRAFT)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    # When the goal last became active: starts the grace period before it can be "starved".
    activated_at = models.DateTimeField(null=True, blank=True)
    # The last material change (priority lowered, status or title changed, an outcome's target
    # changed). Live tasks whose link was confirmed before it are "suspect".
    material_change_at = models.DateTimeField(null=True, blank=True)
    material_change = models.CharField(max_length=200, blank=True)
    # Seen only by admins, leads, the owner and members granted view (or change) on it; the same
    # holds for everything under it: outcomes, tasks and sub-goals (see goals.visibility).
    confidential = models.BooleanField(default=False, db_default=False)
    # An imported goal keeps where it came from (a strategy file's "G-3", a Jira epic "PM-12"),
    # by which a re-import finds it again.
    source = models.CharField(max_length=16, blank=True, db_default="")
    external_key = models.CharField(max_length=100, blank=True, db_default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            # (The primary key, (organization_id, id), is the target of composite foreign keys.)
            models.UniqueConstraint(fields=["organization", "number"], name="goal_org_number_key"),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(end_date__gte=F("start_date")),
                name="goal_period_ends_after_start",
            ),
            models.CheckConstraint(condition=~Q(parent=F("id")), name="goal_not_own_parent"),
            models.CheckConstraint(
                condition=Q(priority__gte=1, priority__lte=4), name="goal_priority_1_4"
            ),
            models.UniqueConstraint(
                fields=["organization", "source", "external_key"],
                condition=~Q(external_key=""),
                name="goal_org_external_key",
            ),
        ]
        indexes = [
            # children of a goal (tree expansion, subtree CTE)
            models.Index(fields=["organization", "parent"], name="goal_org_parent_idx"),
            # goal list filtered by status
            models.Index(fields=["organization", "status", "priority"], name="goal_org_status_idx"),
            # the roots of hidden subtrees (goals.visibility): few rows, read on every request
            models.Index(
                fields=["organization"],
                condition=Q(confidential=True),
                name="goal_confidential_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.title}"

    @property
    def key(self) -> str:
        return f"G-{self.number}"

    @property
    def is_active(self) -> bool:
        return self.status == GoalStatus.ACTIVE

    @property
    def weight(self) -> int:
        return PRIORITY_WEIGHT[Priority(self.priority)]

    @property
    def period_label(self) -> str:
        if self.start_date and self.end_date:
            return f"{self.start_date:%-d %b %Y} – {self.end_date:%-d %b %Y}"
        if self.end_date:
            return f"until {self.end_date:%-d %b %Y}"
        if self.start_date:
            return f"from {self.start_date:%-d %b %Y}"
        return "no period"


class Direction(models.TextChoices):
    INCREASE = "increase", "Increase"
    DECREASE = "decrease", "Decrease"


class Outcome(TenantModel):
    """A measurable result a goal must move (a key result)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    goal = TenantForeignKey(Goal, related_name="outcomes")  # deleted with it (the database)
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    unit = models.CharField(max_length=30, blank=True)
    baseline = models.DecimalField(max_digits=14, decimal_places=2)
    target = models.DecimalField(max_digits=14, decimal_places=2)
    current = models.DecimalField(max_digits=14, decimal_places=2)
    direction = models.CharField(
        max_length=8, choices=Direction.choices, default=Direction.INCREASE
    )
    due_date = models.DateField(null=True, blank=True)
    # An outcome imported from a strategy file keeps its key there ("O-2").
    source = models.CharField(max_length=16, blank=True, db_default="")
    external_key = models.CharField(max_length=100, blank=True, db_default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "number"], name="outcome_org_number_key"
            ),
            models.UniqueConstraint(
                fields=["organization", "source", "external_key"],
                condition=~Q(external_key=""),
                name="outcome_org_external_key",
            ),
            # Target of tasks' (organization_id, goal_id, outcome_id): a task's outcome belongs
            # to the task's goal.
            models.UniqueConstraint(
                fields=["organization", "goal", "id"], name="outcome_org_goal_id_key"
            ),
            # The target lies in the outcome's direction from the baseline.
            models.CheckConstraint(
                condition=(Q(direction="increase") & Q(target__gt=F("baseline")))
                | (Q(direction="decrease") & Q(target__lt=F("baseline"))),
                name="outcome_target_beyond_baseline",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.title}"

    @property
    def key(self) -> str:
        return f"O-{self.number}"

    @property
    def progress(self) -> int:
        """Percent of the way from baseline to target, 0–100."""
        return outcome_progress(self.baseline, self.target, self.current)


def outcome_progress(baseline: Decimal, target: Decimal, current: Decimal) -> int:
    span = target - baseline
    if span == 0:
        return 100 if current == target else 0
    share = (current - baseline) / span
    return int(max(Decimal(0), min(Decimal(1), share)) * 100)


class CheckIn(TenantModel):
    """A dated new value of an outcome, with a note. Credited tasks live in the work app."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    outcome = TenantForeignKey(Outcome, related_name="check_ins")  # deleted with it
    value = models.DecimalField(max_digits=14, decimal_places=2)
    previous_value = models.DecimalField(max_digits=14, decimal_places=2)
    note = models.TextField(blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    checked_on = models.DateField(default=date.today)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["organization", "outcome", "-created_at"], name="checkin_outcome_recent_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.outcome.key} = {self.value} on {self.checked_on}"


class GoalEvent(TenantModel):
    """The goal's history: who changed what, when, old → new."""

    class Kind(models.TextChoices):
        CREATED = "created", "created"
        UPDATED = "updated", "updated"
        OUTCOME_ADDED = "outcome_added", "added an outcome"
        OUTCOME_UPDATED = "outcome_updated", "updated an outcome"
        CHECK_IN = "check_in", "checked in"
        LINKS_CONFIRMED = "links_confirmed", "confirmed links"
        SHARED = "shared", "changed who has access"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    goal = TenantForeignKey(Goal, related_name="events")  # deleted with it
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # {"field label": ["old", "new"]} for updates; free text summary otherwise.
    changes = models.JSONField(default=dict, blank=True)
    summary = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["organization", "goal", "-created_at"], name="goalevent_goal_recent_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.goal_id} {self.kind}"


class GoalUserObjectPermission(TenantModel, UserObjectPermissionBase):
    """A member's grant on one goal (guardian's direct foreign-key model): `view_goal` or
    `change_goal`. Composite keys in the database tie it to the goal's organization and to a
    membership of that organization, so a grant never crosses organizations and removing a
    member or deleting the goal deletes it (migration 0004)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    content_object = TenantForeignKey(Goal, related_name="grants")  # deleted with it

    class Meta(UserObjectPermissionBase.Meta):
        unique_together = [("organization", "user", "permission", "content_object")]
        indexes = [
            # visibility: "has this user a grant on this goal?"
            models.Index(
                fields=["organization", "content_object", "user"], name="goalgrant_goal_user_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.permission_id} on {self.content_object_id}"
