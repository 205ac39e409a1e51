from django.conf import settings
from django.db import models
from django.db.models import Q

from goals.models import Goal
from vindaris.lib.tenant import TenantForeignKey, TenantModel
from vindaris.tenancy.models import Organization
from work.models import Task


class FlagKind(models.TextChoices):
    ORPHANED = "orphaned", "Orphaned"
    STRANDED = "stranded", "Stranded"
    SUSPECT = "suspect", "Suspect"
    STARVED = "starved", "Starved"


# Kinds that concern a task; `starved` concerns a goal.
TASK_KINDS = (FlagKind.ORPHANED, FlagKind.STRANDED, FlagKind.SUSPECT)


class Resolution(models.TextChoices):
    """Why a flag closed: the action taken on the task when one is known, else "resolved"."""

    RESOLVED = "resolved", "Resolved"
    CONFIRMED = "confirmed", "Link confirmed"
    MOVED = "moved", "Moved to another goal"
    KEPT = "kept", "Kept on purpose"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


OPEN = Q(resolved_at__isnull=True)


class Flag(TenantModel):
    """A persisted record of one gap. At most one open flag per (kind, task or goal)."""

    # Indexed by the constraints below, which lead with it.
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    kind = models.CharField(max_length=12, choices=FlagKind.choices)
    # Deleted with its task or goal (the database).
    task = TenantForeignKey(Task, null=True, blank=True, related_name="flags")
    goal = TenantForeignKey(Goal, null=True, blank=True, related_name="flags")
    raised_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.CharField(max_length=12, choices=Resolution.choices, blank=True)

    class Meta:
        constraints = [
            # A starved flag names a goal; every other kind names a task; never both.
            models.CheckConstraint(
                condition=(Q(kind=FlagKind.STARVED) & Q(goal__isnull=False, task__isnull=True))
                | (~Q(kind=FlagKind.STARVED) & Q(task__isnull=False, goal__isnull=True)),
                name="flag_names_task_or_goal",
            ),
            models.CheckConstraint(
                condition=(Q(resolved_at__isnull=True) & Q(resolution=""))
                | (Q(resolved_at__isnull=False) & ~Q(resolution="")),
                name="flag_resolution_when_resolved",
            ),
            # One open flag per (kind, task): the reconciler's INSERT ... ON CONFLICT target,
            # and the open task flags of an organization (digest, coverage).
            models.UniqueConstraint(
                fields=["organization", "kind", "task"],
                condition=Q(resolved_at__isnull=True, task__isnull=False),
                name="flag_one_open_per_task",
            ),
            # One open flag per (kind, goal): the same for starved goals.
            models.UniqueConstraint(
                fields=["organization", "kind", "goal"],
                condition=Q(resolved_at__isnull=True, goal__isnull=False),
                name="flag_one_open_per_goal",
            ),
        ]
        indexes = [
            # flags raised recently ("new this week" in the digest), open or not
            models.Index(fields=["organization", "raised_at"], name="flag_org_raised_idx"),
        ]

    def __str__(self) -> str:
        subject = f"task {self.task_id}" if self.task_id else f"goal {self.goal_id}"
        state = "open" if self.resolved_at is None else self.resolution
        return f"{self.kind} {subject} ({state})"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


class Snapshot(TenantModel):
    """An organization's coverage figures on one day (its local date), for the coverage trend."""

    # Indexed by the constraints below, which lead with it.
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    date = models.DateField()
    # Live effort on active goals, and all live effort; the linked ratio is their quotient
    # (empty when there is no live effort at all).
    linked_effort = models.PositiveIntegerField(default=0)
    live_effort = models.PositiveIntegerField(default=0)
    linked_ratio = models.FloatField(null=True, blank=True)
    orphaned = models.PositiveIntegerField(default=0)
    stranded = models.PositiveIntegerField(default=0)
    kept = models.PositiveIntegerField(db_default=0)  # stranded work kept on purpose, apart
    suspect = models.PositiveIntegerField(default=0)
    starved = models.PositiveIntegerField(default=0)
    # {"<goal id>": live effort} for every goal with live effort that day.
    goal_effort = models.JSONField(default=dict, blank=True)
    # The same figures with every confidential goal's subtree left out: the trend shown to
    # members who do not see everything (empty on days recorded before these were). Orphaned
    # work has no goal, so it is never confidential: `orphaned` serves both.
    public_linked_effort = models.PositiveIntegerField(null=True, blank=True)
    public_live_effort = models.PositiveIntegerField(null=True, blank=True)
    public_linked_ratio = models.FloatField(null=True, blank=True)
    public_stranded = models.PositiveIntegerField(null=True, blank=True)
    public_kept = models.PositiveIntegerField(null=True, blank=True)
    # The strategy-led scorecard as it stood (selectors.scorecard_record): over everything, and
    # without confidential work.
    scorecard = models.JSONField(null=True, blank=True)
    public_scorecard = models.JSONField(null=True, blank=True)
    public_suspect = models.PositiveIntegerField(null=True, blank=True)
    public_starved = models.PositiveIntegerField(null=True, blank=True)
    taken_at = models.DateTimeField()

    class Meta:
        constraints = [
            # One snapshot per organization per day; also the coverage trend's range scan.
            models.UniqueConstraint(fields=["organization", "date"], name="snapshot_org_date_key"),
            models.CheckConstraint(
                condition=Q(linked_effort__lte=models.F("live_effort")),
                name="snapshot_linked_within_live",
            ),
            models.CheckConstraint(
                condition=Q(linked_ratio__isnull=True)
                | Q(linked_ratio__gte=0, linked_ratio__lte=1),
                name="snapshot_ratio_is_a_share",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization_id} on {self.date}"


class GoalCoverage(TenantModel):
    """A goal's own work and outcomes in figures (not its sub-goals'): what the coverage
    dashboard and the trace tree's roll-ups read instead of aggregating tasks and outcomes on
    every request. The row with no goal holds the organization's work without a goal. No row:
    no tasks and no outcomes.

    Never written by Python: row-level database triggers (migration 0005) keep every row equal
    to an aggregate of its tasks and outcomes in the same transaction as each insert, update or
    delete of them and each change of a goal's status or last material change, whoever writes
    (services, bulk updates, raw SQL), each statement on one (organization, goal).
    `services.goal_coverage_refresh` (and `manage.py check_coverage --repair`) repairs one
    organization's rows against a recount, for rows written with the triggers out (a bulk
    load under session_replication_role = replica)."""

    # Indexed by the constraint below, which leads with it.
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    # The database deletes the row with its goal (a composite key, ON DELETE CASCADE).
    # (goalcoverage_org_goal_key keeps it one row per goal.)
    goal = TenantForeignKey(Goal, null=True, related_name="+")
    tasks = models.IntegerField(db_default=0)  # any status
    live_tasks = models.IntegerField(db_default=0)
    live_effort = models.BigIntegerField(db_default=0)
    done_effort = models.BigIntegerField(db_default=0)
    # Live tasks holding an open stranded flag (not kept), kept ones, and suspect ones: the
    # conditions of selectors.TASK_FLAG_CONDITIONS and work.selectors.KEPT.
    stranded = models.IntegerField(db_default=0)
    kept = models.IntegerField(db_default=0)
    suspect = models.IntegerField(db_default=0)
    # The latest change to one of its tasks (their updated_at).
    last_task_at = models.DateTimeField(null=True, blank=True)
    # Its outcomes, and the sum of their progress in whole percent (Outcome.progress).
    outcomes = models.IntegerField(db_default=0)
    progress_sum = models.IntegerField(db_default=0)

    class Meta:
        constraints = [
            # One row per goal and one for the work without a goal; the triggers' upsert target.
            models.UniqueConstraint(
                fields=["organization", "goal"],
                nulls_distinct=False,
                name="goalcoverage_org_goal_key",
            ),
            # A wrong delta fails the write that caused it instead of showing wrong figures.
            models.CheckConstraint(
                condition=Q(
                    tasks__gte=models.F("live_tasks"),
                    live_tasks__gte=0,
                    live_effort__gte=0,
                    done_effort__gte=0,
                    stranded__gte=0,
                    kept__gte=0,
                    suspect__gte=0,
                )
                & Q(live_tasks__gte=models.F("stranded") + models.F("kept")),
                name="goalcoverage_counts_sane",
            ),
        ]

    def __str__(self) -> str:
        return f"coverage of goal {self.goal_id} in {self.organization_id}"


class DigestSent(TenantModel):
    """The sent-log of the weekly digest: a re-run, a redelivered task or a second beat finds
    the row and sends nothing."""

    # Indexed by the constraints below, which lead with it.
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # Monday of the ISO week, in the organization's timezone.
    week = models.DateField()
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "user", "week"], name="digestsent_once_per_week"
            ),
            models.CheckConstraint(
                condition=Q(week__iso_week_day=1), name="digestsent_week_monday"
            ),
        ]

    def __str__(self) -> str:
        return f"digest of week {self.week} to {self.user_id} in {self.organization_id}"
