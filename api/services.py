"""Every write to personal access tokens."""

from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from vindaris.tenancy.models import Membership, Organization, User

from . import tokens
from .models import Access, AccessToken

NAME_MAX_LENGTH = AccessToken._meta.get_field("name").max_length or 100
# last_used_at is written at most this often per token: a busy integration's reads do not each
# write.
TOUCH_EVERY = timedelta(minutes=1)


@transaction.atomic
def token_create(
    *,
    organization: Organization,
    actor: User,
    member: Membership,
    name: str,
    access: str = Access.READ,
    expires_at: datetime | None = None,
) -> tuple[AccessToken, str]:
    """A new token for `member`, the actor's own membership of `organization` (a token is
    personal: nobody makes one for someone else). Returns the token and its full string, which
    is stored nowhere and cannot be shown again."""
    if member.organization_id != organization.pk or member.user_id != actor.pk:
        raise PermissionDenied("Members create tokens for themselves only.")
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Name the token after what will use it."})
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationError({"name": f"Keep the name to {NAME_MAX_LENGTH} characters."})
    if access not in Access.values:
        raise ValidationError({"access": "Select a valid choice."})
    now = timezone.now()
    if expires_at is not None and expires_at <= now:
        raise ValidationError({"expires_at": "An expiry must be in the future."})
    public_id = tokens.new_public_id()
    while AccessToken.objects.filter(organization=organization, public_id=public_id).exists():
        public_id = tokens.new_public_id()  # (31^8 ids: next to never)
    secret = tokens.new_secret()
    token = AccessToken.objects.create(
        organization=organization,
        member=member,
        name=name,
        public_id=public_id,
        secret_hash=tokens.secret_hash(secret),
        access=access,
        expires_at=expires_at,
        created_at=now,
    )
    return token, tokens.token_string(organization.pk, public_id, secret)


@transaction.atomic
def token_revoke(*, organization: Organization, actor: User, token: AccessToken) -> AccessToken:
    """Revoke a token of `organization`: one's own, or any by an admin. It stops working on the
    next request; revoking it again changes nothing."""
    actor_membership = Membership.objects.filter(organization=organization, user=actor).first()
    locked = (
        AccessToken.objects.select_for_update(of=("self",), no_key=True)
        .select_related("member")
        .filter(organization=organization, pk=token.pk)
        .first()
    )
    if locked is None or actor_membership is None:
        raise ValidationError({"token": "Select a valid choice."})
    if locked.member.user_id != actor.pk and not actor_membership.is_admin:
        raise PermissionDenied("Only admins revoke other members' tokens.")
    if locked.revoked_at is None:
        locked.revoked_at = timezone.now()
        locked.revoked_by = actor
        locked.save(update_fields=["revoked_at", "revoked_by"])
    return locked


def token_touch(*, token: AccessToken, now: datetime) -> None:
    """Record that the token was used, unless that was recorded less than TOUCH_EVERY ago (one
    UPDATE, no transaction of its own: it races with nothing but itself)."""
    if token.last_used_at is not None and now - token.last_used_at < TOUCH_EVERY:
        return
    AccessToken.objects.filter(organization_id=token.organization_id, pk=token.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - TOUCH_EVERY)
    ).update(last_used_at=now)
    token.last_used_at = now
