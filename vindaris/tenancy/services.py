"""Every write to organizations, members and invitations."""

import secrets
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from vindaris.lib.emails import send_templated_email

from .models import (
    Invitation,
    Membership,
    Organization,
    Role,
    UpdateCadence,
    User,
    Weekday,
    hash_token,
)
from .zones import validate_zone, validate_zone_or_blank

INVITATION_LIFETIME = timedelta(days=7)
RESERVED_SLUGS = {"new", "admin", "static", "o", "api", "accounts"}


def _unique_slug(name: str) -> str:
    base = slugify(name)[:50] or "org"
    if base in RESERVED_SLUGS:
        base = f"{base}-org"
    slug, n = base, 2
    while Organization.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def organization_create(*, name: str, actor: User, slug: str | None = None) -> Organization:
    """Create an organization with `actor` as its first admin."""
    organization = Organization.objects.create(name=name.strip(), slug=slug or _unique_slug(name))
    Membership.objects.create(organization=organization, user=actor, role=Role.ADMIN)
    return organization


@transaction.atomic
def user_sign_up(*, email: str, password: str, name: str, organization_name: str) -> Membership:
    """Create a user and their new organization, of which they are admin."""
    user = User.objects.create_user(email=email, password=password, name=name.strip())
    organization = organization_create(name=organization_name, actor=user)
    return Membership.objects.get(organization=organization, user=user)


@transaction.atomic
def organization_update(
    *,
    organization: Organization,
    actor: User,
    name: str,
    timezone_name: str,
    digest_weekday: int,
    allow_goalless_work: bool,
    starved_grace_days: int,
    update_cadence_weeks: int | None = None,
    update_weekday: int | None = None,
) -> Organization:
    """Change an organization's settings (admins only; checked by the caller's access helper).
    An unknown time zone is a ValidationError and changes nothing; the goal update cadence and
    day are kept when not given."""
    validate_zone(timezone_name)
    if update_cadence_weeks is not None:
        if update_cadence_weeks not in UpdateCadence.values:
            raise ValidationError({"update_cadence_weeks": "Select a valid choice."})
        organization.update_cadence_weeks = update_cadence_weeks
    if update_weekday is not None:
        if update_weekday not in Weekday.values:
            raise ValidationError({"update_weekday": "Select a valid choice."})
        organization.update_weekday = update_weekday
    organization.name = name.strip()
    organization.timezone = timezone_name
    organization.digest_weekday = digest_weekday
    organization.allow_goalless_work = allow_goalless_work
    organization.starved_grace_days = starved_grace_days
    organization.save(
        update_fields=[
            "name",
            "timezone",
            "digest_weekday",
            "allow_goalless_work",
            "starved_grace_days",
            "update_cadence_weeks",
            "update_weekday",
        ]
    )
    return organization


@transaction.atomic
def membership_time_zone_set(
    *, organization: Organization, actor: User, membership: Membership, timezone_name: str
) -> Membership:
    """Set the time zone a member reads this organization's pages in (blank: the
    organization's). Only for oneself; an unknown zone is a ValidationError and changes
    nothing."""
    validate_zone_or_blank(timezone_name)
    membership = Membership.objects.select_for_update().get(
        organization=organization, pk=membership.pk
    )
    if membership.user_id != actor.pk:
        raise PermissionDenied("Members choose only their own time zone.")
    if membership.timezone != timezone_name:
        membership.timezone = timezone_name
        membership.save(update_fields=["timezone"])
    return membership


def _admin_count(organization: Organization) -> int:
    return Membership.objects.filter(organization=organization, role=Role.ADMIN).count()


@transaction.atomic
def membership_change_role(
    *, organization: Organization, actor: User, membership: Membership, role: str
) -> Membership:
    """Change a member's role; the last admin cannot be demoted."""
    membership = Membership.objects.select_for_update().get(
        organization=organization, pk=membership.pk
    )
    if membership.role == Role.ADMIN and role != Role.ADMIN and _admin_count(organization) <= 1:
        raise ValidationError("The last admin cannot be demoted. Make someone else admin first.")
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def membership_remove(*, organization: Organization, actor: User, membership: Membership) -> None:
    """Remove a member; the last admin cannot be removed. Their object permissions go with them."""
    membership = Membership.objects.select_for_update().get(
        organization=organization, pk=membership.pk
    )
    if membership.role == Role.ADMIN and _admin_count(organization) <= 1:
        raise ValidationError("The last admin cannot be removed.")
    membership.delete()


@transaction.atomic
def invitation_create(
    *, organization: Organization, actor: User, email: str, role: str
) -> Invitation:
    """Invite an address with a role; replaces a pending invitation to the same address."""
    email = email.strip().lower()
    if Membership.objects.filter(organization=organization, user__email__iexact=email).exists():
        raise ValidationError(f"{email} is already a member of {organization.name}.")
    Invitation.objects.filter(
        organization=organization, email=email, accepted_at=None, revoked_at=None
    ).update(revoked_at=timezone.now())
    # The token names its organization, so the link finds the invitation by
    # (organization_id, token_hash). A slug has no ".", a urlsafe secret neither.
    token = f"{organization.slug}.{secrets.token_urlsafe(32)}"
    invitation = Invitation.objects.create(
        organization=organization,
        email=email,
        role=role,
        token_hash=hash_token(token),
        invited_by=actor,
        expires_at=timezone.now() + INVITATION_LIFETIME,
    )
    link = reverse("invitation_accept", kwargs={"token": token})
    transaction.on_commit(
        lambda: send_templated_email(
            "emails/invitation",
            to=[email],
            context={
                "organization": organization,
                "inviter": actor,
                "role": invitation.get_role_display(),
                "path": link,
                "expires_at": invitation.expires_at,
            },
        )
    )
    return invitation


@transaction.atomic
def invitation_revoke(*, organization: Organization, actor: User, invitation: Invitation) -> None:
    Invitation.objects.filter(organization=organization, pk=invitation.pk, accepted_at=None).update(
        revoked_at=timezone.now()
    )


def _invitations_of_token(token: str) -> QuerySet[Invitation]:
    """The invitation this token names, looked up in the organization the token names."""
    slug, _, _ = token.rpartition(".")
    organization_id = Organization.objects.filter(slug=slug).values_list("id", flat=True).first()
    if organization_id is None:
        return Invitation.objects.none()
    return Invitation.objects.filter(organization_id=organization_id, token_hash=hash_token(token))


def invitation_for_token(token: str) -> Invitation | None:
    """The usable invitation with this token, or None (unknown, used, revoked or expired)."""
    invitation = _invitations_of_token(token).select_related("organization", "invited_by").first()
    if invitation is None or not invitation.is_usable:
        return None
    return invitation


@transaction.atomic
def invitation_accept(
    *, token: str, user: User | None, password: str = "", name: str = ""
) -> Membership:
    """Accept an invitation exactly once: as the signed-in invitee, or as a new user."""
    invitation = _invitations_of_token(token).select_for_update().first()
    if invitation is None or not invitation.is_usable:
        raise ValidationError("This invitation link is invalid, expired or already used.")
    if user is None:
        if User.objects.filter(email__iexact=invitation.email).exists():
            raise ValidationError("An account with this email exists: log in to accept.")
        user = User.objects.create_user(email=invitation.email, password=password, name=name)
    elif user.email.lower() != invitation.email:
        raise ValidationError(f"This invitation was sent to {invitation.email}.")
    membership, _ = Membership.objects.get_or_create(
        organization=invitation.organization, user=user, defaults={"role": invitation.role}
    )
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    return membership
