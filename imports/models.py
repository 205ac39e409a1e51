"""An import: one uploaded file, its dry run, the mapping the user chose, and its apply."""

from django.conf import settings
from django.db import models

from vindaris.lib.tenant import TenantModel
from vindaris.tenancy.models import Organization


class ImportState(models.TextChoices):
    # A job takes a queued import, and holds its row locked while it reads or applies: a job
    # that dies leaves it queued for the next one (the apply's writes roll back with it).
    QUEUED = "queued", "Reading the file"
    READY = "ready", "Dry run ready"
    APPLY_QUEUED = "apply_queued", "Applying"
    APPLIED = "applied", "Applied"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Discarded"


# States a background job still has to act on.
PENDING = (ImportState.QUEUED, ImportState.APPLY_QUEUED)


def _upload_to(run: "ImportRun", filename: str) -> str:
    return f"imports/{run.organization_id}/{run.token}.upload"


class ImportRun(TenantModel):
    """One file brought in: read in a dry run first (what would be created, changed, left
    alone, and every row that cannot be taken), then applied with the user's mapping, all or
    nothing. Numbered per organization (I-3)."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    number = models.PositiveIntegerField()
    # Where the upload is kept until the import is applied or discarded (a random name).
    token = models.CharField(max_length=32)
    file = models.FileField(upload_to=_upload_to, max_length=200, blank=True)
    filename = models.CharField(max_length=200)
    size = models.PositiveBigIntegerField()
    # The format: detected from the headers, or chosen by the user (imports.readers.READERS).
    format = models.CharField(max_length=32)
    format_chosen = models.BooleanField(default=False)
    source = models.CharField(max_length=16, blank=True)
    state = models.CharField(max_length=16, choices=ImportState.choices, default=ImportState.QUEUED)
    # Why the whole file could not be read or applied, in words the user can act on.
    error = models.TextField(blank=True)
    # The dry run's findings (imports.services.Plan as JSON) and the user's mapping.
    plan = models.JSONField(default=dict, blank=True)
    mapping = models.JSONField(default=dict, blank=True)
    # What the apply did, and the coverage headline before and after it.
    result = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "number"], name="importrun_org_number_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.filename}"

    @property
    def key(self) -> str:
        return f"I-{self.number}"

    @property
    def is_pending(self) -> bool:
        return self.state in PENDING
