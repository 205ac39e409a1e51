"""Notifications of the cast: made through notify(), as the apps that call it make them."""

from collections.abc import Callable

import pytest

from notifications import services
from notifications.models import Kind, Notification
from vindaris.tenancy.models import Membership, Organization, User


@pytest.fixture
def notify_member(membership_of) -> Callable[..., Notification]:
    """notify(recipient, actor, text, kind=mention, path=…): the one notification it made."""

    def make(
        org: Organization,
        recipient: User,
        actor: User,
        text: str,
        *,
        kind: str = Kind.MENTION,
        path: str | None = None,
    ) -> Notification:
        member: Membership = membership_of(recipient, org)
        made = services.notify(
            organization=org,
            recipients=[member],
            kind=kind,
            actor=actor,
            text=text,
            path=path or f"/o/{org.slug}/goals/1/",
        )
        assert made == 1
        return Notification.objects.filter(organization=org, recipient_id=member.pk).latest("id")

    return make
