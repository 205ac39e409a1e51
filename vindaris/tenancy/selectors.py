"""Every read of organizations, members and invitations."""

from django.db.models import QuerySet
from django.utils import timezone

from .models import Invitation, Membership, Organization, User


def memberships_for_user(*, user: User) -> list[Membership]:
    """The user's memberships with their organizations, by organization name."""
    return list(
        Membership.objects.filter(user=user)
        .select_related("organization")
        .order_by("organization__name")
    )


def members_of(*, organization: Organization) -> QuerySet[Membership]:
    """The organization's members with their users, admins first."""
    return (
        Membership.objects.filter(organization=organization)
        .select_related("user")
        .order_by("role", "user__name", "user__email")
    )


def pending_invitations(*, organization: Organization) -> QuerySet[Invitation]:
    return Invitation.objects.filter(
        organization=organization,
        accepted_at=None,
        revoked_at=None,
        expires_at__gt=timezone.now(),
    ).order_by("-created_at")
