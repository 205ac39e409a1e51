from django.conf import settings
from django.db import models
from django.db.models import Q

from goals.models import CheckIn, Goal, Outcome
from vindaris.lib.tenant import TenantForeignKey, TenantModel
from vindaris.tenancy.models import Membership, Organization

from . import gaps
from .gaps import LIVE, LIVE_STATUSES, TaskStatus

__all__ = ["LIVE", "LIVE_STATUSES", "TaskStatus"]


class Origin(models.TextChoices):
    GOAL_PAGE = "goal_page", "Goal page"
    QUICK_ADD = "quick_add", "Quick add"
    IMPORT = "import", "Import"
    API = "api", "API"


# The tools work is imported from, as people name them.
SOURCE_LABELS = {
    "jira": "Jira",
    "linear": "Linear",
    "github": "GitHub",
    "asana": "Asana",
    "vindaris": "a Vindaris file",
}


class Task(TenantModel):
    """A unit of work, linked to the goal it serves (empty only for orphaned work)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    # A goal with work still under it cannot be deleted (work.services.goal_delete detaches
    # the work first); the database empties `outcome` when the outcome goes.
    goal = TenantForeignKey(Goal, null=True, blank=True, related_name="tasks")
    outcome = TenantForeignKey(Outcome, null=True, blank=True, related_name="tasks")
    status = models.CharField(max_length=16, choices=TaskStatus.choices, default=TaskStatus.TODO)
    assignee = TenantForeignKey(Membership, null=True, blank=True, related_name="tasks")
    estimate = models.PositiveIntegerField(default=1, help_text="Effort points")
    due_date = models.DateField(null=True, blank=True)
    origin = models.CharField(max_length=16, choices=Origin.choices, default=Origin.GOAL_PAGE)
    # When someone last stood behind this task's link to its goal (created, moved, confirmed).
    # A goal's later material change makes the link suspect.
    link_confirmed_at = models.DateTimeField()
    # A written reason to keep working on a stranded task; holds until the goal changes again.
    kept_reason = models.CharField(max_length=300, blank=True)
    # Imported work keeps where it came from: the tool ("jira") and the tool's key ("PM-92"), by
    # which a newer export of the same project updates it, and the import that created it.
    source = models.CharField(max_length=16, blank=True, db_default="")
    external_key = models.CharField(max_length=100, blank=True, db_default="")
    import_run = TenantForeignKey(
        "imports.ImportRun", null=True, blank=True, related_name="+", db_index=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "number"], name="task_org_number_key"),
            models.CheckConstraint(
                condition=Q(outcome__isnull=True) | Q(goal__isnull=False),
                name="task_outcome_needs_goal",
            ),
            # one task per key of a tool: a re-import finds it by key, never by title
            models.UniqueConstraint(
                fields=["organization", "source", "external_key"],
                condition=~Q(external_key=""),
                name="task_org_external_key",
            ),
        ]
        indexes = [
            # the work list filtered by goal, newest first (with the status filter read from the
            # index); the goal page's first tasks, live first, are read in the order of
            # task_tree_order_idx (traceability migration 0003)
            models.Index(
                fields=["organization", "goal", "-number"],
                include=["status", "estimate", "link_confirmed_at"],
                name="task_org_goal_number_idx",
            ),
            # live work per goal: the goal page's counts, its sub-goals' and outcomes' live
            # counts and effort, index-only (vacuumed pages need no heap visit)
            models.Index(
                fields=["organization", "goal", "-number"],
                include=["estimate", "link_confirmed_at", "outcome"],
                name="task_org_goal_live_idx",
                condition=LIVE,
            ),
            # done work per goal: the goal page's done share, index-only
            models.Index(
                fields=["organization", "goal"],
                include=["estimate"],
                name="task_org_goal_done_idx",
                condition=Q(status="done"),
            ),
            # orphaned work: live tasks without a goal
            models.Index(
                fields=["organization", "number"],
                name="task_org_orphaned_idx",
                condition=Q(goal__isnull=True) & LIVE,
            ),
            # the work an import created (its result page, the orphaned queue filtered to it)
            models.Index(
                fields=["organization", "import_run", "number"],
                name="task_org_import_idx",
                condition=Q(import_run__isnull=False),
            ),
            # the work list filtered by assignee
            models.Index(
                fields=["organization", "assignee", "number"], name="task_org_assignee_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.title}"

    @property
    def key(self) -> str:
        return f"T-{self.number}"

    @property
    def source_label(self) -> str:
        return SOURCE_LABELS.get(self.source, self.source)

    # The gap rules are work.gaps'; these read them for one loaded task.
    @property
    def is_live(self) -> bool:
        return gaps.is_live(self.status)

    @property
    def is_orphaned(self) -> bool:
        return gaps.is_orphaned(self)

    @property
    def is_stranded(self) -> bool:
        """Needs `goal` loaded: live work under a goal that is not active."""
        return gaps.is_stranded(self)

    @property
    def is_kept(self) -> bool:
        """Needs `goal` loaded: stranded work someone chose to keep."""
        return gaps.is_kept(self)

    @property
    def is_suspect(self) -> bool:
        """Needs `goal` loaded: the goal changed materially since the link was confirmed."""
        return gaps.is_suspect(self)


class TaskEvent(TenantModel):
    """A task's link and status history: created under X, moved X → Y, confirmed, status a → b."""

    class Kind(models.TextChoices):
        CREATED = "created", "created"
        MOVED = "moved", "moved"
        CONFIRMED = "confirmed", "confirmed the link"
        KEPT = "kept", "kept on a stranded goal"
        STATUS = "status", "changed status"
        EDITED = "edited", "edited"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    task = TenantForeignKey(Task, related_name="events")  # deleted with it
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    # Emptied by the database when the goal is deleted (the event stays).
    from_goal = TenantForeignKey(Goal, null=True, blank=True, related_name="+")
    to_goal = TenantForeignKey(Goal, null=True, blank=True, related_name="+")
    from_status = models.CharField(max_length=16, choices=TaskStatus.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=TaskStatus.choices, blank=True)
    reason = models.CharField(max_length=300, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["organization", "task", "-created_at"], name="taskevent_task_recent_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.task_id} {self.kind}"


class CheckInCredit(TenantModel):
    """A task credited for an outcome's move in a check-in ("what moved this?")."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    check_in = TenantForeignKey(CheckIn, related_name="credits")  # deleted with it
    task = TenantForeignKey(Task, related_name="credits")  # deleted with it

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "check_in", "task"], name="checkincredit_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task_id} credited in {self.check_in_id}"
