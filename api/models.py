from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone

from vindaris.lib.tenant import TenantForeignKey, TenantModel
from vindaris.tenancy.models import Membership, Organization

# What a token's string starts with, so that a leaked one is recognisable (secret scanners).
TOKEN_PREFIX = "vnd_"


class Access(models.TextChoices):
    READ = "read", "Read only"
    WRITE = "read_write", "Read and write"


class AccessToken(TenantModel):
    """A member's personal access token for the API. It acts with its member's role and sees
    what the member sees; only a hash of its secret is kept. It goes with its membership (the
    database deletes it when the member is removed)."""

    # Indexed by the constraints and indexes below, which lead with it.
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    member = TenantForeignKey(Membership, related_name="+", db_index=False)
    name = models.CharField(max_length=100)
    # The token's public part, shown in lists ("vnd_1_k3j9x2ab…"): finds its row.
    public_id = models.CharField(max_length=12)
    # SHA-256 of the secret part (a random 256-bit value): nothing that could sign a request.
    secret_hash = models.CharField(max_length=64)
    access = models.CharField(max_length=12, choices=Access.choices, default=Access.READ)
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Written at most once a minute (api.services.token_touch): reads stay reads.
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # never looked up by it
    )

    class Meta:
        constraints = [
            # Every request looks its token up by (organization, public id).
            models.UniqueConstraint(
                fields=["organization", "public_id"], name="accesstoken_org_public_id_key"
            ),
        ]
        indexes = [
            # a member's own tokens on the settings page, newest first
            models.Index(
                fields=["organization", "member", "-created_at"], name="accesstoken_member_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def prefix(self) -> str:
        """The public start of the token, as lists show it: "vnd_1_k3j9x2ab"."""
        return f"{TOKEN_PREFIX}{organization_part(self.organization_id)}_{self.public_id}"

    @property
    def can_write(self) -> bool:
        return self.access == Access.WRITE

    def is_expired(self, now: datetime | None = None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def state(self) -> str:
        """ "active", "expired" or "revoked", as the settings page shows it."""
        if self.is_revoked:
            return "revoked"
        return "expired" if self.is_expired() else "active"


_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def organization_part(organization_id: int) -> str:
    """The organization's id in base 36: a token names its organization, so its row is looked
    up in that organization alone."""
    n, out = organization_id, ""
    while True:
        n, r = divmod(n, 36)
        out = _DIGITS[r] + out
        if n == 0:
            return out
