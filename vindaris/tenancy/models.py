import hashlib
from typing import ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone

from vindaris.lib.tenant import TenantModel

from .zones import validate_zone, validate_zone_or_blank


class UserManager(BaseUserManager["User"]):
    def create_user(self, email: str, password: str | None = None, **extra: object) -> "User":
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> "User":
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person. Logs in with an email address; belongs to organizations through memberships."""

    email = models.EmailField(unique=True)
    name = models.CharField(max_length=150, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects = UserManager()

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name or self.email.split("@")[0]


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class UpdateCadence(models.IntegerChoices):
    """How often goal owners are asked for an update, in weeks."""

    WEEKLY = 1, "Every week"
    FORTNIGHTLY = 2, "Every two weeks"
    FOUR_WEEKLY = 4, "Every four weeks"


class Organization(models.Model):
    """A tenant. Every tenant row carries organization_id; URLs live under /o/<slug>/."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    # An IANA name (zones.ZONE_NAMES), validated rather than a choice: the list is the
    # system's time zone database, which changes without a migration.
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_zone])
    digest_weekday = models.PositiveSmallIntegerField(
        choices=Weekday.choices, default=Weekday.MONDAY
    )
    allow_goalless_work = models.BooleanField(
        default=False,
        help_text="Let quick-add capture work without a goal (such work is orphaned).",
    )
    starved_grace_days = models.PositiveSmallIntegerField(
        default=7,
        help_text="Days an active goal may have no live work before it is flagged starved.",
    )
    # Goal updates (the updates app): owners are asked for one every `update_cadence_weeks`
    # weeks, a cycle starting at midnight of `update_weekday` on the organization's clock.
    update_cadence_weeks = models.PositiveSmallIntegerField(
        choices=UpdateCadence.choices, default=UpdateCadence.WEEKLY, db_default=1
    )
    update_weekday = models.PositiveSmallIntegerField(
        choices=Weekday.choices, default=Weekday.FRIDAY, db_default=4
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    LEAD = "lead", "Lead"
    PLANNER = "planner", "Planner"
    VIEWER = "viewer", "Viewer"


# Higher rank can do everything a lower rank can.
ROLE_RANK = {Role.VIEWER: 0, Role.PLANNER: 1, Role.LEAD: 2, Role.ADMIN: 3}


class Membership(TenantModel):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.VIEWER)
    digest_opt_out = models.BooleanField(default=False)
    # No email asking for goal updates (the updates app's reminder).
    update_reminder_opt_out = models.BooleanField(default=False, db_default=False)
    # The member's own time zone for what pages show; blank: the organization's.
    timezone = models.CharField(
        max_length=64, blank=True, db_default="", validators=[validate_zone_or_blank]
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "user"], name="membership_one_per_user_per_org"
            ),
            # (The primary key, (organization_id, id), is the target of composite foreign keys
            # (organization_id, member_id) from tenant tables.)
        ]
        indexes = [
            # "my organizations" in the navigation
            models.Index(fields=["user", "organization"], name="membership_user_org_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.role}) in {self.organization}"

    def has_role(self, minimum: str) -> bool:
        return ROLE_RANK[Role(self.role)] >= ROLE_RANK[Role(minimum)]

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def can_lead(self) -> bool:
        return self.has_role(Role.LEAD)

    @property
    def can_plan(self) -> bool:
        return self.has_role(Role.PLANNER)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Invitation(TenantModel):
    """An emailed, single-use, expiring offer of membership. Only the token's hash is stored."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField()
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.PLANNER)
    token_hash = models.CharField(max_length=64)
    invited_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # The link names the organization and the token: one lookup on this key.
            models.UniqueConstraint(
                fields=["organization", "token_hash"], name="invitation_org_token_key"
            ),
            # At most one pending invitation per address per organization.
            models.UniqueConstraint(
                fields=["organization", "email"],
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_one_pending_per_email",
            ),
        ]

    def __str__(self) -> str:
        return f"Invitation of {self.email} to {self.organization}"

    @property
    def is_usable(self) -> bool:
        return (
            self.accepted_at is None
            and self.revoked_at is None
            and self.expires_at > timezone.now()
        )


class Sequence(TenantModel):
    """Per-organization counters behind human numbers (G-12, O-3, T-345)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=16)
    value = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="sequence_org_name_key")
        ]

    def __str__(self) -> str:
        return f"{self.organization_id}:{self.name}={self.value}"


class JobRequest(TenantModel):
    """A job asked for by a write, kept in the database until it is handed to the broker.

    Written in the write's own transaction (vindaris.lib.jobs.enqueue): the job exists exactly
    when the change does, and the request never waits for the broker. The dispatcher
    (tenancy.tasks.dispatch_jobs, every few seconds) sends each organization's pending job once,
    however many writes asked for it, and deletes the rows it sent; while the broker is away the
    rows wait."""

    # Indexed by the primary key (organization_id, id), which leads with it.
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    task = models.CharField(max_length=100)  # a Celery task name taking the organization's id
    requested_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.task}({self.organization_id})"
